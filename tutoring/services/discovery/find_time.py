"""Finding a time that suits both: a learner's free hours on a week grid against volunteers' offered slots.

The learner marks hours of a week in their own zone (``weekday-hour`` cells,
Monday = 0, e.g. ``1-18`` is Tuesday 18:00-19:00). Over the seven local days
from ``first_day`` those cells become instants (``zoneinfo``, fold=0, as SPEC
§2 reads local times; touching hours merge into one free stretch), and a
volunteer's offered slot *matches* when it lies wholly inside one stretch:
the learner is free for the whole session. Volunteers passing the subject,
language and kind filters are ranked by how many matching slots they have,
then by name.

The cost is bounded: at most ``MAX_CANDIDATES`` volunteers (in name order)
are compared, a chunk at a time with three queries per chunk (profiles,
availability, sessions); the result says when the filters should narrow.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import KINDS, Booking, Session, VolunteerProfile
from tutoring.scheduling import Slot, slots_between
from tutoring.booking.slots import busy_by_volunteer
from tutoring.booking.browse import availabilities
from tutoring.services.discovery.search import SearchFilters, load_volunteers, matching_ids

DAYS = 7
HOURS = 24
MAX_CANDIDATES = 1000
CHUNK = 200
MAX_TEXT = 100
_CELL = re.compile(r"^([0-6])-([0-9]|1[0-9]|2[0-3])$")

Cell = tuple[int, int]  # (weekday 0=Monday..6, hour 0..23) in the learner's zone


@dataclass(frozen=True)
class FindRequest:
    """What the learner asked for, cleaned: the marked cells, the first day shown, and the filters."""

    cells: frozenset[Cell]
    first_day: date
    subject: str = ""
    language: str = ""
    kind: str = ""
    ignored_cells: int = 0  # values of ``free`` that name no cell (a hand-edited URL)

    @property
    def days(self) -> list[date]:
        """The seven local dates of the grid, from ``first_day``."""
        return [self.first_day + timedelta(days=n) for n in range(DAYS)]


def parse_request(args, today: date, max_days_ahead: int = 365) -> FindRequest:
    """The grid and filters in ``args`` (``request.args``); bad values are dropped, never an error page.

    ``from`` is the first local date shown (default and minimum: today; at most
    ``max_days_ahead`` ahead); ``free`` repeats once per marked cell.
    """
    cells, ignored = set(), 0
    for value in args.getlist("free")[: DAYS * HOURS * 2]:
        found = _CELL.match(value.strip())
        if found:
            cells.add((int(found.group(1)), int(found.group(2))))
        else:
            ignored += 1
    try:
        first_day = date.fromisoformat(args.get("from", ""))
    except ValueError:
        first_day = today
    first_day = min(max(first_day, today), today + timedelta(days=max_days_ahead))
    kind = args.get("kind", "")
    return FindRequest(
        cells=frozenset(cells),
        first_day=first_day,
        subject=" ".join(args.get("subject", "").split())[:MAX_TEXT],
        language=" ".join(args.get("language", "").split())[:MAX_TEXT],
        kind=kind if kind in KINDS else "",
        ignored_cells=ignored,
    )


def free_stretches(cells: Iterable[Cell], zone: str, days: Sequence[date]) -> list[tuple[datetime, datetime]]:
    """The marked hours of ``days`` as merged UTC intervals, sorted (a local hour is read with fold=0)."""
    tz = ZoneInfo(zone)
    marked = set(cells)
    raw = []
    for day in days:
        for hour in range(HOURS):
            if (day.weekday(), hour) not in marked:
                continue
            start = datetime.combine(day, time(hour), tz).astimezone(UTC)
            end_local = datetime.combine(day + timedelta(days=1), time(0), tz) if hour == HOURS - 1 else (
                datetime.combine(day, time(hour + 1), tz))
            end = end_local.astimezone(UTC)
            if end > start:
                raw.append((start, end))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(raw):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def matching_slots(slots: Sequence[Slot], stretches: Sequence[tuple[datetime, datetime]]) -> list[Slot]:
    """The slots lying wholly inside one free stretch (both lists sorted by start)."""
    found, index = [], 0
    for slot in slots:
        while index < len(stretches) and stretches[index][1] <= slot.start_at:
            index += 1
        if index == len(stretches):
            break
        start, end = stretches[index]
        if start <= slot.start_at and slot.end_at <= end:
            found.append(slot)
    return found


@dataclass(frozen=True)
class Match:
    """A volunteer and their offered slots that fit the learner's free hours."""

    volunteer: VolunteerProfile
    slots: list[Slot]

    @property
    def count(self) -> int:
        """How many matching slots: what the ranking is by."""
        return len(self.slots)


@dataclass(frozen=True)
class FindResult:
    """Ranked matches, and whether the candidates were cut at ``MAX_CANDIDATES``."""

    matches: list[Match]
    compared: int
    truncated: bool


def learner_sessions(learner_id: int, start_at: datetime, end_at: datetime) -> list[tuple[datetime, datetime]]:
    """The learner's live sessions overlapping [start_at, end_at): times they are not free after all."""
    rows = db.session.execute(
        select(Session.start_at, Session.end_at)
        .join(Booking, Booking.session_id == Session.id)
        .where(Booking.learner_id == learner_id, Booking.status != "cancelled", Session.status != "cancelled",
               Session.start_at < end_at, Session.end_at > start_at)
    )
    return [(start, end) for start, end in rows]


def find_volunteers(request: FindRequest, zone: str, now: datetime, learner_id: int | None = None,
                    *, minor: bool = False) -> FindResult:
    """Volunteers with offered slots inside the learner's free hours, most matches first (then by name).

    For a signed-in learner, times overlapping their own booked sessions don't count;
    a ``minor`` is offered only volunteers cleared for minors (SPEC §7).
    """
    stretches = free_stretches(request.cells, zone, request.days)
    if not stretches:
        return FindResult([], 0, False)
    booked = learner_sessions(learner_id, stretches[0][0], stretches[-1][1]) if learner_id is not None else []
    filters = SearchFilters(subject=request.subject, language=request.language, kind=request.kind, minor=minor)
    ids = matching_ids(filters)
    truncated = len(ids) > MAX_CANDIDATES
    ids = ids[:MAX_CANDIDATES]
    start_at, end_at = stretches[0][0], stretches[-1][1]
    matches: list[Match] = []
    for offset in range(0, len(ids), CHUNK):
        volunteers = [v for v in load_volunteers(ids[offset: offset + CHUNK]) if v.is_bookable]
        known = availabilities(volunteers)
        busy = busy_by_volunteer(volunteers, start_at, end_at)
        for volunteer in volunteers:
            slots = slots_between(known[volunteer.id], busy.get(volunteer.id, []), start_at, end_at, now)
            fitting = matching_slots(slots, stretches)
            if booked:
                fitting = [s for s in fitting if not any(a < s.end_at and s.start_at < b for a, b in booked)]
            if fitting:
                matches.append(Match(volunteer, fitting))
    # Stable sort: ties keep the name order ``matching_ids`` gave.
    matches.sort(key=lambda match: -match.count)
    return FindResult(matches, len(ids), truncated)


def cell_value(cell: Cell) -> str:
    """A cell as the form sends it: ``weekday-hour``."""
    return f"{cell[0]}-{cell[1]}"
