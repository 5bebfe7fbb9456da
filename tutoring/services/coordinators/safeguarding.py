"""Safeguarding: learners' reports, coordinators resolving them, volunteers blocking learners.

A report is written *for* coordinators, so they read its text; a booking's
private note is never copied into it or shown next to it. A block stops the
learner booking that volunteer again (``check_may_book``, called by the
booking service under its lock); existing bookings stay, and either side
may still cancel them.
"""
from __future__ import annotations

from datetime import date

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from tutoring.extensions import db
from tutoring.mail import queue_mail
from tutoring.models import Booking, LearnerBlock, Notice, SafeguardingReport, Session, User, VolunteerProfile
from tutoring.models.safeguarding import SEVERITIES
from tutoring.services.coordinators.coordination import (
    N_,
    CoordinationError,
    NotFound,
    audit,
    clean_text,
    decide_volunteer,
    untrained_kinds,
    waiting_for_programme_training,
)
from tutoring.models.types import MAX_ID
from tutoring.timeutil import utcnow
from tutoring.booking.errors import InvalidBooking, SlotUnavailable, VolunteerNotCleared, VolunteerNotTrained
from tutoring.services.minors import clearance, guardians

DETAILS_MAX_LENGTH = 4000
RESOLUTION_MAX_LENGTH = 2000


# --- reports ------------------------------------------------------------------------------------


def reportable_booking(learner: User, booking_id: int) -> Booking | None:
    """The learner's own booking (a session they can report), or None (a 404)."""
    if not 1 <= booking_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Booking).options(joinedload(Booking.session).joinedload(Session.volunteer).joinedload(VolunteerProfile.user))
        .where(Booking.id == booking_id, Booking.learner_id == learner.id)
    )


def reportable_volunteer(volunteer_id: int) -> User | None:
    """A volunteer a learner may report: one they can see (approved or paused) or have booked; None otherwise."""
    if not 1 <= volunteer_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.id == volunteer_id, User.role == "volunteer", VolunteerProfile.state != "pending")
    )


def file_report(learner: User, details: str, *, booking_id: int | None = None,
                volunteer_id: int | None = None) -> SafeguardingReport:
    """A learner reports a session of theirs or a volunteer; commits. Only learners report."""
    if not learner.is_learner:
        raise CoordinationError(N_("Only learners can send a report here."))
    details = clean_text(details, "details", DETAILS_MAX_LENGTH, required=True)
    booking = None
    if booking_id is not None:
        booking = reportable_booking(learner, booking_id)
        if booking is None:
            raise NotFound()
        volunteer_id = booking.session.volunteer_id
    elif volunteer_id is None or reportable_volunteer(volunteer_id) is None:
        raise NotFound()
    try:
        report = add_report(learner, details, volunteer_id=volunteer_id, booking_id=booking.id if booking else None)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def add_report(reporter: User, details: str, *, volunteer_id: int | None, booking_id: int | None) -> SafeguardingReport:
    """Add a checked report and queue the coordinators' email (flushed; the caller checked the target and commits)."""
    report = SafeguardingReport(reporter_id=reporter.id, volunteer_id=volunteer_id, booking_id=booking_id,
                                details=details, status="open")
    db.session.add(report)
    db.session.flush()
    _tell_coordinators(report)
    return report


def _tell_coordinators(report: SafeguardingReport) -> None:
    """Queue a short email to every active coordinator, in their language: a report is waiting.

    The email holds no names and none of the report's text (mail is copied
    and forwarded); it links to the reports page, behind the sign-in.
    """
    base_url = current_app.config.get("BASE_URL", "").rstrip("/")
    link = base_url + (url_for("coordinator.safeguarding_reports") if has_request_context() else "/coordinator/safeguarding")
    link += f"#report-{report.id}"
    coordinators = db.session.scalars(
        select(User).where(User.role == "coordinator", User.is_active.is_(True)).order_by(User.id)
    )
    for coordinator in coordinators:
        with force_locale(coordinator.language):
            subject = gettext("New safeguarding report #%(id)d", id=report.id)
            text = "\n\n".join([
                gettext("Hello %(name)s,", name=coordinator.display_name),
                gettext("A safeguarding report was sent. Please read it and resolve it:"),
                link,
            ]) + "\n"
        queue_mail(coordinator.email, subject, text)


