"""The caller's own availability (SPEC §4): ``GET`` and ``PUT /api/v1/me/availability``, volunteers only.

``PUT`` takes the document ``GET`` returns and replaces everything in one
transaction: zone, session settings, weekly rules, away periods and extra
windows. The first problem is a 422 naming the field (``rules[1].end``) and
nothing is saved. Learners and coordinators have no availability: 403.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from tutoring.api.blueprint import bp
from tutoring.api.auth import current_caller
from tutoring.api.errors import forbidden, not_found
from tutoring.models import VolunteerProfile
from tutoring.services.schedules.availability import (
    AvailabilityNotFound,
    availability_document,
    parse_availability,
    replace_availability,
)


def _caller_volunteer() -> VolunteerProfile:
    """The caller's volunteer profile; 403 for learners and coordinators."""
    caller = current_caller()
    if not caller.is_volunteer or caller.volunteer_profile is None:
        raise forbidden(_("Only volunteers have an availability."))
    return caller.volunteer_profile


@bp.get("/me/availability")
def get_availability():
    """The caller's availability, in the shape PUT takes."""
    return jsonify(availability_document(_caller_volunteer()))


@bp.put("/me/availability")
def put_availability():
    """Replace the caller's whole availability; 422 naming the field (nothing saved) when any part is wrong."""
    volunteer = _caller_volunteer()
    body = request.get_json()  # not JSON: Werkzeug's 400/415, answered in our error shape
    try:
        profile = replace_availability(volunteer.id, parse_availability(body))
    except AvailabilityNotFound:
        raise not_found() from None
    return jsonify(availability_document(profile))
