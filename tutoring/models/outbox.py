"""The mail outbox: every email the service sends is first a row here (transactional outbox).

A row is written in the same database transaction as the change it reports
(a booking, a move, a cancellation; a reminder; a password reset), so a
message exists exactly when its change was committed. ``flask --app wsgi
worker`` sends due rows and marks them sent (``tutoring.services.notices.outbox``).

The row keeps the whole RFC 5322 message as bytes, built once when queued:
a message sent again after a crash or a retry is byte for byte the same one
(same Message-ID, Date, UID and SEQUENCE), so mail clients and calendars
treat it as one. ``last_error`` holds the SMTP server's or the OS's error
text only; no part of a message (and so nothing a learner wrote) goes there.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

# booked/rescheduled/cancelled: iMIP invites; reminder: before a session;
# mail: any other single email (password reset).
OUTBOX_KINDS = ("booked", "rescheduled", "cancelled", "reminder", "mail")


class OutboxMessage(db.Model):
    """One email waiting to be sent (``sent_at`` empty) or already sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"kind IN {OUTBOX_KINDS!r}", name="kind"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The worker's query: unsent rows by due time. Partial, so the index
        # stays as small as the backlog however much mail was ever sent.
        Index(
            "ix_outbox_messages_due",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
        Index("ix_outbox_messages_booking_id", "booking_id"),
        Index("ix_outbox_messages_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    # The envelope: bare addresses (the headers inside the message may carry names).
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The message exactly as it goes on the wire (CRLF line ends, 7-bit safe).
    message: Mapped[bytes] = mapped_column(LargeBinary)
    # One row per logical message: "<change>:<uid>:<sequence>:<user id>",
    # "reminder:<uid>:<sequence>:<hours>h:<user id>", "mail:<Message-ID>".
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    # The booking the message is about, if any (reminders are dropped when it moves).
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A worker's claim: nobody else sends the row until locked_until passes
    # (so a claim whose worker died is taken over after that).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else f"try {self.attempts}"
        return f"<OutboxMessage {self.id} {self.kind} {state}>"
