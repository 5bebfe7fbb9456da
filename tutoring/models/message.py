"""Messages of a session room (SPEC §7 Messages): stored masked, read only by the session's parties."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User

# The most characters one message may hold (the API and the form say so).
MAX_MESSAGE_LENGTH = 2000

# What a row of ``messages`` is: a person's ``text``, or a room notice such as ``joined`` ("Nour has joined"),
# which the room renders as a quiet line in the reader's language (its ``text`` is only the kind's name,
# never shown). Notices are not messages: the API list and safeguarding reports leave them out.
MESSAGE_KINDS = ("text", "joined")

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
        CheckConstraint("kind IN ('text', 'joined')", name="kind_known"),
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
    kind: Mapped[str] = mapped_column(String(20), default="text", server_default="text")

    author: Mapped[User | None] = relationship()

    @property
    def is_text(self) -> bool:
        """True for what a person wrote; False for a room notice (``joined``)."""
        return self.kind == "text"

    def __repr__(self) -> str:
        return f"<Message {self.id} s{self.session_id} u{self.author_id}{' masked' if self.masked else ''}>"


class RoomPresence(db.Model):
    """When a party of a session's room was last seen in it (page, polling fragment or live stream), while live.

    "Who is here now" is who was seen within ``room_presence.HERE_WINDOW``; a
    party not seen for ``room_presence.AWAY_AFTER`` who comes back gets a
    ``joined`` line. One row per party and session; it goes with either.
    """

    __tablename__ = "room_presence"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<RoomPresence s{self.session_id} u{self.user_id} {self.last_seen_at:%H:%M:%S}>"
