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

from tutoring.scheduling.model import Availability, Busy, ExternalBusy, OpenGroup, Slot
from tutoring.scheduling.zones import DAY, day_number, utc_from_seconds, zone_clock

# Bookings are looked for this far before the asked range, so a busy period
# may last up to this long (sessions last at most four hours); longer busy
# time must be passed in pieces.
LONGEST_BUSY_SECONDS = DAY
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




# Rules compiled to seconds, by value: a pure function of the rules, kept
# across calls like the plain weeks (volunteers' rules change rarely).
_compiled_rules: dict[tuple, tuple] = {}
_COMPILED_RULES_KEPT = 100_000


def _compile_rules(rules) -> tuple[tuple, tuple, bool, list[int], dict]:
    """``(rules, rule_times, has_validity, group capacities, plain weeks)``: each
    rule as (weekday, start second of day, end second of day, first day, last
    day); plain weeks are filled in by ``_Plan._plain_week``."""
    compiled = []
    has_validity = False
    groups = []
    for rule in rules:
        start, end = rule.start, rule.end
        valid_from, valid_until = rule.valid_from, rule.valid_until
        if valid_from is not None or valid_until is not None:
            has_validity = True
            valid_from = day_number(valid_from) if valid_from else None
            valid_until = day_number(valid_until) if valid_until else None
        compiled.append((
            rule.weekday,
            start.hour * 3600 + start.minute * 60 + start.second,
            end.hour * 3600 + end.minute * 60 + end.second,
            valid_from,
            valid_until,
        ))
        if rule.capacity != 1:
            groups.append(rule.capacity)
    return tuple(compiled), tuple(rule[:3] for rule in compiled), has_validity, groups, {}


class _Plan:
    """One volunteer's availability compiled to seconds, for one call."""

    def __init__(self, availability: Availability) -> None:
        self.clock = clock = zone_clock(availability.timezone)
        rules = availability.rules
        compiled = _compiled_rules.get(rules) if type(rules) is tuple else None
        if compiled is None:
            compiled = _compile_rules(rules)
            if type(rules) is tuple:
                if len(_compiled_rules) >= _COMPILED_RULES_KEPT:
                    _compiled_rules.clear()
                _compiled_rules[rules] = compiled
        self.rules, self.rule_times, self.has_validity, groups, self._plain_weeks = compiled
        self.extra = [
            (day_number(w.on), _seconds_of_day(w.start), _seconds_of_day(w.end)) for w in availability.extra
        ]
        self.away = [
            (clock.to_utc(day_number(a.first_day) * DAY), clock.to_utc((day_number(a.last_day) + 1) * DAY))
            for a in availability.away
        ]
        # Seat counts of group windows, largest first (usually none: one-to-one only).
        groups = groups + [w.capacity for w in availability.extra if w.capacity != 1]
        self.group_capacities = sorted(set(groups), reverse=True) if groups else groups
        # Weeks with one UTC offset throughout, no extra window and no rule
        # starting or ending its validity all look alike: the same windows,
        # merged once in local time, shifted by that offset.
        self._template: tuple[int, int, list[int]] | None = None

    def _plain_week(self, length: int, step: int) -> tuple[int, int, list[int]]:
        """The first and last local second a plain week's windows touch, and its
        slot grid, all in seconds from local Monday 00:00.

        A pure function of the rules' times and the slot length and step, kept
        with the compiled rules: volunteers' rules and settings change rarely.
        """
        plain = self._plain_weeks.get((length, step))
        if plain is None:
            windows = self._week_template()
            grid = _grid(windows, length, step)
            plain = (windows[0][0], windows[-1][1], grid) if windows else (0, 0, grid)
            self._plain_weeks[length, step] = plain
        return plain

    def _week_template(self) -> list[tuple[int, int]]:
        """Merged windows of a plain week, in seconds from local Monday 00:00."""
        raw = []
        for weekday, start, end, _, _ in self.rules:
            offset = weekday * DAY
            raw.append((offset + start, offset + DAY + end if end <= start else offset + end))
            if weekday == 6 and end <= start:
                raw.append((start - DAY, end))  # last week's Sunday running into Monday
        return _merge(raw, 0, 7 * DAY)

    def week_grid(self, monday: int, week: tuple[int, int, int | None], length: int, step: int) -> tuple[int, list[int]]:
        """Candidate slot starts of the week starting on local day ``monday``, as
        ``(base, starts)``: each start is ``base + s`` in UTC seconds, sorted.

        ``week`` is ``ZoneClock.week(monday)``.
        """
        if not self.has_validity and not (self.extra and self._extra_near(monday)):
            if self._template is None:
                self._template = self._plain_week(length, step)
            first, last, grid = self._template
            # One offset for every local time the windows touch: a plain shift.
            # Most weeks have no clock change near them at all (week[2]).
            local_monday = monday * DAY
            steady = week[2]
            if steady is None:
                steady = self.clock.steady_offset(local_monday + first, local_monday + last)
            if steady is not None:
                return local_monday - steady, grid
        return 0, _grid(self.week_windows(monday, week), length, step)

    def week_windows(self, monday: int, week: tuple[int, int, int | None]) -> list[tuple[int, int]]:
        """Merged windows of a week with a clock change or one-off changes, cut at its bounds."""
        week_start, week_end, steady = week
        # A week with a clock change: convert each window, then merge, because
        # merging local times across a gap would differ (SPEC §2 rule 2).
        to_utc = self.clock.to_utc
        raw = []
        for weekday, start, end, first_day, last_day in self.rules:
            days = (monday + weekday, monday - 1) if weekday == 6 and end <= start else (monday + weekday,)
            for day in days:
                if (first_day is not None and day < first_day) or (last_day is not None and day > last_day):
                    continue
                raw.append(_local_window(day, start, end, steady, to_utc))
        for day, start, end in self.extra:
            if monday - 1 <= day < monday + 7:
                raw.append(_local_window(day, start, end, steady, to_utc))
        return _merge(raw, week_start, week_end)

    def _extra_near(self, monday: int) -> bool:
        for day, _, _ in self.extra:
            if monday - 1 <= day < monday + 7:
                return True
        return False


