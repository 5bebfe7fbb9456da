"""A series in calendars (issue 9): invites and feeds read by two independent parsers agree with the app.

One event per week, each with its own UID (docs/SERIES.md). After booking
six weeks across London's clock change, cancelling week 3 and moving week 2,
a calendar client that applies every invite in order (REQUEST adds or
replaces by UID when SEQUENCE is higher, CANCEL removes) ends with exactly
the app's confirmed weeks; the feed lists the same confirmed weeks and the
cancelled one as STATUS:CANCELLED. ``icalendar`` and ``ical``
(allenporter/ical) share no code.
"""
from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import icalendar
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.feeds.service import feed_cache
from tutoring.models import Booking, OutboxMessage, User
from tutoring.booking.operations import cancel_booking, reschedule_booking
from tutoring.booking.series import book_series, occurrences

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_icalendar(data: bytes) -> tuple[str | None, list[tuple[str, int, datetime, str]]]:
    calendar = icalendar.Calendar.from_ical(data)
    method = calendar.get("METHOD")
    events = [(str(e["UID"]), int(e.get("SEQUENCE", 0)), e.start.astimezone(UTC), str(e.get("STATUS")))
              for e in calendar.walk("VEVENT")]
    return (str(method) if method else None), events


def read_ical(data: bytes) -> tuple[str | None, list[tuple[str, int, datetime, str]]]:
    stream = IcsCalendarStream.from_ics(data.decode("utf-8"))
    calendar = stream.calendars[0]
    events = [(e.uid, e.sequence or 0, e.dtstart.astimezone(UTC), e.status.value if e.status else "None")
              for e in calendar.events]
    return calendar.method, events


PARSERS = {"icalendar": read_icalendar, "ical": read_ical}


def apply_invites(messages: list[bytes], read) -> dict[str, datetime]:
    """What a calendar holds after receiving ``messages`` in order: UID -> start."""
    held: dict[str, tuple[int, datetime]] = {}
    removed: dict[str, int] = {}
    for raw in messages:
        message = email.message_from_bytes(raw, policy=policy.default)
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        method, events = read(part.get_payload(decode=True))
        assert method == part.get_param("method")
        for uid, sequence, start, _status in events:
            if sequence < max(held.get(uid, (-1,))[0], removed.get(uid, -1)):
                continue  # an older update: clients drop it
            if method == "CANCEL":
                held.pop(uid, None)
                removed[uid] = sequence
            else:
                held[uid] = (sequence, start)
    return {uid: start for uid, (_sequence, start) in held.items()}


def test_invites_and_feeds_agree_with_the_app_after_cancel_one_and_move_one(app, client, make_user):
    volunteer = make_user("volunteer", name="Amira", email="amira@example.org", timezone="Europe/London",
                          language="ar", rules=[(1, "18:00", "20:00")], horizon_days=365)
    learner = make_user("learner", name="Noor", email="noor@example.org", timezone="Asia/Riyadh")
    with app.app_context():
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 6, "tutoring", now=NOW)
        ids = [b.id for b in result.bookings]
        cancel_booking(learner.id, ids[2], now=NOW)
        reschedule_booking(volunteer.id, ids[1], utc("2027-03-23T19:00:00Z"), now=NOW)
        series = db.session.get(Booking, ids[0]).series
        app_confirmed = {b.uid: b.session.start_at for b in occurrences(series) if b.status == "confirmed"}
        app_cancelled = {b.uid: b.session.start_at for b in occurrences(series) if b.status == "cancelled"}
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        by_recipient: dict[str, list[bytes]] = {}
        for row in rows:
            by_recipient.setdefault(row.recipient, []).append(row.message)
        tokens = {user.email: db.session.get(User, user.id).calendar_token for user in (volunteer, learner)}

    # The app's own view: 5 weeks at 18:00 London time except the moved one, week 3 cancelled.
    assert sorted(app_confirmed.values()) == [utc("2027-03-16T18:00:00Z"), utc("2027-03-23T19:00:00Z"),
                                              utc("2027-04-06T17:00:00Z"), utc("2027-04-13T17:00:00Z"),
                                              utc("2027-04-20T17:00:00Z")]
    assert list(app_cancelled.values()) == [utc("2027-03-30T17:00:00Z")]

    for address in ("amira@example.org", "noor@example.org"):
        # 6 booked + 1 cancelled + 1 moved invite for each person.
        assert len(by_recipient[address]) == 8
        for name, read in PARSERS.items():
            assert apply_invites(by_recipient[address], read) == app_confirmed, (address, name)

        feed_cache.clear()
        feed = client.get(f"/calendar/{tokens[address]}.ics")
        assert feed.status_code == 200
        for name, read in PARSERS.items():
            method, events = read(feed.data)
            assert method is None, name
            confirmed = {uid: start for uid, _seq, start, status in events if status == "CONFIRMED"}
            cancelled = {uid: start for uid, _seq, start, status in events if status == "CANCELLED"}
            assert confirmed == app_confirmed, (address, name)
            assert cancelled == app_cancelled, (address, name)
            # Each week is its own event: no recurrence for a client to expand differently.
            assert b"RRULE" not in feed.data and b"RECURRENCE-ID" not in feed.data
