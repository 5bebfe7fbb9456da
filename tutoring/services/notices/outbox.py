"""The transactional outbox and the worker that empties it (``flask --app wsgi worker``).

Writing: ``queue`` adds a row holding the whole message, as bytes, to the
caller's transaction; the row is committed with the change it reports or not
at all. Nothing is sent from a request.

Sending: workers claim due rows in a short transaction (PostgreSQL: ``FOR
UPDATE SKIP LOCKED``; SQLite: the ``BEGIN IMMEDIATE`` every transaction
starts with), mark them ``locked_until``/``locked_by``, commit, and only then
talk to the SMTP server (or write ``.eml`` files). A sent row gets
``sent_at``; a failure adds an attempt, keeps the error text and waits an
exponentially growing, jittered delay. A worker that dies leaves its claim,
which expires at ``locked_until``; another worker (or the restarted one)
then sends the row. So delivery is at least once: a row can go out twice
only when a worker dies between handing it to the server and recording that,
and then both copies are the same bytes (same Message-ID, UID and SEQUENCE),
which mail clients and calendars treat as one.

Any number of workers can run at once.
"""
from __future__ import annotations

import logging
import os
import random
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tutoring.calendar.mime import OutgoingMail
from tutoring.extensions import db
from tutoring.models import OUTBOX_KINDS, OutboxMessage
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20
ERROR_MAX_LENGTH = 1000

# Settings (``TUTORING_<NAME>`` in the environment) and their defaults.
DEFAULTS: dict[str, Any] = {
    "OUTBOX_BATCH_SIZE": 20,          # rows one claim takes
    "OUTBOX_LOCK_SECONDS": 300,       # how long a claim holds; a dead worker's rows wait this long
    "OUTBOX_RETRY_BASE_SECONDS": 30,  # first retry after 15-30 s, then doubling...
    "OUTBOX_RETRY_MAX_SECONDS": 6 * 3600,  # ...up to 3-6 hours between attempts; never given up
    "OUTBOX_KEEP_DAYS": 30,           # sent rows are deleted after this many days
    "WORKER_POLL_SECONDS": 5,         # how often an idle worker looks again
}


def setting(name: str) -> Any:
    """An outbox/worker setting from the app's config, else its default."""
    value = current_app.config.get(name)
    return DEFAULTS[name] if value is None else value


# --- writing (in the caller's transaction) ----------------------------------


def message_bytes(message: EmailMessage | OutgoingMail) -> bytes:
    """``message`` exactly as it goes on the wire: CRLF line ends (RFC 5322), headers encoded."""
    if isinstance(message, OutgoingMail):
        return message.data  # written as wire bytes already (the invites)
    return message.as_bytes(policy=policy.SMTP)


def _envelope_sender(message: EmailMessage | OutgoingMail) -> str:
    if isinstance(message, OutgoingMail):
        return message.sender or current_app.config["MAIL_DEFAULT_SENDER"]
    addresses = getaddresses([str(message["From"] or "")])
    sender = addresses[0][1] if addresses else ""
    return sender or current_app.config["MAIL_DEFAULT_SENDER"]


def _bare_address(recipient: str) -> str:
    addresses = getaddresses([recipient])
    return (addresses[0][1] if addresses and addresses[0][1] else recipient).strip()


def _row_values(
    message: EmailMessage | OutgoingMail,
    kind: str,
    recipient: str,
    dedupe_key: str,
    booking_id: int | None,
    now: datetime | None,
) -> dict[str, Any]:
    if kind not in OUTBOX_KINDS:
        raise ValueError(f"kind must be one of {OUTBOX_KINDS}, not {kind!r}")
    now = now or utcnow()
    return {
        "created_at": now,
        "kind": kind,
        "sender": _envelope_sender(message),
        "recipient": _bare_address(recipient),
        "subject": message.subject if isinstance(message, OutgoingMail) else str(message["Subject"] or ""),
        "message": message_bytes(message),
        "dedupe_key": dedupe_key,
        "booking_id": booking_id,
        "attempts": 0,
        "next_attempt_at": now,
    }


