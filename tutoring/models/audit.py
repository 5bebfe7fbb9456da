"""The audit log: who did what to whom, and when (coordinators' decisions)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.programme import Programme
    from tutoring.models.user import User

# volunteer.approve|decline|pause, report.resolve, programme.create|update,
# programme.add_member|remove_member|train|untrain, training.mark|remove (issue 18).
AUDIT_ACTIONS = (
    "volunteer.approve",
    "volunteer.decline",
    "volunteer.pause",
    "report.resolve",
    "report.severity",
    "report.message",
    "programme.create",
    "programme.update",
    "programme.add_member",
    "programme.remove_member",
    "programme.train",
    "programme.untrain",
    "training.mark",
    "training.remove",
    "help.add",
    "help.update",
    "help.remove",
    "clearance.mark",
    "clearance.remove",
    "clearance.expired",
    "guardian.consent",
    "guardian.decline",
    "guardian.withdraw",
    "rota.add",
    "rota.remove",
)


class AuditEntry(db.Model):
    """One decision. Rows are only ever added; people who are deleted later stay as ``NULL`` ids."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_created_at", "created_at"),
        Index("ix_audit_entries_subject_user_id", "subject_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    # The person the decision is about (a volunteer), if any.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("safeguarding_reports.id", ondelete="SET NULL"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="SET NULL"))
    # The reason the coordinator gave (the same text the volunteer is emailed).
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
    programme: Mapped[Programme | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} by {self.actor_id}>"
