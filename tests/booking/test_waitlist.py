"""The waitlist (issue 9): told in the order of asking when a matching slot opens, at most once a day, until booked or withdrawn.

Everyone is in Asia/Riyadh (no clock changes), so the ranges read the same
whatever the season; the volunteer offers one slot a day at 18:00.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import Booking, Notice, OutboxMessage, User, VolunteerProfile, WaitlistRequest
from tutoring.booking.operations import book_session
from tutoring.booking.slots import slots_in_range
from tutoring.booking.waitlist import ask, check_waitlists
from tutoring.timeutil import utcnow

ZONE = "Asia/Riyadh"
EVERY_DAY_18_TO_19 = [(weekday, "18:00", "19:00") for weekday in range(7)]


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def told(app) -> list[tuple[str, str]]:
    """(recipient, dedupe key) of the waitlist emails, in the order they were queued."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("waitlist:%")).order_by(OutboxMessage.id)
        ).all()
        return [(row.recipient, row.dedupe_key) for row in rows]


def status_of(app, request_id: int) -> str:
    with app.app_context():
        return db.session.get(WaitlistRequest, request_id).status


@pytest.fixture
def busy_volunteer(app, make_user):
    """A volunteer whose every offered slot (one a day, next 7 days) is booked by someone else."""
    volunteer = make_user("volunteer", name="Huda", timezone=ZONE, rules=EVERY_DAY_18_TO_19, horizon_days=7,
                          min_notice_hours=0)
    other = make_user("learner", name="Other", timezone=ZONE)
    with app.app_context():
        now = utcnow()
        profile = db.session.get(VolunteerProfile, volunteer.id)
        starts = [slot.start_at for slot in slots_in_range(profile, now + timedelta(hours=1), now + timedelta(days=7), now)]
        ids = [book_session(other.id, volunteer.id, start, "tutoring").id for start in starts]
        assert len(ids) >= 5
    return volunteer, other, ids


def ask_as(app, learner, volunteer, start, end, ago_minutes):
    with app.app_context():
        user = db.session.get(User, learner.id)
        return ask(user, volunteer.id, minutes(start), minutes(end), now=utcnow() - timedelta(minutes=ago_minutes)).id


def test_learners_are_told_in_order_of_asking_at_most_once_a_day_until_they_book_or_withdraw(
    app, client, make_user, sign_in, bearer, busy_volunteer
):
    volunteer, other, booking_ids = busy_volunteer
    first = make_user("learner", name="First", email="first@example.org", timezone=ZONE)
    second = make_user("learner", name="Second", email="second@example.org", timezone=ZONE)
    mornings = make_user("learner", name="Mornings", email="mornings@example.org", timezone=ZONE)
    second_request = ask_as(app, second, volunteer, "17:00", "20:00", ago_minutes=5)
    first_request = ask_as(app, first, volunteer, "17:30", "19:00", ago_minutes=10)  # asked before second
    ask_as(app, mornings, volunteer, "08:00", "10:00", ago_minutes=1)
    with app.app_context():
        assert check_waitlists() == 0  # nothing has opened

    # A cancellation in the browser opens a slot: the check runs right after that request.
    sign_in(other)
    page = client.get(f"/bookings/{booking_ids[0]}/cancel").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post(f"/bookings/{booking_ids[0]}/cancel", data={"csrf_token": token}).status_code == 303
    assert [recipient for recipient, _ in told(app)] == ["first@example.org", "second@example.org"]

    # Another cancellation the same day (through the API this time): no second message today.
    response = client.post(f"/api/v1/bookings/{booking_ids[1]}/cancel", headers=bearer(other))
    assert response.status_code == 200
    assert len(told(app)) == 2

    # A day later the worker's check tells them about the new opening only.
    with app.app_context():
        assert check_waitlists(now=utcnow() + timedelta(days=1, minutes=1)) == 2
        assert check_waitlists(now=utcnow() + timedelta(days=1, hours=2)) == 0  # once a day
        notices = db.session.scalars(select(Notice).where(Notice.user_id == first.id).order_by(Notice.id)).all()
        opened = [db.session.get(Booking, booking_id).session.start_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                  for booking_id in booking_ids[:2]]
        assert notices[0].data["starts"] == [opened[0]]
        # A day later: the second opening (and any slot that came into the horizon meanwhile), not the first again.
        assert opened[1] in notices[1].data["starts"] and opened[0] not in notices[1].data["starts"]
    assert [recipient for recipient, _ in told(app)] == ["first@example.org", "second@example.org"] * 2

    # The first books the volunteer: their request ends. The second withdraws.
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        free = slots_in_range(profile, utcnow(), utcnow() + timedelta(days=8))
        book_session(first.id, volunteer.id, free[0].start_at, "tutoring")
    assert status_of(app, first_request) == "booked"
    sign_in(second)
    page = client.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "You are on the waitlist for 17:00–20:00" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    sign_in(first)
    assert client.post(f"/waitlist/{second_request}/withdraw", data={"csrf_token": token}).status_code == 404
    sign_in(second)
    assert client.post(f"/waitlist/{second_request}/withdraw", data={"csrf_token": token}).status_code == 303
    assert status_of(app, second_request) == "withdrawn"
    # The notice is on the learner's pages.
    assert "Huda has free times you asked about" in client.get("/sessions").get_data(as_text=True)


