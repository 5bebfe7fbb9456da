"""Plain data that goes into and comes out of the scheduling core.

Wall-clock values (``datetime.time``, ``datetime.date``) are in the volunteer's
IANA zone; instants (``*_at``) are timezone-aware datetimes, normally UTC.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import NamedTuple


@dataclass(frozen=True)
class SessionSettings:
    """Per-volunteer slot settings (SPEC §1)."""

    session_minutes: int = 45
    buffer_minutes: int = 15
    min_notice_hours: int = 12
    horizon_days: int = 56
    max_sessions_per_week: int | None = None


class WeeklyRule(NamedTuple):
    """A weekly window: weekday 0=Monday..6=Sunday; an end at or before the
    start means the window ends on the next day.

    A named tuple, so a tuple of rules hashes and compares in C: the core
    keeps rules compiled to seconds by their value.
    """

    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None
    # Seats per slot: above 1 the window is a group window (docs/GROUPS.md).
    capacity: int = 1


@dataclass(frozen=True)
class ExtraWindow:
    """A one-off window on one local date, read like a rule's window."""

    on: date
    start: time
    end: time
    capacity: int = 1


@dataclass(frozen=True)
class AwayPeriod:
    """Inclusive local dates: from 00:00 of ``first_day`` to 00:00 after ``last_day``."""

    first_day: date
    last_day: date


@dataclass(frozen=True)
class Busy:
    """A non-cancelled booking of the volunteer (instants)."""

    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class ExternalBusy(Busy):
    """Time the volunteer's own calendar says they are busy (docs/EXTERNAL_CALENDARS.md):
    no slot overlapping it is offered, but it is no session, so it is not widened
    by the buffer and never counts toward the weekly cap."""


@dataclass(frozen=True)
class OpenGroup(Busy):
    """A group session of the volunteer with seats left: busy for every other
    slot, but offered itself (at its own start and end) until it is full."""

    capacity: int
    seats_left: int


@dataclass(frozen=True)
class Availability:
    """Everything about a volunteer that decides their slots."""

    timezone: str
    settings: SessionSettings = field(default_factory=SessionSettings)
    rules: tuple[WeeklyRule, ...] = ()
    extra: tuple[ExtraWindow, ...] = ()
    away: tuple[AwayPeriod, ...] = ()
    # A cap on sessions of the asked kind per ISO week (the volunteer's zone,
    # local Monday 00:00 to the next): no new slot is offered in a week whose
    # ``kind_starts`` (starts of the volunteer's live sessions of that kind,
    # sorted) already hold ``kind_cap``. The support weekly cap (SPEC §7).
    kind_cap: int | None = None
    kind_starts: tuple[datetime, ...] = ()


class Slot(NamedTuple):
    """An offered slot, as UTC instants.

    A named tuple rather than a dataclass: a range can hold thousands of slots
    and a tuple is several times cheaper to build. ``capacity`` above 1 marks a
    group slot, with ``seats_left`` of its seats still free.
    """

    start_at: datetime
    end_at: datetime
    capacity: int = 1
    seats_left: int = 1

    @property
    def is_group(self) -> bool:
        """Whether several learners can book this slot (a group session)."""
        return self.capacity > 1
