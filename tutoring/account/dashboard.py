"""What a dashboard shows: the next sessions of the signed-in person and, for volunteers, the time given this month."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select

from tutoring.extensions import db
from tutoring.models import Booking, Session, User
from tutoring.scheduling import day_range_bounds
from tutoring.booking.engine import bookings_for
from tutoring.services.notices.meeting import meeting_url_for

UPCOMING_SHOWN = 10


@dataclass(frozen=True)
class UpcomingSession:
    """One of the viewer's next sessions, as the viewer sees it.

    ``note`` is the learner's private note: only ever put here because the
    viewer is one of the two people in the session.
    """

    booking_id: int
    start_at: datetime
    end_at: datetime
    kind: str
    other_name: str
    note: str
    meeting_url: str | None = None


def upcoming_sessions(user: User, now: datetime, limit: int = UPCOMING_SHOWN) -> list[UpcomingSession]:
    """The viewer's confirmed sessions that haven't ended, soonest first, with the other person's name."""
    found = []
    for booking in bookings_for(user, include_cancelled=False):
        session = booking.session
        if booking.status != "confirmed" or session.end_at <= now:
            continue
        # The viewer is this booking's learner or its volunteer (bookings_for guarantees it).
        other = booking.learner if session.volunteer_id == user.id else session.volunteer.user
        found.append(
            UpcomingSession(booking.id, session.start_at, session.end_at, session.kind, other.display_name, booking.note,
                            meeting_url_for(booking))
        )
        if len(found) == limit:
            break
    return found


def month_bounds(zone: str, now: datetime) -> tuple[datetime, datetime, date]:
    """[start, end) instants of the current calendar month in ``zone``, and its first day."""
    today = now.astimezone(ZoneInfo(zone)).date()
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    start_at, end_at = day_range_bounds(zone, first, last)
    return start_at, end_at, first


def minutes_given_this_month(volunteer_id: int, zone: str, now: datetime) -> int:
    """Real minutes of the volunteer's completed sessions that started this month (their zone's calendar).

    Real elapsed time, so a session across a clock change counts what it
    lasted; a group session counts once, however many learners it held.
    """
    start_at, end_at, _first = month_bounds(zone, now)
    rows = db.session.execute(
        select(Session.start_at, Session.end_at).where(
            Session.volunteer_id == volunteer_id,
            Session.status == "completed",
            Session.start_at >= start_at,
            Session.start_at < end_at,
        )
    )
    return sum(int((end - start).total_seconds()) for start, end in rows) // 60


def sessions_to_record(volunteer_id: int, now: datetime) -> int:
    """The volunteer's sessions that have ended but are not yet marked held or missed (they count for no hours)."""
    return db.session.scalar(
        select(func.count()).select_from(Session).where(
            Session.volunteer_id == volunteer_id, Session.status == "confirmed", Session.end_at <= now)
    ) or 0


def has_had_sessions(user: User) -> bool:
    """Whether anyone ever booked a session with this person (volunteer) or they ever booked one (learner).

    Decides between "no session yet" and "nothing coming up" on the dashboard.
    """
    if user.is_volunteer:
        return bool(db.session.scalar(select(exists().where(Session.volunteer_id == user.id))))
    return bool(db.session.scalar(select(exists().where(Booking.learner_id == user.id))))
