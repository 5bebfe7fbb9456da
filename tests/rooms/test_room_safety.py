"""The room's safety paths (issue 20b): either party reports the room (the report carries its last messages, which
coordinators see only there), the support volunteer's escalate prompt under a crisis message, and minors' rooms."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.rooms.room_support import make_session
from tutoring.booking.minors import withdraw
from tutoring.extensions import db
from tutoring.models import GuardianConsent, Message, SafeguardingReport, User, message_reports
from tutoring.services.minors import guardians
from tutoring.services.sessions.rooms import REPORT_MESSAGES, RoomClosed, post_message, purge_old_messages, room_for
from tutoring.timeutil import utcnow

CRISIS = "I want to kill myself tonight"


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def people(make_user):
    return {"volunteer": make_user("volunteer", name="Vera"), "learner": make_user("learner", name="Nour"),
            "stranger": make_user("learner"), "coordinator": make_user("coordinator")}


def add_messages(app, booking_id: int, author: User, texts: list[str]) -> None:
    with app.app_context():
        for text in texts:
            post_message(db.session.get(User, author.id), booking_id, text)


def report_path(booking_id: int) -> str:
    return f"/safety/report?booking={booking_id}&room=1"


def send_report(client, booking_id: int, details: str):
    return client.post("/safety/report", data={"booking": booking_id, "room": "1", "details": details,
                                               "csrf_token": csrf(client, report_path(booking_id))})


# --- reporting from the room --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "volunteer"])
def test_either_party_reports_the_room_and_the_report_carries_its_last_50_messages(app, client, sign_in, bearer, people,
                                                                                   who):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=5))[0]
    add_messages(app, booking_id, people["learner"], [f"line {i}" for i in range(55)])
    add_messages(app, booking_id, people["volunteer"], ["call me on 0555 123 4567"])
    sign_in(people[who])
    room = client.get(f"/sessions/{booking_id}/room").get_data(as_text=True)
    assert f"/safety/report?booking={booking_id}&amp;room=1" in room
    form = client.get(report_path(booking_id))
    assert form.status_code == 200 and "last 50 messages" in form.get_data(as_text=True)
    assert send_report(client, booking_id, "").status_code == 422  # nothing written
    done = send_report(client, booking_id, "This made me uneasy")
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/sessions/{booking_id}/room")
    with app.app_context():
        report = db.session.scalar(select(SafeguardingReport))
        assert report.reporter_id == people[who].id and report.booking_id == booking_id
        assert report.volunteer_id == people["volunteer"].id and report.details == "This made me uneasy"
        assert db.session.scalar(select(func.count()).select_from(message_reports)) == REPORT_MESSAGES
        report_id = report.id

    sign_in(people["coordinator"])
    page = client.get("/coordinator/safeguarding").get_data(as_text=True)
    section = page[page.index(f'id="report-{report_id}"'):]
    assert "line 6" in section and "line 54" in section and "line 5<" not in section  # the last 50 only
    assert "4567" not in section and "call me on" in section  # as stored: masked
    assert "Vera" in section and "Nour" in section
    # The room itself and its API stay closed to coordinators.
    for path in (f"/sessions/{booking_id}/room", f"/sessions/{booking_id}/room/messages"):
        assert client.get(path).status_code == 404, path
    api = client.get(f"/api/v1/bookings/{booking_id}/messages", headers=bearer(people["coordinator"]))
    assert api.status_code == 404


def test_a_report_without_the_room_shows_no_messages(app, client, sign_in, people):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=5))[0]
    add_messages(app, booking_id, people["learner"], ["a private word"])
    sign_in(people["learner"])
    response = client.post("/safety/report", data={"booking": booking_id, "details": "About the session",
                                                   "csrf_token": csrf(client, f"/safety/report?booking={booking_id}")})
    assert response.status_code == 302
    sign_in(people["coordinator"])
    page = client.get("/coordinator/safeguarding").get_data(as_text=True)
    assert "About the session" in page and "a private word" not in page and "report-messages" not in page


@pytest.mark.parametrize("who", ["stranger", "coordinator"])
def test_only_the_rooms_parties_can_report_it(app, client, sign_in, people, who):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=5))[0]
    sign_in(people["learner"])
    token = csrf(client, report_path(booking_id))
    sign_in(people[who])
    assert client.get(report_path(booking_id)).status_code == 404
    assert client.post("/safety/report", data={"booking": booking_id, "room": "1", "details": "x",
                                               "csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SafeguardingReport)) == 0


def test_reported_messages_survive_retention_and_the_rest_goes(app, client, sign_in, people):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=5))[0]
    add_messages(app, booking_id, people["learner"], ["before the report"])
    sign_in(people["learner"])
    assert send_report(client, booking_id, "Please look").status_code == 303
    add_messages(app, booking_id, people["learner"], ["after the report"])
    with app.app_context():
        assert purge_old_messages(now=utcnow() + timedelta(days=40)) == 1
        assert db.session.scalars(select(Message.text)).all() == ["before the report"]
    sign_in(people["coordinator"])
    assert "before the report" in client.get("/coordinator/safeguarding").get_data(as_text=True)


# --- the escalate prompt ------------------------------------------------------------------------


def test_the_support_volunteer_sees_the_escalate_prompt_on_load_polling_and_stream(app, client, sign_in, people):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=-10),
                              kind="support")[0]
    add_messages(app, booking_id, people["learner"], ["hello", CRISIS])
    with app.app_context():
        crisis_id = db.session.scalar(select(Message.id).where(Message.text == CRISIS))
    sign_in(people["learner"])
    page = client.get(f"/sessions/{booking_id}/room").get_data(as_text=True)
    assert "escalate-prompt" not in page  # the writer sees the help link instead, when they post
    sign_in(people["volunteer"])
    page = client.get(f"/sessions/{booking_id}/room").get_data(as_text=True)
    assert page.count("escalate-prompt") == 1 and f'id="escalate-comment-{crisis_id}"' in page
    assert f'action="/bookings/{booking_id}/escalate"' in page
    polled = client.get(f"/sessions/{booking_id}/room/messages?after=0").get_data(as_text=True)
    assert polled.count("escalate-prompt") == 1
    app.config.update(ROOM_STREAM_SECONDS=0.2, ROOM_STREAM_HEARTBEAT=0.05)
    streamed = client.get(f"/sessions/{booking_id}/room/stream?after=0").get_data(as_text=True)
    assert streamed.count("escalate-prompt") == 1 and f"id: {crisis_id}" in streamed
    # The prompt's form is the booking page's urgent path.
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    raised = client.post(f"/bookings/{booking_id}/escalate", data={"comment": "", "csrf_token": token})
    assert raised.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(SafeguardingReport))
        assert item.urgent and item.source == "escalation" and item.booking_id == booking_id
        assert db.session.scalar(select(func.count()).select_from(message_reports)) == 0  # escalation shares no words


def test_no_prompt_outside_support_sessions(app, client, sign_in, people):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=-10))[0]
    add_messages(app, booking_id, people["learner"], [CRISIS])
    sign_in(people["volunteer"])
    assert "escalate-prompt" not in client.get(f"/sessions/{booking_id}/room").get_data(as_text=True)


# --- minors -------------------------------------------------------------------------------------


def test_a_minors_running_room_closes_when_the_guardian_withdraws(app, people):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=-10))[0]
    with app.app_context():
        learner = db.session.get(User, people["learner"].id)
        guardians.request_consent(learner, "guardian@example.org")
        db.session.commit()
        guardians.decide(db.session.get(GuardianConsent, learner.id), True)
        post_message(learner, booking_id, "hello")
        assert withdraw(db.session.get(GuardianConsent, learner.id)) == 0  # a running session isn't "future"
        for user_id in (people["learner"].id, people["volunteer"].id):
            assert room_for(user_id, booking_id).state == "closed"
            with pytest.raises(RoomClosed):
                post_message(db.session.get(User, user_id), booking_id, "still there?")
        assert [m.text for m in db.session.scalars(select(Message))] == ["hello"]


def test_the_api_answers_409_room_closed_after_withdrawal(app, client, people, bearer):
    booking_id = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=-10))[0]
    with app.app_context():
        learner = db.session.get(User, people["learner"].id)
        guardians.request_consent(learner, "guardian@example.org")
        db.session.commit()
        consent = db.session.get(GuardianConsent, learner.id)
        guardians.decide(consent, True)
        withdraw(db.session.get(GuardianConsent, learner.id))
    response = client.post(f"/api/v1/bookings/{booking_id}/messages", json={"text": "hi"},
                           headers=bearer(people["learner"]))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "room_closed"
