"""Minors (SPEC §7 "Minors", issue 19): volunteers cleared to meet them, and their guardians' consent."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.user import User
    from tutoring.models.volunteer import VolunteerProfile

CONSENT_STATUSES = ("pending", "consented", "declined", "withdrawn")


class Clearance(db.Model):
    """A coordinator recorded that a volunteer's check for work with minors was done: when, by whom, until when.

    One row per volunteer (clearing again replaces the dates); no document is
    stored. ``checked_by_id`` is NULL when the CLI recorded it or the
    coordinator's account was deleted. ``expiry_told_on``: the expiry date
    coordinators were already told about (so the worker tells them once).
    """

    __tablename__ = "volunteer_clearances"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= checked_on", name="expires_after_checked"),
    )

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"), primary_key=True)
    checked_on: Mapped[date] = mapped_column(Date)
    # The last day the clearance counts (a UTC date, like training); NULL: it doesn't expire.
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    expiry_told_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[VolunteerProfile] = relationship()
    checked_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Clearance v{self.volunteer_id} until={self.expires_on}>"

    def is_valid_on(self, day: date) -> bool:
        """True when the clearance counts on ``day`` (through its expiry date)."""
        return self.expires_on is None or day <= self.expires_on


class GuardianConsent(db.Model):
    """A minor's guardian: their address, and whether they consented (pending until they answer the emailed link).

    ``link_version`` is in every link mailed to the guardian; it goes up when
    the learner asks again after a decline or a withdrawal, so older links
    can't consent for the new request.
    """

    __tablename__ = "guardian_consents"
    __table_args__ = (
        CheckConstraint(f"status IN {CONSENT_STATUSES!r}", name="status"),
        CheckConstraint("guardian_email = lower(guardian_email)", name="guardian_email_lowercase"),
    )

    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    guardian_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    link_version: Mapped[int] = mapped_column(default=1, server_default="1")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last email with the consent link
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    learner: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<GuardianConsent u{self.learner_id} {self.status}>"

    @property
    def is_given(self) -> bool:
        return self.status == "consented"
