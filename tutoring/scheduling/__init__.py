"""The scheduling core: weekly rules + settings + bookings + now -> slots.

Plain Python: no Flask and no SQLAlchemy here. See SPEC §2 and docs/SCHEDULING.md.
"""
from tutoring.scheduling.model import (
    Availability,
    AwayPeriod,
    Busy,
    ExternalBusy,
    ExtraWindow,
    OpenGroup,
    SessionSettings,
    Slot,
    WeeklyRule,
)
from tutoring.scheduling.slots import day_range_bounds, is_offered, kind_week_is_full, slots_between

__all__ = [
    "Availability",
    "AwayPeriod",
    "Busy",
    "ExternalBusy",
    "ExtraWindow",
    "OpenGroup",
    "SessionSettings",
    "Slot",
    "WeeklyRule",
    "day_range_bounds",
    "is_offered",
    "kind_week_is_full",
    "slots_between",
]
