"""What the browsing pages show: the viewer's zone, the volunteer list, a volunteer's week of slots.

Kept apart from the views so the rules (which week, which zone, which
volunteers are visible) are reachable without HTTP.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import abort, g, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from tutoring.extensions import db
from tutoring.services.minors.clearance import is_cleared, viewer_is_minor
from tutoring.services.people.zones import zone_from_text
from tutoring.timeutil import utc_iso
from tutoring.i18n import current_timezone
from tutoring.models import KINDS, VolunteerProfile
from tutoring.scheduling import Availability, Busy, Slot, day_range_bounds, slots_between
# availabilities is imported from here too (find_time, tests).
from tutoring.booking.slots import availabilities, busy_by_volunteer, slot_inputs  # noqa: F401
from tutoring.models.types import MAX_ID

# Weeks further than this from today are refused: nothing is offered there,
# and dates near year 1 or 9999 would overflow the date arithmetic.
WEEK_REACH_DAYS = 400
# Paused volunteers keep a public page (with a notice); pending ones have none yet.
VISIBLE_STATES = ("approved", "paused")


# --- the viewer's zone -------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewerZone:
    """The zone a page shows times in, and what became of a ``?tz=`` parameter."""

    name: str
    override: str | None = None  # a valid ?tz=, carried on the page's links
    rejected: str | None = None  # an invalid ?tz=, shown back next to a message


def viewer_zone(requested: str | None) -> ViewerZone:
    """The zone asked for in ``?tz=`` when it is one, else the viewer's own (account, browser, UTC)."""
    requested = (requested or "").strip()
    if not requested:
        return ViewerZone(current_timezone())
    zone = zone_from_text(requested)
    if zone is None:
        return ViewerZone(current_timezone(), rejected=requested[:64])
    return ViewerZone(zone, override=zone)


def local_today(zone: str, now: datetime) -> date:
    """The date it is in ``zone`` at ``now``."""
    return now.astimezone(ZoneInfo(zone)).date()


# --- volunteers --------------------------------------------------------------------------------


# Built once: constructing it and its cache key cost more than running it.
_VOLUNTEER_QUERY = (
    select(VolunteerProfile)
    .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
    .options(joinedload(VolunteerProfile.user))
)


def visible_volunteer_or_404(volunteer_id: int, viewer=None, *, owner_preview: bool = False) -> VolunteerProfile:
    """The volunteer with a public page (approved or paused, active account), else 404; availability loaded.

    A ``viewer`` who is a minor sees only volunteers cleared for minors (SPEC §7): the others answer 404.
    ``owner_preview``: a pending volunteer's page is there for its owner alone (a preview before approval).
    """
    volunteer = db.session.scalar(
        _VOLUNTEER_QUERY, {"volunteer_id": volunteer_id}
    ) if 1 <= volunteer_id <= MAX_ID else None
    if volunteer is None or not volunteer.user.is_active:
        abort(404)
    viewer_id = viewer.id if viewer is not None and viewer.is_authenticated else None
    previewed = owner_preview and volunteer.state == "pending" and viewer_id == volunteer.user_id
    if volunteer.state not in VISIBLE_STATES and not previewed:
        abort(404)
    if viewer_is_minor(viewer) and not is_cleared(volunteer.user_id):
        abort(404)
    return volunteer


def booking_href(volunteer_id: int, start_at: datetime) -> str:
    """Where a slot leads: the booking page for that volunteer and UTC start (``…/book?start=2027-01-12T16:00:00Z``)."""
    # One url_for per volunteer and request: a results page has ~60 slot
    # links, and the start (digits, "-", ":", "T", "Z") needs no quoting.
    bases = g.setdefault("booking_bases", {})
    base = bases.get(volunteer_id)
    if base is None:
        base = bases[volunteer_id] = url_for("booking.new", volunteer_id=volunteer_id)
    return f"{base}?start={utc_iso(start_at)}"


booking_href.kind = None  # type: ignore[attr-defined]  (the kind a search chose: none here)


@cache
def booking_href_for(kind: str | None):
    """``booking_href`` that also carries the kind chosen in a search (``…&kind=support``), so the booking page
    starts with it chosen (issue 22). One function per kind, the same each time: cached markup keys on it.
    Its ``kind`` attribute lets a template carry the kind on to other links (a volunteer's week)."""
    if kind not in KINDS:
        return booking_href

    def href(volunteer_id: int, start_at: datetime) -> str:
        return f"{booking_href(volunteer_id, start_at)}&kind={kind}"

    href.kind = kind  # type: ignore[attr-defined]
    return href


# --- availability, read in one query (tutoring/booking/slots.py) -----------------------------


def first_slots(
    volunteers: Sequence[VolunteerProfile], start_at: datetime, end_at: datetime, limit: int, now: datetime,
    known: dict[int, Availability] | None = None, *, kind: str | None = None,
) -> dict[int, list[Slot]]:
    """Up to ``limit`` first offered slots (of ``kind``; None: any) of each bookable volunteer in [start_at, end_at):
    one query for all. ``known``: availabilities already read by ``slot_inputs`` (for that kind)."""
    bookable = [volunteer for volunteer in volunteers if volunteer.is_bookable]
    if known is None:
        known, busy = slot_inputs(bookable, start_at, end_at, kind=kind)
    else:
        busy = busy_by_volunteer(bookable, start_at, end_at)
    return {
        volunteer.id: slots_between(known[volunteer.id], busy.get(volunteer.id, []), start_at, end_at, now)[:limit]
        for volunteer in bookable
    }


