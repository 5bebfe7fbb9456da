"""VTIMEZONE components, built once per zone, for every TZID a calendar uses.

Our invites and feeds write instants in UTC (see ``event.py`` for why), so
today no TZID is written and ``add_timezones`` finds nothing to add. It runs
on every calendar we produce anyway, as the guard for RFC 5546's rule that
each TZID has its VTIMEZONE: whoever adds a local-time property later gets a
valid calendar without having to remember it.

Why not ``icalendar.Timezone.from_tzid`` as it is: in icalendar 7.3 it writes
a spring-forward onset in the wall time *after* the change (New York:
``DTSTART:...T030000`` with ``TZOFFSETFROM:-0500``), where RFC 5545 §3.6.5
reads DTSTART in the TZOFFSETFROM offset, so a reader that applies the
VTIMEZONE (rather than its own copy of the zone) starts summer time an hour
late. It also lists onsets as one comma-separated RDATE, which vobject
(dateutil) misreads for whole summers. So the onsets are computed here from
``zoneinfo`` (the project's one source of zone rules), written in the
TZOFFSETFROM wall time, one RDATE per line; the tests read them back with
vobject, which does apply the VTIMEZONE.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard

# Wide enough for any booking (the horizon is at most a year) and for the
# past sessions a feed still shows.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2050, 1, 1)

# Sampling stride when looking for clock changes; each change found is then
# pinned to the second by bisection. In tzdata 2026 no zone changes twice
# within 6.9 days between 2000 and 2050 (closest: America/Cambridge_Bay,
# Asia/Gaza), so two days misses nothing, and costs ~50 ms a zone where a
# six-hour stride took half a second. A test compares both on the closest zones.
STRIDE_SECONDS = 2 * 24 * 3600

_cache: dict[str, Timezone] = {}
_ics_cache: dict[str, bytes] = {}
_lock = threading.Lock()


class Observance(NamedTuple):
    """A span of a zone's history with one offset: how it starts and what it is."""

    onset_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool


def vtimezone_for(zone: str) -> Timezone:
    """The VTIMEZONE for an IANA ``zone`` (built on first use, then shared; don't mutate it).

    Raises ``ValueError`` for a zone the zone database doesn't know.
    """
    cached = _cache.get(zone)
    if cached is not None:
        return cached
    built = build_vtimezone(zone)
    with _lock:
        return _cache.setdefault(zone, built)


def vtimezone_ics(zone: str) -> bytes:
    """``vtimezone_for(zone)`` as bytes (written once per zone, then shared): for calendars assembled from bytes."""
    cached = _ics_cache.get(zone)
    if cached is not None:
        return cached
    written = vtimezone_for(zone).to_ical()
    with _lock:
        return _ics_cache.setdefault(zone, written)


def add_timezones(calendar: Calendar) -> Calendar:
    """Add a VTIMEZONE for each TZID ``calendar`` uses and lacks, sorted by TZID; returns ``calendar``.

    Unlike ``Calendar.add_missing_timezones`` it reuses cached components,
    gives the same bytes for the same calendar, and fails loudly on an
    unknown TZID instead of leaving it undefined.
    """
    missing = sorted(calendar.get_missing_tzids())
    # VTIMEZONEs go first, before the components that refer to them.
    position = len(calendar.timezones)
    for zone in missing:
        calendar.subcomponents.insert(position, vtimezone_for(zone))
        position += 1
    return calendar


def build_vtimezone(zone: str, first: date = FIRST_DATE, last: date = LAST_DATE) -> Timezone:
    """A VTIMEZONE describing ``zone`` from ``first`` to ``last``: one STANDARD/DAYLIGHT per kind of change."""
    try:
        tzinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {zone!r}") from error
    groups: dict[tuple[timedelta, timedelta, str, bool], list[datetime]] = defaultdict(list)
    for observance in observances(tzinfo, first, last):
        # DTSTART and RDATE are wall times in the offset in force *before* the onset.
        wall = (observance.onset_utc + observance.offset_from).replace(tzinfo=None)
        groups[observance[1:]].append(wall)

    timezone = Timezone()
    timezone.add("TZID", zone)
    for (offset_from, offset_to, name, is_dst), walls in sorted(groups.items(), key=lambda item: item[1][0]):
        component = TimezoneDaylight() if is_dst else TimezoneStandard()
        component.add("DTSTART", walls[0])
        component.add("TZOFFSETFROM", offset_from)
        component.add("TZOFFSETTO", offset_to)
        component.add("TZNAME", name)
        for wall in walls[1:]:
            component.add("RDATE", wall)  # one per line: some readers take only a list's first value
        timezone.add_component(component)
    return timezone


def observances(tzinfo: ZoneInfo, first: date, last: date, stride: int = STRIDE_SECONDS) -> list[Observance]:
    """The observance in force at ``first`` (as if it began then), then every change until ``last``."""
    start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
    end = int(datetime(last.year, last.month, last.day, tzinfo=UTC).timestamp())
    initial = _state(tzinfo, start)
    found = [Observance(_instant(start), initial[0], initial[0], initial[1], initial[2])]
    before = initial
    for sample in range(start + stride, end + stride, stride):
        after = _state(tzinfo, sample)
        if after != before:
            onset = _first_second_with(tzinfo, sample - stride, sample, before)
            state = _state(tzinfo, onset)
            found.append(Observance(_instant(onset), before[0], state[0], state[1], state[2]))
            before = state
            if state != after:  # a second change inside one stride: the stride is too long
                raise RuntimeError(f"{tzinfo.key} changes twice within {stride} seconds near {_instant(onset)}")
    return found


def _state(tzinfo: ZoneInfo, seconds: int) -> tuple[timedelta, str, bool]:
    local = _instant(seconds).astimezone(tzinfo)
    return local.utcoffset() or timedelta(), local.tzname() or "", bool(local.dst())


def _first_second_with(tzinfo: ZoneInfo, low: int, high: int, before: tuple) -> int:
    """The first whole second in (low, high] whose state differs from ``before`` (bisection)."""
    while high - low > 1:
        middle = (low + high) // 2
        if _state(tzinfo, middle) == before:
            low = middle
        else:
            high = middle
    return high


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
