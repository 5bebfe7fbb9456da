"""A volunteer's weekly rules, away periods and one-off extra windows.

Wall-clock values in the volunteer's zone (the user's ``timezone``). Times of
day are stored as minutes after midnight (0..1439); an end at or before the
start means the window ends on the next day (SPEC §1).
"""
from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tutoring.extensions import db
from tutoring.scheduling import AwayPeriod as AwayPeriodData
from tutoring.scheduling import ExtraWindow as ExtraWindowData
from tutoring.scheduling import WeeklyRule

if TYPE_CHECKING:
    from tutoring.models.volunteer import VolunteerProfile

MINUTES_PER_DAY = 24 * 60
# Seats of a window: 1 is a one-to-one window, 2..MAX_GROUP_CAPACITY a group
# window whose slots are group sessions (docs/GROUPS.md).
MAX_GROUP_CAPACITY = 50
_CAPACITY_CHECK = f"capacity BETWEEN 1 AND {MAX_GROUP_CAPACITY}"


def minute_of(value: time | str) -> int:
    """Minutes after midnight of a ``time`` or an ``HH:MM`` string."""
    if isinstance(value, str):
        value = time.fromisoformat(value)
    if value.second or value.microsecond:
        raise ValueError("times of day are whole minutes (HH:MM)")
    return value.hour * 60 + value.minute


def time_of(minute: int) -> time:
    """The ``time`` that is ``minute`` minutes after midnight."""
    return time(minute // 60, minute % 60)


class _WindowTimes:
    """Shared ``start``/``end`` views over the minute columns."""

    start_minute: int
    end_minute: int

    @property
    def start(self) -> time:
        """Local start time of the window."""
        return time_of(self.start_minute)

    @start.setter
    def start(self, value: time | str) -> None:
        self.start_minute = minute_of(value)

    @property
    def end(self) -> time:
        """Local end time; at or before ``start`` means the next day."""
        return time_of(self.end_minute)

    @end.setter
    def end(self, value: time | str) -> None:
        self.end_minute = minute_of(value)


class AvailabilityRule(_WindowTimes, db.Model):
    """A weekly window: weekday 0=Monday..6=Sunday, optionally limited to a date range."""

    __tablename__ = "availability_rules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(f"start_minute BETWEEN 0 AND {MINUTES_PER_DAY - 1}", name="start_minute_range"),
        CheckConstraint(f"end_minute BETWEEN 0 AND {MINUTES_PER_DAY - 1}", name="end_minute_range"),
        CheckConstraint(
            "valid_from_on IS NULL OR valid_until_on IS NULL OR valid_from_on <= valid_until_on",
            name="valid_range",
        ),
        CheckConstraint(_CAPACITY_CHECK, name="capacity_range"),
        Index("ix_availability_rules_volunteer_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    valid_from_on: Mapped[date | None]
    valid_until_on: Mapped[date | None]
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")

    volunteer: Mapped[VolunteerProfile] = relationship(back_populates="rules")

    def __repr__(self) -> str:
        return f"<AvailabilityRule {self.weekday} {self.start:%H:%M}-{self.end:%H:%M}>"

    def to_weekly_rule(self) -> WeeklyRule:
        """This rule as the scheduling core takes it."""
        return WeeklyRule(
            weekday=self.weekday,
            start=self.start,
            end=self.end,
            valid_from=self.valid_from_on,
            valid_until=self.valid_until_on,
            capacity=self.capacity,
        )


class AwayPeriod(db.Model):
    """Inclusive local dates on which the volunteer offers nothing."""

    __tablename__ = "away_periods"
    __table_args__ = (
        CheckConstraint("first_on <= last_on", name="first_on_before_last_on"),
        Index("ix_away_periods_volunteer_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    first_on: Mapped[date]
    last_on: Mapped[date]

    volunteer: Mapped[VolunteerProfile] = relationship(back_populates="away_periods")

    def __repr__(self) -> str:
        return f"<AwayPeriod {self.first_on}..{self.last_on}>"

    def to_away_period(self) -> AwayPeriodData:
        """This period as the scheduling core takes it."""
        return AwayPeriodData(first_day=self.first_on, last_day=self.last_on)


class ExtraWindow(_WindowTimes, db.Model):
    """A one-off window on one local date, read like a rule's window."""

    __tablename__ = "extra_windows"
    __table_args__ = (
        CheckConstraint(f"start_minute BETWEEN 0 AND {MINUTES_PER_DAY - 1}", name="start_minute_range"),
        CheckConstraint(f"end_minute BETWEEN 0 AND {MINUTES_PER_DAY - 1}", name="end_minute_range"),
        CheckConstraint(_CAPACITY_CHECK, name="capacity_range"),
        Index("ix_extra_windows_volunteer_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profiles.user_id", ondelete="CASCADE"))
    day_on: Mapped[date]
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")

    volunteer: Mapped[VolunteerProfile] = relationship(back_populates="extra_windows")

    def __repr__(self) -> str:
        return f"<ExtraWindow {self.day_on} {self.start:%H:%M}-{self.end:%H:%M}>"

    def to_extra_window(self) -> ExtraWindowData:
        """This window as the scheduling core takes it."""
        return ExtraWindowData(on=self.day_on, start=self.start, end=self.end, capacity=self.capacity)
