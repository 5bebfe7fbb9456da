"""Authorization as loaders: each returns the signed-in person's own object or stops the request.

Views never fetch an availability object by id directly: they go through
these, so another volunteer's window is a 404 (its existence is not
revealed) and a learner or coordinator opening a volunteer page gets a 403.
"""
from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, AwayPeriod, ExtraWindow, VolunteerProfile
from tutoring.services.schedules.availability import MAX_ID

Owned = TypeVar("Owned", AvailabilityRule, AwayPeriod, ExtraWindow)


def current_volunteer() -> VolunteerProfile:
    """The signed-in volunteer's profile; 403 for learners and coordinators (they have no availability)."""
    if not current_user.is_authenticated or not current_user.is_volunteer or current_user.volunteer_profile is None:
        abort(403)
    return current_user.volunteer_profile


def _own_or_404(model: type[Owned], object_id: int, volunteer: VolunteerProfile) -> Owned:
    # Out-of-range ids can't name a row, and some drivers refuse to compare with them.
    if not 1 <= object_id <= MAX_ID:
        abort(404)
    found = db.session.scalar(select(model).where(model.id == object_id, model.volunteer_id == volunteer.id))
    if found is None:
        abort(404)
    return found


def own_rule_or_404(volunteer: VolunteerProfile, rule_id: int) -> AvailabilityRule:
    """One of ``volunteer``'s weekly windows; 404 for anyone else's or a missing one."""
    return _own_or_404(AvailabilityRule, rule_id, volunteer)


def own_away_or_404(volunteer: VolunteerProfile, away_id: int) -> AwayPeriod:
    """One of ``volunteer``'s away periods; 404 otherwise."""
    return _own_or_404(AwayPeriod, away_id, volunteer)


def own_extra_or_404(volunteer: VolunteerProfile, extra_id: int) -> ExtraWindow:
    """One of ``volunteer``'s one-off windows; 404 otherwise."""
    return _own_or_404(ExtraWindow, extra_id, volunteer)
