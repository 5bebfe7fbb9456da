"""Training records: a coordinator marked a volunteer trained for one kind of session (SPEC §7, issue 18)."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User
    from tutoring.models.volunteer import VolunteerProfile


class TrainingRecord(db.Model):
    """One volunteer trained for one kind: when, by which coordinator, until when (inclusive), and a note.

    One row per volunteer and kind: marking them trained again replaces the
    dates. ``trained_by_id`` is NULL for training carried over from a
    programme (migration 0010) or given by the CLI, and when the
    coordinator's account is deleted.
    """

    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint("volunteer_id", "kind", name="uq_training_records_volunteer_kind"),
        CheckConstraint("kind IN ('tutoring', 'mentoring', 'support')", name="kind_known"),
        CheckConstraint("expires_on IS NULL OR expires_on >= trained_on", name="expires_after_trained"),
        Index("ix_training_records_kind", "kind", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    trained_on: Mapped[date] = mapped_column(Date)
    # The last day the training counts (a UTC date); NULL: it doesn't expire.
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[VolunteerProfile] = relationship()
    trained_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TrainingRecord v{self.volunteer_id} {self.kind} until={self.expires_on}>"

    def is_valid_on(self, day: date) -> bool:
        """True when the training counts on ``day`` (through its expiry date)."""
        return self.expires_on is None or day <= self.expires_on
