"""The support weekly cap (issue 18 part 5, ``TUTORING_SUPPORT_WEEKLY_CAP``): a listener is not offered, and can't
be booked for, more support sessions in an ISO week (their zone) than the cap; coordinators see who is near it."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.coordinators.coordinator_support import add_session
from tutoring.booking.errors import SlotUnavailable
from tutoring.booking.operations import book_session
from tutoring.booking.slots import slots_in_range
from tutoring.extensions import db
from tutoring.models import VolunteerProfile
from tutoring.services.support.checkins import near_support_cap
from tutoring.timeutil import utcnow

pytestmark = pytest.mark.app_config(SUPPORT_WEEKLY_CAP=2)
EVERY_DAY = [(weekday, "08:00", "20:00") for weekday in range(7)]
ZONE = ZoneInfo("Asia/Riyadh")


def week_after_next() -> tuple[datetime, datetime]:
    """Monday 00:00 and the next Monday 00:00 (Riyadh) of the week after next, as UTC instants."""
    local = utcnow().astimezone(ZONE)
    monday = (local - timedelta(days=local.weekday())).date() + timedelta(days=14)
    start = datetime.combine(monday, time(0), ZONE)
    return start, start + timedelta(days=7)


def at(monday: datetime, days: int, hour: int) -> datetime:
    return (monday.astimezone(ZONE) + timedelta(days=days, hours=hour)).astimezone(ZoneInfo("UTC"))


@pytest.fixture
def listener(make_user):
    return make_user("volunteer", timezone="Asia/Riyadh", kinds=["support"], rules=EVERY_DAY, min_notice_hours=0,
                     session_minutes=60, buffer_minutes=0)


@pytest.fixture
def mixed(make_user):
    return make_user("volunteer", timezone="Asia/Riyadh", kinds=["tutoring", "support"], rules=EVERY_DAY,
                     min_notice_hours=0, session_minutes=60, buffer_minutes=0)


def test_a_listener_at_the_cap_is_offered_nothing_more_that_week_but_the_next(app, listener, make_user):
    learner = make_user("learner")
    monday, next_monday = week_after_next()
    with app.app_context():
        profile = db.session.get(VolunteerProfile, listener.id)
        assert slots_in_range(profile, monday, next_monday)
        add_session(listener.id, learner.id, at(monday, 1, 10), status="confirmed", kind="support")
        assert slots_in_range(profile, monday, next_monday)  # one of two
        add_session(listener.id, learner.id, at(monday, 2, 10), status="confirmed", kind="support")
        assert slots_in_range(profile, monday, next_monday) == []
        assert slots_in_range(profile, next_monday, next_monday + timedelta(days=7))
        with pytest.raises(SlotUnavailable):
            book_session(learner.id, listener.id, at(monday, 4, 10), "support")


def test_a_volunteer_of_several_kinds_is_capped_for_support_only(app, mixed, make_user):
    learner = make_user("learner")
    monday, _ = week_after_next()
    with app.app_context():
        add_session(mixed.id, learner.id, at(monday, 1, 10), status="confirmed", kind="support")
        add_session(mixed.id, learner.id, at(monday, 2, 10), status="confirmed", kind="support")
        with pytest.raises(SlotUnavailable) as refused:
            book_session(learner.id, mixed.id, at(monday, 4, 10), "support")
        assert "no more room for support sessions" in refused.value.message
        assert book_session(learner.id, mixed.id, at(monday, 4, 10), "tutoring").id


def test_coordinators_see_who_is_near_the_cap(app, client, listener, make_user, sign_in):
    learner = make_user("learner")
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        local = now.astimezone(ZONE)
        monday = datetime.combine((local - timedelta(days=local.weekday())).date(), time(0), ZONE)
        assert near_support_cap(now) == []
        add_session(listener.id, learner.id, monday + timedelta(hours=1), status="completed", kind="support")
        assert [(user.id, count, cap) for user, count, cap in near_support_cap(now)] == [(listener.id, 1, 2)]
    sign_in(make_user("coordinator"))
    assert "1 of 2 support sessions this week" in client.get("/coordinator/duty").get_data(as_text=True)


def test_a_weekly_series_of_support_skips_the_weeks_at_the_cap(app, mixed, make_user):
    from tutoring.booking.series import book_series

    learner = make_user("learner")
    monday, _ = week_after_next()
    with app.app_context():
        add_session(mixed.id, learner.id, at(monday, 1, 10), status="confirmed", kind="support")
        add_session(mixed.id, learner.id, at(monday, 2, 10), status="confirmed", kind="support")
        result = book_series(learner.id, mixed.id, at(monday, -3, 12), 2, "support", "")
        assert [booking.start_at for booking in result.bookings] == [at(monday, -3, 12)]
        assert [(skip.start_at, skip.reason) for skip in result.skipped] == [(at(monday, 4, 12), "week_full")]


def test_the_slot_reader_holds_support_slots_of_a_volunteer_of_several_kinds_to_the_cap(app, client, mixed, make_user,
                                                                                       bearer):
    """Issue 17: pages read the cap per kind, so no page offers a support slot the engine then refuses."""
    learner = make_user("learner")
    monday, next_monday = week_after_next()
    with app.app_context():
        add_session(mixed.id, learner.id, at(monday, 1, 10), status="confirmed", kind="support")
        add_session(mixed.id, learner.id, at(monday, 2, 10), status="confirmed", kind="support")
        profile = db.session.get(VolunteerProfile, mixed.id)
        assert slots_in_range(profile, monday, next_monday, kind="support") == []
        assert slots_in_range(profile, monday, next_monday, kind="tutoring")
        assert slots_in_range(profile, monday, next_monday)  # any kind: tutoring still is
        assert slots_in_range(profile, next_monday, next_monday + timedelta(days=7), kind="support")
        # One second before the week's local Monday 00:00 belongs to the week before (the volunteer's zone).
        assert slots_in_range(profile, monday - timedelta(days=1), monday, kind="support")
    day = monday.astimezone(ZONE).date() + timedelta(days=4)
    query = f"from={day}&to={day}&tz=Asia/Riyadh"
    headers = bearer(learner)
    support = client.get(f"/api/v1/volunteers/{mixed.id}/slots?{query}&kind=support", headers=headers)
    tutoring = client.get(f"/api/v1/volunteers/{mixed.id}/slots?{query}&kind=tutoring", headers=headers)
    assert support.status_code == tutoring.status_code == 200
    assert support.get_json()["slots"] == [] and tutoring.get_json()["slots"]
    week = monday.astimezone(ZONE).date().isoformat()
    page = client.get(f"/volunteers/{mixed.id}?week={week}&tz=Asia/Riyadh&kind=support").get_data(as_text=True)
    other = client.get(f"/volunteers/{mixed.id}?week={week}&tz=Asia/Riyadh&kind=tutoring").get_data(as_text=True)
    assert page.count("/book?start=") < other.count("/book?start=")


def test_moving_a_support_session_within_a_full_week_is_still_offered(app, mixed, make_user):
    """The session being moved doesn't count toward the cap of its own move (page and engine alike)."""
    from tutoring.booking.operations import reschedule_booking

    learner = make_user("learner")
    monday, _ = week_after_next()
    with app.app_context():
        add_session(mixed.id, learner.id, at(monday, 1, 10), status="confirmed", kind="support")
        booking_id = add_session(mixed.id, learner.id, at(monday, 2, 10), status="confirmed", kind="support")
        moved = reschedule_booking(learner.id, booking_id, at(monday, 3, 10))
        assert moved.session.start_at == at(monday, 3, 10)
