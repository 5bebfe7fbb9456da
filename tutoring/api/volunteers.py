"""Finding bookable volunteers for the API: the listing filters and the 404-ing loader."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from tutoring.api.errors import not_found, validation_error
from tutoring.api.params import text_arg
from tutoring.extensions import db
from tutoring.models import Programme, ProgrammeMember, User, VolunteerProfile
from tutoring.services.minors.clearance import cleared_ids, is_cleared
from tutoring.services.coordinators.coordination import untrained_for_support
from tutoring.services.discovery.search import subject_condition
from tutoring.services.support.training import needs_training, trained_ids, training_day
from tutoring.models.types import MAX_ID


# Listing pages (limit/offset) and the widest slots request (SPEC §4: at most 62 days apart).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_OFFSET = MAX_ID
MAX_SLOT_SPAN_DAYS = 62


def _bookable():
    return (
        select(VolunteerProfile)
        .join(VolunteerProfile.user)
        .options(contains_eager(VolunteerProfile.user))
        .where(VolunteerProfile.state == "approved", User.is_active.is_(True), User.role == "volunteer")
    )


def _has(values: list[str], wanted: str | None) -> bool:
    return wanted is None or wanted.casefold() in {value.casefold() for value in values}


def programme_arg(name: str) -> Programme | None:
    """The programme whose slug is query parameter ``name``; None when absent; 422 for an unknown slug."""
    slug = text_arg(name)
    if slug is None:
        return None
    programme = Programme.by_slug(slug[:100])
    if programme is None:
        raise validation_error(name, _("Choose a programme from the list."))
    return programme


def find_volunteers(
    *, subject: str | None, language: str | None, kind: str | None, programme: Programme | None = None,
    minor: bool = False,
) -> list[VolunteerProfile]:
    """Approved, active volunteers by name, keeping those whose lists contain each given value
    (and, with ``programme``, only its members; for a ``minor``, only volunteers cleared for minors).

    ``subject`` matches as on the search page (the search service's
    ``subject_condition``: part of a word, any case, Arabic normalised,
    across English and Arabic). Language and kind match a whole entry, in
    any case; they run in Python: case-folding inside JSON lists differs
    between SQLite and PostgreSQL, and a programme has hundreds of
    volunteers, not millions.
    """
    query = _bookable().order_by(User.display_name, User.id)
    if subject is not None:
        query = query.where(subject_condition(subject))
    if programme is not None:
        members = select(ProgrammeMember.volunteer_id).where(ProgrammeMember.programme_id == programme.id)
        query = query.where(VolunteerProfile.user_id.in_(members))
    if kind is not None and kind.casefold() == "support":
        # A programme may require training first (issue 7); booking would refuse them.
        query = query.where(VolunteerProfile.user_id.not_in(untrained_for_support()))
    if kind is not None and needs_training(kind.casefold()):
        # SPEC §7: only volunteers trained for it today (``?kind=support`` leaves the others out).
        query = query.where(VolunteerProfile.user_id.in_(trained_ids(kind.casefold())))
    if minor:
        query = query.where(VolunteerProfile.user_id.in_(cleared_ids()))  # SPEC §7 "Minors"
    return [
        volunteer
        for volunteer in db.session.scalars(query, {"training_day": training_day()})
        if _has(volunteer.languages, language) and _has(volunteer.kinds, kind)
    ]


def load_bookable_volunteer(volunteer_id: int, *, minor: bool = False) -> VolunteerProfile:
    """The approved, active volunteer with this id (and user), in one query; 404 otherwise
    (for a ``minor``, also when the volunteer isn't cleared for minors).

    Pending, paused and deactivated volunteers answer exactly like unknown
    ids, so the API never reveals who has applied.
    """
    if not 1 <= volunteer_id <= MAX_ID:
        raise not_found()
    # Their availability is read by the slot service in one UNION query
    # (booking.slots.availabilities), not by three relationship loads here.
    volunteer = db.session.scalar(_bookable().where(VolunteerProfile.user_id == volunteer_id))
    if volunteer is None or (minor and not is_cleared(volunteer.user_id)):
        raise not_found()
    return volunteer
