"""A person's own data: download it, delete the account, and let old private notes expire.

What is stored and who sees it is in docs/SECURITY.md; this module is where
the promises made there are kept.

* ``export_data(user)``: everything the service holds about one person, as a
  JSON-ready dict: account, volunteer profile and availability, every booking
  they are part of (with the note, which both parties can already read),
  their waitlist requests and notices, a volunteer's own calendars (host and
  read times only) and programmes, the rows of other tables that belong to
  them, and the list (not the bodies) of emails queued or sent to them.
  Secrets (password hash, token hashes, feed token, calendar credentials and
  addresses) are left out; so are safeguarding reports,
  learner blocks and the coordinators' audit log, which protect others.
* ``delete_account(user)``: cancels every session still to come through the
  booking service's own cancel path (so the other person gets the usual
  cancellation email and calendar update from the outbox), then, in one
  transaction, anonymises what must stay for the other party's history (the
  user row, their past bookings' notes) and deletes what only concerned them.
* A minor's guardian (their address and answer, ``guardian_consents``) is
  exported with the minor's data and deleted with the account; the guardian
  is told by email. ``guardians.purge_unanswered`` forgets the addresses of
  requests declined, withdrawn or never answered after
  ``GUARDIAN_RETENTION_DAYS`` (the worker, hourly).
* ``purge_old_notes(now)``: clears learners' notes and cancel reasons of
  sessions that ended more than ``NOTE_RETENTION_DAYS`` ago (``flask privacy
  purge-notes``, and the mail worker every hour).
"""
from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import LargeBinary, Table, delete, or_, select, update

from tutoring.config import days_setting
from tutoring.contact_details import hide_contact_details
from tutoring.extensions import db
from tutoring.models import (
    ApiToken,
    AuditEntry,
    Booking,
    ExternalCalendar,
    Notice,
    OutboxMessage,
    Programme,
    ProgrammeMember,
    Session,
    User,
    VolunteerProfile,
    WaitlistRequest,
)
from tutoring.booking.engine import bookings_for, lock_user, lock_volunteer, write_transaction
from tutoring.booking.errors import BookingError
from tutoring.booking.operations import cancel_booking
from tutoring.booking.waitlist import range_text
from tutoring.services.minors import guardians
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

DEFAULT_NOTE_RETENTION_DAYS = 180
DELETED_NAME = "Deleted account"
DELETED_EMAIL_DOMAIN = "deleted.invalid"  # RFC 2606: can never receive mail
# Handled on their own below, or not the person's to take away (safeguarding
# reports and the audit log protect others; they point at the anonymised row).
_OWN_HANDLING = {"users", "bookings", "sessions", "outbox_messages", "api_tokens", "volunteer_profiles",
                 "external_calendars", "waitlist_requests", "notices", "programme_members"}
# Protective records: telling a learner who blocked them, or what was
# reported, could put the volunteer or the reporter at risk.
_NOT_EXPORTED = {"safeguarding_reports", "audit_entries", "learner_blocks"}
_SECRET_WORDS = ("hash", "secret", "token", "password")


# --- export -----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A column value as JSON: instants and dates in ISO 8601 (UTC with Z), bytes as base64."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _user_columns(table: Table) -> list:
    """The table's columns that point at a person (``users.id`` or ``volunteer_profiles.user_id``)."""
    return [
        fk.parent
        for fk in table.foreign_keys
        if (fk.column.table.name, fk.column.name) in {("users", "id"), ("volunteer_profiles", "user_id")}
    ]


def _shown_columns(table: Table) -> list:
    return [
        column for column in table.columns
        if not isinstance(column.type, LargeBinary) and not any(word in column.name for word in _SECRET_WORDS)
    ]


