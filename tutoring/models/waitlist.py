"""A learner's request to hear when a volunteer has a free slot in a time-of-day range (issue 9).

The range is in the *learner's* local time, in the zone they had when they
asked (kept on the row, so a later zone change doesn't quietly move it).
An end at or before the start means the range runs past midnight.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User
    from tutoring.models.volunteer import VolunteerProfile

# waiting: still asking; booked: they booked this volunteer; withdrawn: they stopped asking.
WAITLIST_STATUSES = ("waiting", "booked", "withdrawn")


class WaitlistRequest(db.Model):
    """One learner waiting for one volunteer, between ``start_minute`` and ``end_minute`` of their day."""

    __tablename__ = "waitlist_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {WAITLIST_STATUSES!r}", name="status"),
        CheckConstraint("start_minute BETWEEN 0 AND 1439", name="start_minute_range"),
        CheckConstraint("end_minute BETWEEN 0 AND 1439", name="end_minute_range"),
        Index("ix_waitlist_requests_volunteer_id_status", "volunteer_id", "status"),
        Index("ix_waitlist_requests_learner_id", "learner_id"),
        # One open request per learner and volunteer: asking again changes it.
        Index(
            "uq_waitlist_requests_learner_id_volunteer_id_waiting",
            "learner_id",
            "volunteer_id",
            unique=True,
            postgresql_where=text("status = 'waiting'"),
            sqlite_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    timezone: Mapped[str] = mapped_column(String(64))
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="waiting", server_default="waiting")
    # The order of asking: who is told first.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # At most one message a day per request.
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Matching slot starts (UTC ISO) already known to the learner: seen when
    # asking or told since. Only a slot *not* in here is news worth a message.
    told_starts: Mapped[list[str]] = mapped_column(JSON, default=list)

    learner: Mapped[User] = relationship()
    volunteer: Mapped[VolunteerProfile] = relationship()

    def __repr__(self) -> str:
        return f"<WaitlistRequest {self.id} l{self.learner_id} v{self.volunteer_id} {self.status}>"

    def covers(self, minute_of_day: int) -> bool:
        """Whether a local time (minutes after midnight) falls in the range; half-open, may run past midnight."""
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute_of_day < self.end_minute
        return minute_of_day >= self.start_minute or minute_of_day < self.end_minute
