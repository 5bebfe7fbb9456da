"""Deterministic synthetic volunteers for the benchmarks.

``generate(n)`` returns ``n`` volunteers, each an ``Availability`` (zone, session
settings, five weekly rules on distinct weekdays) and the sorted ``Busy`` list of
their twenty non-cancelled bookings. Every volunteer draws from its own seeded
random stream, so the first ``k`` volunteers of ``generate(n)`` are the same for
every ``n >= k`` and every run. No timing code lives here: loaders for other
benches (a database, the HTTP API) can reuse it as it is.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tutoring.scheduling.model import (
    Availability,
    AwayPeriod,
    Busy,
    ExtraWindow,
    SessionSettings,
    WeeklyRule,
)

# Real volunteer zones, with odd offsets (+05:45, +12:45), a 30-minute DST
# (Lord Howe), Ramadan changes (Casablanca), changes at midnight (Havana,
# Beirut) and a negative DST in the database (Dublin).
ZONES: tuple[str, ...] = (
    "Africa/Cairo",
    "Asia/Riyadh",
    "Europe/London",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "America/Sao_Paulo",
    "Asia/Karachi",
    "Africa/Lagos",
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "America/Havana",
    "Asia/Beirut",
    "Europe/Dublin",
)

# The benches' reference "now": the next two weeks cross the EU spring-forward
# (29 March) and the fall-back in Sydney, Lord Howe and Chatham (5 April).
DEFAULT_NOW = datetime(2026, 3, 22, 6, 0, tzinfo=UTC)
DEFAULT_SEED = 20260322

RULES_PER_VOLUNTEER = 5
BOOKINGS_PER_VOLUNTEER = 20
BOOKINGS_PAST_DAYS = 28
BOOKINGS_FUTURE_DAYS = 56


@dataclass(frozen=True)
class Volunteer:
    """One synthetic volunteer: what the scheduling core needs about them."""

    index: int
    availability: Availability
    bookings: list[Busy]  # non-cancelled, sorted by start_at, non-overlapping


def generate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    now: datetime = DEFAULT_NOW,
    rich: bool = False,
) -> list[Volunteer]:
    """``n`` volunteers; bookings lie in [now - 4 weeks, now + 8 weeks).

    ``rich=True`` adds what the plain benchmark data leaves out, for
    correctness cross-checks: weekly caps, rules limited by
    ``valid_from``/``valid_until``, a second rule touching another one on the
    same weekday, extra windows that overlap or touch rule windows, and away
    periods.
    """
    return [_volunteer(i, seed, now, rich) for i in range(n)]


def local_instant(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in ``tz`` read as SPEC §2 rule 1 (fold=0)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def window_instants(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """A window on a local date as UTC instants; None when it is empty in real time."""
    end_day = day + timedelta(days=1) if end <= start else day
    start_at = local_instant(day, start, tz)
    end_at = local_instant(end_day, end, tz)
    return (start_at, end_at) if end_at > start_at else None


def _volunteer(index: int, seed: int, now: datetime, rich: bool) -> Volunteer:
    rng = random.Random(f"{seed}/{index}/{'rich' if rich else 'plain'}")
    zone = rng.choice(ZONES)
    tz = ZoneInfo(zone)
    settings = SessionSettings(
        session_minutes=rng.choice((30, 45, 60)),
        buffer_minutes=rng.choice((0, 10, 15)),
        min_notice_hours=12,
        horizon_days=56,
        max_sessions_per_week=(rng.randint(2, 6) if rich and rng.random() < 0.5 else None),
    )
    rules = _weekly_rules(rng)
    extra: tuple[ExtraWindow, ...] = ()
    away: tuple[AwayPeriod, ...] = ()
    if rich:
        rules, extra, away = _rich_additions(rng, rules, tz, now)
    availability = Availability(timezone=zone, settings=settings, rules=rules, extra=extra, away=away)
    bookings = _bookings(rng, rules, settings, tz, now)
    return Volunteer(index=index, availability=availability, bookings=bookings)


def _clock(minutes: int) -> time:
    minutes %= 24 * 60
    return time(minutes // 60, minutes % 60)


def _weekly_rules(rng: random.Random) -> tuple[WeeklyRule, ...]:
    """Five rules on distinct weekdays: 1-3 hour windows starting on a quarter
    hour between 08:00 and 21:00; about a third of volunteers have one late
    window (starting 21:15-23:45) that crosses midnight."""
    weekdays = sorted(rng.sample(range(7), RULES_PER_VOLUNTEER))
    late = rng.choice(weekdays) if rng.random() < 0.35 else None
    rules = []
    for weekday in weekdays:
        if weekday == late:
            start = rng.randrange(21 * 60 + 15, 24 * 60, 15)
        else:
            start = rng.randrange(8 * 60, 21 * 60 + 1, 15)
        length = rng.randrange(60, 181, 15)
        rules.append(WeeklyRule(weekday=weekday, start=_clock(start), end=_clock(start + length)))
    return tuple(rules)


def _rich_additions(
    rng: random.Random, rules: tuple[WeeklyRule, ...], tz: ZoneInfo, now: datetime
) -> tuple[tuple[WeeklyRule, ...], tuple[ExtraWindow, ...], tuple[AwayPeriod, ...]]:
    today = now.astimezone(tz).date()
    out = list(rules)
    # Some rules only valid from or until a date near now.
    for i, rule in enumerate(out):
        if rng.random() < 0.2:
            edge = today + timedelta(days=rng.randint(-10, 30))
            if rng.random() < 0.5:
                out[i] = WeeklyRule(rule.weekday, rule.start, rule.end, valid_from=edge)
            else:
                out[i] = WeeklyRule(rule.weekday, rule.start, rule.end, valid_until=edge)
    # A second rule on the same weekday, starting where another ends (they touch and merge).
    same_day = [r for r in out if r.end > r.start and r.end <= time(22, 0)]
    if same_day and rng.random() < 0.5:
        base = rng.choice(same_day)
        start = base.end.hour * 60 + base.end.minute
        end = min(start + rng.randrange(30, 91, 15), 23 * 60 + 45)
        out.append(WeeklyRule(weekday=base.weekday, start=base.end, end=_clock(end)))
    # Extra windows: on a rule's weekday overlapping or touching it, or on a free day,
    # sometimes across midnight or across a Monday 00:00.
    extra = []
    for _ in range(rng.randint(0, 3)):
        rule = rng.choice(out)
        day = today + timedelta(days=rng.randint(-3, 40))
        day += timedelta(days=(rule.weekday - day.weekday()) % 7)
        kind = rng.random()
        rule_start = rule.start.hour * 60 + rule.start.minute
        if kind < 0.4:  # overlaps the rule's window
            start = rule_start + rng.randrange(-60, 61, 15)
        elif kind < 0.7:  # touches it (ends where the rule starts)
            start = rule_start - rng.randrange(30, 121, 15)
        else:  # late on a Sunday, running into Monday
            day += timedelta(days=(6 - day.weekday()) % 7)
            start = rng.randrange(22 * 60, 24 * 60, 15)
        length = rng.randrange(30, 181, 15) if kind >= 0.4 else rng.randrange(60, 181, 15)
        if 0.4 <= kind < 0.7:
            length = rule_start - start
        if start < 0:
            day -= timedelta(days=1)
            start += 24 * 60
        extra.append(ExtraWindow(on=day, start=_clock(start), end=_clock(start + length)))
    away = []
    if rng.random() < 0.4:
        first = today + timedelta(days=rng.randint(-2, 20))
        away.append(AwayPeriod(first_day=first, last_day=first + timedelta(days=rng.randint(0, 4))))
    return tuple(out), tuple(extra), tuple(away)


def _bookings(
    rng: random.Random,
    rules: tuple[WeeklyRule, ...],
    settings: SessionSettings,
    tz: ZoneInfo,
    now: datetime,
) -> list[Busy]:
    """Twenty bookings inside distinct rule-window occurrences in
    [now - 4 weeks, now + 8 weeks), mostly on the slot grid, some off it."""
    session = timedelta(minutes=settings.session_minutes)
    step = session + timedelta(minutes=settings.buffer_minutes)
    lo = now - timedelta(days=BOOKINGS_PAST_DAYS)
    hi = now + timedelta(days=BOOKINGS_FUTURE_DAYS)
    first_day = lo.astimezone(tz).date() - timedelta(days=1)
    last_day = hi.astimezone(tz).date()
    windows = []
    day = first_day
    while day <= last_day:
        for rule in rules:
            if rule.weekday != day.weekday():
                continue
            if rule.valid_from and day < rule.valid_from or rule.valid_until and day > rule.valid_until:
                continue
            window = window_instants(day, rule.start, rule.end, tz)
            if window and lo <= window[0] < hi and window[1] - window[0] >= session:
                windows.append(window)
        day += timedelta(days=1)
    windows.sort()
    # Rule windows of one volunteer never overlap (distinct weekdays, or touching
    # rules in rich data), so one booking per chosen window never overlaps another.
    chosen = sorted(rng.sample(windows, min(BOOKINGS_PER_VOLUNTEER, len(windows))))
    bookings = []
    for window_start, window_end in chosen:
        room = window_end - window_start - session
        k = rng.randint(0, room // step)
        start_at = window_start + k * step
        if rng.random() < 0.2:  # off the grid, e.g. booked under older settings
            shift = timedelta(minutes=5 * rng.randint(1, 5))
            if start_at + shift + session <= window_end:
                start_at += shift
        bookings.append(Busy(start_at=start_at, end_at=start_at + session))
    bookings.sort(key=lambda b: b.start_at)
    for earlier, later in zip(bookings, bookings[1:]):
        assert earlier.end_at <= later.start_at, "generated bookings overlap"
    return bookings