def export_data(user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about ``user`` that is theirs to see, as a JSON-ready dict."""
    now = now or utcnow()
    data: dict[str, Any] = {
        "exported_at": _plain(now),
        "account": {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "display_name": user.display_name,
            "timezone": user.timezone,
            "language": user.language,
            "created_at": _plain(user.created_at),
            "is_minor": bool(user.is_minor),
        },
        "api_tokens": [
            {"created_at": _plain(token.created_at), "last_used_at": _plain(token.last_used_at),
             "revoked_at": _plain(token.revoked_at)}
            for token in user.api_tokens
        ],
    }
    profile = user.volunteer_profile
    if profile is not None:
        table = VolunteerProfile.__table__
        data["volunteer_profile"] = {
            column.name: _plain(getattr(profile, column.key)) for column in _shown_columns(table)
        }
    data["bookings"] = [_booking_data(booking, user) for booking in bookings_for(user)]
    data["emails"] = [
        {"kind": kind, "subject": subject, "queued_at": _plain(created), "sent_at": _plain(sent)}
        for kind, subject, created, sent in db.session.execute(
            select(OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.created_at, OutboxMessage.sent_at)
            .where(OutboxMessage.recipient == user.email)
            .order_by(OutboxMessage.id)
        )
    ]
    data["waitlist_requests"] = _waitlist_data(user)
    data["notices"] = [
        {"kind": notice.kind, "data": notice.data, "created_at": _plain(notice.created_at),
         "dismissed_at": _plain(notice.dismissed_at)}
        for notice in db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id))
    ]
    if profile is not None:
        data["own_calendars"] = _own_calendars_data(user)
        data["programmes"] = [
            {"name": name, "slug": slug, "trained": trained, "added_at": _plain(added_at)}
            for name, slug, trained, added_at in db.session.execute(
                select(Programme.name, Programme.slug, ProgrammeMember.trained, ProgrammeMember.added_at)
                .join(ProgrammeMember, ProgrammeMember.programme_id == Programme.id)
                .where(ProgrammeMember.volunteer_id == user.id)
                .order_by(Programme.name, Programme.id)
            )
        ]
    # Rows of any other table that belong to the person (availability,
    # busy times read from their calendars, ...), found through their foreign keys, so
    # a table added later is exported without changing this function.
    for table in db.metadata.sorted_tables:
        if table.name in _OWN_HANDLING or table.name in _NOT_EXPORTED:
            continue
        columns = _user_columns(table)
        if not columns:
            continue
        shown = _shown_columns(table)
        rows = db.session.execute(select(*shown).where(or_(*(column == user.id for column in columns)))).all()
        if rows:
            data[table.name] = [{column.name: _plain(value) for column, value in zip(shown, row)} for row in rows]
    return data


def _own_calendars_data(user: User) -> list[dict[str, Any]]:
    """The volunteer's connected calendars: the server's name and when it was read, nothing more.

    The address, user name and password are in ``secret`` (encrypted); none of
    it is exported: a download is a file that gets copied and mailed around.
    """
    return [
        {"host": host, "last_read_at": _plain(success), "last_tried_at": _plain(attempt)}
        for host, success, attempt in db.session.execute(
            select(ExternalCalendar.host, ExternalCalendar.last_success_at, ExternalCalendar.last_attempt_at)
            .where(ExternalCalendar.volunteer_id == user.id)
            .order_by(ExternalCalendar.id)
        )
    ]


def _waitlist_data(user: User) -> list[dict[str, Any]]:
    """The times this person asked to be told about. Requests *for* a volunteer are the learners' data, not theirs."""
    requests = db.session.scalars(
        select(WaitlistRequest).where(WaitlistRequest.learner_id == user.id).order_by(WaitlistRequest.id)
    )
    return [
        {"volunteer": request.volunteer.user.display_name, "timezone": request.timezone,
         "range": range_text(request), "status": request.status, "told_about": list(request.told_starts or []),
         "asked_at": _plain(request.created_at), "last_told_at": _plain(request.last_notified_at),
         "ended_at": _plain(request.ended_at)}
        for request in requests
    ]


def _booking_data(booking: Booking, user: User) -> dict[str, Any]:
    session = booking.session
    as_learner = booking.learner_id == user.id
    other = session.volunteer.user if as_learner else booking.learner
    return {
        "id": booking.id,
        "uid": booking.uid,
        "as": "learner" if as_learner else "volunteer",
        "with": other.display_name,
        "kind": session.kind,
        "start": _plain(session.start_at),
        "end": _plain(session.end_at),
        "status": booking.status,
        "sequence": booking.sequence,
        # The learner wrote the note; either party may have written the reason: contact details in
        # what the other wrote stay hidden here too (SPEC §7).
        "note": booking.note if as_learner else hide_contact_details(booking.note),
        "cancel_reason": None if booking.cancel_reason is None else hide_contact_details(booking.cancel_reason),
        "created_at": _plain(booking.created_at),
        "updated_at": _plain(booking.updated_at),
    }


# --- deletion ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deletion:
    """What ``delete_account`` did."""

    cancelled: int
    not_cancelled: int


def upcoming_bookings(user: User, now: datetime | None = None) -> list[Booking]:
    """The person's confirmed bookings whose session hasn't ended: what deleting the account cancels."""
    now = now or utcnow()
    return [
        booking for booking in bookings_for(user, include_cancelled=False)
        if booking.status == "confirmed" and booking.session.end_at > now
    ]


def delete_account(user_id: int, now: datetime | None = None) -> Deletion:
    """Stop new bookings, cancel the person's future sessions (with notice to the other party), then anonymise.

    The caller has confirmed the password. Three steps, each its own
    transaction (or several): first the account stops taking part in new
    bookings (inactive, a volunteer's profile paused, API tokens revoked),
    committed under the same row locks booking takes, so no booking can be
    made with or by the person afterwards; then their sessions still to come
    are cancelled through the booking service's own cancel path, until none
    is left; then the anonymisation. If it is run again (say the process died
    half-way), it picks up where it stopped.
    """
    now = now or utcnow()
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    old_email = user.email
    consent = guardians.consent_of(user_id) if user.is_minor else None
    guardian = (consent.guardian_email, user.display_name, user.language) if consent is not None else None
    stop_new_bookings(user_id, now)
    cancelled = failed = 0
    tried: set[int] = set()
    # Bookings that were being made while the stop committed are committed
    # by now (they held the locks the stop waited for): look again until a
    # pass finds nothing new.
    for _attempt in range(_CANCEL_PASSES):
        pending = [booking.id for booking in upcoming_bookings(db.session.get(User, user_id), now)
                   if booking.id not in tried]
        if not pending:
            break
        for booking_id in pending:
            tried.add(booking_id)
            try:
                cancel_booking(user_id, booking_id, now=now)
                cancelled += 1
            except BookingError as error:
                # Ended in the meantime, or already cancelled by the other side: nothing to tell anyone.
                failed += 1
                log.info("account %s deletion: booking %s not cancelled (%s)", user_id, booking_id, error.code)
        db.session.expire_all()
    try:
        if guardian is not None:
            guardians.queue_deletion_notice(*guardian)  # a minor's guardian is told (SPEC §7 "Minors")
        _anonymise(user_id, old_email, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    log.info("account %s deleted: %d sessions cancelled", user_id, cancelled)
    return Deletion(cancelled=cancelled, not_cancelled=failed)


_CANCEL_PASSES = 5


def stop_new_bookings(user_id: int, now: datetime | None = None, *, deactivate: bool = True) -> None:
    """Commit that nobody books with (or as) ``user_id`` any more: paused profile, revoked API tokens, inactive.

    The rows are locked in the order booking locks them (the person's
    ``users`` row, then their volunteer profile), so a booking in flight
    either committed before this or sees the new state under its own lock
    and is refused. ``deactivate=False`` keeps the account usable (a
    coordinator pausing a volunteer).
    """
    now = now or utcnow()
    with write_transaction():
        user = lock_user(user_id)
        if user is None:
            raise LookupError(f"no user {user_id}")
        profile = lock_volunteer(user_id)
        if profile is not None and profile.state == "approved":
            profile.state = "paused"
        if deactivate:
            user.is_active = False
            db.session.execute(
                update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=now))


def _anonymise(user_id: int, old_email: str, now: datetime) -> None:
    user = db.session.get(User, user_id, populate_existing=True)
    user.email = f"deleted-{user_id}-{secrets.token_hex(4)}@{DELETED_EMAIL_DOMAIN}"
    user.display_name = DELETED_NAME
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it; the account is inactive anyway
    user.is_active = False
    user.deleted_at = now
    user.rotate_calendar_token()  # the old feed address stops working
    profile = user.volunteer_profile
    if profile is not None:
        # The profile row stays (past sessions point at it), emptied and not bookable.
        profile.state = "paused"
        profile.bio = ""
        profile.subjects = []
        profile.languages = []
    # Their own words in past bookings; the booking rows stay for the other person's history.
    db.session.execute(
        update(Booking)
        .where(Booking.learner_id == user_id)
        .values(note="", cancel_reason=None, updated_at=Booking.updated_at)
    )
    # Mail to them, sent or not: it holds their name and address (the
    # cancellations just queued for them included; they are leaving).
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == old_email))
    # Mail already sent to the people they met: invites name both parties, so those copies hold their
    # address too. Unsent ones (the cancellations just queued) still go out, then age out with the rest.
    their_bookings = select(Booking.id).where(or_(
        Booking.learner_id == user_id,
        Booking.session_id.in_(select(Session.id).where(Session.volunteer_id == user_id)),
    ))
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.booking_id.in_(their_bookings), OutboxMessage.sent_at.is_not(None)))
    # Rows that live and die with the person (ON DELETE CASCADE): tokens,
    # availability, calendar connections, waitlist requests, notices, ...
    for table in reversed(db.metadata.sorted_tables):
        if table.name in ("users", "volunteer_profiles"):
            continue
        columns = [column for column in _user_columns(table)
                   if any(fk.ondelete == "CASCADE" for fk in column.foreign_keys)]
        if columns:
            db.session.execute(table.delete().where(or_(*(column == user_id for column in columns))))
    # The guardian's address in the audit entries of their answers (the consent row itself goes with
    # the cascade above): the entries stay, as decisions, without it.
    db.session.execute(update(AuditEntry).where(AuditEntry.subject_user_id == user_id,
                                                AuditEntry.action.like("guardian.%")).values(reason=""))
    db.session.flush()


