"""The transactional outbox: rows written with the booking change, claimed once, retried with back-off, never lost."""
from __future__ import annotations

import email
import random
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.notices.test_outbox_support import (  # noqa: F401  (fixtures)
    NOW,
    SECRET_NOTE,
    TUE_10,
    TUE_11,
    decoded_text,
    outbox_rows,
    pair,
    run_worker,
    smtp_sink,
)
from tutoring.extensions import db
from tutoring.mail import send_mail
from tutoring.models import Booking, OutboxMessage, User
from tutoring.services.notices import outbox
from tutoring.booking.errors import SlotUnavailable
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.services.notices.outbox import Claimed, claim, error_text, mark_failed, retry_delay
from tutoring.worker import Worker


def book(app, learner, volunteer, start=TUE_10, kind="tutoring", note=SECRET_NOTE):
    with app.app_context():
        return book_session(learner.id, volunteer.id, start, kind, note, now=NOW).id


# --- written in the same transaction ------------------------------------------------


def test_a_booking_writes_one_message_per_party_in_its_own_transaction(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    rows = outbox_rows(app)
    assert sorted((row.kind, row.recipient) for row in rows) == [
        ("booked", "amira@example.org"), ("booked", "maya@example.org")
    ]
    assert all(row.booking_id == booking_id and row.sent_at is None and row.attempts == 0 for row in rows)
    assert all(row.sender == "tutoring@example.org" for row in rows)


def test_a_refused_booking_writes_no_message(app, pair, make_user):
    volunteer, learner = pair
    book(app, learner, volunteer)
    other = make_user("learner")
    with app.app_context(), pytest.raises(SlotUnavailable):
        book_session(other.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    assert len(outbox_rows(app)) == 2  # only the first booking's


def test_a_failure_after_queuing_rolls_the_messages_back_with_the_booking(app, pair, monkeypatch):
    volunteer, learner = pair
    from tutoring.services.notices import notifications

    real = notifications.queue_booking_messages

    def queue_then_fail(booking, change, **kwargs):
        real(booking, change, **kwargs)
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(notifications, "queue_booking_messages", queue_then_fail)
    with app.app_context(), pytest.raises(RuntimeError):
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Booking)) == 0
    assert outbox_rows(app) == []


