"""A session: one block of a volunteer's time, which learners' bookings fill.

A one-to-one session has ``capacity`` 1 and one booking; a group session
(SPEC §1, coming) has several bookings. The no-overlap guarantee is about
sessions, so it lives here, in the database itself on PostgreSQL.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, literal_column, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.models.volunteer import KINDS
from tutoring.scheduling import Busy
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.booking import Booking
    from tutoring.models.volunteer import VolunteerProfile

SESSION_STATUSES = ("confirmed", "cancelled", "completed", "no_show")


class Session(db.Model):
    """One session of a volunteer: its kind, its instants and how long it blocks the calendar."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SESSION_STATUSES!r}", name="status"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("blocked_until_at >= end_at", name="blocked_until_after_end"),
        CheckConstraint("capacity BETWEEN 1 AND 100", name="capacity_range"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        Index("ix_sessions_volunteer_id_start_at", "volunteer_id", "start_at"),
        # Sweeps over everyone's sessions by time: reminders, note retention.
        Index("ix_sessions_start_at", "start_at"),
        # Two live sessions of one volunteer never overlap, buffers included.
        # PostgreSQL only (the migration creates it there); on SQLite the
        # booking service's BEGIN IMMEDIATE transaction is the guard.
        ExcludeConstraint(
            (literal_column("volunteer_id"), "="),
            (func.tstzrange(literal_column("start_at"), literal_column("blocked_until_at")), "&&"),
            name="ex_sessions_no_overlap",
            using="gist",
            where=text("status <> 'cancelled'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # end_at plus the volunteer's buffer when booked: later settings changes
    # must not make existing sessions overlap retroactively.
    blocked_until_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="confirmed", server_default="confirmed")
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")
    # The SEQUENCE of the volunteer's one calendar event for a group session
    # (docs/GROUPS.md); one-to-one sessions use their booking's.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    volunteer: Mapped[VolunteerProfile] = relationship()
    bookings: Mapped[list[Booking]] = relationship(back_populates="session", order_by="Booking.id")

    def __repr__(self) -> str:
        return f"<Session {self.id} v{self.volunteer_id} {self.start_at:%Y-%m-%dT%H:%MZ} {self.status}>"

    @property
    def is_group(self) -> bool:
        """True for a session with room for more than one learner: its volunteer sees it as one event."""
        return self.capacity > 1

    def bump_sequence(self) -> None:
        """Record a change the volunteer's calendar must see (their group event ignores a SEQUENCE that doesn't grow)."""
        self.sequence += 1

    @property
    def is_live(self) -> bool:
        """True unless cancelled: live sessions block the volunteer's time."""
        return self.status != "cancelled"

    def to_busy(self) -> Busy:
        """This session as a busy interval for the scheduling core (its real start and end)."""
        return Busy(start_at=self.start_at, end_at=self.end_at)
