"""Who is on duty (issue 18 part 4): a pure reading of the coordinators' weekly shifts at one instant.

A shift is a weekday and wall-clock hours in its own IANA zone; an end at or
before the start means the shift runs past midnight into the next day (so
``22:00-06:00`` on Sunday covers Sunday night and early Monday, and an end
equal to the start is a whole day). Wall-clock times are compared as the
people on duty read their clocks, so a shift keeps its hours across DST.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

__all__ = ["Shift", "covers", "on_duty", "parse_hhmm"]


def parse_hhmm(value: str) -> time | None:
    """``"22:30"`` -> ``time(22, 30)``; None unless it is ``HH:MM`` with valid hours and minutes."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        return None
    hours, minutes = int(value[:2]), int(value[3:])
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


@dataclass(frozen=True)
class Shift:
    """One weekly shift of one person (``who``: any id) on ``weekday`` (Monday 0) from ``start`` to ``end``, in ``zone``."""

    who: int
    weekday: int
    start: time
    end: time
    zone: str


def covers(shift: Shift, instant: datetime) -> bool:
    """True when ``instant`` (aware) falls in ``shift``: [start, end) of its day, or past midnight when it wraps."""
    local = instant.astimezone(ZoneInfo(shift.zone))
    clock = local.time().replace(tzinfo=None)
    if shift.end > shift.start:
        return local.weekday() == shift.weekday and shift.start <= clock < shift.end
    # Wraps: from start on its weekday until end on the next day.
    if local.weekday() == shift.weekday and clock >= shift.start:
        return True
    return local.weekday() == (shift.weekday + 1) % 7 and clock < shift.end


def on_duty(shifts: list[Shift], instant: datetime) -> list[int]:
    """The people whose shifts cover ``instant``, each once, in the order of ``shifts``."""
    return list(dict.fromkeys(shift.who for shift in shifts if covers(shift, instant)))
