"""A group session is one event in its volunteer's calendar: invites, feed and reminders (docs/GROUPS.md).

Runs on SQLite and PostgreSQL. The clock is passed in (``now=NOW``). Every
calendar is parsed with ``icalendar``.
"""
from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, OutboxMessage, User
from tutoring.booking.operations import book_session, cancel_booking
from tutoring.booking.groups import cancel_session
from tutoring.services.notices.meeting import meeting_url_for
from tutoring.services.notices.reminders import queue_due_reminders

# Monday 7 January 2030, 08:00 UTC; the volunteer (Europe/London) offers a
# 3-seat group window on Tuesdays 10:00-12:00: group slots at 10:00 and 11:00.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")


@pytest.fixture
def group(app, make_user) -> User:
    volunteer = make_user("volunteer", email="teacher@volunteers.example", name="Teacher Amira",
                          timezone="Europe/London", rules=[(1, "10:00", "12:00")])
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = 3
        db.session.commit()
    return volunteer


@pytest.fixture
def learners(make_user) -> list[User]:
    return [make_user("learner", email=f"seat{n}@learners.example", name=f"Seatholder {word}",
                      timezone="Asia/Kathmandu")
            for n, word in enumerate(("Alif", "Ba", "Ta"))]


def rows_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def calendar_of(row: OutboxMessage) -> Calendar:
    """The inline text/calendar part of a queued message (the attachment holds the same bytes)."""
    message = email.message_from_bytes(row.message)
    (calendar,) = {part.get_payload(decode=True): Calendar.from_ical(part.get_payload(decode=True))
                   for part in message.walk() if part.get_content_type() in ("text/calendar", "application/ics")
                   }.values()
    return calendar


def text_of(row: OutboxMessage) -> str:
    message = email.message_from_bytes(row.message)
    parts = [str(value) for value in message.values()]
    parts += [part.get_payload(decode=True).decode("utf-8", "replace") for part in message.walk()
              if not part.is_multipart()]
    return "\n".join(parts)


def attendees_of(event) -> set[str]:
    found = event.get("ATTENDEE") or []
    found = found if isinstance(found, list) else [found]
    return {str(a).removeprefix("mailto:").lower() for a in found}


def book_all(group: User, learners: list[User]) -> list:
    return [book_session(learner.id, group.id, TUE_10, "tutoring", note=f"private note {n}", now=NOW)
            for n, learner in enumerate(learners)]


def test_three_seats_give_the_volunteer_one_invite_and_each_learner_their_own(app, group, learners):
    with app.app_context():
        seats = book_all(group, learners)
        session_id = seats[0].session_id
        seat_uids = [seat.uid for seat in seats]
        (invite,) = rows_to(group.email)  # the first seat's REQUEST; later seats change nothing for them
        calendar = calendar_of(invite)
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"session-{session_id}@localhost"
        assert str(event["UID"]) not in seat_uids
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == TUE_10
        # Only the volunteer is an attendee; no learner's name, address or note anywhere in the message.
        assert attendees_of(event) == {group.email}
        text = text_of(invite)
        assert not any(learner.email in text or learner.display_name in text for learner in learners)
        assert "private note" not in text
        assert str(event["SUMMARY"]) == "Tutoring session"
        assert f"/group-sessions/{session_id}" in str(event["DESCRIPTION"])

        for learner, uid in zip(learners, seat_uids, strict=True):
            (row,) = rows_to(learner.email)
            (seat_event,) = calendar_of(row).walk("VEVENT")
            assert str(seat_event["UID"]) == uid and int(seat_event["SEQUENCE"]) == 0
            # The learner alone attends their copy: the volunteer's address never reaches them (SPEC §7).
            assert attendees_of(seat_event) == {learner.email}
            assert set(EMAIL.findall(text_of(row))) & {other.email for other in learners} == {learner.email}
            assert group.email not in text_of(row).lower()
            # Everyone meets in the session's one room.
            assert str(seat_event["LOCATION"]) == str(event["LOCATION"])


def test_cancelling_the_session_gives_the_volunteer_one_cancel_with_a_higher_sequence(app, group, learners):
    with app.app_context():
        seats = book_all(group, learners)
        cancel_session(group.id, seats[0].session_id, reason="I am ill", now=NOW)
        rows = rows_to(group.email)
        assert [row.kind for row in rows] == ["booked", "cancelled"]
        events = [calendar_of(row).walk("VEVENT")[0] for row in rows]
        methods = [str(calendar_of(row)["METHOD"]) for row in rows]
        assert methods == ["REQUEST", "CANCEL"]
        assert len({str(e["UID"]) for e in events}) == 1
        assert [int(e["SEQUENCE"]) for e in events] == [0, 1]
        assert str(events[1]["STATUS"]) == "CANCELLED"
        assert attendees_of(events[1]) == {group.email}
        assert "I am ill" not in text_of(rows[1])
        for learner, seat in zip(learners, seats, strict=True):
            learner_rows = rows_to(learner.email)
            assert [row.kind for row in learner_rows] == ["booked", "cancelled"]
            (event,) = calendar_of(learner_rows[1]).walk("VEVENT")
            assert str(event["UID"]) == seat.uid and int(event["SEQUENCE"]) == 1


