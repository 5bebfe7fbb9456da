"""Presence in the session room (issue 20): "Nour has joined" for the others, not repeated by a quick reconnect,
again after an absence; who is here now on the page, in the polling fragment and its own fragment; parties only.
And a minor's withdrawn consent closes only their own view of a group session's room."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from tests.rooms.room_support import make_session
from tutoring.extensions import db
from tutoring.models import Booking, GuardianConsent, Message, RoomPresence, SafeguardingReport, User
from tutoring.services.sessions import room_events
from tutoring.services.sessions.room_presence import AWAY_AFTER, HERE_WINDOW
from tutoring.services.sessions.rooms import REPORT_MESSAGES, attach_to_report, purge_old_messages
from tutoring.timeutil import utcnow


@pytest.fixture
def people(make_user):
    return {"volunteer": make_user("volunteer", name="Vera", email="vera@example.org"),
            "learner": make_user("learner", name="Nour", email="nour@example.org"),
            "stranger": make_user("learner", name="Sam"), "coordinator": make_user("coordinator")}


@pytest.fixture
def booking_id(app, people):
    return make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=10))[0]


def room_url(booking_id: int) -> str:
    return f"/sessions/{booking_id}/room"


def later(seconds: float):
    """Move the clock on by ``seconds`` (ticking on)."""
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=True)


def joined_lines(body: str) -> list[str]:
    return re.findall(r'<li id="message-\d+" class="message joined">.*?</li>', body, re.S)


def entries(app, booking_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        session_id = db.session.get(Booking, booking_id).session_id
        return [(m.kind, m.author_id) for m in db.session.query(Message).filter_by(session_id=session_id)
                .order_by(Message.id)]


def test_the_other_party_sees_nour_has_joined_and_the_joiner_does_not(app, client, sign_in, people, booking_id):
    sign_in(people["volunteer"])
    client.get(room_url(booking_id))
    with app.app_context():
        session_id = db.session.get(Booking, booking_id).session_id
    with app.app_context(), room_events.subscribe(session_id) as waiting:  # an open stream of this process
        sign_in(people["learner"])
        own = client.get(room_url(booking_id)).get_data(as_text=True)
        assert waiting.wait(0)  # the join woke the room's streams, in-process (no Redis)
    assert "<bdi>Vera</bdi> has joined" in own and "Nour</bdi> has joined" not in own
    assert 'class="message joined mine"' not in own  # one's own entry shows as nothing
    sign_in(people["volunteer"])
    page = client.get(room_url(booking_id)).get_data(as_text=True)
    assert len(joined_lines(page)) == 1 and "<bdi>Nour</bdi> has joined" in joined_lines(page)[0]
    poll = client.get(f"{room_url(booking_id)}/messages?after=0").get_data(as_text=True)
    assert "<bdi>Nour</bdi> has joined" in poll and "<html" not in poll
    assert entries(app, booking_id) == [("joined", people["volunteer"].id), ("joined", people["learner"].id)]


def test_the_join_line_arrives_on_the_live_stream_and_a_stream_that_opens_after_an_absence_joins(
        make_app, make_user, sign_in):
    app = make_app(ROOM_STREAM_SECONDS=0.2, ROOM_STREAM_HEARTBEAT=0.05)
    client = app.test_client()
    volunteer, learner = make_user("volunteer", name="Vera"), make_user("learner", name="Nour", language="ar")

    def as_user(user: User) -> None:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user.get_id(), True

    booking = make_session(app, volunteer, [learner], starts_in=timedelta(minutes=5))[0]
    as_user(learner)
    after = re.search(r"stream\?after=(\d+)", client.get(room_url(booking)).get_data(as_text=True)).group(1)
    as_user(volunteer)
    stream = client.get(f"{room_url(booking)}/stream?after=0").get_data(as_text=True)
    assert "<bdi>Nour</bdi> has joined" in stream and "event: message" in stream
    # The learner's page is left; a reconnecting stream after an absence is a return.
    with later((AWAY_AFTER + timedelta(seconds=5)).total_seconds()):
        as_user(learner)
        client.get(f"{room_url(booking)}/stream?after={after}").get_data()  # the stream's body runs
        as_user(volunteer)
        stream = client.get(f"{room_url(booking)}/stream").get_data(as_text=True)
    assert stream.count("<bdi>Nour</bdi> has joined") == 2
    as_user(learner)  # in Arabic, in neutral wording: "Vera's entry into the room"
    assert "دخول <bdi>Vera</bdi> إلى الغرفة" in client.get(room_url(booking)).get_data(as_text=True)


def test_a_quick_reconnect_does_not_repeat_it_but_an_absence_does(app, client, sign_in, people, booking_id):
    sign_in(people["learner"])
    client.get(room_url(booking_id))
    for seconds in (20, 50, 95):  # reloads, polls and reconnects, never away for AWAY_AFTER
        with later(seconds):
            client.get(room_url(booking_id))
            client.get(f"{room_url(booking_id)}/messages?after=0")
            client.get(f"{room_url(booking_id)}/here")
    assert entries(app, booking_id) == [("joined", people["learner"].id)]
    with later(95 + AWAY_AFTER.total_seconds() + 5):
        client.get(room_url(booking_id))
    assert entries(app, booking_id) == [("joined", people["learner"].id)] * 2
    sign_in(people["volunteer"])
    with later(95 + AWAY_AFTER.total_seconds() + 10):
        assert len(joined_lines(client.get(room_url(booking_id)).get_data(as_text=True))) == 2


def test_who_is_here_now_on_the_page_the_polling_fragment_and_its_own_fragment(app, client, sign_in, people,
                                                                                booking_id):
    sign_in(people["volunteer"])
    body = client.get(room_url(booking_id)).get_data(as_text=True)
    assert 'id="room-here"' in body and "No one else is here now." in body
    sign_in(people["learner"])
    body = client.get(room_url(booking_id)).get_data(as_text=True)
    here = re.search(r'<div id="room-here".*?</div>', body, re.S).group(0)
    assert "Here now:" in here and "<li><bdi>Vera</bdi></li>" in here and "Nour" not in here  # the others
    assert 'hx-trigger="every 30s, refresh"' in here
    sign_in(people["volunteer"])
    poll = client.get(f"{room_url(booking_id)}/messages?after=0").get_data(as_text=True)
    oob = re.search(r'<div id="room-here"[^>]*hx-swap-oob="true".*?</div>', poll, re.S).group(0)
    assert "<bdi>Nour</bdi>" in oob
    fragment = client.get(f"{room_url(booking_id)}/here").get_data(as_text=True)
    assert "<html" not in fragment and "<bdi>Nour</bdi>" in fragment
    for body in (here, oob, fragment):  # display names only, never contact details
        assert "@example.org" not in body
    # Nour leaves (seen no more): after the window, only the volunteer is here.
    with later((HERE_WINDOW + timedelta(seconds=5)).total_seconds()):
        assert "No one else is here now." in client.get(f"{room_url(booking_id)}/here").get_data(as_text=True)
        assert "Nour" not in re.search(r'<div id="room-here".*?</div>',
                                       client.get(room_url(booking_id)).get_data(as_text=True), re.S).group(0)


@pytest.mark.parametrize("who", ["stranger", "coordinator"])
def test_anyone_else_gets_404_and_leaves_no_trace(app, client, sign_in, people, booking_id, who):
    sign_in(people["learner"])
    client.get(room_url(booking_id))
    sign_in(people[who])
    for path in (room_url(booking_id), f"{room_url(booking_id)}/messages", f"{room_url(booking_id)}/here",
                 f"{room_url(booking_id)}/stream"):
        assert client.get(path).status_code == 404, path
    with app.app_context():
        assert db.session.query(RoomPresence).filter_by(user_id=people[who].id).count() == 0
    assert entries(app, booking_id) == [("joined", people["learner"].id)]


def test_nothing_is_recorded_before_the_room_is_live_or_after_it_closed(app, client, sign_in, people):
    soon = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(days=1))[0]
    over = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(hours=-3))[0]
    sign_in(people["learner"])
    for booking in (soon, over):
        body = client.get(room_url(booking)).get_data(as_text=True)
        assert "Here now" not in body and "No one else is here now." not in body
        assert entries(app, booking) == []


def test_a_group_room_tells_every_seat_and_the_volunteer(app, client, sign_in, people, make_user):
    amal = make_user("learner", name="Amal")
    seats = make_session(app, people["volunteer"], [people["learner"], amal], starts_in=timedelta(minutes=5))
    sign_in(people["volunteer"])
    client.get(room_url(seats[0]))  # the volunteer through the first seat
    sign_in(amal)
    client.get(room_url(seats[1]))
    sign_in(people["learner"])
    body = client.get(room_url(seats[0])).get_data(as_text=True)
    lines = " ".join(joined_lines(body))
    assert "<bdi>Vera</bdi> has joined" in lines and "<bdi>Amal</bdi> has joined" in lines and "<bdi>Nour</bdi> has joined" not in lines
    here = re.search(r'<div id="room-here".*?</div>', body, re.S).group(0)
    assert "<bdi>Amal</bdi>" in here and "<bdi>Vera</bdi>" in here and "@" not in here
    sign_in(people["volunteer"])
    assert "<bdi>Nour</bdi> has joined" in client.get(f"{room_url(seats[1])}/messages").get_data(as_text=True)


def test_the_api_lists_only_what_people_wrote_and_a_report_carries_no_notices(app, client, sign_in, bearer, people,
                                                                              booking_id):
    sign_in(people["learner"])
    client.get(room_url(booking_id))
    headers = bearer(people["volunteer"])
    posted = client.post(f"/api/v1/bookings/{booking_id}/messages", json={"text": "hello"}, headers=headers)
    assert posted.status_code == 201
    listed = client.get(f"/api/v1/bookings/{booking_id}/messages", headers=headers).get_json()
    assert [m["text"] for m in listed] == ["hello"]
    assert set(listed[0]) == {"id", "author", "text", "masked", "at"}  # SPEC §7's shape, unchanged
    with app.app_context():
        session_id = db.session.get(Booking, booking_id).session_id
        report = SafeguardingReport(reporter_id=people["learner"].id, volunteer_id=people["volunteer"].id,
                                    booking_id=booking_id, details="worried")
        db.session.add(report)
        db.session.flush()
        assert attach_to_report(report.id, session_id) == 1 <= REPORT_MESSAGES
        db.session.rollback()


def withdraw_consent(app, learner: User) -> None:
    with app.app_context():
        db.session.get(User, learner.id).is_minor = True
        db.session.add(GuardianConsent(learner_id=learner.id, guardian_email="guardian@example.org",
                                       status="withdrawn"))
        db.session.commit()


def test_a_minors_withdrawn_consent_closes_only_their_view_of_a_group_room(app, client, sign_in, people, make_user):
    amal = make_user("learner", name="Amal")
    seats = make_session(app, people["volunteer"], [people["learner"], amal], starts_in=timedelta(minutes=5))
    withdraw_consent(app, people["learner"])
    sign_in(people["learner"])
    body = client.get(room_url(seats[0])).get_data(as_text=True)
    assert "state-closed" in body and 'id="room-form"' not in body
    sign_in(people["volunteer"])  # through the minor's seat: the session's room, still live
    body = client.get(room_url(seats[0])).get_data(as_text=True)
    assert "state-live" in body and 'id="room-form"' in body
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', body).group(1)
    assert client.post(room_url(seats[0]), data={"text": "Still here", "csrf_token": token}).status_code == 303
    sign_in(amal)
    assert "Still here" in client.get(room_url(seats[1])).get_data(as_text=True)


def test_a_minors_withdrawn_consent_closes_a_one_to_one_room_for_both(app, client, sign_in, people, booking_id):
    withdraw_consent(app, people["learner"])
    for who in ("learner", "volunteer"):
        sign_in(people[who])
        assert "state-closed" in client.get(room_url(booking_id)).get_data(as_text=True), who
    assert entries(app, booking_id) == []  # a closed room records no presence


def test_a_cancelled_seat_closes_only_its_holders_view_of_a_group_room(app, client, sign_in, people, make_user):
    amal = make_user("learner", name="Amal")
    seats = make_session(app, people["volunteer"], [people["learner"], amal], starts_in=timedelta(minutes=5))
    with app.app_context():
        db.session.get(Booking, seats[0]).status = "cancelled"
        db.session.commit()
    sign_in(people["learner"])
    assert "state-closed" in client.get(room_url(seats[0])).get_data(as_text=True)
    sign_in(people["volunteer"])
    assert "state-live" in client.get(room_url(seats[0])).get_data(as_text=True)


def test_retention_takes_who_was_there_with_the_messages(app, people):
    old = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(days=-40))[0]
    recent = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(days=-1))[0]
    with app.app_context():
        for booking in (old, recent):
            session_id = db.session.get(Booking, booking).session_id
            db.session.add(RoomPresence(session_id=session_id, user_id=people["learner"].id, last_seen_at=utcnow()))
        db.session.commit()
        purge_old_messages()
        kept = [p.session_id for p in db.session.query(RoomPresence)]
        assert kept == [db.session.get(Booking, recent).session_id]
