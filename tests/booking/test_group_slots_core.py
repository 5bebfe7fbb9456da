"""Group windows and open group sessions in the pure scheduling core (no app, no database)."""
from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tutoring.scheduling import (
    Availability,
    AwayPeriod,
    Busy,
    ExtraWindow,
    OpenGroup,
    SessionSettings,
    WeeklyRule,
    is_offered,
    slots_between,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
TUESDAY = date(2026, 3, 3)
SETTINGS = SessionSettings(session_minutes=60, buffer_minutes=0, min_notice_hours=0, horizon_days=30)
CORE = Path(__file__).resolve().parents[2] / "tutoring" / "scheduling"


def Z(text: str) -> datetime:
    """An instant from ``YYYY-MM-DD HH:MM`` read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def tuesday_slots(availability: Availability, bookings=()) -> list:
    return slots_between(availability, list(bookings), Z("2026-03-03 00:00"), Z("2026-03-04 00:00"), NOW)


def test_a_group_rule_offers_its_slots_with_capacity_and_all_seats_left():
    availability = Availability("UTC", SETTINGS, rules=(
        WeeklyRule(1, time(9), time(11), capacity=12),
        WeeklyRule(1, time(14), time(15)),
    ))
    slots = tuesday_slots(availability)
    assert [(s.start_at, s.capacity, s.seats_left, s.is_group) for s in slots] == [
        (Z("2026-03-03 09:00"), 12, 12, True),
        (Z("2026-03-03 10:00"), 12, 12, True),
        (Z("2026-03-03 14:00"), 1, 1, False),
    ]


def test_group_windows_leave_the_grid_exactly_as_one_to_one_windows_would():
    """Seats are a label on slots: the same windows give the same starts and ends (SPEC §2 unchanged)."""
    rules = (WeeklyRule(1, time(9), time(11)), WeeklyRule(1, time(11), time(12, 30)))
    plain = tuesday_slots(Availability("Asia/Kathmandu", SETTINGS, rules=rules))
    grouped = tuesday_slots(Availability("Asia/Kathmandu", SETTINGS, rules=(rules[0], WeeklyRule(1, time(11), time(12, 30), capacity=5))))
    assert [(s.start_at, s.end_at) for s in grouped] == [(s.start_at, s.end_at) for s in plain]
    # The touching windows merge, so a slot starts at 11:00 local in the group window.
    assert [s.capacity for s in grouped if s.start_at >= Z("2026-03-03 05:15")] == [5]


def test_a_group_extra_window_offers_group_slots_on_its_date_only():
    availability = Availability("Africa/Cairo", SETTINGS, extra=(ExtraWindow(TUESDAY, time(18), time(20), capacity=30),))
    slots = slots_between(availability, [], NOW, NOW + timedelta(days=14), NOW)
    assert [(s.start_at, s.capacity) for s in slots] == [(Z("2026-03-03 16:00"), 30), (Z("2026-03-03 17:00"), 30)]


def test_an_open_group_session_stays_offered_with_its_seats_left_and_blocks_its_neighbours():
    availability = Availability("UTC", SessionSettings(session_minutes=60, buffer_minutes=30, min_notice_hours=0),
                                rules=(WeeklyRule(1, time(9), time(13), capacity=10),))
    before = tuesday_slots(availability)
    assert [s.start_at for s in before] == [Z("2026-03-03 09:00"), Z("2026-03-03 10:30"), Z("2026-03-03 12:00")]
    # Booked when the window started at 09:30: it keeps its own time, and the
    # grid slots it overlaps (with the buffer) are gone.
    open_group = OpenGroup(Z("2026-03-03 09:30"), Z("2026-03-03 10:30"), capacity=10, seats_left=3)
    after = tuesday_slots(availability, [open_group])
    assert [(s.start_at, s.end_at, s.capacity, s.seats_left) for s in after] == [
        (Z("2026-03-03 09:30"), Z("2026-03-03 10:30"), 10, 3),
        (Z("2026-03-03 12:00"), Z("2026-03-03 13:00"), 10, 10),
    ]
    assert is_offered(availability, [open_group], Z("2026-03-03 09:30"), NOW).seats_left == 3
    assert is_offered(availability, [open_group], Z("2026-03-03 09:00"), NOW) is None


def test_a_full_group_session_is_busy_like_any_session():
    availability = Availability("UTC", SETTINGS, rules=(WeeklyRule(1, time(9), time(11), capacity=2),))
    full = Busy(Z("2026-03-03 09:00"), Z("2026-03-03 10:00"))
    assert [s.start_at for s in tuesday_slots(availability, [full])] == [Z("2026-03-03 10:00")]


def test_an_open_group_session_ignores_a_full_week_but_not_an_away_day():
    """Joining adds a seat, not a session: the weekly cap counts sessions; away days still close it."""
    capped = SessionSettings(session_minutes=60, buffer_minutes=0, min_notice_hours=0, max_sessions_per_week=1)
    rules = (WeeklyRule(1, time(9), time(11), capacity=4),)
    open_group = OpenGroup(Z("2026-03-03 09:00"), Z("2026-03-03 10:00"), capacity=4, seats_left=1)
    slots = tuesday_slots(Availability("UTC", capped, rules=rules), [open_group])
    assert [(s.start_at, s.seats_left) for s in slots] == [(Z("2026-03-03 09:00"), 1)]
    away = Availability("UTC", SETTINGS, rules=rules, away=(AwayPeriod(TUESDAY, TUESDAY),))
    assert tuesday_slots(away, [open_group]) == []


def test_an_open_group_session_before_the_minimum_notice_is_not_offered():
    availability = Availability("UTC", SessionSettings(session_minutes=60, buffer_minutes=0, min_notice_hours=48),
                                rules=(WeeklyRule(1, time(9), time(11), capacity=4),))
    open_group = OpenGroup(Z("2026-03-03 09:00"), Z("2026-03-03 10:00"), capacity=4, seats_left=2)
    assert tuesday_slots(availability, [open_group]) == []


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(["UTC", "Europe/London", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe"]),
    capacity=st.integers(2, 50),
    start_hour=st.integers(0, 23),
    hours=st.integers(1, 30),
    day=st.integers(0, 40),
)
def test_marking_every_window_a_group_window_changes_no_slot_time(zone, capacity, start_hour, hours, day):
    """Property: capacity never moves, adds or removes a slot; with every window a group one, every slot is a group slot."""
    now = datetime(2026, 2, 20, tzinfo=UTC) + timedelta(days=day)
    end = time((start_hour + hours) % 24)
    plain = Availability(zone, SETTINGS, rules=tuple(WeeklyRule(d, time(start_hour), end) for d in (0, 3, 6)))
    group = Availability(zone, SETTINGS, rules=tuple(WeeklyRule(d, time(start_hour), end, capacity=capacity) for d in (0, 3, 6)))
    expected = slots_between(plain, [], now, now + timedelta(days=21), now)
    got = slots_between(group, [], now, now + timedelta(days=21), now)
    assert [(s.start_at, s.end_at) for s in got] == [(s.start_at, s.end_at) for s in expected]
    assert all(s.capacity == capacity == s.seats_left for s in got)


def test_the_scheduling_core_still_imports_no_flask_and_no_sqlalchemy():
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name.split(".")[0] in {"flask", "sqlalchemy", "flask_sqlalchemy"} for name in names), path
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, tutoring.scheduling; print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]"
