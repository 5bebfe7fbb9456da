"""Coordinators' decisions: vetting volunteers, programmes and their members, and the audit log.

Every change here writes an ``AuditEntry`` in the same transaction, so the
log holds exactly the decisions that were committed. A decision about a
volunteer also queues an email to them (``tutoring.mail.queue_mail``) in
*their* language, with the reason the coordinator gave.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tutoring.calendar.text import N_
from tutoring.errors import NotFound as BaseNotFound
from tutoring.errors import ServiceError
from tutoring.extensions import db
from tutoring.mail import queue_mail
from tutoring.models import KINDS, AuditEntry, Clearance, Programme, ProgrammeMember, TrainingRecord, User, VolunteerProfile
from tutoring.services.minors import clearance
from tutoring.booking.slots import dialect_name, ids_param
from tutoring.models.types import MAX_ID
from tutoring.services.support.training import kinds_needing_training, trained_kinds_of, training_day

REASON_MAX_LENGTH = 1000
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
AUDIT_PAGE = 100

DECISIONS = ("approve", "decline", "pause")
# The state each decision leaves the volunteer in. A declined volunteer stays
# `pending` (never bookable); the audit log tells "declined" from "waiting".
_STATE_AFTER = {"approve": "approved", "decline": "pending", "pause": "paused"}



class CoordinationError(ServiceError):
    """A coordinator's request that can't be honoured; nothing was written. ``field`` names the input at fault."""


class NotFound(CoordinationError, BaseNotFound):
    """No such volunteer, programme or report."""

    def __init__(self) -> None:
        super().__init__(N_("There is nothing here."))


def clean_text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise CoordinationError(N_("This must be text."), field=field)
    value = value.strip()
    if "\x00" in value:
        raise CoordinationError(N_("This text contains a character that is not allowed."), field=field)
    if len(value) > max_length:
        raise CoordinationError(N_("This text is too long (at most %(max)d characters)."), field=field, max=max_length)
    if required and not value:
        raise CoordinationError(N_("Please fill this in."), field=field)
    return value


def audit(actor: User | None, action: str, *, subject: User | None = None, report_id: int | None = None,
          programme_id: int | None = None, reason: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits); ``actor`` None: the operator's CLI."""
    entry = AuditEntry(actor_id=actor.id if actor is not None else None, action=action, subject_user_id=subject.id if subject else None,
                       report_id=report_id, programme_id=programme_id, reason=reason)
    db.session.add(entry)
    return entry


def audit_log(limit: int = AUDIT_PAGE, *, subject_id: int | None = None) -> list[AuditEntry]:
    """The newest audit entries first (optionally only those about one person)."""
    query = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject_user), joinedload(AuditEntry.programme))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if subject_id is not None:
        query = query.where(AuditEntry.subject_user_id == subject_id)
    return list(db.session.scalars(query))


# --- vetting ------------------------------------------------------------------------------------


def _declined():
    """SQL: the volunteer's latest vetting decision was a decline."""
    latest = (
        select(AuditEntry.action)
        .where(AuditEntry.subject_user_id == VolunteerProfile.user_id,
               AuditEntry.action.in_([f"volunteer.{decision}" for decision in DECISIONS]))
        .order_by(AuditEntry.id.desc())  # ids grow with time; clocks may tie
        .limit(1)
        .scalar_subquery()
    )
    # COALESCE: with no decision yet the subquery is NULL, and NOT (NULL = ...) would drop the row.
    return func.coalesce(latest, "") == "volunteer.decline"


@dataclass(frozen=True)
class VettingQueue:
    """Volunteers waiting for a decision, those declined (who may be approved later) and those paused."""

    pending: list[VolunteerProfile]
    declined: list[VolunteerProfile]
    paused: list[VolunteerProfile]


def vetting_queue() -> VettingQueue:
    """The queue: pending volunteers oldest first, then the declined and the paused."""
    base = (
        select(VolunteerProfile)
        .join(VolunteerProfile.user)
        .options(joinedload(VolunteerProfile.user), selectinload(VolunteerProfile.rules))
        .where(User.is_active.is_(True), User.role == "volunteer")
    )
    pending = base.where(VolunteerProfile.state == "pending")
    return VettingQueue(
        pending=list(db.session.scalars(pending.where(~_declined()).order_by(User.created_at, User.id))),
        declined=list(db.session.scalars(pending.where(_declined()).order_by(User.display_name, User.id))),
        paused=list(db.session.scalars(
            base.where(VolunteerProfile.state == "paused").order_by(User.display_name, User.id))),
    )


