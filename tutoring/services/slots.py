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
from functools import cache

from sqlalchemy import ColumnElement, Date, Integer, any_, bindparam, literal, literal_column, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, AwayPeriod, ExtraWindow, Session, VolunteerProfile
from tutoring.models.availability import time_of
from tutoring.models.external_calendar import ExternalBusyTime
from tutoring.models.types import UTCDateTime
from tutoring.scheduling import (
    Availability,
    Busy,
    ExternalBusy,
    OpenGroup,
    Slot,
    WeeklyRule,
    day_range_bounds,
    slots_between,
)
from tutoring.scheduling import AwayPeriod as AwayDays
from tutoring.scheduling import ExtraWindow as ExtraDay
from tutoring.scheduling.slots import LONGEST_BUSY_SECONDS
from tutoring.timeutil import utcnow

# Far enough on both sides for overlaps (buffers, long sessions) and for the
# ISO weeks the range touches, in any zone.
_MARGIN = timedelta(days=8) + timedelta(seconds=LONGEST_BUSY_SECONDS)


def dialect_name() -> str:
    """The database's dialect name (``postgresql``, ``sqlite``): the prepared statements below differ by it."""
    return db.session.get_bind().dialect.name


def ids_param(column, dialect: str, name: str = "ids") -> ColumnElement[bool]:
    """``column`` is one of the ids passed at execution as parameter ``name`` (a list).

    On PostgreSQL it is ``= ANY(array)``: one parameter however many ids, so
    the SQL text never changes and psycopg's cache of parsed queries (at
    most 50 parameters) keeps serving it; an IN list of a page's ids went
    past that and was parsed again on every request. Elsewhere an expanding IN.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


# The statements that run on every page showing slots are built once per
# dialect, their values bound at execution: building one and computing its
# cache key took longer than SQLAlchemy then needed to run it.


@cache
def _availability_query(dialect: str):
    no_number, no_date = null().cast(Integer), null().cast(Date)
    return union_all(
        select(literal_column("'rule'").label("part"), AvailabilityRule.volunteer_id, AvailabilityRule.id,
               AvailabilityRule.weekday, AvailabilityRule.start_minute, AvailabilityRule.end_minute,
               AvailabilityRule.valid_from_on, AvailabilityRule.valid_until_on, AvailabilityRule.capacity)
        .where(ids_param(AvailabilityRule.volunteer_id, dialect)),
        select(literal_column("'extra'"), ExtraWindow.volunteer_id, ExtraWindow.id, no_number,
               ExtraWindow.start_minute, ExtraWindow.end_minute, ExtraWindow.day_on, no_date, ExtraWindow.capacity)
        .where(ids_param(ExtraWindow.volunteer_id, dialect)),
        select(literal_column("'away'"), AwayPeriod.volunteer_id, AwayPeriod.id, no_number, no_number, no_number,
               AwayPeriod.first_on, AwayPeriod.last_on, no_number)
        .where(ids_param(AwayPeriod.volunteer_id, dialect)),
    )


@cache
def _busy_query(dialect: str):
    low, high = bindparam("low", type_=UTCDateTime), bindparam("high", type_=UTCDateTime)
    sessions = select(
        Session.id, Session.volunteer_id, Session.start_at, Session.end_at, Session.blocked_until_at, Session.capacity
    ).where(
        ids_param(Session.volunteer_id, dialect),
        Session.status != "cancelled",
        Session.start_at >= low,
        Session.start_at < high,
    )
    # Capacity 0 marks a row of busy time from the volunteer's own calendar
    # (one round trip for both: this runs on every page that shows slots).
    external = select(
        literal(0), ExternalBusyTime.volunteer_id, ExternalBusyTime.start_at, ExternalBusyTime.end_at,
        ExternalBusyTime.end_at, literal(0),
    ).where(
        ids_param(ExternalBusyTime.volunteer_id, dialect),
        ExternalBusyTime.start_at >= low,
        ExternalBusyTime.start_at < high,
    )
    return union_all(sessions, external).order_by(literal_column("volunteer_id"), literal_column("start_at"))


def availabilities(volunteers: Sequence[VolunteerProfile]) -> dict[int, Availability]:
    """Each volunteer's ``Availability`` (zone, settings, rules, extra windows, away periods), in one query.

    The same as ``VolunteerProfile.availability()``, but the three tables are
    read with one UNION ALL instead of a query (or lazy load) each: on
    PostgreSQL every round trip counts in a page's time.
    """
    ids = [volunteer.id for volunteer in volunteers]
    if not ids:
        return {}
    rules: dict[int, list] = defaultdict(list)
    extra: dict[int, list] = defaultdict(list)
    away: dict[int, list] = defaultdict(list)
    for part, volunteer_id, row_id, weekday, start, end, first_on, last_on, capacity in db.session.execute(
        _availability_query(dialect_name()), {"ids": ids}
    ):
        if part == "rule":
            rules[volunteer_id].append(((weekday, start, row_id), WeeklyRule(
                weekday, time_of(start), time_of(end), _as_date(first_on), _as_date(last_on), capacity)))
        elif part == "extra":
            day = _as_date(first_on)
            extra[volunteer_id].append(((day, start, row_id), ExtraDay(day, time_of(start), time_of(end), capacity)))
        else:
            first, last = _as_date(first_on), _as_date(last_on)
            away[volunteer_id].append(((first, row_id), AwayDays(first, last)))

    def ordered(items: list) -> tuple:
        # The models' relationship order, so both ways give identical input to the core.
        return tuple(item for _key, item in sorted(items, key=lambda pair: pair[0]))

    return {
        volunteer.id: Availability(
            timezone=volunteer.user.timezone,
            settings=volunteer.settings(),
            rules=ordered(rules[volunteer.id]),
            extra=ordered(extra[volunteer.id]),
            away=ordered(away[volunteer.id]),
        )
        for volunteer in volunteers
    }


def _as_date(value) -> date | None:
    # A UNION's columns take their type from its first SELECT: SQLite hands
    # back the extra windows' and away periods' dates as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


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
    rows = db.session.execute(
        _busy_query(dialect_name()), {"ids": list(buffers), "low": start_at - _MARGIN, "high": end_at + _MARGIN}
    )
    busy: dict[int, list[Busy]] = defaultdict(list)
    groups = []
    for session_id, volunteer_id, session_start, session_end, blocked_until, capacity in rows:
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
    return slots_between(availabilities([volunteer])[volunteer.id], busy, start_at, end_at, now or utcnow())


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
    known = availabilities(bookable)
    return {
        volunteer.id: slots_between(known[volunteer.id], busy.get(volunteer.id, []), start_at, end_at, now)[:limit]
        for volunteer in bookable
    }