# The queue reads the most serious first: urgent 3, high 2, medium 1, low 0.
_SEVERITY_RANK = case({severity: rank for rank, severity in enumerate(SEVERITIES)},
                      value=SafeguardingReport.severity, else_=1)


def reports(status: str | None = None) -> list[SafeguardingReport]:
    """Reports for coordinators: open ones first, the most serious first, then newest first."""
    query = (
        select(SafeguardingReport)
        .options(joinedload(SafeguardingReport.reporter), joinedload(SafeguardingReport.volunteer),
                 joinedload(SafeguardingReport.resolved_by),
                 joinedload(SafeguardingReport.booking).joinedload(Booking.session))
        .order_by((SafeguardingReport.status == "open").desc(), SafeguardingReport.urgent.desc(),  # urgent first (issue 18)
                  _SEVERITY_RANK.desc(), SafeguardingReport.created_at.desc(), SafeguardingReport.id.desc())
    )
    if status is not None:
        query = query.where(SafeguardingReport.status == status)
    return list(db.session.scalars(query))


def report_or_none(report_id: int) -> SafeguardingReport | None:
    """One report by id (coordinators only call this), or None."""
    if not 1 <= report_id <= MAX_ID:
        return None
    return db.session.get(SafeguardingReport, report_id)


def resolve_report(coordinator: User, report_id: int, resolution: str) -> SafeguardingReport:
    """Close a report with what was done about it; logged; commits."""
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    resolution = clean_text(resolution, "resolution", RESOLUTION_MAX_LENGTH, required=True)
    report = report_or_none(report_id)
    if report is None:
        raise NotFound()
    if report.status == "resolved":
        raise CoordinationError(N_("This report is already resolved."))
    try:
        report.status, report.resolution = "resolved", resolution
        report.resolved_at, report.resolved_by_id = utcnow(), coordinator.id
        audit(coordinator, "report.resolve", subject=report.volunteer, report_id=report.id, reason=resolution)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


# --- acting on a report: severity, pausing the volunteer, writing to the learner (issue 22) -------

MESSAGE_MAX_LENGTH = 2000


def _open_report(coordinator: User, report_id: int) -> SafeguardingReport:
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    report = report_or_none(report_id)
    if report is None:
        raise NotFound()
    return report


def set_severity(coordinator: User, report_id: int, severity: str) -> SafeguardingReport:
    """Grade a report (low, medium, high, urgent); logged; commits."""
    report = _open_report(coordinator, report_id)
    if severity not in SEVERITIES:
        raise CoordinationError(N_("Choose low, medium, high or urgent."), field="severity")
    try:
        report.severity = severity
        audit(coordinator, "report.severity", subject=report.volunteer, report_id=report.id, reason=severity)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def pause_reported_volunteer(coordinator: User, report_id: int, reason: str) -> None:
    """Pause the volunteer a report is about (the vetting decision: logged, the volunteer emailed the reason)."""
    report = _open_report(coordinator, report_id)
    if report.volunteer_id is None:
        raise CoordinationError(N_("This volunteer's account was deleted."))
    decide_volunteer(coordinator, report.volunteer_id, "pause", reason)


def message_reporter(coordinator: User, report_id: int, text: str) -> Notice:
    """Write to the learner who sent a report, through the service: a notice on their page and an email.

    Both come from the service, signed "the coordinators": neither carries
    the coordinator's name or address, and the learner answers through a
    new report, never by replying to a person. Logged (without the text,
    which the learner's notice keeps); commits.
    """
    report = _open_report(coordinator, report_id)
    text = clean_text(text, "message", MESSAGE_MAX_LENGTH, required=True)
    learner = report.reporter
    if learner is None or learner.deleted_at is not None or not learner.is_active:
        raise CoordinationError(N_("This learner's account was deleted."))
    now = utcnow()
    try:
        notice = Notice(user_id=learner.id, kind="coordinators", data={"text": text, "report_id": report.id},
                        key=f"coordinators:{report.id}:{now.isoformat()}:{coordinator.id}", created_at=now)
        db.session.add(notice)
        audit(coordinator, "report.message", subject=report.volunteer, report_id=report.id)
        base_url = current_app.config.get("BASE_URL", "").rstrip("/")
        link = base_url + (url_for("account.dashboard") if has_request_context() else "/me/")
        with force_locale(learner.language):
            subject = gettext("A message from the coordinators")
            body = "\n\n".join([
                gettext("Hello %(name)s,", name=learner.display_name),
                gettext("The coordinators wrote to you about the concern you reported:"),
                text,
                gettext("You can read it on your page too. Please don't reply to this email; to write to us, "
                        "send a new report from the site: %(link)s", link=link),
            ]) + "\n"
        queue_mail(learner.email, subject, body)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return notice


