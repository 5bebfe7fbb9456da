"""Offered slots of volunteers, read from the database and computed by the core.

The scheduling core needs a volunteer's live sessions near the asked range:
those that can overlap a slot (a few days around it) and those that count
toward the weekly cap of the weeks the range touches. Loading just that
keeps the cost independent of the booking history.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import literal, literal_column, select, union_all

from tutoring.extensions import db
from tutoring.models import Session, VolunteerProfile
from tutoring.models.external_calendar import ExternalBusyTime
from tutoring.scheduling import Busy, ExternalBusy, OpenGroup, Slot, day_range_bounds, slots_between
from tutoring.scheduling.slots import LONGEST_BUSY_SECONDS
from tutoring.timeutil import utcnow

# Far enough on both sides for overlaps (buffers, long sessions) and for the
# ISO weeks the range touches, in any zone.
_MARGIN = timedelta(days=8) + timedelta(seconds=LONGEST_BUSY_SECONDS)


def busy_by_volunteer(
    volunteers: Sequence[VolunteerProfile], start_at: datetime, end_at: datetime
) -> dict[int, list[Busy]]:
    """Live sessions of each volunteer near [start_at, end_at), and busy time from their own
    calendars (docs/EXTERNAL_CALENDARS.md), sorted by start, in one query.

    A session keeps the time it blocked when it was booked (``blocked_until_at``,
    its end plus the buffer then). If the volunteer has shortened their buffer
    since, the session is passed to the core as ending later, so that a page
    never offers a slot that booking would refuse.
    """
    if not volunteers:
        return {}
    buffers = {volunteer.id: timedelta(minutes=volunteer.buffer_minutes) for volunteer in volunteers}
    sessions = select(
        Session.id, Session.volunteer_id, Session.start_at, Session.end_at, Session.blocked_until_at, Session.capacity
    ).where(
        Session.volunteer_id.in_(list(buffers)),
        Session.status != "cancelled",
        Session.start_at >= start_at - _MARGIN,
        Session.start_at < end_at + _MARGIN,
    )
    # Capacity 0 marks a row of busy time from the volunteer's own calendar
    # (one round trip for both: this runs on every page that shows slots).
    external = select(
        literal(0), ExternalBusyTime.volunteer_id, ExternalBusyTime.start_at, ExternalBusyTime.end_at,
        ExternalBusyTime.end_at, literal(0),
    ).where(
        ExternalBusyTime.volunteer_id.in_(list(buffers)),
        ExternalBusyTime.start_at >= start_at - _MARGIN,
        ExternalBusyTime.start_at < end_at + _MARGIN,
    )
    query = union_all(sessions, external).order_by(literal_column("volunteer_id"), literal_column("start_at"))
    busy: dict[int, list[Busy]] = defaultdict(list)
    groups = []
    for session_id, volunteer_id, session_start, session_end, blocked_until, capacity in db.session.execute(query):
        if capacity == 0:
            busy[volunteer_id].append(ExternalBusy(session_start, session_end))
            continue
        item = Busy(session_start, max(session_end, blocked_until - buffers[volunteer_id]))
        busy[volunteer_id].append(item)
        if capacity > 1:
            groups.append((session_id, volunteer_id, len(busy[volunteer_id]) - 1, capacity, session_end))
    if groups:
        _open_groups(busy, groups)
    return busy


def _open_groups(busy: dict[int, list[Busy]], groups: list[tuple[int, int, int, int, datetime]]) -> None:
    """Turn group sessions with free seats into ``OpenGroup``s, which the core offers until full (docs/GROUPS.md)."""
    from tutoring.services.groups import seats_taken  # groups builds on the booking service

    taken = seats_taken([session_id for session_id, *_ in groups])
    for session_id, volunteer_id, index, capacity, session_end in groups:
        left = capacity - taken.get(session_id, 0)
        if left > 0:
            # Offered at its real times (the core widens it by the buffer for other slots).
            busy[volunteer_id][index] = OpenGroup(busy[volunteer_id][index].start_at, session_end, capacity, left)


def slots_in_range(
    volunteer: VolunteerProfile, start_at: datetime, end_at: datetime, now: datetime | None = None
) -> list[Slot]:
    """A volunteer's offered slots starting in [start_at, end_at); none unless bookable."""
    if not volunteer.is_bookable:
        return []
    busy = busy_by_volunteer([volunteer], start_at, end_at).get(volunteer.id, [])
    return slots_between(volunteer.availability(), busy, start_at, end_at, now or utcnow())


def slots_on_days(
    volunteer: VolunteerProfile, first_day: date, last_day: date, viewer_zone: str, now: datetime | None = None
) -> list[Slot]:
    """A volunteer's offered slots on the viewer's local dates first_day..last_day (SPEC §2 rule 4)."""
    start_at, end_at = day_range_bounds(viewer_zone, first_day, last_day)
    return slots_in_range(volunteer, start_at, end_at, now)


def next_slots(
    volunteers: Sequence[VolunteerProfile], start_at: datetime, end_at: datetime, limit: int, now: datetime | None = None
) -> dict[int, list[Slot]]:
    """Up to ``limit`` first offered slots of each volunteer in [start_at, end_at), with one query for all."""
    now = now or utcnow()
    bookable = [volunteer for volunteer in volunteers if volunteer.is_bookable]
    busy = busy_by_volunteer(bookable, start_at, end_at)
    return {
        volunteer.id: slots_between(volunteer.availability(), busy.get(volunteer.id, []), start_at, end_at, now)[:limit]
        for volunteer in bookable
    }
