"""VTIMEZONE components, built once per zone, for every TZID a calendar uses.

Our invites and feeds write instants in UTC (see ``event.py`` for why), so
today no TZID is written and ``add_timezones`` finds nothing to add. It runs
on every calendar we produce anyway, as the guard for RFC 5546's rule that
each TZID has its VTIMEZONE: whoever adds a local-time property later gets a
valid calendar without having to remember it.
"""
from __future__ import annotations

import threading
from datetime import date

from icalendar import Calendar, Timezone

# Wide enough for any booking (the horizon is at most a year) and for the
# past sessions a feed still shows; the zone rules come from tzdata (zoneinfo).
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2050, 1, 1)

# Timezone.from_tzid walks every transition of the zone: slow enough to
# matter when a feed or a batch of invites is written, so keep one per zone.
_cache: dict[str, Timezone] = {}
_lock = threading.Lock()


def vtimezone_for(zone: str) -> Timezone:
    """The VTIMEZONE for an IANA ``zone`` (built on first use, then shared; don't mutate it).

    Raises ``ValueError`` for a zone the zone database doesn't know.
    """
    cached = _cache.get(zone)
    if cached is not None:
        return cached
    built = Timezone.from_tzid(zone, first_date=FIRST_DATE, last_date=LAST_DATE)
    with _lock:
        return _cache.setdefault(zone, built)


def add_timezones(calendar: Calendar) -> Calendar:
    """Add a VTIMEZONE for each TZID ``calendar`` uses and lacks, in a stable order; returns ``calendar``.

    Unlike ``Calendar.add_missing_timezones`` this reuses cached components,
    sorts them by TZID (so the same calendar always gives the same bytes) and
    fails loudly on an unknown TZID instead of leaving it undefined.
    """
    missing = sorted(calendar.get_missing_tzids())
    # VTIMEZONEs go first, before the components that refer to them.
    position = len(calendar.timezones)
    for zone in missing:
        calendar.subcomponents.insert(position, vtimezone_for(zone))
        position += 1
    return calendar
