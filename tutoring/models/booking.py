"""A learner's place in a session: what invites, feeds and the API call a booking."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.series import Series
    from tutoring.models.session import Session
    from tutoring.models.user import User

BOOKING_STATUSES = ("confirmed", "cancelled", "completed", "no_show")


def new_uid() -> str:
    """A globally unique iCalendar UID (RFC 7986 recommends a UUID)."""
    return str(uuid.uuid4())


class Booking(db.Model):
    """One learner's booking of a session; ``uid`` never changes, ``sequence`` grows with each change."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES!r}", name="status"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        Index("ix_bookings_learner_id", "learner_id"),
        Index("ix_bookings_session_id", "session_id"),
        Index("ix_bookings_series_id", "series_id"),
        # A learner holds at most one live place in a session; a cancelled
        # booking doesn't stop them booking the same session again.
        Index(
            "uq_bookings_session_id_learner_id_live",
            "session_id",
            "learner_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="RESTRICT"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="confirmed", server_default="confirmed")
    # Private to the learner and the volunteer: never in mail, feeds or coordinator views.
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    uid: Mapped[str] = mapped_column(String(255), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[Session] = relationship(back_populates="bookings")
    learner: Mapped[User] = relationship(back_populates="bookings")
    series: Mapped[Series | None] = relationship(back_populates="bookings")

    def __repr__(self) -> str:
        return f"<Booking {self.id} s{self.session_id} l{self.learner_id} {self.status} seq{self.sequence}>"

    @property
    def volunteer_id(self) -> int:
        """The volunteer of the booked session."""
        return self.session.volunteer_id

    @property
    def kind(self) -> str:
        """The kind of the booked session."""
        return self.session.kind

    @property
    def start_at(self) -> datetime:
        """Start instant of the booked session (UTC)."""
        return self.session.start_at

    @property
    def end_at(self) -> datetime:
        """End instant of the booked session (UTC)."""
        return self.session.end_at

    def bump_sequence(self) -> None:
        """Record a change that calendars must see: they ignore updates whose SEQUENCE doesn't grow."""
        self.sequence += 1
