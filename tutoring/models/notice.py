"""An in-app notice for one person (clock changes, waitlist openings), until they dismiss it.

The words are not stored: ``kind`` and ``data`` (instants, ids, zones) are
rendered in the reader's language and zone each time it is shown. ``key``
names the event it reports, so a job that runs again never repeats it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

# "coordinators": a coordinator's message to a learner about their safeguarding report (its words in ``data``).
NOTICE_KINDS = ("clock_change", "waitlist", "coordinators")


class Notice(db.Model):
    """One notice; ``dismissed_at`` set when its reader closes it."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(f"kind IN {NOTICE_KINDS!r}", name="kind"),
        Index("ix_notices_user_id", "user_id"),
        Index("ix_notices_booking_id", "booking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # "clock:<booking uid>:<user id>", "waitlist:<request id>:<YYYY-MM-DD>".
    key: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Notice {self.id} u{self.user_id} {self.kind}>"
