"""Booking, cancelling, moving and recording sessions: each one write through the engine (``tutoring.booking.engine``).

Each change commits, and in the same transaction queues its messages
(``tutoring.services.notices.notifications``: invites and cancellations to both
parties, never the note) and ends the learner's waitlist request; the
reactions are called here, in one place, not reached from the engine.

Privacy: notes and cancel reasons are never logged; log lines carry ids only.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tutoring.booking.engine import (
    MAX_ID,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    as_instant,
    check_bookable,
    check_learner_free,
    clean_text,
    lock_user,
    lock_volunteer,
    locked_booking,
    new_booking_uid,
    offered_slot,
    user_id_of,
    write_transaction,
)
from tutoring.booking.errors import BookingForbidden, BookingStateError, InvalidBooking
from tutoring.booking.groups import take_seat
from tutoring.booking.waitlist import end_requests_on_booking
from tutoring.calendar.text import N_
from tutoring.extensions import db
from tutoring.models import KINDS, Booking, Session, User, VolunteerProfile
from tutoring.services.notices import notifications
from tutoring.services.minors import guardians
from tutoring.services.support.checkins import notice_repeated_absence
from tutoring.services.coordinators.safeguarding import check_cleared, check_may_book, check_trained
from tutoring.services.support.training import training_day
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)


def book_session(
    learner: User | int,
    volunteer_id: int,
    start_at: datetime,
    kind: str,
    note: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book the offered slot of ``volunteer_id`` starting at ``start_at`` for ``learner``; commits.

    Raises :class:`SlotUnavailable` when the slot is not (or no longer)
    offered or the learner is busy then, :class:`InvalidBooking` for bad
    input, :class:`BookingForbidden` when the caller can't book, and
    :class:`BookingBusy` when the volunteer stays locked too long.
    """
    learner_id = user_id_of(learner)
    start_at = as_instant(start_at, "start")
    if kind not in KINDS:
        raise InvalidBooking(N_("Choose a kind of session: tutoring, mentoring or support."), field="kind")
    note = clean_text(note, "note", NOTE_MAX_LENGTH) or ""
    now = now or utcnow()

    with write_transaction() as shown:
        if learner_id == volunteer_id:
            raise InvalidBooking(N_("You can't book a session with yourself."), field="volunteer_id")
        booker = lock_user(learner_id)
        if booker is None or not booker.is_active or not booker.is_learner:
            raise BookingForbidden(N_("Only learners can book sessions."))
        # Its slot rules are read after the lock with one statement
        # (_availability_of), not joined to the lock and built as objects.
        volunteer = lock_volunteer(volunteer_id) if 1 <= volunteer_id <= MAX_ID else None
        check_bookable(volunteer, kind)
        check_may_book(volunteer_id, learner_id, kind, day=training_day(now))
        seat = take_seat(volunteer, learner_id, start_at, kind, note, now)
        if seat is not None:  # a seat in an existing group session (docs/GROUPS.md)
            booking_changed(seat, "booked", by_user_id=learner_id)
            learner_booked(learner_id, volunteer_id, now)
            shown.append(seat)
            return seat
        slot = offered_slot(volunteer, start_at, now, kind=kind)
        check_learner_free(learner_id, slot.start_at, slot.end_at)

        session = Session(
            volunteer_id=volunteer_id,
            kind=kind,
            start_at=slot.start_at,
            end_at=slot.end_at,
            blocked_until_at=slot.end_at + timedelta(minutes=volunteer.buffer_minutes),
            status="confirmed",
            capacity=slot.capacity,  # above 1 for a slot of a group window: later learners join it
        )
        booking = Booking(session=session, learner_id=learner_id, note=note, uid=new_booking_uid(), sequence=0)
        db.session.add_all([session, booking])
        db.session.flush()
        booking_changed(booking, "booked", by_user_id=learner_id)
        learner_booked(learner_id, volunteer_id, now)
        shown.append(booking)
        booking_id = booking.id
    log.info("booking %s: learner %s booked volunteer %s at %s", booking_id, learner_id, volunteer_id,
             slot.start_at.isoformat())
    return booking


def cancel_booking(user: User | int, booking_id: int, reason: str | None = None, now: datetime | None = None) -> Booking:
    """Cancel a confirmed booking as its learner or its volunteer; frees the slot and bumps SEQUENCE; commits.

    The session is cancelled too when no live booking is left in it, so its
    time is offered again.
    """
    user_id = user_id_of(user)
    reason = clean_text(reason, "reason", REASON_MAX_LENGTH)
    now = now or utcnow()

    with write_transaction() as shown:
        booking = locked_booking(user_id, booking_id)
        if booking.status == "cancelled":
            raise BookingStateError(N_("This booking is already cancelled."))
        if booking.status != "confirmed" or booking.session.end_at <= now:
            raise BookingStateError(N_("This session is over, so it can't be cancelled."))
        booking.status = "cancelled"
        booking.cancel_reason = reason
        booking.bump_sequence()
        session = booking.session
        if not any(other.status != "cancelled" for other in session.bookings if other.id != booking.id):
            session.status = "cancelled"
        db.session.flush()
        booking_changed(booking, "cancelled", by_user_id=user_id)
        shown.append(booking)
    log.info("booking %s: cancelled by user %s", booking_id, user_id)
    return booking