# --- one week of slots -------------------------------------------------------------------------


def monday_of(day: date) -> date:
    """The Monday starting ``day``'s week."""
    return day - timedelta(days=day.weekday())


def parse_week(value: str | None, today: date) -> tuple[date, str | None]:
    """The Monday of the week holding ``value`` (``YYYY-MM-DD``), else this week's and a message saying why."""
    value = (value or "").strip()
    if not value:
        return monday_of(today), None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return monday_of(today), _("“%(value)s” is not a date. Showing this week instead.", value=value[:20])
    if abs((day - today).days) > WEEK_REACH_DAYS:
        return monday_of(today), _("That week is too far away. Showing this week instead.")
    return monday_of(day), None


@dataclass(frozen=True)
class Day:
    """One local day of the week and the slots that start on it."""

    on: date
    slots: list[Slot]
    is_today: bool
    is_past: bool


@dataclass(frozen=True)
class Week:
    """Seven local days (Monday first) of a volunteer's slots as one viewer sees them."""

    zone: str
    days: list[Day]
    starts_at: datetime
    ends_at: datetime
    previous_monday: date | None
    next_monday: date | None
    first_free: Slot | None  # the next free slot anywhere, when this week has none

    @property
    def monday(self) -> date:
        """The first day shown."""
        return self.days[0].on

    @property
    def sunday(self) -> date:
        """The last day shown."""
        return self.days[-1].on

    @property
    def is_empty(self) -> bool:
        """True when no day of the week has a free slot."""
        return not any(day.slots for day in self.days)

    @property
    def offsets(self) -> tuple[timedelta, timedelta]:
        """The zone's UTC offset as the week begins and as it ends (they differ on a clock-change week)."""
        zone = ZoneInfo(self.zone)
        return (
            self.starts_at.astimezone(zone).utcoffset(),
            (self.ends_at - timedelta(seconds=1)).astimezone(zone).utcoffset(),
        )

    @property
    def first_free_monday(self) -> date | None:
        """The Monday of the week holding ``first_free``, in this week's zone."""
        if self.first_free is None:
            return None
        return monday_of(self.first_free.start_at.astimezone(ZoneInfo(self.zone)).date())

    def label_instant(self, now: datetime) -> datetime:
        """The instant whose offset names the zone: now for this week, else the week's start."""
        return max(now, self.starts_at)


def _offered(
    volunteer: VolunteerProfile, start_at: datetime, end_at: datetime, now: datetime, ignoring: Busy | None,
    kind: str | None = None,
) -> tuple[Availability | None, list[Slot]]:
    """The volunteer's availability (None when they take no bookings) and offered slots in [start_at, end_at),
    as if the session ``ignoring`` were not there (it is being moved); one query."""
    if not volunteer.is_bookable:
        return None, []
    known, busy_of = slot_inputs([volunteer], start_at, end_at, kind=kind)
    busy = busy_of.get(volunteer.id, [])
    if ignoring is not None:
        # Sessions of one volunteer never share a start (they can't overlap), so the start identifies it.
        busy = [one for one in busy if one.start_at != ignoring.start_at]
    availability = known[volunteer.id]
    if ignoring is not None and ignoring.start_at in availability.kind_starts:  # nor in the support weekly cap
        availability = dataclasses.replace(
            availability, kind_starts=tuple(start for start in availability.kind_starts if start != ignoring.start_at))
    return availability, slots_between(availability, busy, start_at, end_at, now)


def week_of_slots(
    volunteer: VolunteerProfile, monday: date, zone: str, now: datetime, ignoring: Busy | None = None, *,
    kind: str | None = None,
) -> Week:
    """The volunteer's free slots on the viewer's local days ``monday``..Sunday (SPEC §2 rule 4).

    ``ignoring`` is a session of theirs to treat as free: the one a
    reschedule moves, whose neighbouring slots are then offered too.
    """
    sunday = monday + timedelta(days=6)
    starts_at, ends_at = day_range_bounds(zone, monday, sunday)
    tzinfo = ZoneInfo(zone)
    by_day: dict[date, list[Slot]] = defaultdict(list)
    availability, offered = _offered(volunteer, starts_at, ends_at, now, ignoring, kind)
    for slot in offered:
        by_day[slot.start_at.astimezone(tzinfo).date()].append(slot)

    today = local_today(zone, now)
    days = [
        Day(day, by_day.get(day, []), is_today=day == today, is_past=day < today)
        for day in (monday + timedelta(days=n) for n in range(7))
    ]

    # Earlier weeks are over; later ones only up to the volunteer's horizon.
    previous_monday = monday - timedelta(days=7) if monday > monday_of(today) else None
    next_start, _unused = day_range_bounds(zone, monday + timedelta(days=7), monday + timedelta(days=7))
    horizon_end = now + timedelta(days=volunteer.horizon_days)
    next_monday = monday + timedelta(days=7) if volunteer.is_bookable and next_start <= horizon_end else None

    first_free = None
    if not by_day and availability is not None:
        found = first_slots([volunteer], now, horizon_end, 1, now, {volunteer.id: availability})
        first_free = next(iter(found.get(volunteer.id, [])), None)
    return Week(zone, days, starts_at, ends_at, previous_monday, next_monday, first_free)
