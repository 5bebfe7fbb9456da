"""A weekly series: the same local time with one volunteer, booked in one go."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.models.volunteer import KINDS
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.booking import Booking


class Series(db.Model):
    """What a learner asked for when booking weekly; its bookings say what they got."""

    __tablename__ = "series"
    __table_args__ = (
        CheckConstraint("weeks BETWEEN 2 AND 26", name="weeks_range"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        Index("ix_series_learner_id", "learner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="RESTRICT"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    weeks: Mapped[int]
    # The first occurrence as requested; later ones are the same local time.
    first_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bookings: Mapped[list[Booking]] = relationship(back_populates="series", order_by="Booking.id")

    def __repr__(self) -> str:
        return f"<Series {self.id} x{self.weeks}>"
