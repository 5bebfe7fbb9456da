"""``flask --app wsgi worker`` as real processes: refusals, a SIGKILL mid-batch, a restart, several at once.

The mail server is a real aiosmtpd server on loopback; the workers are
real ``flask`` subprocesses on the test database. Nothing may be lost, and
a message that arrives twice must be the same bytes both times.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.notices.test_outbox_support import NOW, TUE_10, TUE_11, smtp_sink  # noqa: F401  (fixture)
from tutoring.extensions import db
from tutoring.models import OutboxMessage
from tutoring.booking.operations import book_session
from tutoring.timeutil import utcnow
from tests.conftest import python_on_this_clock

ROOT = Path(__file__).resolve().parents[2]


def worker_process(app, port: int, log_path: Path, *args: str, **settings) -> subprocess.Popen:
    """Start ``flask --app wsgi worker`` on the test database, sending to the test SMTP server."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "BASE_URL": app.config["BASE_URL"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"],
        "TUTORING_INSTANCE_PATH": str(Path(app.instance_path)),
        "TUTORING_WORKER_POLL_SECONDS": "0.2",
        **{f"TUTORING_{name}": str(value) for name, value in settings.items()},
    }
    log = log_path.open("ab")
    return subprocess.Popen(
        python_on_this_clock("-m", "flask", "--app", "wsgi", "worker", *args),
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def book_many(app, make_user, count: int) -> None:
    """``count`` bookings of one volunteer by one learner on successive Tuesdays (two messages each)."""
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "10:00", "12:00")],
                          session_minutes=45, buffer_minutes=15)
    learner = make_user("learner", timezone="Asia/Kathmandu")
    starts = [base + timedelta(weeks=week) for week in range(8) for base in (TUE_10, TUE_11)][:count]
    with app.app_context():
        for start in starts:
            book_session(learner.id, volunteer.id, start, "tutoring", "a private note", now=NOW)


def rows(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        db.session.remove()
        return found


def wait_until(condition, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 15) -> int:
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout=timeout)


def test_refusals_then_a_killed_worker_lose_nothing_after_a_restart(app, make_user, smtp_sink, tmp_path):
    port, sink = smtp_sink
    sink.refuse_first = 3       # the server says 451 to the first three attempts
    sink.delay_seconds = 0.25   # then answers slowly, so the kill lands in the middle of a batch
    book_many(app, make_user, 8)
    queued = rows(app)
    assert len(queued) == 16
    settings = dict(OUTBOX_BATCH_SIZE=5, OUTBOX_LOCK_SECONDS=3, OUTBOX_RETRY_BASE_SECONDS=0.2,
                    OUTBOX_RETRY_MAX_SECONDS=0.5)
    log_path = tmp_path / "worker.log"

    first = worker_process(app, port, log_path, **settings)
    try:
        wait_until(lambda: sink.refused == 3 and len(sink.received) >= 5, what="refusals and some deliveries")
        first.kill()  # SIGKILL: no chance to release its claims or record the message in flight
        assert first.wait(timeout=10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    after_kill = rows(app)
    now = utcnow()
    stranded = [row for row in after_kill if row.sent_at is None and row.locked_until and row.locked_until > now]
    assert stranded, "the worker should have died holding claimed rows"
    assert any(row.sent_at is None for row in after_kill)

    second = worker_process(app, port, log_path, **settings)
    try:
        # The dead worker's claims expire after OUTBOX_LOCK_SECONDS; the new one then sends them too.
        wait_until(lambda: all(row.sent_at for row in rows(app)), timeout=60, what="every row sent")
        assert stop(second) == 0  # SIGTERM: a clean exit
    finally:
        if second.poll() is None:
            second.kill()

    final = rows(app)
    wire = {row.message.rstrip(b"\r\n") for row in final}
    received = [raw.rstrip(b"\r\n") for raw in sink.raw()]
    assert set(received) == wire, "every queued message arrived, and nothing else did"
    # A message that arrived twice (sent, then the worker died before recording it) is the same bytes.
    assert len(received) - len(set(received)) <= len(stranded)
    assert sum(row.attempts for row in final) == 3
    assert sorted(row.last_error for row in final if row.last_error) == ["SMTPDataError: 451 4.3.0 Try again later"] * 3
    assert (tmp_path / "worker.log").read_bytes().count(b"a private note") == 0


def test_several_workers_at_once_send_each_message_exactly_once(app, make_user, smtp_sink, tmp_path):
    port, sink = smtp_sink
    sink.delay_seconds = 0.25  # slow enough that all three are running while there is work
    book_many(app, make_user, 10)
    processes = [worker_process(app, port, tmp_path / f"worker{n}.log", "--once", OUTBOX_BATCH_SIZE=2)
                 for n in range(3)]
    try:
        for process in processes:
            assert process.wait(timeout=60) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    final = rows(app)
    assert len(final) == 20 and all(row.sent_at for row in final)
    received = [raw.rstrip(b"\r\n") for raw in sink.raw()]
    assert sorted(received) == sorted(row.message.rstrip(b"\r\n") for row in final)  # once each, none twice
    logs = [(tmp_path / f"worker{n}.log").read_text() for n in range(3)]
    assert sum(1 for log in logs if ": sent" in log) >= 2, "the workers really did share the work"


def test_worker_once_exits_when_nothing_is_due_and_says_what_it_did(app, make_user, smtp_sink, tmp_path):
    port, sink = smtp_sink
    book_many(app, make_user, 1)
    process = worker_process(app, port, tmp_path / "worker.log", "--once")
    assert process.wait(timeout=30) == 0
    assert len(sink.received) == 2
    assert b": 2 sent." in (tmp_path / "worker.log").read_bytes()


def test_a_polling_worker_picks_up_new_mail_and_stops_on_sigterm(app, make_user, smtp_sink, tmp_path):
    port, sink = smtp_sink
    process = worker_process(app, port, tmp_path / "worker.log")
    try:
        time.sleep(0.5)
        assert process.poll() is None  # idle, polling
        book_many(app, make_user, 1)
        sink.wait_for(2, timeout=30)
        assert stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_worker_gives_back_what_it_claimed(app, make_user, smtp_sink, tmp_path, sig):
    port, sink = smtp_sink
    sink.delay_seconds = 0.5
    book_many(app, make_user, 3)
    process = worker_process(app, port, tmp_path / "worker.log", OUTBOX_BATCH_SIZE=6)
    try:
        sink.wait_for(1, timeout=30)
        assert stop(process, sig) == 0
    finally:
        if process.poll() is None:
            process.kill()
    left = [row for row in rows(app) if row.sent_at is None]
    assert left and all(row.locked_by is None and row.locked_until is None for row in left)
