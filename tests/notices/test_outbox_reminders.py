"""Reminders 24 h and 1 h before a session (TUTORING_REMINDER_HOURS), through the outbox, once each."""
from __future__ import annotations

import email
import threading
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.notices.test_outbox_support import (  # noqa: F401  (fixtures)
    NOW,
    SECRET_NOTE,
    SUPPORT_WORDS,
    TUE_10,
    TUE_11,
    decoded_text,
    outbox_rows,
    pair,
)
from tutoring.extensions import db
from tutoring.models import Booking
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.services.notices.outbox import eml_bytes
from tutoring.worker import Worker
from tutoring.services.notices.reminders import due_offset, parse_hours, queue_due_reminders


def book(app, learner, volunteer, start=TUE_10, kind="tutoring", note=SECRET_NOTE) -> int:
    with app.app_context():
        return book_session(learner.id, volunteer.id, start, kind, note, now=NOW).id


def queue_at(app, now: datetime) -> int:
    with app.app_context():
        return queue_due_reminders(now=now)


def reminders(app) -> list[str]:
    """The reminder rows' dedupe keys without the UID: ``<sequence>:<hours>:<recipient>``."""
    return [
        f"{row.dedupe_key.split(':')[2]}:{row.dedupe_key.split(':')[3]}:{row.recipient}"
        for row in outbox_rows(app)
        if row.kind == "reminder"
    ]


def message_of(row) -> email.message.EmailMessage:
    return email.message_from_bytes(eml_bytes(row.message), policy=policy.default)