def test_the_last_seat_cancelled_cancels_the_volunteers_event_once(app, group, learners):
    with app.app_context():
        seats = book_all(group, learners[:2])
        cancel_booking(learners[0].id, seats[0].id, now=NOW)
        assert [row.kind for row in rows_to(group.email)] == ["booked"]  # one seat left: nothing changes for them
        cancel_booking(group.id, seats[1].id, now=NOW)
        rows = rows_to(group.email)
        assert [row.kind for row in rows] == ["booked", "cancelled"]
        (event,) = calendar_of(rows[1]).walk("VEVENT")
        assert int(event["SEQUENCE"]) == 1 and str(event["UID"]) == f"session-{seats[0].session_id}@localhost"


def test_the_volunteers_feed_has_one_event_per_group_session(app, client, group, learners):
    with app.app_context():
        seats = book_all(group, learners)
        session_id = seats[0].session_id
        volunteer_token = db.session.get(User, group.id).calendar_token
        learner_tokens = [db.session.get(User, learner.id).calendar_token for learner in learners]
        room = meeting_url_for(seats[0])
        seat_uids = [seat.uid for seat in seats]
    response = client.get(f"/calendar/{volunteer_token}.ics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert not any(learner.email in body or learner.display_name in body for learner in learners)
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["UID"]) == f"session-{session_id}@localhost"
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 0
    assert str(event["LOCATION"]) == room

    # Each learner's feed: their own seat only.
    for learner, token, uid in zip(learners, learner_tokens, seat_uids, strict=True):
        learner_feed = client.get(f"/calendar/{token}.ics")
        (seat_event,) = Calendar.from_ical(learner_feed.data).walk("VEVENT")
        assert str(seat_event["UID"]) == uid
        assert str(seat_event["LOCATION"]) == room
        others = {other.email for other in learners} - {learner.email}
        assert not others & set(EMAIL.findall(learner_feed.get_data(as_text=True)))

    with app.app_context():
        cancel_session(group.id, session_id, now=NOW)
    (cancelled,) = Calendar.from_ical(client.get(f"/calendar/{volunteer_token}.ics").data).walk("VEVENT")
    assert str(cancelled["UID"]) == str(event["UID"])
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1


def test_a_support_group_keeps_the_neutral_title(app, make_user):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "10:00", "12:00")], kinds=["support"])
    learner = make_user("learner")
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = 5
        db.session.commit()
        book_session(learner.id, volunteer.id, TUE_10, "support", now=NOW)
        (invite,) = rows_to(volunteer.email)
        (event,) = calendar_of(invite).walk("VEVENT")
        assert str(event["SUMMARY"]) == "Session"
        assert "support" not in text_of(invite).lower()


def test_the_volunteer_gets_one_reminder_per_group_session(app, group, learners):
    with app.app_context():
        seats = book_all(group, learners)
        session_uid = f"session-{seats[0].session_id}@localhost"
        queue_due_reminders(now=TUE_10 - timedelta(minutes=30))
        queue_due_reminders(now=TUE_10 - timedelta(minutes=20))  # a second poll adds nothing
        reminders = [row for row in rows_to(group.email) if row.kind == "reminder"]
        assert [row.dedupe_key for row in reminders] == [f"reminder:{session_uid}:0:1h:{group.id}"]
        text = text_of(reminders[0])
        assert not any(learner.email in text or learner.display_name in text for learner in learners)
        for learner, seat in zip(learners, seats, strict=True):
            (own,) = [row for row in rows_to(learner.email) if row.kind == "reminder"]
            assert own.dedupe_key == f"reminder:{seat.uid}:0:1h:{learner.id}"


def test_cancelling_the_session_drops_the_volunteers_unsent_reminder(app, group, learners):
    with app.app_context():
        seats = book_all(group, learners[:1])
        queue_due_reminders(now=TUE_10 - timedelta(hours=2))  # the 24-hour reminder, not sent yet
        assert [row.kind for row in rows_to(group.email)] == ["booked", "reminder"]
        cancel_session(group.id, seats[0].session_id, now=TUE_10 - timedelta(hours=2))
        assert [row.kind for row in rows_to(group.email)] == ["booked", "cancelled"]


def test_the_volunteers_add_to_calendar_file_from_a_seat_is_the_sessions_event(app, client, sign_in, group, learners):
    with app.app_context():
        seats = book_all(group, learners[:2])
        seat_id, seat_uid, session_id = seats[1].id, seats[1].uid, seats[1].session_id
    sign_in(group)
    (event,) = Calendar.from_ical(client.get(f"/bookings/{seat_id}.ics").data).walk("VEVENT")
    assert str(event["UID"]) == f"session-{session_id}@localhost"
    assert learners[1].display_name not in str(event["SUMMARY"])
    sign_in(learners[1])
    (own,) = Calendar.from_ical(client.get(f"/bookings/{seat_id}.ics").data).walk("VEVENT")
    assert str(own["UID"]) == seat_uid
