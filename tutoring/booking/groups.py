"""Group sessions: one session of a volunteer, several learners' seats (docs/GROUPS.md).

A volunteer marks a weekly rule or an extra window as a group window with a
``capacity`` (2..50). The first learner to book one of its slots creates the
``Session`` (with that capacity) and its first ``Booking``; later learners
add a ``Booking`` (a seat) to the same session, until it is full. Every seat
has its own iCalendar UID and SEQUENCE, so each learner's invites and feed
carry only that learner and the volunteer.

Seats are counted under locks inside the booking service's transaction: the
volunteer's profile row (and then the session row) ``FOR UPDATE`` on
PostgreSQL; on SQLite every transaction already begins with ``BEGIN
IMMEDIATE``. So the seats of a session never exceed its capacity, however
many learners race for the last one.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from tutoring.extensions import db
from tutoring.models import Booking, Series, Session, User, VolunteerProfile
from tutoring.booking.engine import (
    MAX_ID,
    REASON_MAX_LENGTH,
    check_learner_free,
    clean_text,
    lock_volunteer,
    new_booking_uid,
    user_id_of,
    write_transaction,
)
from tutoring.booking.errors import (
    BookingError,
    BookingNotFound,
    BookingStateError,
    InvalidBooking,
    SlotUnavailable,
)
from tutoring.booking.slots import offered_at
from tutoring.calendar.text import N_
from tutoring.services.minors import guardians
from tutoring.services.notices import notifications
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)


def live_seats(session_id: int) -> int:
    """How many live (not cancelled) bookings the session holds."""
    return db.session.scalar(
        select(func.count(Booking.id)).where(Booking.session_id == session_id, Booking.status != "cancelled")
    ) or 0


def open_group_at(volunteer_id: int, start_at: datetime, *, lock: bool = True) -> Session | None:
    """The volunteer's live group session starting at ``start_at``, or None.

    Locked ``FOR UPDATE`` for booking; ``lock=False`` for pages that only read (a series preview).
    """
    query = select(Session).where(
        Session.volunteer_id == volunteer_id,
        Session.start_at == start_at,
        Session.status == "confirmed",
        Session.capacity > 1,
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def seat_refusal(
    volunteer: VolunteerProfile, learner_id: int, session: Session, kind: str | None, now: datetime
) -> tuple[str, BookingError] | None:
    """Why the learner can't take a seat in ``session`` now, or None when they can.

    The answer is (a short code, the error a booking raises): the code is
    what a weekly series says of a week it skips (booking/series.py).
    ``kind`` None skips the kind test (a series preview doesn't know it yet).
    """
    if db.session.scalar(
        select(Booking.id).where(
            Booking.session_id == session.id, Booking.learner_id == learner_id, Booking.status != "cancelled"
        )
    ) is not None:
        return "learner_busy", SlotUnavailable(N_("You already have a seat in this group session."))
    taken = live_seats(session.id)
    if taken >= session.capacity:
        return "group_full", SlotUnavailable(N_("This group session is full. Please choose another time."))
    if kind is not None and kind != session.kind:
        return "group_kind", InvalidBooking(N_("This group session is for another kind of session."), field="kind")
    # The pages' reader presents this session as the open group it is (seats
    # left): offered unless its rules no longer offer that time.
    if offered_at(volunteer, session.start_at, now) is None:
        return "not_offered", SlotUnavailable()
    try:
        check_learner_free(learner_id, session.start_at, session.end_at)
    except SlotUnavailable as busy_then:
        return "learner_busy", busy_then
    return None


def take_seat(
    volunteer: VolunteerProfile, learner_id: int, start_at: datetime, kind: str, note: str, now: datetime
) -> Booking | None:
    """A new seat for the learner in the volunteer's group session at ``start_at``; None when there is no such session.

    Called by ``book_session`` inside its transaction, after it locked the
    learner and the volunteer. Refuses (SlotUnavailable) a full session, a
    learner who already holds a seat or is busy then, and a session that is
    no longer offered (notice, horizon, away days, a paused volunteer).
    """
    session = open_group_at(volunteer.id, start_at)
    if session is None:
        return None
    refusal = seat_refusal(volunteer, learner_id, session, kind, now)
    if refusal is not None:
        raise refusal[1]
    return add_seat(session, learner_id, note)


def add_seat(session: Session, learner_id: int, note: str, series: Series | None = None) -> Booking:
    """Insert the learner's seat in ``session`` (checked by ``seat_refusal`` under the locks just before)."""
    booking = Booking(session=session, learner_id=learner_id, note=note, uid=new_booking_uid(), sequence=0,
                      series=series)
    db.session.add(booking)
    db.session.flush()
    log.info("booking %s: learner %s took a seat (%d of %d) in session %s", booking.id, learner_id,
             live_seats(session.id), session.capacity, session.id)
    return booking


def session_for_volunteer(volunteer: User | int, session_id: int) -> Session | None:
    """The session if ``volunteer`` gives it; None for anyone else (a 404)."""
    if not 1 <= session_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Session).where(Session.id == session_id, Session.volunteer_id == user_id_of(volunteer))
    )


def cancel_session(volunteer: User | int, session_id: int, reason: str | None = None, now: datetime | None = None) -> Session:
    """The volunteer cancels a whole (group) session: every live seat is cancelled and told; commits.

    Each seat gets its own METHOD:CANCEL with its UID and a higher SEQUENCE,
    so every learner's calendar drops exactly their own entry.
    """
    volunteer_id = user_id_of(volunteer)
    reason = clean_text(reason, "reason", REASON_MAX_LENGTH)
    now = now or utcnow()
    with write_transaction():
        if session_for_volunteer(volunteer_id, session_id) is None:
            raise BookingNotFound()
        lock_volunteer(volunteer_id)
        session = db.session.scalar(
            select(Session).where(Session.id == session_id).with_for_update().execution_options(populate_existing=True)
        )
        if session.status == "cancelled":
            raise BookingStateError(N_("This session is already cancelled."))
        if session.status != "confirmed" or session.end_at <= now:
            raise BookingStateError(N_("This session is over, so it can't be cancelled."))
        seats = list(db.session.scalars(
            select(Booking)
            .where(Booking.session_id == session.id, Booking.status == "confirmed")
            .order_by(Booking.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ))
        for booking in seats:
            booking.status = "cancelled"
            booking.cancel_reason = reason
            booking.bump_sequence()
        session.status = "cancelled"
        db.session.flush()
        for booking in seats:
            notifications.queue_booking_messages(booking, "cancelled", cancelled_by=volunteer_id)
            guardians.queue_copy(booking, "cancelled")
    log.info("session %s: cancelled by volunteer %s with %d seats", session_id, volunteer_id, len(seats))
    return session


def learners_of(session: Session) -> list[User]:
    """The learners holding live seats in ``session``, by booking; for the volunteer's eyes only."""
    return [booking.learner for booking in session.bookings if booking.status != "cancelled"]
