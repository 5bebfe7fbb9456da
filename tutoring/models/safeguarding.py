"""Safeguarding reports: a learner's concern about a session or a volunteer, resolved by a coordinator."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.booking import Booking
    from tutoring.models.user import User

REPORT_STATUSES = ("open", "resolved")
# Where an item came from: a learner's report, a check-in's worried/unsafe answer, a volunteer's escalation
# from the booking page, a volunteer asking for a debrief (issue 18).
REPORT_SOURCES = ("report", "check_in", "escalation", "debrief")
# How serious a coordinator judges a report; the queue lists the most serious first.
SEVERITIES = ("low", "medium", "high", "urgent")


class SafeguardingReport(db.Model):
    """What a learner reported (written for coordinators, unlike a booking's private note)."""

    __tablename__ = "safeguarding_reports"
    __table_args__ = (
        CheckConstraint(f"status IN {REPORT_STATUSES!r}", name="status"),
        CheckConstraint("length(details) > 0", name="details_not_empty"),
        CheckConstraint(f"severity IN {SEVERITIES!r}", name="severity"),
        Index("ix_safeguarding_reports_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Reports outlive accounts: a deleted person becomes NULL, the report stays.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    details: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    severity: Mapped[str] = mapped_column(String(10), default="medium", server_default="medium")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Urgent items (worried or unsafe check-ins, escalations) come first and email the coordinators on duty at once.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(20), default="report", server_default="report")

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    booking: Mapped[Booking | None] = relationship()

    def __repr__(self) -> str:
        return f"<SafeguardingReport {self.id} {self.status}>"