def test_reschedule_and_cancel_each_queue_one_message_per_party_with_the_next_sequence(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    with app.app_context():
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
    with app.app_context():
        cancel_booking(volunteer.id, booking_id, reason="SECRET-REASON-99", now=NOW)
        uid = db.session.get(Booking, booking_id).uid
    keys = sorted(row.dedupe_key for row in outbox_rows(app))
    assert keys == sorted(
        f"{change}:{uid}:{sequence}:{user.id}"
        for change, sequence in (("booked", 0), ("rescheduled", 1), ("cancelled", 2))
        for user in (volunteer, learner)
    )


def test_no_note_or_cancel_reason_is_ever_in_a_queued_message(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer, kind="support")
    with app.app_context():
        cancel_booking(learner.id, booking_id, reason="SECRET-REASON-99", now=NOW)
    for row in outbox_rows(app):
        text = decoded_text(email.message_from_bytes(row.message, policy=policy.default))
        for secret in (SECRET_NOTE, "SECRET-NOTE", "SECRET-REASON"):
            assert secret.encode() not in row.message
            assert secret not in text
        assert "support" not in text.lower() and "دعم" not in text
        assert "SECRET" not in (row.subject or "") + (row.last_error or "")


def test_messages_are_stored_as_wire_bytes_with_crlf_lines(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    for row in outbox_rows(app):
        assert b"\r\n" in row.message
        assert b"\n" not in row.message.replace(b"\r\n", b"")
        assert max(row.message) < 128  # 7-bit: quoted-printable and base64 parts


def test_an_invite_rows_subject_and_sender_are_what_its_bytes_say(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    rows = outbox_rows(app)
    assert {row.recipient for row in rows} == {volunteer.email, learner.email}
    for row in rows:
        message = email.message_from_bytes(row.message, policy=policy.default)
        assert not message.defects
        assert str(message["Subject"]) == row.subject and row.subject.strip()
        assert message["From"].addresses[0].addr_spec == row.sender
        assert message["To"].addresses[0].addr_spec == row.recipient
        assert max(len(line) for line in row.message.split(b"\r\n")) <= 78


# --- claiming ----------------------------------------------------------------------


def queue_plain(app, count: int) -> list[int]:
    with app.app_context():
        for number in range(count):
            send_mail(f"person{number}@example.org", f"Hello {number}", "Text.\n")
        return [row.id for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_claimed_row_is_not_claimed_again_until_its_lock_expires(app):
    [row_id] = queue_plain(app, 1)
    with app.app_context():
        first = claim("worker-a", 10, timedelta(minutes=5), now=NOW)
        assert [m.id for m in first] == [row_id]
        assert claim("worker-b", 10, timedelta(minutes=5), now=NOW + timedelta(minutes=4)) == []
        # worker-a died: after its lock ran out, worker-b takes the row over.
        again = claim("worker-b", 10, timedelta(minutes=5), now=NOW + timedelta(minutes=5, seconds=1))
        assert [m.id for m in again] == [row_id]
        assert db.session.get(OutboxMessage, row_id).locked_by == "worker-b"


def test_concurrent_claimers_never_get_the_same_row(app):
    ids = queue_plain(app, 40)
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claimer(name: str) -> None:
        mine: list[int] = []
        with app.app_context():
            barrier.wait()
            while batch := claim(name, 3, timedelta(minutes=5)):
                mine += [m.id for m in batch]
            db.session.remove()
        got[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [row_id for rows in got.values() for row_id in rows]
    assert sorted(claimed) == ids  # every row once, none twice


def test_a_failure_counts_an_attempt_keeps_the_error_and_backs_off(app):
    [row_id] = queue_plain(app, 1)
    with app.app_context():
        [claimed] = claim("w", 10, timedelta(minutes=5), now=NOW)
        mark_failed(claimed, "w", ConnectionRefusedError(111, "Connection refused"), now=NOW)
        row = db.session.get(OutboxMessage, row_id)
        assert row.attempts == 1 and row.sent_at is None and row.locked_until is None
        assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
        assert NOW + timedelta(seconds=15) <= row.next_attempt_at <= NOW + timedelta(seconds=30)
        assert claim("w", 10, timedelta(minutes=5), now=NOW + timedelta(seconds=10)) == []


def test_back_off_doubles_with_jitter_and_is_capped():
    rng = random.Random(5)
    delays = [retry_delay(n, 30, 3600, rng).total_seconds() for n in range(12)]
    for attempts, delay in enumerate(delays):
        ceiling = min(3600, 30 * 2**attempts)
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 3) for d in delays}) == len(delays)  # jittered, not lock-step
    assert retry_delay(10_000, 30, 3600).total_seconds() <= 3600


def test_error_text_names_the_smtp_reply_on_one_line():
    import smtplib

    error = smtplib.SMTPDataError(451, b"4.3.0 Try again\r\nlater")
    assert error_text(error) == "SMTPDataError: 451 4.3.0 Try again later"
    assert len(error_text("x" * 5000)) == 1000


def test_a_worker_releases_claims_it_cannot_finish_before_its_lock_runs_out(app):
    queue_plain(app, 3)
    clock = iter([NOW, NOW, NOW + timedelta(minutes=10), NOW + timedelta(minutes=10)])
    worker = Worker(app, clock=lambda: next(clock, NOW + timedelta(minutes=10)))
    with app.app_context():
        claimed, sent = worker.send_batch()
        assert (claimed, sent) == (3, 0)
        assert all(row.locked_by is None for row in db.session.scalars(select(OutboxMessage)))


# --- delivering ----------------------------------------------------------------------


def test_without_mail_server_the_worker_writes_eml_files_and_marks_them_sent(app, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert run_worker(app) == 2
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    rows = outbox_rows(app)
    assert [path.read_bytes() for path in files] == [outbox.eml_bytes(row.message) for row in rows]
    assert all(row.sent_at is not None for row in rows)
    assert run_worker(app) == 0  # nothing due any more


def test_writing_an_eml_again_replaces_it(tmp_path):
    message = Claimed(7, datetime(2030, 1, 1, tzinfo=UTC), "a@example.org", "b@example.org", b"Subject: x\r\n\r\nx\r\n", 0)
    first = outbox.write_eml_file(message, tmp_path)
    second = outbox.write_eml_file(message, tmp_path)
    assert first == second and [p.name for p in tmp_path.iterdir()] == [first.name]


def test_the_worker_sends_over_smtp_and_each_row_arrives_once(make_app, pair, smtp_sink):
    port, sink = smtp_sink
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    volunteer, learner = pair
    book(app, learner, volunteer)
    assert run_worker(app) == 2
    assert sorted(env.rcpt_tos[0] for env in sink.received) == ["amira@example.org", "maya@example.org"]
    assert all(env.mail_from == "tutoring@example.org" for env in sink.received)
    stored = {row.recipient: row.message for row in outbox_rows(app)}
    for envelope in sink.received:
        assert envelope.original_content.rstrip(b"\r\n") == stored[envelope.rcpt_tos[0]].rstrip(b"\r\n")
    assert not Path(app.config["MAIL_OUTBOX_DIR"]).exists()


def test_a_refusing_server_gets_the_message_again_later_and_it_arrives(make_app, pair, smtp_sink):
    port, sink = smtp_sink
    sink.refuse_first = 2
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, OUTBOX_RETRY_BASE_SECONDS=0.01)
    volunteer, learner = pair
    book(app, learner, volunteer)
    run_worker(app)  # both refused once (or one refused twice): they wait for their retry
    for _ in range(50):
        if all(row.sent_at for row in outbox_rows(app)):
            break
        run_worker(app)
    rows = outbox_rows(app)
    assert all(row.sent_at is not None for row in rows)
    assert sum(row.attempts for row in rows) == 2
    assert len(sink.received) == 2


# --- send_mail (password reset and other single emails) ------------------------------


def test_send_mail_only_queues_and_commits_nothing_is_sent_during_the_request(app):
    with app.app_context():
        send_mail("أمل <amal@example.org>", "موضوع", "نص الرسالة\n", "<p>نص</p>")
    [row] = outbox_rows(app)
    assert (row.kind, row.recipient, row.subject) == ("mail", "amal@example.org", "موضوع")
    assert not Path(app.config["MAIL_OUTBOX_DIR"]).exists()
    message = email.message_from_bytes(outbox.eml_bytes(row.message), policy=policy.default)
    assert row.dedupe_key == f"mail:{message['Message-ID']}"
    assert message.get_body(("plain",)).get_content() == "نص الرسالة\n"


def test_a_reset_request_costs_the_same_work_for_known_and_unknown_addresses(app, client, make_user, monkeypatch):
    """Both answers only touch the database: no SMTP round trip can tell the addresses apart."""
    import smtplib

    make_user("learner", email="known@example.org")

    def no_smtp(*_args, **_kwargs):
        raise AssertionError("a request must not talk to a mail server")

    monkeypatch.setattr(smtplib, "SMTP", no_smtp)
    import re

    for address in ("known@example.org", "unknown@example.org"):
        page = client.get("/auth/reset").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/auth/reset", data={"csrf_token": token, "email": address})
        assert response.status_code == 302
    assert [row.recipient for row in outbox_rows(app)] == ["known@example.org"]


def test_closed_accounts_get_no_booking_mail(app, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    with app.app_context():
        db.session.execute(update(User).where(User.id == volunteer.id).values(is_active=False))
        db.session.commit()
        cancel_booking(learner.id, booking_id, now=NOW)
    cancels = [row.recipient for row in outbox_rows(app) if row.kind == "cancelled"]
    assert cancels == ["maya@example.org"]


def test_old_sent_rows_are_purged_and_unsent_ones_kept(app):
    queue_plain(app, 2)
    with app.app_context():
        first, second = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        first.sent_at = NOW - timedelta(days=31)
        db.session.commit()
        assert outbox.purge_sent(now=NOW) == 1
        assert [row.id for row in db.session.scalars(select(OutboxMessage))] == [second.id]


def test_a_polling_worker_survives_a_database_error_and_carries_on(app, monkeypatch):
    queue_plain(app, 1)
    from sqlalchemy.exc import OperationalError

    calls = {"n": 0}
    real_claim = outbox.claim

    def flaky_claim(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim", flaky_claim)
    stop = threading.Event()
    worker = Worker(app, stop=stop)
    app.config["WORKER_POLL_SECONDS"] = 0.01
    thread = threading.Thread(target=worker.run)
    thread.start()
    for _ in range(500):
        if all(row.sent_at for row in outbox_rows(app)):
            break
        threading.Event().wait(0.01)
    stop.set()
    thread.join(timeout=10)
    assert calls["n"] >= 2 and all(row.sent_at for row in outbox_rows(app))


def test_worker_once_reports_a_database_error(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("no database"))

    monkeypatch.setattr(outbox, "claim", broken)
    with pytest.raises(OperationalError):
        Worker(app).run(once=True)