# --- note retention ------------------------------------------------------------------------------------


def note_retention_days() -> int:
    """``NOTE_RETENTION_DAYS`` (``TUTORING_NOTE_RETENTION_DAYS``): days after a session's end that its notes are kept."""
    return days_setting(current_app.config, "NOTE_RETENTION_DAYS", DEFAULT_NOTE_RETENTION_DAYS)


def purge_old_notes(now: datetime | None = None, days: int | None = None) -> int:
    """Clear notes and cancel reasons of sessions that ended more than ``days`` ago; commits; returns how many bookings."""
    now = now or utcnow()
    cutoff = now - timedelta(days=note_retention_days() if days is None else days)
    old_sessions = select(Session.id).where(
        Session.start_at < cutoff,  # implied by the end, and what the index serves
        Session.end_at < cutoff,
    )
    try:
        count = db.session.execute(
            update(Booking)
            .where(Booking.session_id.in_(old_sessions), or_(Booking.note != "", Booking.cancel_reason.is_not(None)))
            # Keep updated_at: feeds show recent cancellations by it, and
            # clearing a note is not a change anyone's calendar should see.
            .values(note="", cancel_reason=None, updated_at=Booking.updated_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if count:
        log.info("cleared the notes of %d bookings whose sessions ended before %s", count, cutoff.isoformat())
    return count
