"""Per-zone offset tables: fast, exact local<->UTC conversion in whole seconds.

All volunteers of one zone share one table. The tables are read from
``zoneinfo`` (backed by the ``tzdata`` package), the single source of zone
rules for pages, mail and iCalendar, so the fast path can never disagree with
a plain ``datetime`` conversion.

Local wall-clock times are "local seconds": seconds since 1970-01-01 00:00 as
if the wall clock were UTC. A local day number is ``local_seconds // 86400``.
"""
from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

DAY = 86_400
_SAMPLE_STEP = 3 * 3600  # no zone changes its offset twice within three hours
_MIN_YEAR, _MAX_YEAR = 1900, 2200


def _offset_seconds(zone: ZoneInfo, utc_seconds: int) -> int:
    """UTC offset in whole seconds in force at a UTC instant."""
    offset = datetime.fromtimestamp(utc_seconds, zone).utcoffset()
    return int(offset.total_seconds())


def _year_start(year: int) -> int:
    return int(datetime(year, 1, 1, tzinfo=UTC).timestamp())


class ZoneClock:
    """Converts between UTC seconds and local seconds for one IANA zone.

    Local -> UTC follows RFC 5545 §3.3.5, which is ``zoneinfo`` with fold=0: an
    ambiguous time is its first occurrence; a time in a gap is read with the
    offset in force before the gap.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.zone = ZoneInfo(name)
        self._from_year = self._to_year = None
        # UTC instants where the offset changes, and the offset from then on.
        self._utc_changes: list[int] = []
        # Local seconds from which the fold=0 reading uses the new offset.
        self._local_changes: list[int] = []
        self._offsets: list[int] = []  # _offsets[i] is in force before change i
        self._week_cache: dict[int, tuple[int, int, int | None]] = {}

    # -- building the table ---------------------------------------------------

    def _ensure_years(self, first_year: int, last_year: int) -> None:
        first_year = max(first_year, _MIN_YEAR)
        last_year = min(last_year, _MAX_YEAR)
        if self._from_year is not None and self._from_year <= first_year and last_year <= self._to_year:
            return
        if self._from_year is not None:
            first_year = min(first_year, self._from_year)
            last_year = max(last_year, self._to_year)
        self._build(first_year, last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        start, stop = _year_start(first_year), _year_start(last_year + 1)
        utc_changes, offsets = [], [_offset_seconds(self.zone, start)]
        previous_t, previous_offset = start, offsets[0]
        t = start + _SAMPLE_STEP
        while t <= stop:
            offset = _offset_seconds(self.zone, t)
            if offset != previous_offset:
                utc_changes.append(self._first_second_with(previous_t, t, offset))
                offsets.append(offset)
                previous_offset = offset
            previous_t = t
            t += _SAMPLE_STEP
        local_changes = [
            change + max(offsets[i], offsets[i + 1]) for i, change in enumerate(utc_changes)
        ]
        self._from_year, self._to_year = first_year, last_year
        self._utc_changes, self._local_changes, self._offsets = utc_changes, local_changes, offsets
        self._week_cache.clear()

    def _first_second_with(self, low: int, high: int, offset: int) -> int:
        """Bisect (low, high] for the first second whose offset is ``offset``."""
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_seconds(self.zone, middle) == offset:
                high = middle
            else:
                low = middle
        return high

    def _cover(self, seconds: int) -> None:
        year = datetime.fromtimestamp(min(max(seconds, -2_000_000_000), 7_000_000_000), UTC).year
        if self._from_year is None or not (self._from_year < year < self._to_year):
            self._ensure_years(year - 1, year + 1)

    # -- conversions ----------------------------------------------------------

    def to_utc(self, local_seconds: int) -> int:
        """UTC seconds of a local wall-clock time (fold=0 reading)."""
        self._cover(local_seconds)
        offset = self._offsets[bisect_right(self._local_changes, local_seconds)]
        return local_seconds - offset

    def offset_at(self, utc_seconds: int) -> int:
        """The UTC offset, in seconds, in force at a UTC instant."""
        self._cover(utc_seconds)
        return self._offsets[bisect_right(self._utc_changes, utc_seconds)]

    def to_local(self, utc_seconds: int) -> int:
        """Local seconds of a UTC instant."""
        return utc_seconds + self.offset_at(utc_seconds)

    def week(self, monday: int) -> tuple[int, int, int | None]:
        """For the local week starting on day number ``monday``: its start and end
        instants (local Monday 00:00, fold=0) and, when one offset holds for every
        local time from the Sunday before to the Monday after, that offset."""
        cached = self._week_cache.get(monday)
        if cached is not None:
            return cached
        first_local, last_local = (monday - 1) * DAY, (monday + 8) * DAY
        self._cover(first_local - DAY)
        self._cover(last_local + DAY)
        low = bisect_right(self._local_changes, first_local)
        high = bisect_right(self._local_changes, last_local)
        steady = self._offsets[low] if low == high else None
        result = (self.to_utc(monday * DAY), self.to_utc((monday + 7) * DAY), steady)
        self._week_cache[monday] = result
        return result


@cache
def zone_clock(name: str) -> ZoneClock:
    """The shared clock for a zone; raises ``ZoneInfoNotFoundError`` for unknown names."""
    return ZoneClock(name)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_instants: dict[int, datetime] = {}
_INSTANTS_KEPT = 200_000


def utc_from_seconds(seconds: int) -> datetime:
    """An aware UTC datetime from UTC seconds.

    Slots of all volunteers fall on a few thousand distinct instants, and
    building a datetime costs far more than finding one, so they are shared.
    """
    instant = _instants.get(seconds)
    if instant is None:
        if len(_instants) >= _INSTANTS_KEPT:
            _instants.clear()
        instant = _instants[seconds] = _EPOCH + timedelta(seconds=seconds)
    return instant


def day_number(d) -> int:
    """Days since 1970-01-01 of a ``date``."""
    return d.toordinal() - 719_163


def weekday_of_day(day: int) -> int:
    """Monday=0 .. Sunday=6 of a day number (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


# The shared instant if it is already built, else None: lets hot loops skip a call.
known_instant = _instants.get
