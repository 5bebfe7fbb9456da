"""iMIP invites through a real SMTP server (aiosmtpd on loopback): REQUEST, moved REQUEST, CANCEL (SPEC §5).

Every calendar part is read by icalendar, ical and vobject, and its DTSTART
must be the booked UTC instant, also for a session across a DST change.
"""
from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import icalendar
import pytest
from sqlalchemy import update

from tests.notices.test_outbox_support import (  # noqa: F401  (fixtures)
    NOW,
    SECRET_NOTE,
    SUPPORT_WORDS,
    TUE_10,
    TUE_11,
    calendar_parts,
    decoded_text,
    inline_calendar,
    method_by_parser,
    outbox_rows,
    pair,
    run_worker,
    smtp_sink,
    the_same_events,
)
from tutoring.extensions import db
from tutoring.models import Booking, OutboxMessage
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.services.notices.meeting import meeting_token, meeting_url_for, meeting_url_for_uid


@pytest.fixture
def mail_app(make_app, smtp_sink):
    """An app whose worker sends to the test SMTP server; yields (app, sink)."""
    port, sink = smtp_sink
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port), sink


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def by_recipient(messages: list[EmailMessage]) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in messages:
        found.setdefault(message["To"].addresses[0].addr_spec, []).append(message)
    return found


def the_booking(app, booking_id: int) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        db.session.expunge(booking)
        return booking