def _grid(windows: list[tuple[int, int]], length: int, step: int) -> list[int]:
    """Slot starts laid back to back from each window's start (SPEC §2 rule 2)."""
    starts: list[int] = []
    for window_start, window_end in windows:
        starts.extend(range(window_start, window_end - length + 1, step))
    return starts


def _local_window(day: int, start: int, end: int, steady: int | None, to_utc) -> tuple[int, int]:
    """A window on local day ``day`` as UTC seconds; it ends the next day when end <= start."""
    local_start = day * DAY + start
    local_end = (day + 1) * DAY + end if end <= start else day * DAY + end
    if steady is not None:
        return local_start - steady, local_end - steady
    return to_utc(local_start), to_utc(local_end)


def _merge(windows: list[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    """Windows cut to [low, high), with overlapping or touching ones merged, sorted."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if start < low:
            start = low
        if end > high:
            end = high
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
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
    kind_cap = availability.kind_cap if availability.kind_starts else None

    # Time no slot may overlap: bookings widened by the buffer, busy time from
    # the volunteer's own calendar as it is, and away periods.
    low = bisect_left(bookings, utc_from_seconds(first_start - buffer - LONGEST_BUSY_SECONDS), key=_busy_start)
    high = bisect_left(bookings, utc_from_seconds(last_start + length + buffer), key=_busy_start)
    near, external = _split_external(bookings[low:high])
    if cap is not None:
        bookings = _split_external(bookings)[0]  # the weekly cap counts sessions, not busy time
    # The walk below needs them sorted by start only, not merged: it stays on
    # the first interval (by start) that ends after the candidate, and any
    # interval that overlaps the candidate starts no earlier than that one.
    # Bookings come sorted, so widening them by one buffer keeps them sorted.
    blocked = [(math.floor(b.start_at.timestamp()) - buffer, math.ceil(b.end_at.timestamp()) + buffer) for b in near]
    if external or plan.away:
        blocked += [(math.floor(b.start_at.timestamp()), math.ceil(b.end_at.timestamp())) for b in external]
        blocked += plan.away
        blocked.sort()
    blocked.append((_FOREVER, _FOREVER))  # a sentinel, so the walk below needs no bounds check

    local_first_day = clock.to_local(first_start) // DAY
    monday = local_first_day - (local_first_day + 3) % 7
    slots: list[Slot] = []
    append = slots.append
    known_slot = _known_slots.get
    week_of = clock.week
    # Candidate starts only grow, so one pass over the sorted blocked time suffices.
    next_blocked = 0
    blocked_start, blocked_end = blocked[0]
    while True:
        week = week_of(monday)
        week_start, week_end, _ = week
        if week_start > last_start:
            break
        if (week_end > first_start and (cap is None or not _week_is_full(bookings, week_start, week_end, cap))
                and (kind_cap is None or not _kind_week_is_full(availability.kind_starts, week_start, week_end, kind_cap))):
            base, starts = plan.week_grid(monday, week, length, step)
            if week_start < first_start:
                # The range starts inside this week: skip its earlier starts at once.
                starts = starts[bisect_left(starts, first_start - base):]
            for start in starts:
                start += base
                if start > last_start:
                    break
                while blocked_end <= start:
                    next_blocked += 1
                    blocked_start, blocked_end = blocked[next_blocked]
                if start + length <= blocked_start:
                    append(known_slot(start << 16 | length) or _slot(start, length))
        monday += 7
    # Group sessions are rare: the one-to-one path above pays nothing for them.
    open_groups = [b for b in near if b.__class__ is OpenGroup] if near else near
    if plan.group_capacities or open_groups:
        slots = _with_groups(availability, plan, slots, open_groups, first_start, last_start)
    return slots


def _split_external(busy: Sequence[Busy]) -> tuple[Sequence[Busy], Sequence[Busy]]:
    """``(sessions, external busy time)``; most volunteers have no ExternalBusy, and then nothing is copied."""
    for item in busy:
        if item.__class__ is ExternalBusy:
            break
    else:
        return busy, ()
    return [b for b in busy if b.__class__ is not ExternalBusy], [b for b in busy if b.__class__ is ExternalBusy]


def _with_groups(
    availability: Availability, plan: _Plan, slots: list[Slot], open_groups: list[OpenGroup], first_start: int, last_start: int
) -> list[Slot]:
    """``slots`` with the seat counts of group windows, plus the open group sessions that still take learners.

    A slot is a group slot when its start lies in a group window (the windows
    of each capacity merged on their own, as SPEC §2 merges all windows); the
    largest such capacity wins. The slot grid itself is untouched. An open
    group session is offered at its own times (even if the volunteer's windows
    changed since it was booked) while it starts within notice and horizon and
    no away period covers it.
    """
    if plan.group_capacities:
        cache: dict[tuple[int, int], list[tuple[int, int]]] = {}
        slots = [_seated(slot, availability, plan, cache) for slot in slots]
    if open_groups:
        for group in open_groups:
            start = math.floor(group.start_at.timestamp())
            end = math.ceil(group.end_at.timestamp())
            if first_start <= start <= last_start and not any(a < end and start < b for a, b in plan.away):
                slots.append(Slot(group.start_at, group.end_at, group.capacity, group.seats_left))
        slots.sort()
    return slots


def _seated(slot: Slot, availability: Availability, plan: _Plan, cache: dict) -> Slot:
    """``slot`` as a group slot when a group window holds its start."""
    start = math.floor(slot.start_at.timestamp())
    local_day = plan.clock.to_local(start) // DAY
    monday = local_day - (local_day + 3) % 7
    for capacity in plan.group_capacities:
        key = (capacity, monday)
        windows = cache.get(key)
        if windows is None:
            windows = cache[key] = _group_windows(availability, plan, capacity, monday)
        for window_start, window_end in windows:
            if window_start <= start < window_end:
                return Slot(slot.start_at, slot.end_at, capacity, capacity)
    return slot


def _group_windows(availability: Availability, plan: _Plan, capacity: int, monday: int) -> list[tuple[int, int]]:
    """Merged windows of exactly ``capacity`` seats in the week of local day ``monday``, in UTC seconds."""
    only = Availability(
        timezone=availability.timezone,
        settings=availability.settings,
        rules=tuple(r for r in availability.rules if r.capacity == capacity),
        extra=tuple(w for w in availability.extra if w.capacity == capacity),
    )
    return _Plan(only).week_windows(monday, plan.clock.week(monday))


_known_slots: dict[int, Slot] = {}


def _slot(start: int, length: int) -> Slot:
    """The slot [start, start + length), shared: volunteers' slots fall on few distinct instants."""
    key = start << 16 | length
    slot = _known_slots.get(key)
    if slot is None:
        if len(_known_slots) >= 200_000:
            _known_slots.clear()
        slot = _known_slots[key] = Slot(utc_from_seconds(start), utc_from_seconds(start + length))
    return slot


def _week_is_full(bookings: Sequence[Busy], week_start: int, week_end: int, cap: int) -> bool:
    """Whether the week already holds ``cap`` bookings (by their start)."""
    first = bisect_left(bookings, utc_from_seconds(week_start), key=_busy_start)
    return bisect_left(bookings, utc_from_seconds(week_end), lo=first, key=_busy_start) - first >= cap


def _kind_week_is_full(starts: Sequence[datetime], week_start: int, week_end: int, cap: int) -> bool:
    """Whether the week already holds ``cap`` sessions of the asked kind (``Availability.kind_starts``)."""
    first = bisect_left(starts, utc_from_seconds(week_start))
    return bisect_left(starts, utc_from_seconds(week_end), lo=first) - first >= cap


def kind_week_is_full(availability: Availability, instant: datetime) -> bool:
    """Whether ``availability``'s kind cap alone keeps slots out of the ISO week (its zone) holding ``instant``:
    the same week bounds and count ``slots_between`` uses."""
    if availability.kind_cap is None or not availability.kind_starts:
        return False
    clock = zone_clock(availability.timezone)
    seconds = math.floor(_seconds(instant))
    local_day = clock.to_local(seconds) // DAY
    monday = local_day - (local_day + 3) % 7
    week_start, week_end, _ = clock.week(monday)
    if seconds < week_start:  # a local hour repeated at midnight: the week's bounds are its first Monday 00:00
        week_start, week_end, _ = clock.week(monday - 7)
    elif seconds >= week_end:
        week_start, week_end, _ = clock.week(monday + 7)
    return _kind_week_is_full(availability.kind_starts, week_start, week_end, availability.kind_cap)


def is_offered(availability: Availability, bookings: Sequence[Busy], start_at: datetime, now: datetime) -> Slot | None:
    """The offered slot starting exactly at ``start_at``, or None."""
    found = slots_between(availability, bookings, start_at, start_at + timedelta(seconds=1), now)
    return found[0] if found and found[0].start_at == start_at else None
