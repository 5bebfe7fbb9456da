"""A new volunteer's setup checklist: profile, availability, calendar, then what happens next.

One place decides what "set up" means, for the checklist page, the
dashboard's reminder and where sign-in lands. The profile and availability
steps are needed before learners can sensibly book; the calendar step is
optional (a volunteer may keep their sessions on this site alone), so it
never keeps the checklist open.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import exists, select

from tutoring.extensions import db
from tutoring.mail import queue_mail
from tutoring.models import ExternalCalendar, User, VolunteerProfile


@dataclass(frozen=True)
class SetupStep:
    """One line of the checklist; ``required`` steps keep the checklist open until done."""

    key: str
    done: bool
    required: bool


def setup_steps(volunteer: VolunteerProfile) -> list[SetupStep]:
    """The checklist for ``volunteer``, in order."""
    has_calendar = db.session.scalar(select(exists().where(ExternalCalendar.volunteer_id == volunteer.user_id)))
    return [
        # What learners read on the card: who they are and the languages they speak.
        SetupStep("profile", bool(volunteer.bio.strip()) and bool(volunteer.languages), required=True),
        SetupStep("availability", bool(volunteer.rules or volunteer.extra_windows), required=True),
        SetupStep("calendar", bool(has_calendar), required=False),
    ]


def setup_complete(volunteer: VolunteerProfile) -> bool:
    """True once every required step is done."""
    return all(step.done for step in setup_steps(volunteer) if step.required)


def tell_coordinators_of_new_volunteer(volunteer: User) -> None:
    """Queue a short email to every active coordinator, in their language: someone signed up to volunteer.

    The display name and a link to their page behind the sign-in; no
    contact details (coordinators read those on the site).
    """
    base_url = current_app.config.get("BASE_URL", "").rstrip("/")
    path = (url_for("coordinator.volunteer", volunteer_id=volunteer.id) if has_request_context()
            else f"/coordinator/volunteers/{volunteer.id}")
    coordinators = db.session.scalars(
        select(User).where(User.role == "coordinator", User.is_active.is_(True), User.deleted_at.is_(None))
        .order_by(User.id)
    )
    for coordinator in coordinators:
        with force_locale(coordinator.language):
            subject = gettext("New volunteer: %(name)s", name=volunteer.display_name)
            text = "\n\n".join([
                gettext("Hello %(name)s,", name=coordinator.display_name),
                gettext("%(name)s signed up to volunteer and is waiting for a decision. Their page:",
                        name=volunteer.display_name),
                base_url + path,
            ]) + "\n"
        queue_mail(coordinator.email, subject, text)
