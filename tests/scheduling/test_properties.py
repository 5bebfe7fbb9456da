"""Properties of the scheduling core that must hold for any availability.

A small, obviously-correct reference (``zoneinfo`` datetimes, one window at a
time) serves as the oracle for "every slot lies inside one window".
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutoring.scheduling import (
    Availability,
    AwayPeriod,
    Busy,
    ExtraWindow,
    SessionSettings,
    WeeklyRule,
    day_range_bounds,
    is_offered,
    slots_between,
)
from tutoring.scheduling.zones import zone_clock

TRICKY_ZONES = [
    "America/New_York",
    "Europe/London",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "America/Havana",
    "Asia/Beirut",
    "Europe/Dublin",
    "America/Santiago",
    "UTC",
]
# Instants near which zones change their clocks in 2026, so the search lands on them often.
TRANSITION_DAYS = [
    datetime(2026, 3, 8, tzinfo=UTC),
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 4, 5, tzinfo=UTC),
    datetime(2026, 9, 27, tzinfo=UTC),
    datetime(2026, 10, 4, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 2, 15, tzinfo=UTC),
]

wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 7, 59]))
rules = st.builds(WeeklyRule, st.integers(0, 6), wall_times, wall_times)
session_settings = st.builds(
    SessionSettings,
    session_minutes=st.integers(10, 240),
    buffer_minutes=st.integers(0, 120),
    min_notice_hours=st.integers(0, 48),
    horizon_days=st.integers(1, 60),
    max_sessions_per_week=st.none() | st.integers(1, 5),
)
nows = st.builds(
    lambda day, minutes: day + timedelta(minutes=minutes),
    st.sampled_from(TRANSITION_DAYS),
    st.integers(-10 * 24 * 60, 3 * 24 * 60),
)


@st.composite
def availabilities(draw):
    zone = draw(st.sampled_from(TRICKY_ZONES))
    extra = draw(
        st.lists(
            st.builds(ExtraWindow, st.dates(date(2026, 1, 20), date(2026, 11, 20)), wall_times, wall_times),
            max_size=2,
        )
    )
    away = draw(
        st.lists(
            st.builds(
                lambda first, days: AwayPeriod(first, first + timedelta(days=days)),
                st.dates(date(2026, 1, 20), date(2026, 11, 20)),
                st.integers(0, 3),
            ),
            max_size=1,
        )
    )
    return Availability(
        timezone=zone,
        settings=draw(session_settings),
        rules=tuple(draw(st.lists(rules, min_size=1, max_size=5))),
        extra=tuple(extra),
        away=tuple(away),
    )


@st.composite
def bookings_near(draw, now):
    starts = draw(st.lists(st.integers(-3 * 24 * 60, 20 * 24 * 60), max_size=6))
    busy = [
        Busy(now + timedelta(minutes=m), now + timedelta(minutes=m + draw(st.integers(10, 240)))) for m in starts
    ]
    return sorted(busy, key=lambda b: b.start_at)


def reference_windows(availability: Availability, first_day: date, last_day: date):
    """Each rule and extra window as UTC datetimes, one at a time, the plain way."""
    zone = ZoneInfo(availability.timezone)

    def window(day, start, end):
        begin = datetime.combine(day, start, zone).astimezone(UTC)
        end_day = day + timedelta(days=1) if end <= start else day
        return begin, datetime.combine(end_day, end, zone).astimezone(UTC)

    day = first_day
    while day <= last_day:
        for rule in availability.rules:
            if rule.weekday == day.weekday():
                yield window(day, rule.start, rule.end)
        for extra in availability.extra:
            if extra.on == day:
                yield window(day, extra.start, extra.end)
        day += timedelta(days=1)


def around(now):
    return now - timedelta(days=2), now + timedelta(days=21)


PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(st.data())
def test_slots_never_overlap_each_other_or_a_widened_booking(data):
    availability = data.draw(availabilities())
    now = data.draw(nows)
    bookings = data.draw(bookings_near(now))
    buffer = timedelta(minutes=availability.settings.buffer_minutes)
    slots = slots_between(availability, bookings, *around(now), now)
    for earlier, later in zip(slots, slots[1:]):
        assert earlier.end_at <= later.start_at
    for slot in slots:
        for booking in bookings:
            assert slot.end_at <= booking.start_at - buffer or slot.start_at >= booking.end_at + buffer


@PROPERTY_SETTINGS
@given(st.data())
def test_every_slot_lasts_session_minutes_and_lies_inside_one_window(data):
    availability = data.draw(availabilities())
    now = data.draw(nows)
    slots = slots_between(availability, [], *around(now), now)
    windows = list(reference_windows(availability, (now - timedelta(days=4)).date(), (now + timedelta(days=23)).date()))
    length = timedelta(minutes=availability.settings.session_minutes)
    for slot in slots:
        assert slot.start_at.utcoffset() == timedelta(0)
        assert slot.end_at - slot.start_at == length
        # Inside the union of windows: walk forward through touching windows.
        covered_until = slot.start_at
        progressed = True
        while covered_until < slot.end_at and progressed:
            progressed = False
            for start, end in windows:
                if start <= covered_until < end:
                    covered_until, progressed = end, True
        assert covered_until >= slot.end_at, (slot, windows)


@PROPERTY_SETTINGS
@given(st.data())
def test_slots_respect_notice_horizon_and_away_dates(data):
    availability = data.draw(availabilities())
    now = data.draw(nows)
    s = availability.settings
    slots = slots_between(availability, [], *around(now), now)
    for slot in slots:
        assert slot.start_at >= now + timedelta(hours=s.min_notice_hours)
        assert slot.start_at <= now + timedelta(days=s.horizon_days)
        for away in availability.away:
            away_start, away_end = day_range_bounds(availability.timezone, away.first_day, away.last_day)
            assert slot.end_at <= away_start or slot.start_at >= away_end


@PROPERTY_SETTINGS
@given(st.data())
def test_a_range_equals_its_two_halves(data):
    availability = data.draw(availabilities())
    now = data.draw(nows)
    bookings = data.draw(bookings_near(now))
    start, end = around(now)
    middle = start + timedelta(minutes=data.draw(st.integers(0, int((end - start).total_seconds() // 60))))
    whole = slots_between(availability, bookings, start, end, now)
    halves = slots_between(availability, bookings, start, middle, now) + slots_between(
        availability, bookings, middle, end, now
    )
    assert whole == halves


@PROPERTY_SETTINGS
@given(st.data())
def test_the_result_does_not_depend_on_the_viewers_zone(data):
    availability = data.draw(availabilities())
    now = data.draw(nows)
    bookings = data.draw(bookings_near(now))
    viewer = data.draw(st.sampled_from(TRICKY_ZONES + ["Pacific/Kiritimati", "Pacific/Pago_Pago"]))
    first_day = (now + timedelta(days=data.draw(st.integers(-1, 10)))).date()
    last_day = first_day + timedelta(days=data.draw(st.integers(0, 6)))
    start, end = day_range_bounds(viewer, first_day, last_day)
    everything = slots_between(availability, bookings, now - timedelta(days=3), now + timedelta(days=30), now)
    assert slots_between(availability, bookings, start, end, now) == [
        slot for slot in everything if start <= slot.start_at < end
    ]


@PROPERTY_SETTINGS
@given(st.data())
def test_every_offered_slot_is_offered_alone_and_booking_it_removes_it(data):
    availability = data.draw(availabilities())
    now = data.draw(nows)
    slots = slots_between(availability, [], *around(now), now)
    if not slots:
        return
    chosen = data.draw(st.sampled_from(slots))
    assert is_offered(availability, [], chosen.start_at, now) == chosen
    booked = [Busy(chosen.start_at, chosen.end_at)]
    assert is_offered(availability, booked, chosen.start_at, now) is None
    assert chosen not in slots_between(availability, booked, *around(now), now)


@settings(max_examples=500, deadline=None)
@given(
    zone=st.sampled_from(TRICKY_ZONES),
    day=st.sampled_from(TRANSITION_DAYS),
    seconds=st.integers(-2 * 86400, 2 * 86400),
)
def test_zone_table_reads_local_times_like_zoneinfo_with_fold_0(zone, day, seconds):
    local = day.replace(tzinfo=None) + timedelta(seconds=seconds)
    local_seconds = int((local - datetime(1970, 1, 1)).total_seconds())
    expected = local.replace(tzinfo=ZoneInfo(zone), fold=0).timestamp()
    assert zone_clock(zone).to_utc(local_seconds) == expected
    utc_seconds = int(day.timestamp()) + seconds
    shown = datetime.fromtimestamp(utc_seconds, ZoneInfo(zone)).replace(tzinfo=None)
    assert zone_clock(zone).to_local(utc_seconds) == (shown - datetime(1970, 1, 1)).total_seconds()
