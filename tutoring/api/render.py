"""How API objects and instants are written as JSON (SPEC §2 rule 5: UTC ``Z`` or an explicit offset)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request

from tutoring.models import User, VolunteerProfile
from tutoring.scheduling import Slot
from tutoring.timeutil import utc_iso


def iso_in_zone(instant: datetime, zone: ZoneInfo) -> str:
    """``2026-03-02T23:45:00+05:45``: an aware instant as wall-clock time in ``zone`` with that moment's offset."""
    return instant.astimezone(zone).isoformat(timespec="seconds")


def slot_json(slot: Slot, zone: ZoneInfo) -> dict[str, str | int]:
    """One offered slot: start and end in the asked zone, and the start in UTC; a group slot adds its seats."""
    found: dict[str, str | int] = {
        "start": iso_in_zone(slot.start_at, zone),
        "end": iso_in_zone(slot.end_at, zone),
        "start_utc": utc_iso(slot.start_at),
    }
    if slot.is_group:  # docs/GROUPS.md; one-to-one slots keep exactly the SPEC's three fields
        found["capacity"] = slot.capacity
        found["seats_left"] = slot.seats_left
    return found


def public_base_url() -> str:
    """The service's public address: ``BASE_URL``, else the address this request came to."""
    return (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")


def feed_url(user: User) -> str:
    """The absolute address of ``user``'s secret calendar feed (SPEC §5: ``/calendar/<token>.ics``)."""
    return f"{public_base_url()}/calendar/{user.calendar_token}.ics"


def me_json(user: User) -> dict[str, Any]:
    """The caller's own account, as ``GET /api/v1/me`` shows it."""
    return {
        "id": user.id,
        "role": user.role,
        "name": user.display_name,
        "timezone": user.timezone,
        "language": user.language,
        "feed_url": feed_url(user),
    }


def volunteer_json(volunteer: VolunteerProfile, kinds: list[str] | None = None) -> dict[str, Any]:
    """A volunteer's public listing; ``id`` is their user id, as their own ``/me`` shows.

    ``kinds``: the kinds a learner may book with them (``bookable_kinds``), when the caller knows them.
    """
    return {
        "id": volunteer.id,
        "name": volunteer.user.display_name,
        "timezone": volunteer.user.timezone,
        "languages": list(volunteer.languages),
        "subjects": list(volunteer.subjects),
        "kinds": list(volunteer.kinds if kinds is None else kinds),
    }
