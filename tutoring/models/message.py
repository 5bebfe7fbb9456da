"""Messages of a session room (SPEC §7 Messages): stored masked, read only by the session's parties."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User

# The most characters one message may hold (the API and the form say so).
MAX_MESSAGE_LENGTH = 2000

# Messages a safeguarding report carries: kept past the retention time while the report exists.
message_reports = Table(
    "message_reports",
    db.metadata,
    Column("report_id", ForeignKey("safeguarding_reports.id", ondelete="CASCADE"), primary_key=True),
    Column("message_id", ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_message_reports_message_id", "message_id"),
)


class Message(db.Model):
    """One message in a session's room; ``text`` is already masked (contact details replaced)."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        # A room reads its messages in id order after a given id (``?after=``, Last-Event-ID).
        Index("ix_messages_session_id_id", "session_id", "id"),
        Index("ix_messages_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The room is the session's: a group session's volunteer and seat holders share it.
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    # A deleted account's messages stay for the other party, authorless.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    masked: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Message {self.id} s{self.session_id} u{self.author_id}{' masked' if self.masked else ''}>"