def volunteer_or_none(volunteer_id: int, *, lock: bool = False) -> VolunteerProfile | None:
    """Any volunteer's profile by id (coordinators see every state), or None.

    ``lock``: the profile row is re-read under ``FOR UPDATE``, the lock booking
    takes, so a decision is made on the state bookings see.
    """
    if not 1 <= volunteer_id <= MAX_ID:
        return None
    statement = (
        select(VolunteerProfile).join(VolunteerProfile.user)
        .options(joinedload(VolunteerProfile.user))
        .where(VolunteerProfile.user_id == volunteer_id, User.role == "volunteer")
    )
    if lock:
        statement = statement.with_for_update(of=VolunteerProfile).execution_options(populate_existing=True)
    return db.session.scalar(statement)


def decide_volunteer(coordinator: User, volunteer_id: int, decision: str, reason: str) -> VolunteerProfile:
    """Approve, decline or pause a volunteer with a reason; logs it and emails the volunteer; commits.

    Paused volunteers keep their bookings (SPEC §1); a decline leaves the
    profile ``pending`` and out of the queue.
    """
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    if decision not in DECISIONS:
        raise CoordinationError(N_("Choose approve, decline or pause."), field="decision")
    reason = clean_text(reason, "reason", REASON_MAX_LENGTH, required=decision != "approve")
    try:
        volunteer = volunteer_or_none(volunteer_id, lock=True)
        if volunteer is None:
            raise NotFound()
        if decision == "pause" and volunteer.state != "approved":
            raise CoordinationError(N_("Only approved volunteers can be paused."), field="decision")
        if decision == "decline" and volunteer.state != "pending":
            raise CoordinationError(N_("Only volunteers waiting for a decision can be declined."), field="decision")
        volunteer.state = _STATE_AFTER[decision]
        audit(coordinator, f"volunteer.{decision}", subject=volunteer.user, reason=reason)
        _queue_decision_email(volunteer.user, decision, reason)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return volunteer


_SUBJECTS = {
    "approve": N_("You can now take bookings"),
    "decline": N_("About your application to volunteer"),
    "pause": N_("Your volunteer profile is paused"),
}
_BODIES = {
    "approve": N_("A coordinator approved your volunteer profile. Learners can now book the times you offer."),
    "decline": N_("A coordinator looked at your application and cannot approve it at the moment."),
    "pause": N_("A coordinator paused your volunteer profile: learners can't book new sessions with you. "
                "Sessions already booked stay."),
}


def _queue_decision_email(volunteer: User, decision: str, reason: str) -> None:
    """The decision and its reason, in the volunteer's language, into the outbox (same transaction)."""
    base_url = current_app.config.get("BASE_URL", "").rstrip("/")
    link = base_url + (url_for("account.dashboard") if has_request_context() else "/me/")
    with force_locale(volunteer.language):
        subject = gettext(_SUBJECTS[decision])
        paragraphs = [gettext("Hello %(name)s,", name=volunteer.display_name), gettext(_BODIES[decision])]
        if reason:
            paragraphs.append(gettext("The coordinator's reason: %(reason)s", reason=reason))
        paragraphs.append(gettext("Your page: %(link)s", link=link))
    queue_mail(volunteer.email, subject, "\n\n".join(paragraphs) + "\n")


# --- programmes ---------------------------------------------------------------------------------


