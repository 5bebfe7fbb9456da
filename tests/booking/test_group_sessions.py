"""Group sessions through the services and pages: seats, their privacy, and the volunteer's cancelling.

Runs on SQLite and PostgreSQL. The clock is passed in (``now=NOW``).
"""
from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, Booking, OutboxMessage, Session, User, VolunteerProfile
from tutoring.booking.errors import BookingStateError, InvalidBooking, SlotUnavailable
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.booking.groups import cancel_session, learners_of
from tutoring.booking.slots import slots_in_range

# Monday 7 January 2030, 08:00 UTC; the volunteer (Europe/London, UTC in
# winter) offers a group window on Tuesdays 10:00-12:00 (45 + 15 minutes):
# group slots at 10:00 and 11:00 on Tuesday 8 January.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 11, 0, tzinfo=UTC)


def make_group_volunteer(app, make_user, capacity: int, **fields) -> User:
    """A volunteer whose Tuesday 10:00-12:00 window is a group window of ``capacity`` seats."""
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "10:00", "12:00")], **fields)
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = capacity
        db.session.commit()
    return volunteer


def offered(app, volunteer_id: int) -> list[tuple[datetime, int, int]]:
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer_id)
        return [(s.start_at, s.capacity, s.seats_left) for s in slots_in_range(profile, TUE_10, TUE_11 + timedelta(hours=1), NOW)]


@pytest.fixture
def group(app, make_user):
    return make_group_volunteer(app, make_user, 3)


def test_learners_fill_one_session_seat_by_seat_and_the_slot_goes_when_full(app, make_user, group):
    learners = [make_user("learner", timezone="Asia/Kathmandu") for _ in range(4)]
    assert offered(app, group.id) == [(TUE_10, 3, 3), (TUE_11, 3, 3)]
    with app.app_context():
        first = book_session(learners[0].id, group.id, TUE_10, "tutoring", note="first note", now=NOW)
        assert first.session.capacity == 3
    assert offered(app, group.id) == [(TUE_10, 3, 2), (TUE_11, 3, 3)]
    with app.app_context():
        second = book_session(learners[1].id, group.id, TUE_10, "tutoring", now=NOW)
        third = book_session(learners[2].id, group.id, TUE_10, "tutoring", now=NOW)
        assert second.session_id == third.session_id == first.session_id
        assert len({first.uid, second.uid, third.uid}) == 3  # every seat its own calendar entry
    assert offered(app, group.id) == [(TUE_11, 3, 3)]
    with app.app_context():
        with pytest.raises(SlotUnavailable):
            book_session(learners[3].id, group.id, TUE_10, "tutoring", now=NOW)
        assert db.session.scalar(select(Session).where(Session.volunteer_id == group.id)).capacity == 3
        assert len(list(db.session.scalars(select(Session)))) == 1
        assert len(list(db.session.scalars(select(Booking)))) == 3


def test_a_learner_gets_one_seat_only_and_must_book_the_sessions_kind(app, make_user, group):
    learner, other = make_user("learner"), make_user("learner")
    with app.app_context():
        book_session(learner.id, group.id, TUE_10, "tutoring", now=NOW)
        with pytest.raises(SlotUnavailable) as twice:
            book_session(learner.id, group.id, TUE_10, "tutoring", now=NOW)
        assert "already have a seat" in twice.value.message
        with pytest.raises(InvalidBooking) as kind:
            book_session(other.id, group.id, TUE_10, "mentoring", now=NOW)
        assert kind.value.field == "kind"
        assert len(list(db.session.scalars(select(Booking)))) == 1


def test_a_cancelled_seat_is_offered_again_and_the_last_one_frees_the_time(app, make_user, group):
    a, b = make_user("learner"), make_user("learner")
    with app.app_context():
        seat_a = book_session(a.id, group.id, TUE_10, "tutoring", now=NOW).id
        seat_b = book_session(b.id, group.id, TUE_10, "tutoring", now=NOW).id
    assert offered(app, group.id)[0] == (TUE_10, 3, 1)
    with app.app_context():
        cancel_booking(a.id, seat_a, now=NOW)
    assert offered(app, group.id)[0] == (TUE_10, 3, 2)
    with app.app_context():
        cancel_booking(b.id, seat_b, now=NOW)
        assert db.session.scalar(select(Session)).status == "cancelled"
    assert offered(app, group.id)[0] == (TUE_10, 3, 3)  # a fresh group slot again


def test_a_seat_in_a_group_session_is_not_moved(app, make_user, group):
    learner = make_user("learner")
    with app.app_context():
        seat = book_session(learner.id, group.id, TUE_10, "tutoring", now=NOW).id
        with pytest.raises(BookingStateError):
            reschedule_booking(learner.id, seat, TUE_11, now=NOW)


def test_one_to_one_windows_still_make_one_to_one_sessions(app, make_user):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "10:00", "12:00")])
    a, b = make_user("learner"), make_user("learner")
    assert offered(app, volunteer.id) == [(TUE_10, 1, 1), (TUE_11, 1, 1)]
    with app.app_context():
        assert book_session(a.id, volunteer.id, TUE_10, "tutoring", now=NOW).session.capacity == 1
        with pytest.raises(SlotUnavailable):
            book_session(b.id, volunteer.id, TUE_10, "tutoring", now=NOW)