def reschedule_booking(user: User | int, booking_id: int, new_start_at: datetime, now: datetime | None = None) -> Booking:
    """Move a confirmed, not yet started booking to another offered slot; same UID, SEQUENCE + 1; commits.

    The booking's own session doesn't block the new time (it moves), but
    counts as usual otherwise: the new slot must be offered as if the old
    time were free. Either party may move it; both get an updated invite.
    """
    user_id = user_id_of(user)
    new_start_at = as_instant(new_start_at, "start")
    now = now or utcnow()

    with write_transaction() as shown:
        booking = locked_booking(user_id, booking_id)
        session = booking.session
        if booking.status != "confirmed":
            raise BookingStateError(N_("Only confirmed bookings can be moved."))
        if session.start_at <= now:
            raise BookingStateError(N_("This session has already started, so it can't be moved."))
        if session.capacity > 1:
            raise BookingStateError(N_("This is a seat in a group session: cancel it and book another time instead."))
        if any(other.status != "cancelled" for other in session.bookings if other.id != booking.id):
            # Group sessions (SPEC §1, coming): moving one learner means a
            # new session for them, not moving everybody's.
            raise BookingStateError(N_("This session is shared with other learners, so it can't be moved."))
        volunteer = db.session.get(VolunteerProfile, session.volunteer_id)
        check_bookable(volunteer, session.kind)
        if user_id == booking.learner_id:
            # A learner choosing a new time is booking again: a block (or a
            # training rule) that stops a new booking stops this too. The
            # volunteer may still move a session they already agreed to.
            check_may_book(session.volunteer_id, booking.learner_id, session.kind, day=training_day(now))
        else:
            # Nor may an untrained (or expired) volunteer put a support session at a new time (SPEC §7),
            # nor one no longer cleared a minor's session.
            check_trained(session.volunteer_id, session.kind, day=training_day(now))
            check_cleared(session.volunteer_id, booking.learner_id, day=training_day(now))
        slot = offered_slot(volunteer, new_start_at, now, exclude_session_id=session.id, kind=session.kind)
        check_learner_free(booking.learner_id, slot.start_at, slot.end_at, exclude_session_id=session.id)

        session.start_at = slot.start_at
        session.end_at = slot.end_at
        session.blocked_until_at = slot.end_at + timedelta(minutes=volunteer.buffer_minutes)
        booking.bump_sequence()
        db.session.flush()  # on PostgreSQL the exclusion constraint checks the moved session here
        booking_changed(booking, "rescheduled", by_user_id=user_id)
        shown.append(booking)
    log.info("booking %s: moved by user %s to %s", booking_id, user_id, slot.start_at.isoformat())
    return booking


def mark_completed(volunteer: User | int, booking_id: int, now: datetime | None = None) -> Booking:
    """The volunteer records that the session took place (only after it ended); commits."""
    return finish_session(volunteer, booking_id, "completed", now)


def mark_no_show(volunteer: User | int, booking_id: int, now: datetime | None = None) -> Booking:
    """The volunteer records that the learner didn't come (only after the session ended); commits."""
    return finish_session(volunteer, booking_id, "no_show", now)


def booking_changed(booking: Booking, change: str, *, by_user_id: int) -> None:
    """The reactions to a committed-with-it change (booked|rescheduled|cancelled): both parties' messages.

    Called after the change is flushed and before the commit, so a message is
    queued exactly when the change is committed: one outbox row per party
    (``tutoring.services.notices.notifications``), which never reads the note.
    """
    notifications.queue_booking_messages(booking, change, cancelled_by=by_user_id)
    guardians.queue_copy(booking, change)  # a minor's guardian hears of it too (SPEC §7 "Minors")


def learner_booked(learner_id: int, volunteer_id: int, now: datetime) -> None:
    """A learner who books a volunteer stops waiting for them (their waitlist request ends, issue 9)."""
    end_requests_on_booking(learner_id, volunteer_id, now)


def finish_session(volunteer: User | int, booking_id: int, status: str, now: datetime | None) -> Booking:
    user_id = user_id_of(volunteer)
    now = now or utcnow()
    with write_transaction():
        booking = locked_booking(user_id, booking_id)
        session = booking.session
        if session.volunteer_id != user_id:
            raise BookingForbidden(N_("Only the volunteer can record how a session went."))
        if booking.status == "cancelled":
            raise BookingStateError(N_("This booking is already cancelled."))
        if session.end_at > now:
            raise BookingStateError(N_("This session hasn't ended yet."))
        # completed <-> no_show may be corrected; no calendar sees it, so no SEQUENCE bump.
        booking.status = status
        live = [other.status for other in session.bookings if other.status != "cancelled"]
        session.status = "no_show" if all(other == "no_show" for other in live) else "completed"
        db.session.flush()
        notice_repeated_absence(booking, now)  # a learner absent twice in 30 days gets a kind word (issue 18)
    log.info("booking %s: marked %s by volunteer %s", booking_id, status, user_id)
    return booking