# --- blocks -------------------------------------------------------------------------------------


def blockable_booking(volunteer: User, booking_id: int) -> Booking | None:
    """A booking of one of ``volunteer``'s sessions (its learner is someone they may block), or None (a 404)."""
    if not volunteer.is_volunteer or not 1 <= booking_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Booking).join(Booking.session).options(joinedload(Booking.learner))
        .where(Booking.id == booking_id, Session.volunteer_id == volunteer.id)
    )


def block_learner(volunteer: User, booking_id: int) -> LearnerBlock:
    """The volunteer blocks the learner of one of their bookings from booking them again; commits."""
    booking = blockable_booking(volunteer, booking_id)
    if booking is None:
        raise NotFound()
    block = db.session.get(LearnerBlock, (volunteer.id, booking.learner_id))
    if block is None:
        block = LearnerBlock(volunteer_id=volunteer.id, learner_id=booking.learner_id)
        db.session.add(block)
        db.session.commit()
    return block


def unblock_learner(volunteer: User, learner_id: int) -> None:
    """Remove one of the volunteer's own blocks; commits (404 if there is none)."""
    block = db.session.get(LearnerBlock, (volunteer.id, learner_id)) if 1 <= learner_id <= MAX_ID else None
    if block is None:
        raise NotFound()
    db.session.delete(block)
    db.session.commit()


def blocks_of(volunteer: User) -> list[LearnerBlock]:
    """The learners this volunteer blocked, newest first."""
    return list(db.session.scalars(
        select(LearnerBlock).options(joinedload(LearnerBlock.learner))
        .where(LearnerBlock.volunteer_id == volunteer.id)
        .order_by(LearnerBlock.created_at.desc())
    ))


def is_blocked(volunteer_id: int, learner_id: int) -> bool:
    """True if the volunteer blocked this learner."""
    return db.session.get(LearnerBlock, (volunteer_id, learner_id)) is not None


def check_trained(volunteer_id: int, kind: str, *, day: date | None = None) -> None:
    """Refuse a kind that needs training when the volunteer isn't trained for it on ``day`` (409 ``volunteer_not_trained``)."""
    if kind in untrained_kinds(volunteer_id, [kind], day=day):
        raise VolunteerNotTrained()


def check_cleared(volunteer_id: int, learner_id: int, *, day: date | None = None) -> None:
    """Refuse a minor a volunteer not cleared for minors on ``day`` (409 ``volunteer_not_cleared``, SPEC §7)."""
    learner = db.session.get(User, learner_id)
    if learner is not None and learner.is_minor and not clearance.is_cleared(volunteer_id, day):
        raise VolunteerNotCleared()


def check_may_book(volunteer_id: int, learner_id: int, kind: str, *, day: date | None = None) -> None:
    """Refuse a booking a block, missing training or a programme's training rule forbids (the booking service's errors).

    A minor also needs their guardian's consent (403 ``guardian_consent_required``)
    and a volunteer cleared for minors (409 ``volunteer_not_cleared``).

    A blocked learner hears the same words as for a volunteer who takes no
    new bookings, so a block is not announced to them. ``day``: the UTC date
    training is judged on (the booking's ``now``; default today).
    """
    if is_blocked(volunteer_id, learner_id):
        raise SlotUnavailable(N_("This volunteer is not taking new bookings at the moment."))
    learner = db.session.get(User, learner_id)
    if learner is not None and learner.is_minor:
        guardians.check_consent(learner)
        check_cleared(volunteer_id, learner_id, day=day)
    check_trained(volunteer_id, kind, day=day)
    # The programme half of bookable_kinds (its training half is check_trained): the rule the pages offer kinds by.
    if kind == "support" and volunteer_id in waiting_for_programme_training([volunteer_id]):
        raise InvalidBooking(
            N_("This volunteer can't offer listening and support sessions until their programme marks them trained."),
            field="kind",
        )
