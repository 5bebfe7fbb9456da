"""Impact reports for coordinators: sessions per week, volunteer hours, learners served, busiest hours.

The numbers for a date range (local days in the coordinator's zone, weeks
from Monday there) and optionally one programme (sessions of its
volunteers). Only the columns the figures need are read: a booking's note
never leaves the database for a report.

What each figure counts (docs/COORDINATORS.md):

* per week, by the session's start: ``booked`` = every booking (a learner's
  seat) made for a session that week, whatever became of it; ``held`` =
  completed, ``cancelled``, ``no_show``; the rest are still ``confirmed``.
* volunteer hours: the length of each completed *session* (a group session
  counts once, however many learners came).
* learners served: distinct learners with at least one completed booking.
* busiest hours: non-cancelled bookings by the hour they start in *each
  learner's own* zone.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from tutoring.extensions import db
from tutoring.models import Booking, Programme, ProgrammeMember, Session, User
from tutoring.scheduling import day_range_bounds

DEFAULT_WEEKS = 8
MAX_RANGE_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2200
STATUS_MEASURES = ("booked", "held", "cancelled", "no_show")
_HELD = {"completed": "held", "cancelled": "cancelled", "no_show": "no_show"}


@dataclass(frozen=True)
class ReportQuery:
    """What the coordinator asked for, cleaned; ``errors`` maps a field to a message (that field then fell back)."""

    first_day: date
    last_day: date
    zone: str
    programme: Programme | None = None
    raw: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    def query_args(self) -> dict[str, str]:
        """The report's URL parameters (for the CSV link and shared links)."""
        args = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        if self.programme is not None:
            args["programme"] = self.programme.slug
        return args


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_report_args(args: Mapping[str, str], today: date, zone: str) -> ReportQuery:
    """``from``, ``to`` (ISO dates) and ``programme`` (a slug) from the URL; bad ones get a message and a default.

    Default: the last eight weeks, from a Monday to today.
    """
    raw = {key: (args.get(key) or "").strip()[:100] for key in ("from", "to", "programme")}
    errors: dict[str, str] = {}
    default_first = _monday(today) - timedelta(weeks=DEFAULT_WEEKS - 1)
    days: dict[str, date | None] = {}
    for key in ("from", "to"):
        days[key] = None
        if raw[key]:
            try:
                days[key] = date.fromisoformat(raw[key])
                if not FIRST_YEAR <= days[key].year <= LAST_YEAR:  # far dates break zone arithmetic
                    raise ValueError(raw[key])
            except ValueError:
                days[key] = None
                errors[key] = _("Enter a date like %(example)s.", example=today.isoformat())
    first_day = days["from"] or default_first
    last_day = days["to"] or today
    if last_day < first_day:
        errors["to"] = _("The last day is before the first day.")
        first_day, last_day = default_first, today
    elif (last_day - first_day).days >= MAX_RANGE_DAYS:
        errors["to"] = _("Choose at most %(days)d days.", days=MAX_RANGE_DAYS)
        first_day, last_day = default_first, today
    programme = None
    if raw["programme"]:
        programme = Programme.by_slug(raw["programme"])
        if programme is None:
            errors["programme"] = _("Choose a programme from the list.")
    return ReportQuery(first_day, last_day, zone, programme, raw, errors)


@dataclass
class WeekRow:
    """One week's counts (``week`` is its Monday, or the range's first day for a partial first week)."""

    week: date
    booked: int = 0
    held: int = 0
    cancelled: int = 0
    no_show: int = 0
    minutes: int = 0


@dataclass(frozen=True)
class VolunteerRow:
    """One volunteer's completed sessions and minutes in the range."""

    volunteer_id: int
    name: str
    sessions: int
    minutes: int


@dataclass(frozen=True)
class Report:
    """Every figure of one report."""

    query: ReportQuery
    weeks: list[WeekRow]
    volunteers: list[VolunteerRow]
    hours: list[int]  # 24 counts: bookings starting at each hour, learners' local time
    learners_served: int

    @property
    def totals(self) -> WeekRow:
        """The whole range's counts, as one row."""
        total = WeekRow(self.query.first_day)
        for row in self.weeks:
            for measure in (*STATUS_MEASURES, "minutes"):
                setattr(total, measure, getattr(total, measure) + getattr(row, measure))
        return total

    @property
    def busiest_hour(self) -> int | None:
        """The hour of day (learners' zones) with the most bookings, the earliest of ties; None without any."""
        return None if not any(self.hours) else self.hours.index(max(self.hours))