def test_new_availability_tells_the_waiting_learner_right_away(app, client, make_user, sign_in, bearer):
    volunteer = make_user("volunteer", name="Huda", timezone=ZONE, horizon_days=14, min_notice_hours=0)
    learner = make_user("learner", email="waiting@example.org", timezone=ZONE)
    sign_in(learner)
    page = client.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"/volunteers/{volunteer.id}/waitlist", data={"csrf_token": token, "start": "17:00", "end": "20:00"})
    assert response.status_code == 303
    assert told(app) == []
    document = {"timezone": ZONE, "session_minutes": 45, "buffer_minutes": 15, "min_notice_hours": 0,
                "horizon_days": 14, "max_sessions_per_week": None, "rules": [{"weekday": 2, "start": "18:00", "end": "19:00"}],
                "away": [], "extra": []}
    response = client.put("/api/v1/me/availability", json=document, headers=bearer(volunteer))
    assert response.status_code == 200, response.get_json()
    assert [recipient for recipient, _ in told(app)] == ["waiting@example.org"]


def test_bad_ranges_are_refused_and_volunteers_cannot_wait(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", timezone=ZONE, rules=EVERY_DAY_18_TO_19)
    learner = make_user("learner", timezone=ZONE)
    sign_in(learner)
    page = client.get(f"/volunteers/{volunteer.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    for start, end in (("25:00", "20:00"), ("18:00", "18:00"), ("", "20:00")):
        client.post(f"/volunteers/{volunteer.id}/waitlist", data={"csrf_token": token, "start": start, "end": end})
    sign_in(volunteer)
    client.post(f"/volunteers/{volunteer.id}/waitlist", data={"csrf_token": token, "start": "08:00", "end": "09:00"})
    with app.app_context():
        assert db.session.scalars(select(WaitlistRequest)).all() == []


def test_a_range_past_midnight_matches_late_and_early_times(app, make_user):
    volunteer = make_user("volunteer", timezone=ZONE)
    learner = make_user("learner", timezone=ZONE)
    with app.app_context():
        request = WaitlistRequest(learner_id=learner.id, volunteer_id=volunteer.id, timezone=ZONE,
                                  start_minute=minutes("22:00"), end_minute=minutes("02:00"))
        assert [request.covers(minutes(t)) for t in ("21:59", "22:00", "23:30", "00:00", "01:59", "02:00")] == [
            False, True, True, True, True, False]


def test_a_learner_the_volunteer_blocked_can_neither_join_their_waitlist_nor_hear_from_an_old_request(app, make_user):
    """Issue 21: a block used to stop bookings only; the waitlist let the learner keep asking and being told."""
    from datetime import UTC, datetime

    from tutoring.models import LearnerBlock
    from tutoring.booking.errors import SlotUnavailable

    now = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
    volunteer = make_user("volunteer", timezone="UTC", rules=[(1, "09:00", "12:00")], min_notice_hours=0)
    learner = make_user("learner", timezone="UTC")
    with app.app_context():
        request_id = ask(db.session.get(User, learner.id), volunteer.id, minutes("18:00"), minutes("20:00"), now=now).id
        db.session.add(LearnerBlock(volunteer_id=volunteer.id, learner_id=learner.id))
        db.session.commit()
        with pytest.raises(SlotUnavailable) as refused:
            ask(db.session.get(User, learner.id), volunteer.id, minutes("09:00"), minutes("12:00"), now=now)
        assert "not taking new bookings" in str(refused.value)  # the block itself is not announced
        assert db.session.get(WaitlistRequest, request_id).start_minute == minutes("18:00")  # nothing changed
        db.session.get(WaitlistRequest, request_id).start_minute = minutes("09:00")
        db.session.commit()
        assert check_waitlists(now=now) == 0
    assert told(app) == []
