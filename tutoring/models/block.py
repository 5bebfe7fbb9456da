"""A volunteer's block of a learner: that learner can't book them again."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User


class LearnerBlock(db.Model):
    """``volunteer_id`` takes no more bookings from ``learner_id`` (until they remove the block)."""

    __tablename__ = "learner_blocks"
    __table_args__ = (Index("ix_learner_blocks_learner_id", "learner_id"),)

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])

    def __repr__(self) -> str:
        return f"<LearnerBlock v{self.volunteer_id} l{self.learner_id}>"