def queue(
    message: EmailMessage | OutgoingMail,
    *,
    kind: str,
    recipient: str,
    dedupe_key: str,
    booking_id: int | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add ``message`` for ``recipient`` to the outbox in the current transaction (the caller commits).

    The bytes are fixed here: every later attempt sends exactly them.
    """
    row = OutboxMessage(**_row_values(message, kind, recipient, dedupe_key, booking_id, now))
    db.session.add(row)
    return row


def queue_rows(
    messages: Iterable[tuple[EmailMessage | OutgoingMail, str, str, str, int | None]], *, now: datetime | None = None
) -> int:
    """``queue`` for several (message, kind, recipient, dedupe_key, booking_id) at once; returns how many.

    One INSERT for all of them (no ORM objects, no unit of work): a booking's
    two invites were a flush of their own. Like ``queue``, in the caller's
    transaction; rows they refer to (the booking) must be flushed already.
    """
    rows = [_row_values(message, kind, recipient, dedupe_key, booking_id, now)
            for message, kind, recipient, dedupe_key, booking_id in messages]
    if rows:
        db.session.execute(OutboxMessage.__table__.insert(), rows)
    return len(rows)


def queue_unique(
    message: EmailMessage | OutgoingMail,
    *,
    kind: str,
    recipient: str,
    dedupe_key: str,
    booking_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Like ``queue``, but a row with the same ``dedupe_key`` wins: True if this one was added.

    ``INSERT ... ON CONFLICT DO NOTHING``, so two workers queuing the same
    reminder at the same moment leave exactly one row and neither fails.
    """
    values = _row_values(message, kind, recipient, dedupe_key, booking_id, now)
    table = OutboxMessage.__table__
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table).values(**values).on_conflict_do_nothing(index_elements=[table.c.dedupe_key]).returning(table.c.id)
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for INSERTs.
    return db.session.execute(statement).scalar() is not None


def drop_unsent_reminders(booking_id: int) -> int:
    """Delete the booking's reminders that haven't gone out (its time changed or it was cancelled)."""
    result = db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.booking_id == booking_id,
            OutboxMessage.kind == "reminder",
            OutboxMessage.sent_at.is_(None),
        )
    )
    return result.rowcount


# --- claiming and recording (short transactions of their own) ----------------


@dataclass(frozen=True)
class Claimed:
    """A claimed row, copied out of the session so nothing lazy-loads (and locks) while sending."""

    id: int
    created_at: datetime
    sender: str
    recipient: str
    message: bytes
    attempts: int


def _due(now: datetime):
    return and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
    )


def claim(worker_id: str, limit: int, lock_for: timedelta, now: datetime | None = None) -> list[Claimed]:
    """Claim up to ``limit`` due rows for ``worker_id`` until ``now + lock_for``, in one short transaction.

    A row is due when unsent, its ``next_attempt_at`` has come and nobody
    holds it (or the holder's claim expired: that worker died or hung).
    """
    now = now or utcnow()
    try:
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(_due(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
                # PostgreSQL: rows another worker is claiming right now are
                # skipped, not waited for. SQLite ignores FOR UPDATE; its
                # BEGIN IMMEDIATE already lets one claimer in at a time.
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            db.session.commit()
            return []
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(locked_until=now + lock_for, locked_by=worker_id)
        )
        rows = db.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.created_at,
                OutboxMessage.sender,
                OutboxMessage.recipient,
                OutboxMessage.message,
                OutboxMessage.attempts,
            )
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        ).all()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return [Claimed(*row) for row in rows]


def _commit(statement) -> int:
    try:
        count = db.session.execute(statement).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return count


def mark_sent(message_id: int, now: datetime | None = None) -> None:
    """Record that the row went out (whoever holds it now: it *was* sent); the last error, if any, stays as history."""
    _commit(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=now or utcnow(), locked_until=None, locked_by=None)
    )


