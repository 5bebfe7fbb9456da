"""Group windows and group sessions across the app's edges: the editor, the availability API, the slots API,
the week page, the booking pages, the volunteer's page of a group session and the session-cancel endpoint.

SQLite and PostgreSQL. Booking uses the real clock here (pages do), so the
volunteer offers every day and the tests read the next slot.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.api.helpers import assert_error
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, Booking, ExtraWindow, OutboxMessage, Session, User, VolunteerProfile
from tutoring.services.schedules.availability import availability_document
from tutoring.booking.operations import book_session
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

EVERY_DAY = [(weekday, "09:00", "12:00") for weekday in range(7)]


def csrf_token(client) -> str:
    body = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


def make_group(app, make_user, capacity: int = 4, **fields) -> User:
    volunteer = make_user("volunteer", timezone="UTC", rules=EVERY_DAY, kinds=["tutoring"], **fields)
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = capacity
        db.session.commit()
    return volunteer


def next_slot(app, volunteer_id: int):
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer_id)
        now = utcnow()
        return slots_in_range(profile, now, now + timedelta(days=8), now)[0]


# --- the editor and the availability API ------------------------------------------------------------


def test_the_editor_adds_a_group_window_and_shows_it(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", timezone="UTC")
    sign_in(volunteer)
    response = client.post("/me/availability/rules", data={"weekday": "2", "start": "16:00", "end": "18:00",
                                                             "capacity": "12", "csrf_token": csrf_token(client)})
    assert response.status_code in (200, 302, 303)
    with app.app_context():
        (rule,) = db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id))
        assert (rule.weekday, rule.capacity) == (2, 12)
    page = client.get("/me/availability").get_data(as_text=True)
    assert "group of up to 12 learners" in page
    assert 'name="capacity"' in page  # every window form has the field


@pytest.mark.parametrize("capacity", ["0", "51", "two", "-3"])
def test_the_editor_refuses_a_capacity_out_of_range_next_to_the_field(app, client, make_user, sign_in, capacity):
    volunteer = make_user("volunteer", timezone="UTC")
    sign_in(volunteer)
    response = client.post("/me/availability/extra", data={"day_on": "2030-01-09", "start": "10:00", "end": "12:00",
                                                            "capacity": capacity, "csrf_token": csrf_token(client)})
    assert "whole number from 1 to 50" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(ExtraWindow)).all() == []


def test_the_availability_api_takes_and_gives_back_capacity(app, client, make_user, bearer):
    volunteer = make_user("volunteer", timezone="UTC")
    headers = bearer(volunteer)
    body = {
        "timezone": "Africa/Cairo", "session_minutes": 45, "buffer_minutes": 15, "min_notice_hours": 12,
        "horizon_days": 56, "max_sessions_per_week": None,
        "rules": [{"weekday": 1, "start": "18:00", "end": "20:00", "capacity": 20},
                  {"weekday": 2, "start": "18:00", "end": "20:00"}],
        "away": [],
        "extra": [{"date": "2030-01-09", "start": "10:00", "end": "12:00", "capacity": 50}],
    }
    assert client.put("/api/v1/me/availability", json=body, headers=headers).status_code == 200
    got = client.get("/api/v1/me/availability", headers=headers).get_json()
    assert got["rules"] == body["rules"] and got["extra"] == body["extra"]  # capacity 1 is left out, like the SPEC's example
    for bad, field in ((51, "rules[0].capacity"), (0, "rules[0].capacity"), (True, "rules[0].capacity"),
                       ("3", "rules[0].capacity"), (2.5, "rules[0].capacity")):
        broken = {**body, "rules": [{**body["rules"][0], "capacity": bad}]}
        assert_error(client.put("/api/v1/me/availability", json=broken, headers=headers), 422, "validation_error", field)
    with app.app_context():
        assert availability_document(db.session.get(VolunteerProfile, volunteer.id))["rules"][0]["capacity"] == 20


# --- slots: API and week page ------------------------------------------------------------------------


def test_group_slots_carry_capacity_and_seats_left_in_the_api_and_the_week_page(app, client, make_user, bearer):
    group = make_group(app, make_user, capacity=4, min_notice_hours=0)
    learner = make_user("learner")
    slot = next_slot(app, group.id)
    with app.app_context():
        book_session(learner.id, group.id, slot.start_at, "tutoring")
    day = slot.start_at.date().isoformat()
    listed = client.get(f"/api/v1/volunteers/{group.id}/slots", query_string={"from": day, "to": day, "tz": "UTC"},
                        headers=bearer(learner)).get_json()["slots"]
    first = next(item for item in listed if item["start_utc"] == slot.start_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert (first["capacity"], first["seats_left"]) == (4, 3)
    assert all(item["capacity"] == 4 for item in listed)
    one_to_one = make_user("volunteer", timezone="UTC", rules=EVERY_DAY, min_notice_hours=0)
    plain = client.get(f"/api/v1/volunteers/{one_to_one.id}/slots", query_string={"from": day, "to": day, "tz": "UTC"},
                       headers=bearer(learner)).get_json()["slots"]
    assert plain and all(set(item) == {"start", "end", "start_utc"} for item in plain)

    week = client.get(f"/volunteers/{group.id}", query_string={"week": day, "tz": "UTC"}).get_data(as_text=True)
    assert "group: 3 seats left" in week and "group: 4 seats left" in week


def test_a_learner_sees_their_seat_but_never_the_other_learners(app, client, make_user, sign_in):
    group = make_group(app, make_user, capacity=5, min_notice_hours=0)
    first = make_user("learner", name="Zainab Hidden", email="zainab@learners.example")
    second = make_user("learner", name="Omar Seat")
    slot = next_slot(app, group.id)
    with app.app_context():
        book_session(first.id, group.id, slot.start_at, "tutoring", note="Zainab's private note")
        seat = book_session(second.id, group.id, slot.start_at, "tutoring").id
    sign_in(second)
    page = client.get(f"/bookings/{seat}").get_data(as_text=True)
    assert "A group session for up to 5 learners" in page
    assert "Zainab" not in page and "zainab@" not in page and "private note" not in page
    assert "Move to another time" not in page  # seats are not moved
    sessions = client.get("/sessions").get_data(as_text=True)
    assert "Zainab" not in sessions
    booking_page = client.get(f"/volunteers/{group.id}/book", query_string={"start": slot.start_at.isoformat()})
    assert "3 seats left" in booking_page.get_data(as_text=True)


# --- the volunteer's page of a group session ------------------------------------------------------------


def test_the_volunteer_sees_the_learners_and_cancels_the_session_for_everyone(app, client, make_user, sign_in):
    group = make_group(app, make_user, capacity=5, min_notice_hours=0)
    learners = [make_user("learner", name=f"Learner {name}") for name in ("Amal", "Basma", "Celine")]
    slot = next_slot(app, group.id)
    with app.app_context():
        seats = [book_session(learner.id, group.id, slot.start_at, "tutoring") for learner in learners]
        session_id = seats[0].session_id
    sign_in(group)
    detail = client.get(f"/bookings/{seats[0].id}").get_data(as_text=True)
    assert f"/group-sessions/{session_id}" in detail
    page = client.get(f"/group-sessions/{session_id}").get_data(as_text=True)
    assert all(f"Learner {name}" in page for name in ("Amal", "Basma", "Celine"))
    assert "3 learners of 5" in page
    response = client.post(f"/group-sessions/{session_id}/cancel", data={"reason": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Session, session_id).status == "cancelled"
        assert {b.status for b in db.session.scalars(select(Booking))} == {"cancelled"}
        told = {row.recipient for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cancelled"))}
        assert {learner.email for learner in learners} <= told


@pytest.mark.parametrize("who", ["learner", "stranger", "signed_out"])
def test_only_the_volunteer_reaches_a_group_sessions_page(app, client, make_user, sign_in, who):
    group = make_group(app, make_user, capacity=3, min_notice_hours=0)
    learner = make_user("learner")
    slot = next_slot(app, group.id)
    with app.app_context():
        session_id = book_session(learner.id, group.id, slot.start_at, "tutoring").session_id
    if who == "learner":
        sign_in(learner)
    elif who == "stranger":
        sign_in(make_user("volunteer"))
    expected = 302 if who == "signed_out" else 404
    assert client.get(f"/group-sessions/{session_id}").status_code == expected
    assert client.post(f"/group-sessions/{session_id}/cancel", data={"csrf_token": csrf_token(client)}).status_code == expected
    with app.app_context():
        assert db.session.get(Session, session_id).status == "confirmed"


def test_the_api_cancels_a_whole_session_for_its_volunteer_only(app, client, make_user, bearer):
    group = make_group(app, make_user, capacity=3, min_notice_hours=0)
    learners = [make_user("learner") for _ in range(2)]
    slot = next_slot(app, group.id)
    with app.app_context():
        seats = [book_session(learner.id, group.id, slot.start_at, "tutoring") for learner in learners]
        session_id = seats[0].session_id
    assert_error(client.post(f"/api/v1/sessions/{session_id}/cancel", json={}, headers=bearer(learners[0])), 404, "not_found")
    seat = client.get(f"/api/v1/bookings/{seats[0].id}", headers=bearer(learners[0])).get_json()
    assert (seat["session_id"], seat["capacity"]) == (session_id, 3)
    response = client.post(f"/api/v1/sessions/{session_id}/cancel", json={"reason": "ill"}, headers=bearer(group))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and {b["status"] for b in body["bookings"]} == {"cancelled"}
    assert_error(client.post(f"/api/v1/sessions/{session_id}/cancel", json={}, headers=bearer(group)), 409, "invalid_state")