def check_invite(message: EmailMessage, method: str, uid: str, sequence: int, start: datetime, end: datetime) -> None:
    """One iMIP message: method= equals METHOD, and all three parsers read the same single event."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"][0]
    assert inline.get_param("method") == method
    data = inline_calendar(message)
    assert set(method_by_parser(data).values()) == {method}
    [event] = the_same_events(data)
    assert (event.uid, event.sequence, event.start, event.end) == (uid, sequence, start, end)
    assert event.status == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    inline_bytes, attached_bytes = (p.get_payload(decode=True) for p in calendar_parts(message))
    assert inline_bytes == attached_bytes


def test_booking_moving_and_cancelling_each_give_every_party_exactly_one_message(mail_app, pair):
    app, sink = mail_app
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "tutoring", SECRET_NOTE, now=NOW).id
    assert run_worker(app) == 2
    uid = the_booking(app, booking_id).uid
    booked = by_recipient(sink.messages())
    assert sorted(booked) == ["amira@example.org", "maya@example.org"]
    for messages in booked.values():
        assert len(messages) == 1  # exactly one REQUEST each
        check_invite(messages[0], "REQUEST", uid, 0, TUE_10, TUE_10 + timedelta(minutes=45))

    with app.app_context():
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
    assert run_worker(app) == 2
    moved = by_recipient(sink.messages()[2:])
    for messages in moved.values():
        assert len(messages) == 1
        check_invite(messages[0], "REQUEST", uid, 1, TUE_11, TUE_11 + timedelta(minutes=45))  # same UID, higher SEQUENCE

    with app.app_context():
        cancel_booking(volunteer.id, booking_id, reason="SECRET-REASON-2", now=NOW)
    assert run_worker(app) == 2
    cancelled = by_recipient(sink.messages()[4:])
    assert sorted(cancelled) == ["amira@example.org", "maya@example.org"]
    for messages in cancelled.values():
        assert len(messages) == 1
        check_invite(messages[0], "CANCEL", uid, 2, TUE_11, TUE_11 + timedelta(minutes=45))
    assert len(sink.received) == 6


def test_an_invite_names_the_organizer_its_recipient_as_attendee_and_the_meeting_room(mail_app, pair):
    app, sink = mail_app
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "mentoring", "", now=NOW).id
    run_worker(app)
    room = meeting_url_for_uid(the_booking(app, booking_id).uid, secret=app.config["SECRET_KEY"],
                               template="https://meet.jit.si/tutoring-{token}")
    for envelope, message in zip(sink.received, sink.messages(), strict=True):
        assert envelope.mail_from == "tutoring@example.org"  # sent from the ORGANIZER's address
        assert message["From"].addresses[0].addr_spec == "tutoring@example.org"
        [event] = icalendar.Calendar.from_ical(inline_calendar(message)).walk("VEVENT")
        assert str(event["ORGANIZER"]) == "mailto:tutoring@example.org"
        # The recipient alone attends their copy; the other person is named in the title only (SPEC §5, §7).
        recipient = message["To"].addresses[0].addr_spec
        assert str(event["ATTENDEE"]) == f"mailto:{recipient}"
        assert str(event["LOCATION"]) == room and str(event["URL"]) == room
        assert room in message.get_body(("plain",)).get_content()
        assert f'<a href="{room}">' in message.get_body(("html",)).get_content()


def test_each_message_is_in_its_recipients_language_and_zone(mail_app, pair):
    app, sink = mail_app
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    run_worker(app)
    received = {m["To"].addresses[0].addr_spec: m for m in sink.messages()}
    maya, amira = received["maya@example.org"], received["amira@example.org"]
    assert maya["Content-Language"] == "en" and amira["Content-Language"] == "ar"
    maya_text = plain(maya.get_body(("plain",)).get_content())
    # 10:00 UTC is 5:00 AM in New York (EST) and 10:00 in London.
    assert "Tuesday, January 8, 2030, 5:00 AM – 5:45 AM" in maya_text
    assert "New York time (UTC-05:00)" in maya_text
    assert maya["Subject"].startswith("Booked: Tutoring with Amira Hassan")
    amira_text = amira.get_body(("plain",)).get_content()
    assert "درس مع Maya" in amira_text and "10:00" in amira_text
    assert 'dir="rtl"' in amira.get_body(("html",)).get_content()


def test_a_session_across_a_dst_change_is_at_its_booked_instant_for_every_parser(mail_app, make_user):
    # New York springs forward on Sunday 10 March 2030. Window 00:30-04:00 local
    # = 05:30Z-08:00Z; the second slot, 06:30Z (01:30 EST), ends at 07:15Z (03:15 EDT).
    app, sink = mail_app
    volunteer = make_user("volunteer", name="Zoe", timezone="America/New_York", rules=[(6, "00:30", "04:00")],
                          session_minutes=45, buffer_minutes=15)
    learner = make_user("learner", name="Priya", timezone="Asia/Kathmandu", language="en")
    start = datetime(2030, 3, 10, 6, 30, tzinfo=UTC)
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, start, "tutoring", "",
                                  now=datetime(2030, 3, 1, tzinfo=UTC)).id
    run_worker(app)
    uid = the_booking(app, booking_id).uid
    received = {m["To"].addresses[0].addr_spec: m for m in sink.messages()}
    for message in received.values():
        check_invite(message, "REQUEST", uid, 0, start, start + timedelta(minutes=45))
    zoe_text = plain(received[volunteer.email].get_body(("plain",)).get_content())
    assert "1:30 AM – 3:15 AM" in zoe_text
    assert "UTC-05:00, then UTC-04:00" in zoe_text  # both offsets named on the change day
    priya_text = plain(received[learner.email].get_body(("plain",)).get_content())
    assert "12:15 PM – 1:00 PM" in priya_text and "UTC+05:45" in priya_text


def test_no_note_cancel_reason_or_support_topic_in_any_byte_sent(mail_app, pair):
    app, sink = mail_app
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "support", SECRET_NOTE, now=NOW).id
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
        cancel_booking(learner.id, booking_id, reason="SECRET-REASON-3", now=NOW)
    assert run_worker(app) == 6
    for raw, message in zip(sink.raw(), sink.messages(), strict=True):
        text = decoded_text(message)
        for secret in ("SECRET-NOTE", "SECRET-REASON", SECRET_NOTE):
            assert secret.encode() not in raw and secret not in text
        for word in SUPPORT_WORDS:
            assert word not in text
        for data in (p.get_payload(decode=True) for p in calendar_parts(message)):
            assert b"SECRET" not in data.replace(b"\r\n ", b"")
    assert all(row.last_error is None for row in outbox_rows(app))


def test_a_message_sent_again_is_byte_for_byte_the_same(mail_app, pair):
    app, sink = mail_app
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    run_worker(app)
    with app.app_context():  # as if the worker died after sending, before recording it
        db.session.execute(update(OutboxMessage).values(sent_at=None))
        db.session.commit()
    run_worker(app)
    first, second = sink.raw()[:2], sink.raw()[2:]
    assert sorted(first) == sorted(second)
    ids = [m["Message-ID"] for m in sink.messages()]
    assert len(set(ids)) == 2 and sorted(ids[:2]) == sorted(ids[2:])


# --- meeting links -------------------------------------------------------------------


def test_meeting_rooms_are_unguessable_url_safe_and_stable(app, pair):
    token = meeting_token("uid-1@example.org", "secret")
    assert re.fullmatch(r"[A-Za-z0-9_-]{27}", token)  # 160 bits, base64url
    assert token == meeting_token("uid-1@example.org", "secret")
    assert token != meeting_token("uid-2@example.org", "secret")
    assert token != meeting_token("uid-1@example.org", "another secret")
    volunteer, learner = pair
    with app.app_context():
        booking = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
        assert meeting_url_for(booking) == f"https://meet.jit.si/tutoring-{meeting_token(booking.uid, 'test-secret-key')}"


def test_the_meeting_template_is_configurable_or_can_be_turned_off(make_app, pair):
    app = make_app(MEETING_URL_TEMPLATE="https://video.example.org/r/{token}?lang=ar")
    with app.app_context():
        assert re.fullmatch(r"https://video\.example\.org/r/[A-Za-z0-9_-]{27}\?lang=ar", meeting_url_for_uid("u@x"))
    off = make_app(MEETING_URL_TEMPLATE="")
    volunteer, learner = pair
    with off.app_context():
        assert meeting_url_for_uid("u@x") is None
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    rows = outbox_rows(off)
    assert len(rows) == 2
    for row in rows:
        message = email.message_from_bytes(row.message, policy=policy.default)
        for part in calendar_parts(message):
            [event] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
            assert "LOCATION" not in event and str(event["URL"]).endswith(f"/bookings/{row.booking_id}")
        assert "meet.jit.si" not in decoded_text(message) and "Join:" not in decoded_text(message)


# --- the room in the app ---------------------------------------------------------------


def test_pages_show_the_meeting_room_of_a_live_session_and_not_of_a_cancelled_one(app, client, pair, sign_in):
    volunteer, learner = pair
    with app.app_context():
        live = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
        gone = book_session(learner.id, volunteer.id, TUE_11, "tutoring", "", now=NOW)
        live_room, gone_room, live_id, gone_id = meeting_url_for(live), meeting_url_for(gone), live.id, gone.id
        cancel_booking(learner.id, gone_id, now=NOW)
    for user in (learner, volunteer):
        sign_in(user)
        detail = client.get(f"/bookings/{live_id}").get_data(as_text=True)
        assert f'href="{live_room}"' in detail
        assert gone_room not in client.get(f"/bookings/{gone_id}").get_data(as_text=True)
        sessions = client.get("/sessions").get_data(as_text=True)
        assert f'href="{live_room}"' in sessions and gone_room not in sessions
        dashboard = client.get("/me/").get_data(as_text=True)
        assert f'href="{live_room}"' in dashboard and gone_room not in dashboard
        download = client.get(f"/bookings/{live_id}.ics").data
        [event] = icalendar.Calendar.from_ical(download).walk("VEVENT")
        assert str(event["LOCATION"]) == live_room  # the download says what the invite says


def test_the_calendar_page_is_one_of_the_account_tabs(client, make_user, sign_in):
    sign_in(make_user("volunteer"))
    for path in ("/me/", "/me/profile", "/me/calendar"):
        assert 'href="/me/calendar"' in client.get(path).get_data(as_text=True), path
