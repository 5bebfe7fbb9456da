"""Per-zone offset tables: fast, exact local<->UTC conversion in whole seconds.

All volunteers of one zone share one table. The tables are read from
``zoneinfo``, the single source of zone rules for pages, mail and iCalendar
(``tutoring/__init__.py`` points it at the ``tzdata`` package, not at the
system's copy), so the fast path can never disagree with a plain ``datetime``
conversion.

Local wall-clock times are "local seconds": seconds since 1970-01-01 00:00 as
if the wall clock were UTC. A local day number is ``local_seconds // 86400``.
"""
from __future__ import annotations

import threading
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

DAY = 86_400
_SAMPLE_STEP = 3 * 3600  # no zone changes its offset twice within three hours
_MIN_YEAR, _MAX_YEAR = 1900, 2200


def _offset_seconds(zone: ZoneInfo, utc_seconds: int) -> int:
    """UTC offset in whole seconds in force at a UTC instant."""
    return int(datetime.fromtimestamp(utc_seconds, zone).utcoffset().total_seconds())


def _year_start(year: int) -> int:
    return int(datetime(year, 1, 1, tzinfo=UTC).timestamp())


class _Table(NamedTuple):
    """The offset changes of a span of years; never mutated, only replaced."""

    first_year: int
    last_year: int
    safe_from: int  # seconds (UTC or local) the table answers for, with a day to spare
    safe_to: int
    utc_changes: list[int]  # UTC instants where the offset changes
    local_changes: list[int]  # local seconds from which the fold=0 reading takes the new offset
    offsets: list[int]  # offsets[i] is in force before change i; offsets[-1] after the last


_EMPTY = _Table(0, -1, 0, 0, [], [], [0])


class ZoneClock:
    """Converts between UTC seconds and local seconds for one IANA zone.

    Local -> UTC follows RFC 5545 §3.3.5, which is ``zoneinfo`` with fold=0: an
    ambiguous time is its first occurrence; a time in a gap is read with the
    offset in force before the gap. Safe to share between threads: the table
    is replaced whole, never changed in place.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.zone = ZoneInfo(name)
        self._table = _EMPTY
        self._lock = threading.Lock()
        self._week_cache: dict[int, tuple[int, int, int | None]] = {}

    # -- building the table ---------------------------------------------------

    def _table_for(self, seconds: int) -> _Table:
        """A table covering ``seconds`` (UTC or local) with a year to spare."""
        table = self._table
        if table.safe_from <= seconds < table.safe_to:
            return table
        year = datetime.fromtimestamp(min(max(seconds, -2_000_000_000), 7_000_000_000), UTC).year
        with self._lock:
            table = self._table
            first, last = max(year - 1, _MIN_YEAR), min(year + 1, _MAX_YEAR)
            if table is not _EMPTY:
                first, last = min(first, table.first_year), max(last, table.last_year)
            if (first, last) != (table.first_year, table.last_year):
                table = self._table = self._build(first, last)
        return table

    def _build(self, first_year: int, last_year: int) -> _Table:
        start, stop = _year_start(first_year), _year_start(last_year + 1)
        utc_changes, offsets = [], [_offset_seconds(self.zone, start)]
        previous_t = start
        for t in range(start + _SAMPLE_STEP, stop + 1, _SAMPLE_STEP):
            offset = _offset_seconds(self.zone, t)
            if offset != offsets[-1]:
                utc_changes.append(self._first_second_with(previous_t, t, offset))
                offsets.append(offset)
            previous_t = t
        # Before a change the old offset holds; for a gap that includes the
        # missing times, for a fold the first occurrence: so the reading
        # switches at the later of the two local images of the change.
        local_changes = [change + max(offsets[i], offsets[i + 1]) for i, change in enumerate(utc_changes)]
        return _Table(first_year, last_year, start + 2 * DAY, stop - 2 * DAY, utc_changes, local_changes, offsets)

    def _first_second_with(self, low: int, high: int, offset: int) -> int:
        """Bisect (low, high] for the first second whose offset is ``offset``."""
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_seconds(self.zone, middle) == offset:
                high = middle
            else:
                low = middle
        return high

    # -- conversions ----------------------------------------------------------

    def to_utc(self, local_seconds: int) -> int:
        """UTC seconds of a local wall-clock time (fold=0 reading)."""
        table = self._table_for(local_seconds)
        return local_seconds - table.offsets[bisect_right(table.local_changes, local_seconds)]

    def offset_at(self, utc_seconds: int) -> int:
        """The UTC offset, in seconds, in force at a UTC instant."""
        table = self._table_for(utc_seconds)
        return table.offsets[bisect_right(table.utc_changes, utc_seconds)]

    def to_local(self, utc_seconds: int) -> int:
        """Local seconds of a UTC instant."""
        return utc_seconds + self.offset_at(utc_seconds)

    def steady_offset(self, first_local: int, last_local: int) -> int | None:
        """The offset every local time in [first_local, last_local] is read with, if
        it is one offset (no clock change in between), else None."""
        table = self._table_for(first_local)
        if not table.safe_from <= last_local < table.safe_to:
            table = self._table_for(last_local)
        changes = table.local_changes
        low = bisect_right(changes, first_local)
        return table.offsets[low] if low == bisect_right(changes, last_local) else None

    def week(self, monday: int) -> tuple[int, int, int | None]:
        """For the local week starting on day number ``monday``: its start and end
        instants (local Monday 00:00, fold=0) and, when one offset holds for every
        local time from the Sunday before to the Monday after, that offset."""
        cached = self._week_cache.get(monday)
        if cached is not None:
            return cached
        first_local, last_local = (monday - 1) * DAY, (monday + 8) * DAY
        self._table_for(first_local - DAY)
        table = self._table_for(last_local + DAY)
        low = bisect_right(table.local_changes, first_local)
        high = bisect_right(table.local_changes, last_local)
        steady = table.offsets[low] if low == high else None
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


def day_number(day: date) -> int:
    """Days since 1970-01-01 of a ``date``."""
    return day.toordinal() - 719_163