def slugify(name: str) -> str:
    """A URL word for a programme name: lower-case ASCII letters, digits and dashes (``maths-for-remote-schools``)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:50]
    return slug or "programme"


def _unique_slug(name: str, exclude_id: int | None = None) -> str:
    base = slugify(name)
    slug, number = base, 1
    while True:
        clash = select(Programme.id).where(Programme.slug == slug)
        if exclude_id is not None:
            clash = clash.where(Programme.id != exclude_id)
        if db.session.scalar(clash) is None:
            return slug
        number += 1
        slug = f"{base}-{number}"


def _programme_fields(name: Any, description: Any, kinds: Any) -> tuple[str, str, list[str]]:
    name = clean_text(name, "name", NAME_MAX_LENGTH, required=True)
    description = clean_text(description, "description", DESCRIPTION_MAX_LENGTH)
    kinds = [kind for kind in (kinds or []) if isinstance(kind, str)]
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise CoordinationError(N_("Choose at least one kind of session."), field="kinds")
    return name, description, kinds


def create_programme(coordinator: User, *, name: Any, description: Any = "", kinds: Any = KINDS,
                     support_needs_training: bool = False) -> Programme:
    """A new programme (its slug made from the name); logged; commits."""
    name, description, kinds = _programme_fields(name, description, kinds)
    try:
        programme = Programme(slug=_unique_slug(name), name=name, description=description, kinds=kinds,
                              support_needs_training=bool(support_needs_training))
        db.session.add(programme)
        db.session.flush()
        audit(coordinator, "programme.create", programme_id=programme.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return programme


def update_programme(coordinator: User, programme_id: int, *, name: Any, description: Any, kinds: Any,
                     support_needs_training: bool) -> Programme:
    """Change a programme's name, description, kinds and training rule (the slug stays: links keep working)."""
    programme = programme_or_none(programme_id)
    if programme is None:
        raise NotFound()
    name, description, kinds = _programme_fields(name, description, kinds)
    try:
        programme.name, programme.description, programme.kinds = name, description, kinds
        programme.support_needs_training = bool(support_needs_training)
        audit(coordinator, "programme.update", programme_id=programme.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return programme


def programme_or_none(programme_id: int) -> Programme | None:
    """The programme with this id, or None."""
    if not 1 <= programme_id <= MAX_ID:
        return None
    return db.session.get(Programme, programme_id)


def set_membership(coordinator: User, programme_id: int, volunteer_id: int, *, member: bool,
                   trained: bool | None = None) -> None:
    """Add a volunteer to a programme or remove them, or mark them trained (or not); logged; commits."""
    programme = programme_or_none(programme_id)
    volunteer = volunteer_or_none(volunteer_id)
    if programme is None or volunteer is None:
        raise NotFound()
    row = db.session.get(ProgrammeMember, (programme.id, volunteer.id))
    try:
        if not member:
            if row is not None:
                db.session.delete(row)
                audit(coordinator, "programme.remove_member", subject=volunteer.user, programme_id=programme.id)
        else:
            if row is None:
                row = ProgrammeMember(programme_id=programme.id, volunteer_id=volunteer.id, trained=False)
                db.session.add(row)
                audit(coordinator, "programme.add_member", subject=volunteer.user, programme_id=programme.id)
            if trained is not None and bool(trained) != bool(row.trained):
                row.trained = bool(trained)
                audit(coordinator, "programme.train" if trained else "programme.untrain", subject=volunteer.user,
                      programme_id=programme.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def programmes_of(volunteer_id: int) -> list[tuple[Programme, bool]]:
    """The programmes a volunteer belongs to, with whether they are marked trained there."""
    rows = db.session.execute(
        select(Programme, ProgrammeMember.trained)
        .join(ProgrammeMember, ProgrammeMember.programme_id == Programme.id)
        .where(ProgrammeMember.volunteer_id == volunteer_id)
        .order_by(Programme.name)
    )
    return [(programme, trained) for programme, trained in rows]


def member_counts() -> dict[int, int]:
    """How many volunteers each programme has, by programme id."""
    rows = db.session.execute(
        select(ProgrammeMember.programme_id, func.count()).group_by(ProgrammeMember.programme_id)
    )
    return {programme_id: count for programme_id, count in rows}


def bookable_kinds(volunteer_id: int, offered, *, day: date | None = None) -> list[str]:
    """The kinds in ``offered`` learners may book with this volunteer (on ``day``, default today, UTC).

    A kind in ``KINDS_NEEDING_TRAINING`` goes unless the volunteer is trained
    for it (``training``), and `support` goes while a programme of theirs
    waits for training. The booking pages build their choices with this and
    the booking service refuses with it (``safeguarding.check_may_book``),
    so a page never offers a kind the booking would then refuse.
    """
    return bookable_kinds_of({volunteer_id: list(offered)}, day=day)[volunteer_id]


def bookable_kinds_of(offered: dict[int, list[str]], *, day: date | None = None) -> dict[int, list[str]]:
    """``bookable_kinds`` for many volunteers at once, in two queries at most (a page of search results): id -> kinds."""
    untrained = waiting_for_programme_training(
        [volunteer_id for volunteer_id, kinds in offered.items() if "support" in kinds])
    needing = set(kinds_needing_training())
    checked = [volunteer_id for volunteer_id, kinds in offered.items() if needing & set(kinds)]
    trained = trained_kinds_of(checked, day or training_day())
    return {
        volunteer_id: [
            kind for kind in kinds
            if (kind != "support" or volunteer_id not in untrained)
            and (kind not in needing or kind in trained.get(volunteer_id, ()))
        ]
        for volunteer_id, kinds in offered.items()
    }


def waiting_for_programme_training(volunteer_ids: list[int]) -> set[int]:
    """Those of ``volunteer_ids`` a programme of theirs hasn't marked trained yet: no `support` meanwhile (one query)."""
    if not volunteer_ids:
        return set()
    return set(db.session.scalars(_untrained_among(dialect_name()), {"ids": volunteer_ids}))


def untrained_kinds(volunteer_id: int, offered, *, day: date | None = None) -> list[str]:
    """The kinds in ``offered`` this volunteer can't hold because they aren't trained for them (their dashboard says so)."""
    needing = [kind for kind in offered if kind in kinds_needing_training()]
    trained = trained_kinds_of([volunteer_id], day or training_day())[volunteer_id]
    return [kind for kind in needing if kind not in trained]


@cache
def _untrained_among(dialect: str):
    """``untrained_for_support`` among the ids passed as ``ids``, built once per dialect.

    Every search page and booking page asks; building the statement and its
    cache key anew each time cost more than running it.
    """
    return untrained_for_support().where(ids_param(ProgrammeMember.volunteer_id, dialect))


def untrained_for_support():
    """SQL: ids of volunteers who may not hold `support` sessions yet (a programme of theirs needs training)."""
    return (
        select(ProgrammeMember.volunteer_id)
        .join(Programme, Programme.id == ProgrammeMember.programme_id)
        .where(Programme.support_needs_training.is_(True), ProgrammeMember.trained.is_(False))
    )


# --- training (SPEC §7, issue 18) ---------------------------------------------------------------

NOTE_MAX_LENGTH = 1000


def mark_trained(coordinator: User | None, volunteer_id: int, kind: Any, *, trained_on: date,
                 expires_on: date | None = None, note: Any = "") -> TrainingRecord:
    """Record that the volunteer is trained for ``kind`` (replacing an earlier record of that kind); logged; commits.

    ``coordinator`` None: the operator, from the CLI (``users train``).
    """
    if coordinator is not None and not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    if kind not in KINDS:
        raise CoordinationError(N_("Choose a kind of session."), field="kind")
    if not isinstance(trained_on, date):
        raise CoordinationError(N_("Give a date such as 2026-12-31."), field="trained_on")
    if expires_on is not None and (not isinstance(expires_on, date) or expires_on < trained_on):
        raise CoordinationError(N_("The training can't end before it was given."), field="expires_on")
    note = clean_text(note, "note", NOTE_MAX_LENGTH)
    volunteer = volunteer_or_none(volunteer_id)
    if volunteer is None:
        raise NotFound()
    try:
        record = db.session.scalar(select(TrainingRecord).where(
            TrainingRecord.volunteer_id == volunteer.id, TrainingRecord.kind == kind))
        if record is None:
            record = TrainingRecord(volunteer_id=volunteer.id, kind=kind)
            db.session.add(record)
        record.trained_on, record.expires_on, record.note = trained_on, expires_on, note
        record.trained_by_id = coordinator.id if coordinator is not None else None
        until = expires_on.isoformat() if expires_on else "-"
        audit(coordinator, "training.mark", subject=volunteer.user,
              reason=f"{kind}; {trained_on.isoformat()} to {until}" + (f"; {note}" if note else ""))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return record


def remove_training(coordinator: User, volunteer_id: int, kind: Any, reason: Any = "") -> None:
    """Remove the volunteer's training record for ``kind`` (they stop being offered for it if it needs training); logged; commits.

    Sessions already booked stay (the volunteer or a coordinator may cancel them).
    """
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    reason = clean_text(reason, "reason", REASON_MAX_LENGTH)
    volunteer = volunteer_or_none(volunteer_id)
    if volunteer is None or kind not in KINDS:
        raise NotFound()
    record = db.session.scalar(select(TrainingRecord).where(
        TrainingRecord.volunteer_id == volunteer.id, TrainingRecord.kind == kind))
    if record is None:
        raise NotFound()
    try:
        db.session.delete(record)
        audit(coordinator, "training.remove", subject=volunteer.user, reason=f"{kind}" + (f"; {reason}" if reason else ""))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# --- clearance for minors (SPEC §7 "Minors", issue 19) ------------------------------------------


def mark_cleared(coordinator: User | None, volunteer_id: int, *, checked_on: date, expires_on: date | None = None,
                 note: Any = "") -> Clearance:
    """Record that the volunteer's check for work with minors was done (replacing an earlier record); logged; commits.

    ``checked_on``: the check's date; ``expires_on``: its last valid day (a
    UTC date), or None. No document is stored. ``coordinator`` None: the
    operator, from the CLI (``users clear``).
    """
    if coordinator is not None and not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    if not isinstance(checked_on, date):
        raise CoordinationError(N_("Give a date such as 2026-12-31."), field="checked_on")
    if expires_on is not None and (not isinstance(expires_on, date) or expires_on < checked_on):
        raise CoordinationError(N_("The clearance can't end before the check."), field="expires_on")
    note = clean_text(note, "note", NOTE_MAX_LENGTH)
    volunteer = volunteer_or_none(volunteer_id)
    if volunteer is None:
        raise NotFound()
    try:
        record = db.session.get(Clearance, volunteer.user_id)
        if record is None:
            record = Clearance(volunteer_id=volunteer.user_id)
            db.session.add(record)
        record.checked_on, record.expires_on, record.note = checked_on, expires_on, note
        record.checked_by_id = coordinator.id if coordinator is not None else None
        record.expiry_told_on = None
        until = expires_on.isoformat() if expires_on else "-"
        audit(coordinator, "clearance.mark", subject=volunteer.user,
              reason=f"{checked_on.isoformat()} to {until}" + (f"; {note}" if note else ""))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return record


def remove_clearance(coordinator: User, volunteer_id: int, reason: Any = "") -> None:
    """Remove the volunteer's clearance: minors stop being offered them; booked sessions stay. Logged; commits."""
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    reason = clean_text(reason, "reason", REASON_MAX_LENGTH)
    volunteer = volunteer_or_none(volunteer_id)
    record = db.session.get(Clearance, volunteer.user_id) if volunteer is not None else None
    if record is None:
        raise NotFound()
    try:
        db.session.delete(record)
        audit(coordinator, "clearance.remove", subject=volunteer.user, reason=reason)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def clearance_expiry_round(now=None) -> int:
    """Tell every active coordinator (one email each) about clearances that ended and weren't reported yet; commits.

    Each expiry is told once (``expiry_told_on``); clearing the volunteer again
    with a new date re-arms it. Existing bookings stay: coordinators decide.
    Returns how many clearances were reported.
    """
    today = clearance.clearance_day(now)
    ended = list(db.session.scalars(
        select(Clearance).options(joinedload(Clearance.volunteer).joinedload(VolunteerProfile.user))
        .where(Clearance.expires_on.is_not(None), Clearance.expires_on < today,
               or_(Clearance.expiry_told_on.is_(None), Clearance.expiry_told_on != Clearance.expires_on))
        .order_by(Clearance.volunteer_id)
    ))
    if not ended:
        return 0
    try:
        names = [f"{row.volunteer.user.display_name} ({row.expires_on.isoformat()})" for row in ended]
        base_url = current_app.config.get("BASE_URL", "").rstrip("/")
        coordinators = db.session.scalars(
            select(User).where(User.role == "coordinator", User.is_active.is_(True)).order_by(User.id))
        for coordinator in coordinators:
            with force_locale(coordinator.language):
                subject = gettext("Clearances for minors have ended")
                text = "\n\n".join([
                    gettext("Hello %(name)s,", name=coordinator.display_name),
                    gettext("These volunteers' clearance for work with minors has ended, so learners under 18 "
                            "can no longer find or book them. Their sessions already booked stay; please "
                            "review them:"),
                    "\n".join(names),
                    base_url + "/coordinator/",
                ]) + "\n"
            queue_mail(coordinator.email, subject, text)
        for row in ended:
            row.expiry_told_on = row.expires_on
            audit(None, "clearance.expired", subject=row.volunteer.user, reason=row.expires_on.isoformat())
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(ended)
