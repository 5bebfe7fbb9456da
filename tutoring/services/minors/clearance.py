"""Who may meet minors (SPEC §7 "Minors", issue 19): volunteers cleared for minors, the rule read in one place.

A clearance counts on a day when it has no expiry date or the day (a UTC
date, as for training) is on or before it: the expiry date is the *last
day* the check is valid. Everything that shows or offers volunteers to a
minor asks here: ``cleared_ids`` (the SQL filter of the search, find-a-time
and ``GET /api/v1/volunteers``), ``is_cleared`` (profile, week, booking,
series and waitlist pages, waitlist offers) and, under the booking lock,
``safeguarding.check_may_book``. Coordinators' changes (logged) are in
``coordination.mark_cleared`` / ``remove_clearance``; the worker's
``coordination.clearance_expiry_round`` tells coordinators of clearances that ended.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, bindparam, or_, select
from sqlalchemy.orm import joinedload

from tutoring.extensions import db
from tutoring.models import Clearance, User, VolunteerProfile
from tutoring.timeutil import utcnow

# A clearance ending within this many days puts a reminder on the coordinators' overview.
REMINDER_DAYS = 30


def clearance_day(now=None) -> date:
    """The day clearances are judged on: the UTC date of ``now`` (default: the clock)."""
    return (now or utcnow()).date()


def viewer_is_minor(user) -> bool:
    """True for a signed-in learner under 18 (anonymous visitors and everyone else: False)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_learner", False) and user.is_minor)


def cleared_ids(day: date | None = None):
    """SQL: ids of volunteers cleared on ``day``; without it, on the day bound as ``training_day``
    (the searches bind that parameter in every statement already: it is the same UTC date)."""
    when = bindparam("training_day", type_=Date) if day is None else day
    return select(Clearance.volunteer_id).where(or_(Clearance.expires_on.is_(None), Clearance.expires_on >= when))


def is_cleared(volunteer_id: int, day: date | None = None) -> bool:
    """True when the volunteer's clearance counts on ``day`` (default today)."""
    record = db.session.get(Clearance, volunteer_id)
    return record is not None and record.is_valid_on(day or clearance_day())


def clearance_of(volunteer_id: int) -> Clearance | None:
    """The volunteer's clearance record (valid or not), or None."""
    return db.session.get(Clearance, volunteer_id)


@dataclass(frozen=True)
class Ending:
    """A clearance that ends soon (or ended): whose, and its last day."""

    volunteer: VolunteerProfile
    expires_on: date


def ending_soon(now=None) -> list[Ending]:
    """Clearances whose last day is today or within ``REMINDER_DAYS`` (the coordinators' reminder), soonest first."""
    today = clearance_day(now)
    rows = db.session.scalars(
        select(Clearance).options(joinedload(Clearance.volunteer).joinedload(VolunteerProfile.user))
        .join(User, User.id == Clearance.volunteer_id)
        .where(Clearance.expires_on.is_not(None), Clearance.expires_on >= today,
               Clearance.expires_on <= today + timedelta(days=REMINDER_DAYS), User.is_active.is_(True))
        .order_by(Clearance.expires_on, Clearance.volunteer_id)
    )
    return [Ending(row.volunteer, row.expires_on) for row in rows]
