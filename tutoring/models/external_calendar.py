"""A volunteer's own calendar (an ICS address or a CalDAV calendar) and the busy times last read from it.

The address and any sign-in details are kept only encrypted (``secret``, a
Fernet token; see ``tutoring.services.schedules.external_calendars``); what a page may
show is ``host``. Busy times are UTC instants, replaced as a whole on each
successful read, so a calendar that can't be read keeps its last good copy.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.models.types import UTCDateTime
from tutoring.timeutil import utcnow

if TYPE_CHECKING:
    from tutoring.models.volunteer import VolunteerProfile

CALENDAR_KINDS = ("ics", "caldav")


class ExternalCalendar(db.Model):
    """One calendar a volunteer connected, and how reading it went."""

    __tablename__ = "external_calendars"
    __table_args__ = (
        CheckConstraint(f"kind IN {CALENDAR_KINDS!r}", name="kind"),
        Index("ix_external_calendars_volunteer_id", "volunteer_id"),
        Index("ix_external_calendars_next_refresh_at", "next_refresh_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    # Shown on the settings page: only the server's name, never the path
    # (an ICS address's path often is its secret) nor sign-in details.
    host: Mapped[str] = mapped_column(String(255))
    # Fernet token of {"url", "username", "password"} as JSON.
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the worker reads it next (a claim moves it forward before reading).
    next_refresh_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A code (``unreachable``, ``refused``, ...) the settings page words in
    # the volunteer's language; None after a successful read.
    last_error: Mapped[str | None] = mapped_column(String(40))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    volunteer: Mapped[VolunteerProfile] = relationship()
    busy_times: Mapped[list[ExternalBusyTime]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<ExternalCalendar {self.id} {self.kind} volunteer={self.volunteer_id} host={self.host}>"

    @property
    def is_failing(self) -> bool:
        """The last read failed (the busy times shown are an older copy, or none)."""
        return self.last_error is not None


class ExternalBusyTime(db.Model):
    """Time a volunteer's own calendar says they are busy, [start_at, end_at) in UTC, at most a day long."""

    __tablename__ = "external_busy_times"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        Index("ix_external_busy_times_volunteer_id_start_at", "volunteer_id", "start_at"),
        Index("ix_external_busy_times_calendar_id", "calendar_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("external_calendars.id", ondelete="CASCADE"))
    # Denormalised from the calendar so slot pages read busy times with one index.
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)

    calendar: Mapped[ExternalCalendar] = relationship(back_populates="busy_times")