def retry_delay(attempts_before: int, base: float, cap: float, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts_before + 1``-th failure: ``base * 2**attempts_before``, capped, times 0.5-1.

    The jitter spreads out the retries of many messages that failed together
    (a mail server that was down), so they don't all come back at once.
    """
    exponential = min(cap, base * 2 ** min(attempts_before, 32))
    return timedelta(seconds=exponential * (rng or random).uniform(0.5, 1.0))


def mark_failed(message: Claimed, worker_id: str, error: BaseException | str, now: datetime | None = None) -> None:
    """Record a failed attempt: one more attempt, the error text, and the next try after the back-off."""
    now = now or utcnow()
    delay = retry_delay(
        message.attempts, float(setting("OUTBOX_RETRY_BASE_SECONDS")), float(setting("OUTBOX_RETRY_MAX_SECONDS"))
    )
    _commit(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.locked_by == worker_id, OutboxMessage.sent_at.is_(None))
        .values(
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + delay,
            last_error=error_text(error),
            locked_until=None,
            locked_by=None,
        )
    )


def release(message_ids: Iterable[int], worker_id: str) -> None:
    """Give back claimed rows this worker won't send after all (stopping, or its claim is running out)."""
    ids = list(message_ids)
    if ids:
        _commit(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.locked_by == worker_id, OutboxMessage.sent_at.is_(None))
            .values(locked_until=None, locked_by=None)
        )


def error_text(error: BaseException | str) -> str:
    """What an operator needs to know about a failure: its type and the server's or OS's words, on one line.

    Only the exception is described, never the message, so nothing a
    person wrote can end up in ``last_error`` or the log.
    """
    if isinstance(error, str):
        text = error
    elif isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        text = f"{type(error).__name__}: {error.smtp_code} {reply}"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(f"{code}" for code, _reply in error.recipients.values())
        text = f"SMTPRecipientsRefused: {codes}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:ERROR_MAX_LENGTH]


def purge_sent(now: datetime | None = None, keep: timedelta | None = None) -> int:
    """Delete rows sent more than ``keep`` (``OUTBOX_KEEP_DAYS``) ago: they hold names and addresses."""
    now = now or utcnow()
    keep = keep if keep is not None else timedelta(days=float(setting("OUTBOX_KEEP_DAYS")))
    return _commit(delete(OutboxMessage).where(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < now - keep))


# --- delivering --------------------------------------------------------------


class Transport:
    """Hands messages to the SMTP server (``MAIL_SERVER``), or writes ``.eml`` files without one.

    One SMTP connection serves a whole batch; after any error it is dropped
    and the next message opens a fresh one.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: Claimed) -> None:
        """Deliver one message; raises on failure (``smtplib.SMTPException`` or ``OSError``)."""
        if not self.config.get("MAIL_SERVER"):
            write_eml_file(message, Path(self.config["MAIL_OUTBOX_DIR"]))
            return
        try:
            smtp = self._connection()
            smtp.sendmail(message.sender, [message.recipient], message.message)
        except BaseException:
            self.close()
            raise

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            config = self.config
            smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=SMTP_TIMEOUT_SECONDS)
            try:
                if config.get("MAIL_USE_TLS"):
                    # smtplib's own default context checks neither the certificate nor
                    # the name: anyone on the path could read MAIL_PASSWORD and the mail.
                    smtp.starttls(context=ssl.create_default_context())
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        """Say goodbye to the SMTP server, if connected (errors on the way out don't matter)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def eml_name(message: Claimed) -> str:
    """The file a message is written to: by creation time and id, so writing it again replaces it."""
    return f"{message.created_at:%Y%m%dT%H%M%S}-{message.id:010d}.eml"


def eml_bytes(wire: bytes) -> bytes:
    """A message's bytes as a local ``.eml`` file: the wire bytes with Unix line ends, as mail tools write them."""
    return wire.replace(b"\r\n", b"\n")


def write_eml_file(message: Claimed, folder: Path) -> Path:
    """Write the message to ``folder`` atomically (temporary name, then rename); writing it again replaces it."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / eml_name(message)
    partial = folder / f".{final.name}.{os.getpid()}.part"
    partial.write_bytes(eml_bytes(message.message))
    os.replace(partial, final)
    return final


def unsent(ids: Sequence[int] | None = None) -> list[OutboxMessage]:
    """Unsent rows (all, or those of ``ids``), oldest first: for operators and tests."""
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(list(ids)))
    return list(db.session.scalars(query))
