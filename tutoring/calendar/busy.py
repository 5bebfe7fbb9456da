"""Busy time read from a volunteer's own calendar (an ICS feed or CalDAV objects).

Plain Python: iCalendar text in, sorted UTC intervals out; no Flask, no
database, no network. See docs/EXTERNAL_CALENDARS.md.

How events are read:

* Recurring events are expanded (RRULE, RDATE, EXDATE and moved or cancelled
  occurrences via RECURRENCE-ID) by ``recurring-ical-events``, only for the
  range asked for.
* ``TRANSP:TRANSPARENT`` (shown as "free") and ``STATUS:CANCELLED`` events
  don't make anyone busy; tentative ones do.
* Times with a TZID are read in that zone (icalendar resolves IANA names and
  the VTIMEZONE the calendar carries); UTC times as they are; floating times
  (no zone at all) in the volunteer's zone.
* All-day events (DATE values) make the volunteer busy from 00:00 of the first
  day to 00:00 after the last day in the volunteer's zone, read the way the
  scheduling core reads away periods (SPEC §2 rule 1 for a midnight that a
  clock change skips).
* An event without an end lasts one day when it is all-day and no time at all
  otherwise (RFC 5545 §3.6.1), so it blocks nothing.

The result is merged (overlapping or touching intervals become one), clipped
to the range and cut into pieces of at most a day: the scheduling core only
looks a day back for busy time that can reach into a slot.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from tutoring.scheduling import day_range_bounds
from tutoring.scheduling.slots import LONGEST_BUSY_SECONDS

# A calendar can repeat something every minute for a year; more busy pieces
# than this in one horizon is not a real person's calendar.
MAX_INTERVALS = 20_000
# Floating times and all-day events are placed in the volunteer's zone only
# after expansion, so expand a little wider than asked and clip afterwards.
_EXPAND_MARGIN = timedelta(days=2)
_LONGEST_PIECE = timedelta(seconds=LONGEST_BUSY_SECONDS)


class Interval(NamedTuple):
    """Busy time [start_at, end_at) as aware UTC datetimes."""

    start_at: datetime
    end_at: datetime


class UnreadableCalendar(ValueError):
    """The text is not an iCalendar object (or is one we can't expand)."""


class TooBusy(ValueError):
    """The calendar yields more busy time pieces than ``MAX_INTERVALS``."""


def busy_intervals(
    calendars: Iterable[str | bytes], start_at: datetime, end_at: datetime, zone: str, own_uid_domain: str | None = None
) -> list[Interval]:
    """Busy time of the events in ``calendars`` within [start_at, end_at), sorted and merged, as UTC pieces of at most a day.

    ``calendars`` holds iCalendar texts (a whole ICS feed, or one CalDAV
    object each); ``zone`` is the volunteer's IANA zone, used for floating
    times and all-day events. Events whose UID ends in ``@own_uid_domain``
    are this service's own sessions (a volunteer may well have subscribed
    their calendar to our feed): they are skipped, because the sessions block
    their time themselves and a cancelled one must free its slot at once, not
    at the next read. Raises :class:`UnreadableCalendar` when a text doesn't
    parse and :class:`TooBusy` when there is absurdly much.
    """
    _aware(start_at), _aware(end_at)
    tz = ZoneInfo(zone)
    own_suffix = f"@{own_uid_domain}".lower() if own_uid_domain else None
    found: list[Interval] = []
    for text in calendars:
        for interval in _read_one(text, start_at, end_at, zone, tz, own_suffix):
            found.append(interval)
            if len(found) > MAX_INTERVALS:
                raise TooBusy(f"more than {MAX_INTERVALS} busy times")
    pieces = split_long(merge(clip(found, start_at, end_at)))
    if len(pieces) > MAX_INTERVALS:
        raise TooBusy(f"more than {MAX_INTERVALS} busy times")
    return pieces


def _read_one(
    text: str | bytes, start_at: datetime, end_at: datetime, zone: str, tz: ZoneInfo, own_suffix: str | None
) -> list[Interval]:
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except Exception as error:  # icalendar raises ValueError, KeyError, IndexError... on bad input
        raise UnreadableCalendar(f"not an iCalendar object: {type(error).__name__}") from error
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise UnreadableCalendar("not a VCALENDAR")
    try:
        occurrences = recurring_ical_events.of(calendar, components=["VEVENT"]).between(
            start_at - _EXPAND_MARGIN, end_at + _EXPAND_MARGIN
        )
        intervals = []
        for event in occurrences:
            if own_suffix and str(event.get("UID", "")).lower().endswith(own_suffix):
                continue
            interval = event_interval(event, zone, tz)
            if interval is not None:
                intervals.append(interval)
    except (UnreadableCalendar, TooBusy):
        raise
    except Exception as error:  # broken RRULEs, unknown zones, wrong value types
        raise UnreadableCalendar(f"events can't be expanded: {type(error).__name__}") from error
    return intervals


def event_interval(event: icalendar.Event, zone: str, tz: ZoneInfo | None = None) -> Interval | None:
    """The busy time of one (expanded) VEVENT occurrence, or None when it makes nobody busy."""
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start_prop = event.get("DTSTART")
    if start_prop is None:
        return None
    start = start_prop.dt
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    else:
        end = start + timedelta(days=1) if not isinstance(start, datetime) else start
    if not isinstance(start, datetime):
        # A DATE start: whole local days, even if the end was written as a time.
        last_day = (end.date() if isinstance(end, datetime) else end) - timedelta(days=1)
        if last_day < start:
            last_day = start
        start_at, end_at = day_range_bounds(zone, start, last_day)
        return Interval(start_at, end_at)
    if not isinstance(end, datetime):
        end = datetime.combine(end, datetime.min.time())
    tz = tz or ZoneInfo(zone)
    start_at, end_at = _instant(start, tz), _instant(end, tz)
    if end_at <= start_at:
        return None
    return Interval(start_at, end_at)


def _instant(value: datetime, tz: ZoneInfo) -> datetime:
    """A floating time is read in the volunteer's zone (fold=0: RFC 5545 §3.3.5); others keep theirs."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=tz, fold=0)
    return value.astimezone(UTC)


def clip(intervals: Iterable[Interval], start_at: datetime, end_at: datetime) -> list[Interval]:
    """The parts of ``intervals`` inside [start_at, end_at)."""
    clipped = []
    for interval in intervals:
        low, high = max(interval.start_at, start_at), min(interval.end_at, end_at)
        if low < high:
            clipped.append(Interval(low, high))
    return clipped


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start_at <= merged[-1].end_at:
            if interval.end_at > merged[-1].end_at:
                merged[-1] = Interval(merged[-1].start_at, interval.end_at)
        else:
            merged.append(interval)
    return merged


def split_long(intervals: Iterable[Interval], longest: timedelta = _LONGEST_PIECE) -> list[Interval]:
    """Each interval cut into consecutive pieces of at most ``longest`` (the core's limit for one busy time)."""
    pieces = []
    for start_at, end_at in intervals:
        while end_at - start_at > longest:
            pieces.append(Interval(start_at, start_at + longest))
            start_at += longest
        pieces.append(Interval(start_at, end_at))
    return pieces


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the range must be given as aware instants")
    return value


__all__ = [
    "MAX_INTERVALS",
    "Interval",
    "TooBusy",
    "UnreadableCalendar",
    "busy_intervals",
    "clip",
    "event_interval",
    "merge",
    "split_long",
]
