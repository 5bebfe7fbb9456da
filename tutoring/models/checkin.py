"""Check-ins after a session (issue 18 part 4) and the coordinators' on-duty rota.

A check-in is one party's answer about one booking: did it happen (and who
didn't come), how it went, and for support sessions whether they are
worried or felt unsafe. Its comment is the writer's own: it is shown to no
one else; only a worried or unsafe answer copies it into the urgent
safeguarding item that person chose to raise.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.booking import Booking
    from tutoring.models.user import User

# yes: it happened; other_absent: the other person didn't come; self_absent: I couldn't come.
HAPPENED = ("yes", "other_absent", "self_absent")
MOODS = ("good", "ok", "bad")


class CheckIn(db.Model):
    """One party's check-in about one booking; made when it is offered (mailed or shown), answered once."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("booking_id", "user_id", name="uq_check_ins_booking_user"),
        CheckConstraint(f"happened IS NULL OR happened IN {HAPPENED!r}", name="happened_known"),
        CheckConstraint(f"mood IS NULL OR mood IN {MOODS!r}", name="mood_known"),
        Index("ix_check_ins_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    happened: Mapped[str | None] = mapped_column(String(20))
    mood: Mapped[str | None] = mapped_column(String(10))
    concern: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The writer's own words: never in mail, feeds, logs or coordinator pages (unless copied into their urgent item).
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")

    booking: Mapped[Booking] = relationship()
    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<CheckIn {self.id} b{self.booking_id} u{self.user_id} {'answered' if self.answered_at else 'open'}>"


class DutyShift(db.Model):
    """A coordinator on duty every ``weekday`` from ``start`` to ``end`` (``HH:MM`` in ``timezone``).

    An end at or before the start means the shift ends the next day (SPEC §1's reading of windows).
    """

    __tablename__ = "duty_shifts"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        Index("ix_duty_shifts_coordinator_id", "coordinator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    coordinator: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<DutyShift {self.id} u{self.coordinator_id} {self.weekday} {self.start}-{self.end} {self.timezone}>"
