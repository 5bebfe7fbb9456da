"""Offered slots of volunteers, read from the database and computed by the core.

The scheduling core needs a volunteer's live sessions near the asked range:
those that can overlap a slot (a few days around it) and those that count
toward the weekly cap of the weeks the range touches. Loading just that
keeps the cost independent of the booking history.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from tutoring.extensions import db
from tutoring.lru import LRU
from tutoring.models import AvailabilityRule, AwayPeriod, Booking, ExtraWindow, ScheduleVersion, Session, VolunteerProfile
from tutoring.models.availability import time_of
from tutoring.models.external_calendar import ExternalBusyTime
from tutoring.models.types import UTCDateTime
from tutoring.scheduling import (
    Availability,
    Busy,
    ExternalBusy,
    OpenGroup,
    SessionSettings,
    Slot,
    WeeklyRule,
    day_range_bounds,
    is_offered,
    kind_week_is_full,
    slots_between,
)
from tutoring.scheduling import AwayPeriod as AwayDays
from tutoring.scheduling import ExtraWindow as ExtraDay
from tutoring.scheduling.slots import LONGEST_BUSY_SECONDS
from tutoring.timeutil import utcnow

# Far enough on both sides for overlaps (buffers, long sessions) and for the
# ISO weeks the range touches, in any zone.
_MARGIN = timedelta(days=8) + timedelta(seconds=LONGEST_BUSY_SECONDS)


DEFAULT_SUPPORT_WEEKLY_CAP = 5


def support_weekly_cap() -> int | None:
    """``TUTORING_SUPPORT_WEEKLY_CAP``: listening sessions a support volunteer holds per ISO week (default 5; 0: none)."""
    value = current_app.config.get("SUPPORT_WEEKLY_CAP", DEFAULT_SUPPORT_WEEKLY_CAP)
    try:
        cap = int(value)
    except (TypeError, ValueError):
        return DEFAULT_SUPPORT_WEEKLY_CAP
    return cap if cap > 0 else None


def capped_settings(volunteer: VolunteerProfile) -> SessionSettings:
    """The volunteer's settings as every slot is read with them: a listener who offers only ``support`` is held
    to the support weekly cap (issue 18: looking after volunteers), or their own cap if it is lower."""
    settings = volunteer.settings()
    cap = support_weekly_cap()
    if cap is not None and set(volunteer.kinds or ()) == {"support"}:
        own = settings.max_sessions_per_week
        if own is None or own > cap:
            settings = dataclasses.replace(settings, max_sessions_per_week=cap)
    return settings


def support_sessions_in_week(volunteer_id: int, zone: str, instant: datetime, *,
                             ignoring_session: int | None = None) -> int:
    """Live ``support`` sessions of the volunteer in the ISO week (their zone) holding ``instant`` (for
    coordinators' lists; what is offered and booked is decided by ``slot_inputs``)."""
    local = instant.astimezone(ZoneInfo(zone))
    monday = (local - timedelta(days=local.weekday())).date()
    week_start, week_end = day_range_bounds(zone, monday, monday + timedelta(days=6))
    query = select(func.count(Session.id)).where(
        Session.volunteer_id == volunteer_id, Session.kind == "support", Session.status != "cancelled",
        Session.start_at >= week_start, Session.start_at < week_end)
    if ignoring_session is not None:
        query = query.where(Session.id != ignoring_session)
    return db.session.scalar(query) or 0


def support_week_full(volunteer: VolunteerProfile, kind: str | None, start_at: datetime, *,
                      ignoring_session: int | None = None) -> bool:
    """True when the support weekly cap keeps a ``kind`` slot at ``start_at`` from being offered: the week (ISO,
    the volunteer's zone) already holds the cap. Read by the one slot reader (``slot_inputs``), as pages and
    booking read it; the engine and series ask it only to say why a slot is refused."""
    if support_weekly_cap() is None or not support_capped(volunteer, kind):
        return False
    known, _busy = slot_inputs([volunteer], start_at, start_at, kind=kind, ignoring_session=ignoring_session,
                               cached=False)
    return kind_week_is_full(known[volunteer.id], start_at)


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


def _none(type_):
    return null().cast(type_)


def _rule_columns():
    return (AvailabilityRule.volunteer_id, AvailabilityRule.id, AvailabilityRule.weekday, AvailabilityRule.start_minute,
            AvailabilityRule.end_minute, AvailabilityRule.valid_from_on, AvailabilityRule.valid_until_on,
            AvailabilityRule.capacity)


def _extra_columns():
    return (ExtraWindow.volunteer_id, ExtraWindow.id, _none(Integer), ExtraWindow.start_minute, ExtraWindow.end_minute,
            ExtraWindow.day_on, _none(Date), ExtraWindow.capacity)


def _away_columns():
    return (AwayPeriod.volunteer_id, AwayPeriod.id, _none(Integer), _none(Integer), _none(Integer),
            AwayPeriod.first_on, AwayPeriod.last_on, _none(Integer))


@cache
def _availability_query(dialect: str):
    return union_all(
        select(literal_column("'rule'").label("part"), *_rule_columns())
        .where(ids_param(AvailabilityRule.volunteer_id, dialect)),
        select(literal_column("'extra'"), *_extra_columns()).where(ids_param(ExtraWindow.volunteer_id, dialect)),
        select(literal_column("'away'"), *_away_columns()).where(ids_param(AwayPeriod.volunteer_id, dialect)),
    )


def _session_filter(dialect: str) -> tuple[ColumnElement[bool], ...]:
    """Live sessions of the volunteers in ``ids`` starting in [low, high)."""
    return (
        ids_param(Session.volunteer_id, dialect),
        Session.status != "cancelled",
        Session.start_at >= bindparam("low", type_=UTCDateTime),
        Session.start_at < bindparam("high", type_=UTCDateTime),
    )


def _external_filter(dialect: str) -> tuple[ColumnElement[bool], ...]:
    """Busy time from the own calendars of the volunteers in ``ids``, starting in [low, high)."""
    return (
        ids_param(ExternalBusyTime.volunteer_id, dialect),
        ExternalBusyTime.start_at >= bindparam("low", type_=UTCDateTime),
        ExternalBusyTime.start_at < bindparam("high", type_=UTCDateTime),
    )


@cache
def _busy_query(dialect: str):
    sessions = select(
        Session.id, Session.volunteer_id, Session.start_at, Session.end_at, Session.blocked_until_at, Session.capacity
    ).where(*_session_filter(dialect))
    # Capacity 0 marks a row of busy time from the volunteer's own calendar
    # (one round trip for both: this runs on every page that shows slots).
    external = select(
        literal(0), ExternalBusyTime.volunteer_id, ExternalBusyTime.start_at, ExternalBusyTime.end_at,
        ExternalBusyTime.end_at, literal(0),
    ).where(*_external_filter(dialect))
    return union_all(sessions, external).order_by(literal_column("volunteer_id"), literal_column("start_at"))


# The instants of _inputs_query as the driver returns them, and the column type that makes them UTC.
_RAW_INSTANT = DateTime(timezone=True)
_INSTANT = UTCDateTime()


@cache
def _inputs_query(dialect: str):
    """``_availability_query`` and ``_busy_query`` as one UNION ALL: one round trip for everything a page's slots need.

    A row is: part, volunteer, row id, the three availability numbers, two
    dates, capacity, then a busy row's start, end and blocked-until. Those
    three come back as the driver gives them (the UNION's columns take the
    first SELECT's type, here a plain DateTime): ``slot_inputs`` makes them
    UTC instants only for busy rows, not the ~130 NULLs of availability rows.
    """
    def instants():
        return _none(_RAW_INSTANT).label("start_at"), _none(_RAW_INSTANT), _none(_RAW_INSTANT)

    def numbers():
        return _none(Integer), _none(Integer), _none(Integer), _none(Date), _none(Date)

    return union_all(
        select(literal_column("'rule'").label("part"), *_rule_columns(), *instants())
        .where(ids_param(AvailabilityRule.volunteer_id, dialect)),
        select(literal_column("'extra'"), *_extra_columns(), *instants())
        .where(ids_param(ExtraWindow.volunteer_id, dialect)),
        select(literal_column("'away'"), *_away_columns(), *instants())
        .where(ids_param(AwayPeriod.volunteer_id, dialect)),
        # A support session is marked as such: the support weekly cap counts them (``with_kind_cap``).
        select(case((Session.kind == "support", literal_column("'support'")), else_=literal_column("'session'")),
               Session.volunteer_id, Session.id, *numbers(), Session.capacity,
               Session.start_at, Session.end_at, Session.blocked_until_at)
        .where(*_session_filter(dialect)),
        select(literal_column("'external'"), ExternalBusyTime.volunteer_id, _none(Integer), *numbers(),
               _none(Integer), ExternalBusyTime.start_at, ExternalBusyTime.end_at, ExternalBusyTime.end_at)
        .where(*_external_filter(dialect)),
    ).order_by(literal_column("volunteer_id"), literal_column("start_at"))


class _Reader:
    """Turns the rows of the queries above into the scheduling core's input."""

    def __init__(self, volunteers: Sequence[VolunteerProfile]) -> None:
        self.volunteers = volunteers
        self.buffers = {volunteer.id: timedelta(minutes=volunteer.buffer_minutes) for volunteer in volunteers}
        self.rules: dict[int, list] = defaultdict(list)
        self.extra: dict[int, list] = defaultdict(list)
        self.away: dict[int, list] = defaultdict(list)
        self.busy: dict[int, list[Busy]] = defaultdict(list)
        self.groups: list[tuple[int, int, int, int, datetime]] = []

    def availability_row(self, part, volunteer_id, row_id, weekday, start, end, first_on, last_on, capacity) -> None:
        if part == "rule":
            self.rules[volunteer_id].append(((weekday, start, row_id), WeeklyRule(
                weekday, time_of(start), time_of(end), _as_date(first_on), _as_date(last_on), capacity)))
        elif part == "extra":
            day = _as_date(first_on)
            self.extra[volunteer_id].append(
                ((day, start, row_id), ExtraDay(day, time_of(start), time_of(end), capacity))
            )
        else:
            first, last = _as_date(first_on), _as_date(last_on)
            self.away[volunteer_id].append(((first, row_id), AwayDays(first, last)))

    def busy_row(self, session_id, volunteer_id, start_at, end_at, blocked_until, capacity) -> None:
        busy = self.busy[volunteer_id]
        if not capacity:  # own-calendar busy time
            busy.append(ExternalBusy(start_at, end_at))
            return
        # A session keeps the time it blocked when booked; a buffer shortened since doesn't free that time.
        busy.append(Busy(start_at, max(end_at, blocked_until - self.buffers[volunteer_id])))
        if capacity > 1:
            self.groups.append((session_id, volunteer_id, len(busy) - 1, capacity, end_at))

    def availability(self, volunteer_id: int, zone: str, settings: SessionSettings) -> Availability:
        def ordered(items: list) -> tuple:
            # The models' relationship order, so both ways give identical input to the core.
            return tuple(item for _key, item in sorted(items, key=lambda pair: pair[0]))

        return Availability(
            timezone=zone,
            settings=settings,
            rules=ordered(self.rules[volunteer_id]),
            extra=ordered(self.extra[volunteer_id]),
            away=ordered(self.away[volunteer_id]),
        )

    def availabilities(self) -> dict[int, Availability]:
        return {
            volunteer.id: self.availability(volunteer.id, volunteer.user.timezone, capped_settings(volunteer))
            for volunteer in self.volunteers
        }

    def busy_time(self) -> dict[int, list[Busy]]:
        if self.groups:
            _open_groups(self.busy, self.groups)
        return self.busy


def availabilities(volunteers: Sequence[VolunteerProfile]) -> dict[int, Availability]:
    """Each volunteer's ``Availability`` (zone, settings, rules, extra windows, away periods), in one query.

    The same as ``VolunteerProfile.availability()``, but the three tables are
    read with one UNION ALL instead of a query (or lazy load) each: on
    PostgreSQL every round trip counts in a page's time.
    """
    if not volunteers:
        return {}
    reader = _Reader(volunteers)
    for row in db.session.execute(_availability_query(dialect_name()), {"ids": list(reader.buffers)}).all():
        reader.availability_row(*row)
    return reader.availabilities()


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
    reader = _Reader(volunteers)
    window = {"ids": list(reader.buffers), "low": start_at - _MARGIN, "high": end_at + _MARGIN}
    rows = db.session.execute(_busy_query(dialect_name()), window).all()
    for row in rows:
        reader.busy_row(*row)
    return reader.busy_time()


def slot_inputs(
    volunteers: Sequence[VolunteerProfile], start_at: datetime, end_at: datetime, *, kind: str | None = None,
    ignoring_session: int | None = None, cached: bool = True,
) -> tuple[dict[int, Availability], dict[int, list[Busy]]]:
    """``availabilities(volunteers)`` and ``busy_by_volunteer(volunteers, start_at, end_at)`` in one query
    (without the session ``ignoring_session``, when given), for slots of ``kind`` (None: of any kind they offer).

    The kind matters for the support weekly cap: see ``with_kind_cap``.

    What the query returns for a volunteer is kept per process (``_INPUTS``),
    keyed by their ``schedule_versions`` row read from the database first, on
    every call (one small query), and the range: database triggers raise the
    version in the same transaction as any change of their rules, extra
    windows, away periods, sessions, bookings or external busy time (migration
    0021), so an entry is never read for a later state of those rows. Zone,
    settings, kinds and the support cap are read afresh each time, not kept.
    ``cached=False`` reads everything from the database, as do reads of one volunteer.
    """
    if not volunteers:
        return {}, {}
    low, high = start_at - _MARGIN, end_at + _MARGIN
    dialect = db.session.get_bind().dialect
    entries: dict[int, _Inputs] = {}
    versions: dict[int, int] = {}
    wanted = list(volunteers)
    # Only for several volunteers at once (search, lists): for one, the version's round trip costs about what
    # the one query it may save does, and a volunteer's week is seldom read twice by the same process before it
    # changes (bench.load: week pages and the API's slots ran slower with it).
    use_cache = cached and ignoring_session is None and len(volunteers) > 1
    if use_cache:
        # The versions first: a change committed after this read makes a later version, never this one's entry.
        versions = dict(db.session.execute(_versions_query(dialect.name), {"ids": [v.id for v in volunteers]}).all())
        wanted = []
        for volunteer in volunteers:
            entry = _INPUTS.get((volunteer.id, versions.get(volunteer.id), low, high, volunteer.buffer_minutes))
            if entry is None:
                wanted.append(volunteer)
            else:
                entries[volunteer.id] = entry
    if wanted:
        fresh = _read_inputs(wanted, low, high, dialect, ignoring_session)
        for volunteer in wanted:
            entry = entries[volunteer.id] = fresh[volunteer.id]
            if use_cache and volunteer.id in versions:
                _INPUTS.put((volunteer.id, versions[volunteer.id], low, high, volunteer.buffer_minutes), entry)
    cap = support_weekly_cap()
    known = {}
    busy_of: dict[int, list[Busy]] = {}
    groups: list[tuple[int, int, int, int, datetime]] = []
    for volunteer in volunteers:
        entry = entries[volunteer.id]
        availability = _availability_of(volunteer.user.timezone, capped_settings(volunteer), entry.rows)
        known[volunteer.id] = with_kind_cap(availability, volunteer, kind, entry.support_starts, cap)
        if entry.busy:
            busy_of[volunteer.id] = list(entry.busy)
            groups.extend((session_id, volunteer.id, index, capacity, end) for session_id, index, capacity, end in entry.groups)
    if groups:
        _open_groups(busy_of, groups)
    return known, busy_of


@dataclasses.dataclass(frozen=True, slots=True)
class _Inputs:
    """What ``_inputs_query`` returned for one volunteer and range: availability rows, the starts of their live
    support sessions, their busy time (sessions widened to what they blocked) and their group sessions (as
    ``(session id, index in busy, capacity, end)``, opened with the seats taken now)."""

    rows: tuple[tuple, ...]
    support_starts: tuple[datetime, ...]
    busy: tuple[Busy, ...]
    groups: tuple[tuple[int, int, int, datetime], ...]


# Per process; entries are keyed by everything they depend on, so the limit only decides how long old ones stay
# (an entry is a few kilobytes: 8,192 of them, some tens of megabytes a process at most).
_INPUTS: LRU[tuple, _Inputs] = LRU(8192)


@cache
def _versions_query(dialect: str):
    return select(ScheduleVersion.volunteer_id, ScheduleVersion.version).where(
        ids_param(ScheduleVersion.volunteer_id, dialect))


def _read_inputs(volunteers: Sequence[VolunteerProfile], low: datetime, high: datetime, dialect,
                 ignoring_session: int | None) -> dict[int, _Inputs]:
    """Each volunteer's ``_Inputs`` for sessions and busy time starting in [low, high), in one query."""
    reader = _Reader(volunteers)
    window = {"ids": list(reader.buffers), "low": low, "high": high}
    rows = db.session.execute(_inputs_query(dialect.name), window).all()  # all at once: cheaper than row by row
    instant = _INSTANT.process_result_value
    known_rows: dict[int, list[tuple]] = defaultdict(list)
    support_starts: dict[int, list[datetime]] = defaultdict(list)
    # busy_start/busy_end: a busy row's own instants, not this function's range.
    for (part, volunteer_id, row_id, weekday, start, end, first_on, last_on, capacity,
         busy_start, busy_end, until) in rows:
        if part == "session" or part == "support":
            if row_id == ignoring_session:
                continue
            session_start = instant(busy_start, dialect)
            if part == "support":
                support_starts[volunteer_id].append(session_start)
            reader.busy_row(row_id, volunteer_id, session_start, instant(busy_end, dialect),
                            instant(until, dialect), capacity)
        elif part == "external":
            reader.busy_row(row_id, volunteer_id, instant(busy_start, dialect), instant(busy_end, dialect),
                            instant(until, dialect), capacity)
        else:
            known_rows[volunteer_id].append((part, row_id, weekday, start, end, first_on, last_on, capacity))
    groups: dict[int, list[tuple[int, int, int, datetime]]] = defaultdict(list)
    for session_id, volunteer_id, index, capacity, end in reader.groups:
        groups[volunteer_id].append((session_id, index, capacity, end))
    return {
        volunteer.id: _Inputs(tuple(known_rows[volunteer.id]), tuple(support_starts[volunteer.id]),
                              tuple(reader.busy.get(volunteer.id, ())), tuple(groups[volunteer.id]))
        for volunteer in volunteers
    }


def support_capped(volunteer: VolunteerProfile, kind: str | None) -> bool:
    """Whether slots of ``kind`` (None: any kind they offer) are held to the support weekly cap: support slots,
    and every slot of a listener who offers only support."""
    return kind == "support" or (kind is None and set(volunteer.kinds or ()) == {"support"})


def with_kind_cap(availability: Availability, volunteer: VolunteerProfile, kind: str | None,
                  support_starts: Sequence[datetime] | None, cap: int | None) -> Availability:
    """``availability`` for slots of ``kind``: with the support weekly cap when it applies (``support_capped``).

    The core then offers no slot in an ISO week of the volunteer's zone (local
    Monday 00:00 to the next, the weeks of ``day_range_bounds``) that already
    holds ``cap`` live support sessions by their start (``support_starts``,
    sorted; ``slot_inputs`` reads every session of the weeks the range touches).
    """
    if cap is None or not support_starts or not support_capped(volunteer, kind):
        return availability
    return dataclasses.replace(availability, kind_cap=cap, kind_starts=tuple(support_starts))


@lru_cache(maxsize=4096)
def _availability_of(zone: str, settings: SessionSettings, rows: tuple[tuple, ...]) -> Availability:
    """The ``Availability`` these rows of ``_inputs_query`` make, remembered by the rows' values themselves.

    Turning ~5 rows a volunteer into the core's rules took a fifth of a
    search's slot reading, and the same volunteers' rows come back on page
    after page. The key holds every value read, so an edited rule, window
    or setting is a new key and is built afresh; the result is immutable.
    """
    reader = _Reader(())
    for part, row_id, weekday, start, end, first_on, last_on, capacity in rows:
        reader.availability_row(part, 0, row_id, weekday, start, end, first_on, last_on, capacity)
    return reader.availability(0, zone, settings)


def _open_groups(busy: dict[int, list[Busy]], groups: list[tuple[int, int, int, int, datetime]]) -> None:
    """Turn group sessions with free seats into ``OpenGroup``s, which the core offers until full (docs/GROUPS.md)."""
    taken = seats_taken([session_id for session_id, *_ in groups])
    for session_id, volunteer_id, index, capacity, session_end in groups:
        left = capacity - taken.get(session_id, 0)
        if left > 0:
            # Offered at its real times (the core widens it by the buffer for other slots).
            busy[volunteer_id][index] = OpenGroup(busy[volunteer_id][index].start_at, session_end, capacity, left)


def slots_in_range(
    volunteer: VolunteerProfile, start_at: datetime, end_at: datetime, now: datetime | None = None, *,
    kind: str | None = None,
) -> list[Slot]:
    """A volunteer's offered slots (of ``kind``; None: any) starting in [start_at, end_at); none unless bookable."""
    if not volunteer.is_bookable:
        return []
    known, busy = slot_inputs([volunteer], start_at, end_at, kind=kind)
    return slots_between(known[volunteer.id], busy.get(volunteer.id, []), start_at, end_at, now or utcnow())


def slots_on_days(
    volunteer: VolunteerProfile, first_day: date, last_day: date, viewer_zone: str, now: datetime | None = None, *,
    kind: str | None = None,
) -> list[Slot]:
    """A volunteer's offered slots (of ``kind``) on the viewer's local dates first_day..last_day (SPEC §2 rule 4)."""
    start_at, end_at = day_range_bounds(viewer_zone, first_day, last_day)
    return slots_in_range(volunteer, start_at, end_at, now, kind=kind)


def next_slots(
    volunteers: Sequence[VolunteerProfile], start_at: datetime, end_at: datetime, limit: int, now: datetime | None = None,
    *, kind: str | None = None,
) -> dict[int, list[Slot]]:
    """Up to ``limit`` first offered slots (of ``kind``) of each volunteer in [start_at, end_at), with one query."""
    now = now or utcnow()
    bookable = [volunteer for volunteer in volunteers if volunteer.is_bookable]
    known, busy = slot_inputs(bookable, start_at, end_at, kind=kind)
    return {
        volunteer.id: slots_between(known[volunteer.id], busy.get(volunteer.id, []), start_at, end_at, now)[:limit]
        for volunteer in bookable
    }


def seats_taken(session_ids: list[int]) -> dict[int, int]:
    """Live bookings per session, for many sessions in one query."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Booking.session_id, func.count(Booking.id))
        .where(Booking.session_id.in_(session_ids), Booking.status != "cancelled")
        .group_by(Booking.session_id)
    )
    return {session_id: count for session_id, count in rows}


def offered_at(
    volunteer: VolunteerProfile, start_at: datetime, now: datetime, *, kind: str | None = None,
    ignoring_session: int | None = None,
) -> Slot | None:
    """The volunteer's slot starting exactly at ``start_at`` if it is offered now, else None.

    The same reading as every page's (``slot_inputs``, one query) and the same
    decision (the core's ``is_offered``): booking asks this under its lock, so
    a page never offers what booking refuses. ``ignoring_session``: a session
    of theirs to treat as free (the one a reschedule moves). ``kind``: the kind
    booked (the support weekly cap holds support slots; None: any kind).
    """
    # Under the engine's lock: read from the database itself (a one-start range is no page's key either).
    known, busy = slot_inputs([volunteer], start_at, start_at, kind=kind, ignoring_session=ignoring_session,
                              cached=False)
    return is_offered(known[volunteer.id], busy.get(volunteer.id, []), start_at, now)
