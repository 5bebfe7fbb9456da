"""Turning availability into offered slots, exactly as SPEC §2 says.

Everything inside runs on whole seconds (UTC seconds for instants, "local
seconds" for wall-clock times, see ``zones``); datetimes appear only at the
edges. The work done is proportional to the weeks and slots asked for: the
volunteer's rules are expanded only for the weeks the range touches, and
bookings are found by bisection, never scanned.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter

from tutoring.scheduling.model import Availability, Busy, Slot
from tutoring.scheduling.zones import DAY, day_number, utc_from_seconds, zone_clock
from tutoring.scheduling.zones import known_instant as _known_instant

# Bookings are looked for this far before the asked range, so a busy period
# may last up to this long; longer ones (none in this app) must be split.
LONGEST_BUSY_SECONDS = 7 * DAY
_busy_start = attrgetter("start_at")
_FOREVER = 1 << 62


def _seconds(instant: datetime) -> float:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.timestamp()


def _seconds_of_day(t) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def day_range_bounds(timezone: str, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """UTC instants of 00:00 on ``first_day`` and 00:00 after ``last_day`` in ``timezone`` (fold=0)."""
    clock = zone_clock(timezone)
    start = clock.to_utc(day_number(first_day) * DAY)
    end = clock.to_utc((day_number(last_day) + 1) * DAY)
    return utc_from_seconds(start), utc_from_seconds(end)


class _Plan:
    """One volunteer's availability compiled to seconds, for one call."""

    def __init__(self, availability: Availability) -> None:
        self.clock = zone_clock(availability.timezone)
        # (weekday, start second of day, end second of day, first day, last day)
        self.rules = [
            (
                rule.weekday,
                _seconds_of_day(rule.start),
                _seconds_of_day(rule.end),
                day_number(rule.valid_from) if rule.valid_from else None,
                day_number(rule.valid_until) if rule.valid_until else None,
            )
            for rule in availability.rules
        ]
        self.extra = sorted(
            (day_number(w.on), _seconds_of_day(w.start), _seconds_of_day(w.end)) for w in availability.extra
        )
        self.away = [
            (self.clock.to_utc(day_number(a.first_day) * DAY), self.clock.to_utc((day_number(a.last_day) + 1) * DAY))
            for a in availability.away
        ]

    def _window(self, day: int, start: int, end: int, steady: int | None) -> tuple[int, int]:
        """A window on local day ``day`` as UTC seconds; ends the next day when end <= start."""
        local_start = day * DAY + start
        local_end = (day + 1) * DAY + end if end <= start else day * DAY + end
        if steady is not None:
            return local_start - steady, local_end - steady
        return self.clock.to_utc(local_start), self.clock.to_utc(local_end)

    def week_windows(self, monday: int) -> list[list[int]]:
        """Merged windows of the week starting on local day ``monday``, cut at its bounds."""
        week_start, week_end, steady = self.clock.week(monday)
        raw = []
        for weekday, start, end, first_day, last_day in self.rules:
            days = (monday + weekday, monday - 1) if weekday == 6 and end <= start else (monday + weekday,)
            for day in days:
                if (first_day is not None and day < first_day) or (last_day is not None and day > last_day):
                    continue
                raw.append(self._window(day, start, end, steady))
        for day, start, end in self.extra:
            if monday - 1 <= day < monday + 7:
                raw.append(self._window(day, start, end, steady))
        raw.sort()
        merged: list[list[int]] = []
        for start, end in raw:
            if start < week_start:
                start = week_start
            if end > week_end:
                end = week_end
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1][1] = end
            else:
                merged.append([start, end])
        return merged


def slots_between(
    availability: Availability,
    bookings: Sequence[Busy],
    start_at: datetime,
    end_at: datetime,
    now: datetime,
) -> list[Slot]:
    """Offered slots whose start lies in [start_at, end_at), sorted, as UTC instants.

    ``bookings`` are the volunteer's non-cancelled bookings sorted by ``start_at``.
    Only those near the range and in the ISO weeks it touches matter, so a caller
    may pass just those.
    """
    settings = availability.settings
    now_s = _seconds(now)
    # Slot starts are whole seconds: lower bounds round up, upper bounds down.
    first_start = math.ceil(max(_seconds(start_at), now_s + settings.min_notice_hours * 3600))
    last_start = min(math.ceil(_seconds(end_at)) - 1, math.floor(now_s + settings.horizon_days * DAY))
    if last_start < first_start:
        return []

    plan = _Plan(availability)
    clock = plan.clock
    length = settings.session_minutes * 60
    buffer = settings.buffer_minutes * 60
    step = length + buffer
    cap = settings.max_sessions_per_week

    # Time no slot may overlap: bookings widened by the buffer, and away periods.
    low = bisect_left(bookings, utc_from_seconds(first_start - buffer - LONGEST_BUSY_SECONDS), key=_busy_start)
    high = bisect_left(bookings, utc_from_seconds(last_start + length + buffer), key=_busy_start)
    blocked = _union(
        [(math.floor(b.start_at.timestamp()) - buffer, math.ceil(b.end_at.timestamp()) + buffer) for b in bookings[low:high]]
        + plan.away,
        first_start,
    )
    blocked.append((_FOREVER, _FOREVER))  # a sentinel, so the walk below needs no bounds check

    local_first_day = clock.to_local(first_start) // DAY
    monday = local_first_day - (local_first_day + 3) % 7
    slots: list[Slot] = []
    append = slots.append
    known_instant, instant = _known_instant, utc_from_seconds
    new_tuple = tuple.__new__  # Slot's own __new__ is Python code; this is its fast path
    # Candidate starts only grow, so one pass over the sorted blocked time suffices.
    next_blocked = 0
    blocked_start, blocked_end = blocked[0]
    while True:
        week_start, week_end, _ = clock.week(monday)
        if week_start > last_start:
            break
        if week_end > first_start and not _week_is_full(bookings, week_start, week_end, cap):
            for window_start, window_end in plan.week_windows(monday):
                start = window_start
                if start < first_start:
                    # The first grid position at or after first_start.
                    start += -((window_start - first_start) // step) * step
                last = min(last_start, window_end - length)
                while start <= last:
                    end = start + length
                    while blocked_end <= start:
                        next_blocked += 1
                        blocked_start, blocked_end = blocked[next_blocked]
                    if end <= blocked_start:
                        append(new_tuple(Slot, (known_instant(start) or instant(start), known_instant(end) or instant(end))))
                    start += step
        monday += 7
    return slots


def _union(intervals: list[tuple[int, int]], after: int) -> list[tuple[int, int]]:
    """Sorted, disjoint union of the intervals that end after ``after``."""
    union: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= after:
            continue
        if union and start <= union[-1][1]:
            if end > union[-1][1]:
                union[-1] = (union[-1][0], end)
        else:
            union.append((start, end))
    return union


def _week_is_full(bookings: Sequence[Busy], week_start: int, week_end: int, cap: int | None) -> bool:
    """Whether the week already holds ``cap`` bookings (by their start)."""
    if cap is None:
        return False
    first = bisect_left(bookings, utc_from_seconds(week_start), key=_busy_start)
    return bisect_left(bookings, utc_from_seconds(week_end), lo=first, key=_busy_start) - first >= cap


def is_offered(availability: Availability, bookings: Sequence[Busy], start_at: datetime, now: datetime) -> Slot | None:
    """The offered slot starting exactly at ``start_at``, or None."""
    found = slots_between(availability, bookings, start_at, start_at + timedelta(seconds=1), now)
    return found[0] if found and found[0].start_at == start_at else None