def build_report(query: ReportQuery) -> Report:
    """Count the bookings of sessions starting inside the query's days (and programme)."""
    start_at, end_at = day_range_bounds(query.zone, query.first_day, query.last_day)
    rows = select(
        Booking.status, Booking.learner_id, Session.id, Session.volunteer_id, Session.start_at, Session.end_at,
        Session.status, User.timezone,
    ).join(Session, Booking.session_id == Session.id).join(User, User.id == Booking.learner_id).where(
        Session.start_at >= start_at, Session.start_at < end_at
    )
    if query.programme is not None:
        members = select(ProgrammeMember.volunteer_id).where(ProgrammeMember.programme_id == query.programme.id)
        rows = rows.where(Session.volunteer_id.in_(members))

    zone = ZoneInfo(query.zone)
    weeks: dict[date, WeekRow] = {}
    monday = _monday(query.first_day)
    while monday <= query.last_day:
        week = max(monday, query.first_day)
        weeks[week] = WeekRow(week)
        monday += timedelta(weeks=1)

    hours = [0] * 24
    learners: set[int] = set()
    completed_sessions: dict[int, tuple[int, date, int]] = {}  # session id -> (volunteer, week, minutes)
    zones: dict[str, ZoneInfo] = {}
    for status, learner_id, session_id, volunteer_id, session_start, session_end, session_status, learner_zone in (
        db.session.execute(rows)
    ):
        week = max(_monday(session_start.astimezone(zone).date()), query.first_day)
        row = weeks[week]
        row.booked += 1
        if status in _HELD:
            measure = _HELD[status]
            setattr(row, measure, getattr(row, measure) + 1)
        if status == "completed":
            learners.add(learner_id)
        if status != "cancelled":
            local_zone = zones.get(learner_zone) or zones.setdefault(learner_zone, ZoneInfo(learner_zone))
            hours[session_start.astimezone(local_zone).hour] += 1
        if session_status == "completed" and session_id not in completed_sessions:
            minutes = round((session_end - session_start).total_seconds() / 60)
            completed_sessions[session_id] = (volunteer_id, week, minutes)

    per_volunteer: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for volunteer_id, week, minutes in completed_sessions.values():
        weeks[week].minutes += minutes
        per_volunteer[volunteer_id][0] += 1
        per_volunteer[volunteer_id][1] += minutes
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(list(per_volunteer)))).all()
                 ) if per_volunteer else {}
    volunteers = sorted(
        (VolunteerRow(volunteer_id, names.get(volunteer_id, "?"), sessions, minutes)
         for volunteer_id, (sessions, minutes) in per_volunteer.items()),
        key=lambda row: (-row.minutes, row.name.casefold(), row.volunteer_id),
    )
    return Report(query, list(weeks.values()), volunteers, hours, len(learners))


# --- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "label", "measure", "value")


def _hours_text(minutes: int) -> str:
    return f"{minutes / 60:.2f}"


def _cell(text: str) -> str:
    """Text a spreadsheet won't run as a formula (a name starting with ``=`` stays a name)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: Report) -> str:
    """The report's numbers as CSV, one number per line: ``section,label,measure,value``.

    Sections: ``range`` (the query), ``week`` (label: the week's first day),
    ``total``, ``volunteer`` (label: the name), ``hour`` (label: 00-23,
    learners' local time). Hours are decimal hours with two places.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    query = report.query
    writer.writerow(("range", "from", "date", query.first_day.isoformat()))
    writer.writerow(("range", "to", "date", query.last_day.isoformat()))
    writer.writerow(("range", "zone", "zone", query.zone))
    writer.writerow(("range", "programme", "slug", query.programme.slug if query.programme else ""))
    for row in report.weeks:
        for measure in STATUS_MEASURES:
            writer.writerow(("week", row.week.isoformat(), measure, getattr(row, measure)))
        writer.writerow(("week", row.week.isoformat(), "volunteer_hours", _hours_text(row.minutes)))
    totals = report.totals
    for measure in STATUS_MEASURES:
        writer.writerow(("total", "", measure, getattr(totals, measure)))
    writer.writerow(("total", "", "volunteer_hours", _hours_text(totals.minutes)))
    writer.writerow(("total", "", "learners_served", report.learners_served))
    for volunteer in report.volunteers:
        writer.writerow(("volunteer", _cell(volunteer.name), "sessions", volunteer.sessions))
        writer.writerow(("volunteer", _cell(volunteer.name), "volunteer_hours", _hours_text(volunteer.minutes)))
    for hour, count in enumerate(report.hours):
        writer.writerow(("hour", f"{hour:02d}", "bookings", count))
    return buffer.getvalue()




# --- the bookings list ----------------------------------------------------------------------------

BOOKINGS_SHOWN = 500


@dataclass(frozen=True)
class BookingLine:
    """One booking as coordinators see it: who, when, what kind, what became of it. Never the note."""

    booking_id: int
    start_at: datetime
    end_at: datetime
    kind: str
    status: str
    volunteer_id: int
    volunteer_name: str
    learner_name: str


def bookings_between(query: ReportQuery, limit: int = BOOKINGS_SHOWN) -> list[BookingLine]:
    """Bookings of sessions starting in the query's days (and programme), by start; selected column by column
    so that no note is ever loaded."""
    start_at, end_at = day_range_bounds(query.zone, query.first_day, query.last_day)
    volunteer, learner = aliased(User), aliased(User)
    rows = (
        select(Booking.id, Session.start_at, Session.end_at, Session.kind, Booking.status, Session.volunteer_id,
               volunteer.display_name, learner.display_name)
        .join(Session, Booking.session_id == Session.id)
        .join(volunteer, volunteer.id == Session.volunteer_id)
        .join(learner, learner.id == Booking.learner_id)
        .where(Session.start_at >= start_at, Session.start_at < end_at)
        .order_by(Session.start_at, Booking.id)
        .limit(limit)
    )
    if query.programme is not None:
        members = select(ProgrammeMember.volunteer_id).where(ProgrammeMember.programme_id == query.programme.id)
        rows = rows.where(Session.volunteer_id.in_(members))
    return [BookingLine(*row) for row in db.session.execute(rows)]
