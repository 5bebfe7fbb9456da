"""The worker: ``flask --app wsgi worker`` runs this loop beside the web server (SPEC §3).

Each round it does the periodic jobs that came due (reminders, volunteers'
own calendars, hourly purges, clock-change notices, waitlists), then claims a
batch of the outbox and sends it (``tutoring.services.notices.outbox``). This module
sits above every service it schedules; none of them imports it.
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from tutoring.extensions import db
from tutoring.services.notices.clock_notices import queue_clock_change_notices
from tutoring.services.schedules.external_calendars import refresh_due_calendars
from tutoring.services.notices import outbox
from tutoring.services.people.privacy import purge_old_notes
from tutoring.services.support.checkins import queue_due_checkins
from tutoring.services.support.training_expiry import tell_expired_training
from tutoring.services.sessions.rooms import purge_old_messages
from tutoring.services.notices.reminders import queue_due_reminders, reminder_hours
from tutoring.booking.waitlist import check_waitlists
from tutoring.services.minors import guardians
from tutoring.services.coordinators.coordination import clearance_expiry_round
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    """``host:pid:random``: names a claim's holder in ``locked_by`` (for operators and for release)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """Sends due outbox rows and queues due reminders; ``run`` loops until stopped (or, ``once``, until idle)."""

    def __init__(
        self,
        app: Flask,
        *,
        worker_id: str | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.app = app
        self.worker_id = worker_id or new_worker_id()
        self.stop = stop or threading.Event()
        self.clock = clock
        # When each periodic job last ran (None: not yet, so it runs in the first round).
        self.last_purge: datetime | None = None
        self.last_clock_notices: datetime | None = None
        self.last_waitlists: datetime | None = None

    def run(self, *, once: bool = False) -> int:
        """Work until ``stop`` is set; with ``once``, until nothing is due. Returns how many messages went out."""
        sent = 0
        with self.app.app_context():
            poll = float(outbox.setting("WORKER_POLL_SECONDS"))
            log.info("outbox worker %s started", self.worker_id)
            try:
                while not self.stop.is_set():
                    try:
                        self.housekeeping()
                        claimed, delivered = self.send_batch()
                    except (SQLAlchemyError, OSError):
                        if once:
                            raise
                        # The database restarting must not end a long-running
                        # worker: say so, and look again after the poll interval.
                        log.exception("outbox worker %s: database error; trying again", self.worker_id)
                        db.session.rollback()
                        db.session.remove()
                        self.stop.wait(poll)
                        continue
                    sent += delivered
                    if claimed:
                        continue  # more may be due right away
                    if once:
                        break
                    self.stop.wait(poll)
            finally:
                db.session.remove()
                log.info("outbox worker %s stopped after sending %d", self.worker_id, sent)
        return sent

    def housekeeping(self) -> None:
        """Queue reminders that came due; read volunteers' own calendars whose turn it is; now and then, delete long-sent rows."""
        now = self.clock()
        queue_due_reminders(now=now)
        queue_due_checkins(now=now)  # each party's check-in link once a session has ended (issue 18)
        refresh_due_calendars(now=now)  # a few per round, each claimed first (docs/EXTERNAL_CALENDARS.md)
        if self.last_purge is None or now - self.last_purge >= timedelta(hours=1):
            outbox.purge_sent(now=now)
            purge_old_notes(now=now)  # learners' notes past TUTORING_NOTE_RETENTION_DAYS (docs/SECURITY.md)
            guardians.purge_unanswered(now=now)  # guardians' addresses not needed any more (docs/SECURITY.md)
            clearance_expiry_round(now=now)  # coordinators hear of clearances for minors that ended (SPEC §7)
            tell_expired_training(now)  # coordinators hear once when a volunteer's training ends (issue 18)
            purge_old_messages(now=now)  # room messages past TUTORING_MESSAGE_RETENTION_DAYS, unless reported
            self.last_purge = now
        self.series_housekeeping(now)

    def series_housekeeping(self, now: datetime) -> None:
        """Hourly: clock-change notices; every few minutes: waitlists (a missed trigger waits at most that long)."""
        if self.last_clock_notices is None or now - self.last_clock_notices >= timedelta(hours=1):
            queue_clock_change_notices(now=now)
            self.last_clock_notices = now
        if self.last_waitlists is None or now - self.last_waitlists >= timedelta(minutes=5):
            check_waitlists(now=now)
            self.last_waitlists = now

    def send_batch(self) -> tuple[int, int]:
        """Claim one batch and send it; returns (claimed, sent)."""
        lock_for = timedelta(seconds=float(outbox.setting("OUTBOX_LOCK_SECONDS")))
        batch = outbox.claim(self.worker_id, int(outbox.setting("OUTBOX_BATCH_SIZE")), lock_for, now=self.clock())
        if not batch:
            return 0, 0
        # Stop sending a little before the claim runs out, so no other worker
        # takes over a row while this one may still be sending it.
        deadline = self.clock() + lock_for - min(lock_for / 4, timedelta(seconds=30))
        transport = outbox.Transport(self.app.config)
        sent = 0
        try:
            for index, message in enumerate(batch):
                if self.stop.is_set() or self.clock() >= deadline:
                    outbox.release([m.id for m in batch[index:]], self.worker_id)
                    break
                try:
                    transport.send(message)
                except Exception as error:  # noqa: BLE001  (any failure is recorded; one bad row must not stop the rest)
                    log.warning("outbox %s: attempt %d failed: %s", message.id, message.attempts + 1, outbox.error_text(error))
                    outbox.mark_failed(message, self.worker_id, error, now=self.clock())
                    continue
                outbox.mark_sent(message.id, now=self.clock())
                sent += 1
                log.info("outbox %s: sent", message.id)
        finally:
            transport.close()
        return len(batch), sent


def run_worker_command(*, once: bool = False) -> int:
    """What ``flask --app wsgi worker [--once]`` does: log to stderr, stop cleanly on SIGTERM/SIGINT, run.

    A signal stops the worker between two messages: rows it claimed but
    didn't send are given back, so nothing waits for the claim to expire.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        reminder_hours()  # a bad TUTORING_REMINDER_HOURS stops us here, not at the first poll
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        log.info("outbox worker: signal %s, stopping after the current message", signum)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker = Worker(app, stop=stop)
        mode = "once" if once else f"polling every {outbox.setting('WORKER_POLL_SECONDS')} s"
        destination = app.config.get("MAIL_SERVER") or app.config["MAIL_OUTBOX_DIR"]
        click.echo(f"Outbox worker {worker.worker_id}: {mode}, mail to {destination}", err=True)
        sent = worker.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(f"Outbox worker {worker.worker_id}: {sent} sent.", err=True)
    return sent
