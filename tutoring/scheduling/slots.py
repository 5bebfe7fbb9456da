"""Turning availability into offered slots, exactly as SPEC §2 says."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from tutoring.scheduling.model import Availability, Busy, Slot


def day_range_bounds(timezone: str, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """UTC instants of 00:00 on ``first_day`` and 00:00 after ``last_day`` in ``timezone`` (fold=0)."""
    raise NotImplementedError


def slots_between(
    availability: Availability,
    bookings: Sequence[Busy],
    start_at: datetime,
    end_at: datetime,
    now: datetime,
) -> list[Slot]:
    """Offered slots whose start lies in [start_at, end_at), sorted, as UTC instants.

    ``bookings`` are the volunteer's non-cancelled bookings sorted by ``start_at``
    (only those near the range and in the ISO weeks it touches are needed).
    """
    raise NotImplementedError


def is_offered(availability: Availability, bookings: Sequence[Busy], start_at: datetime, now: datetime) -> Slot | None:
    """The offered slot starting exactly at ``start_at``, or None."""
    raise NotImplementedError
