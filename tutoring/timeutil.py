"""Small time helpers shared by models, services and views (instants are aware UTC)."""
from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import available_timezones


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def utc_iso(instant: datetime) -> str:
    """``2026-12-01T13:15:00Z``: how instants leave the server (SPEC §2 rule 5); naive values are refused."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_zone(name: str) -> bool:
    """True if ``name`` is an IANA zone known to the tzdata we ship (e.g. ``Asia/Kathmandu``)."""
    # A set lookup instead of ZoneInfo(name): ZoneInfo also accepts odd file
    # names and raises different errors for malformed keys.
    return isinstance(name, str) and name in _known_zones()
