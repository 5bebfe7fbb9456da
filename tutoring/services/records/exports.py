"""Spreadsheet-ready CSV exports for coordinators: one row per booking, one row per volunteer.

Beside the report's long ``section,label,measure,value`` CSV (kept for the
scripts that read it), these are meant to be opened in a spreadsheet: one
header row in the coordinator's language, a UTF-8 byte order mark so Excel
reads Arabic names as UTF-8, and every text cell guarded against formulas.

Safety (SPEC §7): the queries select column by column and never a booking's
note; emails are included because coordinators already see both parties'
contact details on their pages, and nothing here reaches anyone else.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from tutoring.extensions import db
from tutoring.models import Booking, ProgrammeMember, Session, User, VolunteerProfile
from tutoring.scheduling import day_range_bounds
from tutoring.services.records.reports import ReportQuery

# Excel opens a CSV as UTF-8 only when it starts with this mark.
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet won't run as a formula (``=HYPERLINK(...)`` stays text); numbers pass."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with a BOM, CRLF line ends and formula-safe cells."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def _status_labels() -> dict[str, str]:
    return {"confirmed": _("Booked"), "completed": _("Held"), "cancelled": _("Cancelled"), "no_show": _("No-show")}


def _kind_labels() -> dict[str, str]:
    return {"tutoring": _("Tutoring"), "mentoring": _("Mentoring"), "support": _("Listening and support")}


def _state_labels() -> dict[str, str]:
    return {"pending": _("Waiting for a decision"), "approved": _("Approved"), "paused": _("Paused")}


def _in_programme(query: ReportQuery, volunteer_column):
    members = select(ProgrammeMember.volunteer_id).where(ProgrammeMember.programme_id == query.programme.id)
    return volunteer_column.in_(members)


def sessions_csv(query: ReportQuery) -> str:
    """One row per booking (a learner's seat) of sessions starting in the query's days, by start time.

    Date and times are in the query's zone (the coordinator's), with the UTC
    start beside them for sorting and joining.
    """
    start_at, end_at = day_range_bounds(query.zone, query.first_day, query.last_day)
    volunteer, learner = aliased(User), aliased(User)
    rows = (
        select(Booking.id, Session.id, Session.start_at, Session.end_at, Session.kind, Booking.status,
               volunteer.id, volunteer.display_name, volunteer.email, learner.id, learner.display_name, learner.email)
        .join(Session, Booking.session_id == Session.id)
        .join(volunteer, volunteer.id == Session.volunteer_id)
        .join(learner, learner.id == Booking.learner_id)
        .where(Session.start_at >= start_at, Session.start_at < end_at)
        .order_by(Session.start_at, Booking.id)
    )
    if query.programme is not None:
        rows = rows.where(_in_programme(query, Session.volunteer_id))
    zone = ZoneInfo(query.zone)
    statuses, kinds = _status_labels(), _kind_labels()
    header = (_("Booking"), _("Session"), _("Date"), _("Start"), _("End"), _("Time zone"), _("Start (UTC)"),
              _("Minutes"), _("Kind of session"), _("State"), _("Volunteer ID"), _("Volunteer"),
              _("Volunteer's email"), _("Learner ID"), _("Learner"), _("Learner's email"))

    def lines():
        for (booking_id, session_id, session_start, session_end, kind, status, volunteer_id, volunteer_name,
             volunteer_email, learner_id, learner_name, learner_email) in db.session.execute(rows):
            local_start, local_end = session_start.astimezone(zone), session_end.astimezone(zone)
            yield (booking_id, session_id, local_start.date().isoformat(), local_start.strftime("%H:%M"),
                   local_end.strftime("%H:%M"), query.zone, session_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   round((session_end - session_start).total_seconds() / 60), kinds.get(kind, kind),
                   statuses.get(status, status), volunteer_id, volunteer_name, volunteer_email, learner_id,
                   learner_name, learner_email)

    return spreadsheet_csv(header, lines())


def volunteers_csv(query: ReportQuery) -> str:
    """One row per volunteer (of the programme, if one is chosen) with their figures for the query's days.

    ``Held sessions`` and ``Volunteer hours`` count completed sessions once
    (a group session once), as the report does; the booking columns count
    learners' seats.
    """
    start_at, end_at = day_range_bounds(query.zone, query.first_day, query.last_day)
    people = (
        select(User.id, User.display_name, User.email, User.timezone, VolunteerProfile.state,
               VolunteerProfile.languages, VolunteerProfile.subjects, VolunteerProfile.kinds)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.deleted_at.is_(None))
        .order_by(User.display_name, User.id)
    )
    bookings = (
        select(Session.volunteer_id, Session.id, Session.status, Session.start_at, Session.end_at,
               Booking.status, Booking.learner_id)
        .join(Session, Booking.session_id == Session.id)
        .where(Session.start_at >= start_at, Session.start_at < end_at)
    )
    if query.programme is not None:
        people = people.where(_in_programme(query, User.id))
        bookings = bookings.where(_in_programme(query, Session.volunteer_id))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    held_sessions: dict[int, dict[int, int]] = defaultdict(dict)  # volunteer -> session -> minutes
    learners: dict[int, set[int]] = defaultdict(set)
    for volunteer_id, session_id, session_status, session_start, session_end, status, learner_id in (
        db.session.execute(bookings)
    ):
        counts[volunteer_id]["booked"] += 1
        counts[volunteer_id][status] += 1
        if status == "completed":
            learners[volunteer_id].add(learner_id)
        if session_status == "completed":
            held_sessions[volunteer_id][session_id] = round((session_end - session_start).total_seconds() / 60)
    states, kinds = _state_labels(), _kind_labels()
    header = (_("Volunteer ID"), _("Volunteer"), _("Email"), _("State"), _("Time zone"), _("Languages"),
              _("Subjects"), _("Kinds of session"), _("Bookings"), _("Cancelled"), _("No-show"),
              _("Held sessions"), _("Volunteer hours"), _("Learners served"))

    def lines():
        for volunteer_id, name, email, zone, state, languages, subjects, offered in db.session.execute(people):
            mine = counts.get(volunteer_id, {})
            minutes = sum(held_sessions.get(volunteer_id, {}).values())
            yield (volunteer_id, name, email, states.get(state, state), zone, ", ".join(languages or []),
                   ", ".join(subjects or []), ", ".join(kinds.get(kind, kind) for kind in offered or []),
                   mine.get("booked", 0), mine.get("cancelled", 0), mine.get("no_show", 0),
                   len(held_sessions.get(volunteer_id, {})), f"{minutes / 60:.2f}",
                   len(learners.get(volunteer_id, set())))

    return spreadsheet_csv(header, lines())