def messages_to(address: str) -> list[email.message.Message]:
    return [email.message_from_bytes(row.message) for row in
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.id))]


def calendar_parts(message: email.message.Message) -> list[Calendar]:
    return [Calendar.from_ical(part.get_payload(decode=True)) for part in message.walk()
            if part.get_content_type() == "text/calendar"]


def addresses_in(message: email.message.Message) -> set[str]:
    """Every address in the message: headers, bodies and calendar parts, decoded."""
    found = set()
    for value in message.values():
        found |= set(re.findall(r"[\w.+-]+@[\w.-]+", str(value)))
    for part in message.walk():
        if not part.is_multipart():
            found |= set(re.findall(r"[\w.+-]+@[\w.-]+", part.get_payload(decode=True).decode("utf-8", "replace")))
    return found


def text_of(message: email.message.Message) -> str:
    """Every header and decoded part of the message as one text."""
    parts = [str(value) for value in message.values()]
    parts += [part.get_payload(decode=True).decode("utf-8", "replace") for part in message.walk() if not part.is_multipart()]
    return "\n".join(parts)


def test_each_learner_is_invited_to_their_own_seat_with_no_other_learners_address(app, make_user, group, client):
    learners = [make_user("learner", email=f"seat{n}@learners.example", name=f"Seatholder {word}")
                for n, word in enumerate(("Alif", "Ba", "Ta"))]
    with app.app_context():
        seats = [book_session(learner.id, group.id, TUE_10, "tutoring", now=NOW) for learner in learners]
        uids = [seat.uid for seat in seats]
        for index, learner in enumerate(learners):
            (invite,) = messages_to(learner.email)
            others = {other.email for other in learners} - {learner.email}
            assert not addresses_in(invite) & others
            other_names = {other.display_name for other in learners} - {learner.display_name}
            assert not any(name in text_of(invite) for name in other_names)
            (calendar,) = {c.to_ical(): c for c in calendar_parts(invite)}.values()
            (event,) = calendar.walk("VEVENT")
            assert str(event["UID"]) == uids[index]
            assert str(event.get("ATTENDEE")).removeprefix("mailto:").lower() == learner.email  # no one else's address
        # The volunteer gets one invite for the session (its own UID), naming no learner
        # (tests/test_group_calendar.py has the details).
        (to_volunteer,) = messages_to(group.email)
        volunteer_text = str(calendar_parts(to_volunteer)[0].to_ical(), "utf-8")
        assert not any(learner.email in volunteer_text for learner in learners)
        assert str(calendar_parts(to_volunteer)[0].walk("VEVENT")[0]["UID"]) not in uids

    # A learner's own feed: their seat, no one else's address.
    with app.app_context():
        token = db.session.get(User, learners[1].id).calendar_token
    feed = client.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    body = feed.get_data(as_text=True)
    assert learners[0].email not in body and learners[2].email not in body
    assert "Seatholder Alif" not in body and "Seatholder Ta" not in body
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [uids[1]]
    attendees = events[0].get("ATTENDEE") or []
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert {str(a).removeprefix("mailto:").lower() for a in attendees} <= {learners[1].email, group.email}


def test_the_volunteer_cancelling_the_session_tells_every_seat(app, make_user, group):
    learners = [make_user("learner") for _ in range(3)]
    with app.app_context():
        seats = [book_session(learner.id, group.id, TUE_10, "tutoring", now=NOW) for learner in learners]
        session_id = seats[0].session_id
        cancel_booking(learners[2].id, seats[2].id, now=NOW)  # already gone: not told twice
        cancel_session(group.id, session_id, reason="I am ill", now=NOW)
        assert db.session.get(Session, session_id).status == "cancelled"
        for learner, seat in zip(learners, seats, strict=True):
            kinds = [row.kind for row in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient == learner.email).order_by(OutboxMessage.id))]
            assert kinds == ["booked", "cancelled"]
            (cancel,) = calendar_parts(messages_to(learner.email)[-1])[:1]
            assert str(cancel["METHOD"]) == "CANCEL"
            (event,) = cancel.walk("VEVENT")
            assert str(event["UID"]) == seat.uid and int(event["SEQUENCE"]) == 1
    assert offered(app, group.id)[0] == (TUE_10, 3, 3)


def test_only_the_sessions_volunteer_may_cancel_it(app, make_user, group):
    learner, stranger = make_user("learner"), make_user("volunteer")
    with app.app_context():
        session_id = book_session(learner.id, group.id, TUE_10, "tutoring", now=NOW).session_id
        from tutoring.booking.errors import BookingNotFound
        for who in (learner.id, stranger.id):
            with pytest.raises(BookingNotFound):
                cancel_session(who, session_id, now=NOW)
        assert db.session.get(Session, session_id).status == "confirmed"
        assert [u.id for u in learners_of(db.session.get(Session, session_id))] == [learner.id]