def test_one_reminder_a_day_before_and_one_an_hour_before_for_each_party(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert queue_at(app, TUE_10 - timedelta(hours=25)) == 0
    assert queue_at(app, TUE_10 - timedelta(hours=24)) == 2
    assert queue_at(app, TUE_10 - timedelta(hours=24)) == 0  # already queued
    assert queue_at(app, TUE_10 - timedelta(hours=3)) == 0
    assert queue_at(app, TUE_10 - timedelta(minutes=59)) == 2
    assert queue_at(app, TUE_10 - timedelta(minutes=1)) == 0
    assert queue_at(app, TUE_10 + timedelta(minutes=1)) == 0  # started: nothing more
    assert sorted(reminders(app)) == [
        "0:1h:amira@example.org", "0:1h:maya@example.org", "0:24h:amira@example.org", "0:24h:maya@example.org"
    ]


def test_a_worker_that_was_down_sends_only_the_nearest_reminder(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert queue_at(app, TUE_10 - timedelta(minutes=30)) == 2
    assert sorted(reminders(app)) == ["0:1h:amira@example.org", "0:1h:maya@example.org"]


def test_a_session_booked_after_a_reminders_time_gets_only_the_later_one(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    with app.app_context():  # booked three hours before it starts
        db.session.execute(update(Booking).where(Booking.id == booking_id).values(updated_at=TUE_10 - timedelta(hours=3)))
        db.session.commit()
    assert queue_at(app, TUE_10 - timedelta(hours=2)) == 0
    assert queue_at(app, TUE_10 - timedelta(minutes=50)) == 2


def test_a_cancelled_session_gets_no_reminders(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    assert queue_at(app, TUE_10 - timedelta(hours=24)) == 2
    with app.app_context():
        cancel_booking(learner.id, booking_id, now=NOW)
    assert reminders(app) == []  # the unsent ones went with the cancellation
    assert queue_at(app, TUE_10 - timedelta(minutes=30)) == 0


def test_a_moved_session_gets_reminders_for_its_new_time(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer, TUE_10)
    assert queue_at(app, TUE_10 - timedelta(hours=24)) == 2
    with app.app_context():
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
    assert reminders(app) == []  # the old time's reminders were not sent yet: dropped
    # Half an hour before the old time, the new one (11:00) is 90 minutes away: its day-before reminder is due.
    assert queue_at(app, TUE_10 - timedelta(minutes=30)) == 2
    assert queue_at(app, TUE_11 - timedelta(minutes=59)) == 2
    assert sorted(reminders(app)) == [
        "1:1h:amira@example.org", "1:1h:maya@example.org", "1:24h:amira@example.org", "1:24h:maya@example.org"
    ]
    row = next(r for r in outbox_rows(app) if r.recipient == "maya@example.org" and r.kind == "reminder")
    assert "6:00 AM" in decoded_text(message_of(row)).replace("\u202f", " ")  # 11:00Z in New York


def test_a_sent_reminder_stays_and_the_moved_time_gets_its_own(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer, TUE_10)
    Worker(app, clock=lambda: TUE_10 - timedelta(hours=23)).run(once=True)  # 24h reminders queued and sent
    with app.app_context():
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
    Worker(app, clock=lambda: TUE_11 - timedelta(minutes=30)).run(once=True)
    assert sorted(reminders(app)) == [
        "0:24h:amira@example.org", "0:24h:maya@example.org", "1:1h:amira@example.org", "1:1h:maya@example.org"
    ]
    assert all(row.sent_at is not None for row in outbox_rows(app))


def test_the_worker_writes_reminders_in_each_recipients_language_and_zone(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer, kind="support")
    Worker(app, clock=lambda: TUE_10 - timedelta(minutes=40)).run(once=True)
    rows = {row.recipient: row for row in outbox_rows(app) if row.kind == "reminder"}
    maya, amira = message_of(rows["maya@example.org"]), message_of(rows["amira@example.org"])
    maya_text = maya.get_body(("plain",)).get_content().replace("\u202f", " ")
    assert maya["Subject"].startswith("Reminder: Session with Amira Hassan")
    assert "5:00 AM – 5:45 AM" in maya_text and "New York time (UTC-05:00)" in maya_text
    assert "https://meet.jit.si/tutoring-" in maya_text and "http://localhost/bookings/" in maya_text
    assert amira["Content-Language"] == "ar" and amira["Subject"].startswith("تذكير:")
    assert "تبدأ هذه الجلسة قريبًا" in amira.get_body(("plain",)).get_content()
    for message in (maya, amira):
        text = decoded_text(message)
        assert "SECRET" not in text and not any(word in text for word in SUPPORT_WORDS)
        assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 4  # two invites, two reminders


def test_writers_racing_for_one_reminder_leave_one_row(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    barrier = threading.Barrier(4)
    errors = []

    def writer() -> None:
        try:
            with app.app_context():
                barrier.wait()
                queue_due_reminders(now=TUE_10 - timedelta(minutes=30))
                db.session.remove()
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(reminders(app)) == ["0:1h:amira@example.org", "0:1h:maya@example.org"]


@pytest.mark.app_config(REMINDER_HOURS="2")
def test_the_offsets_are_configurable(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert queue_at(app, TUE_10 - timedelta(hours=24)) == 0
    assert queue_at(app, TUE_10 - timedelta(hours=2)) == 2
    assert sorted(reminders(app)) == ["0:2h:amira@example.org", "0:2h:maya@example.org"]


@pytest.mark.app_config(REMINDER_HOURS="")
def test_an_empty_setting_turns_reminders_off(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert queue_at(app, TUE_10 - timedelta(minutes=30)) == 0


@pytest.mark.parametrize(
    ("value", "hours"),
    [(None, (24.0, 1.0)), ("24,1", (24.0, 1.0)), ("1, 24", (24.0, 1.0)), (24, (24.0,)), ([48, 0.5], (48.0, 0.5)),
     ("[2, 1]", (2.0, 1.0)), ("", ()), ("0.25", (0.25,))],
)
def test_reminder_hours_are_read_from_the_usual_forms(value, hours):
    assert parse_hours(value) == hours


@pytest.mark.parametrize("value", ["soon", "0", "-1", "1000", {"h": 1}, "24,,x"])
def test_nonsense_reminder_hours_are_refused(value):
    with pytest.raises(ValueError):
        parse_hours(value)


def test_the_worker_refuses_to_start_with_nonsense_reminder_hours(make_app):
    app = make_app(REMINDER_HOURS="soon")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0 and "REMINDER_HOURS" in result.output


def test_due_offset_reads_like_the_rules():
    start = datetime(2030, 1, 8, 10, 0)
    made = start - timedelta(days=3)
    assert due_offset(start, made, (24, 1), start - timedelta(hours=25)) is None
    assert due_offset(start, made, (24, 1), start - timedelta(hours=24)) == 24
    assert due_offset(start, made, (24, 1), start - timedelta(hours=1)) == 1
    assert due_offset(start, made, (24, 1), start) is None
    assert due_offset(start, start - timedelta(hours=2), (24, 1), start - timedelta(hours=1, minutes=30)) is None


def test_every_reminder_and_feed_string_has_an_arabic_translation():
    """The words the worker writes are marked with N_ (not seen by the app-wide check): each has Arabic."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in ("tutoring/services/notices/notifications.py", "tutoring/feeds/views.py"):
        for _line, message, _comments, _context in extract_from_file("python", str(root / path)):
            found.add(message if isinstance(message, str) else message[0])
    assert "Reminder: %(title)s, %(when)s" in found
    with (root / "translations/ar/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = read_po(po)
    missing = [m for m in sorted(found) if not (catalogue.get(m) and catalogue.get(m).string)]
    assert missing == []
