"""Booking, cancelling and rescheduling sessions so that a volunteer is never double-booked.

Every function here owns its transaction: it takes the locks it needs,
re-checks the rules against what is in the database *now*, writes, and
commits (or rolls back and raises a :class:`BookingError`). Call them with no
unflushed work of your own that must not be committed with them.

How the guarantee is kept (FIELD-NOTES "Booking integrity"):

* Writers that touch one volunteer's time are serialized. On PostgreSQL we
  lock the learner's ``users`` row and then the volunteer's
  ``volunteer_profiles`` row ``FOR UPDATE`` (always in that order, so two
  writers can't deadlock); under READ COMMITTED every later statement sees
  what the previous lock holder committed. On SQLite every transaction
  already begins with ``BEGIN IMMEDIATE`` (``tutoring.extensions``), so
  writers are serialized by the database file's write lock.
* Under the lock the slot is re-checked with the scheduling core's
  ``is_offered`` (grid, notice, horizon, away days, weekly cap, buffers),
  then with a query mirroring the exclusion constraint (sessions'
  ``[start_at, blocked_until_at)`` ranges), then for the learner's own
  overlapping sessions.
* On PostgreSQL the exclusion constraint ``ex_sessions_no_overlap`` is the
  last line of defence; its violation becomes :class:`SlotUnavailable`, and
  lock timeouts, deadlocks and serialization failures become
  :class:`BookingBusy`, never an unhandled error.

Privacy: notes and cancel reasons are never logged; log lines carry ids only.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from flask_babel import gettext
from sqlalchemy import inspect, or_, select, text, union
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import joinedload, selectinload

from tutoring.calendar.text import N_
from tutoring.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from tutoring.models import KINDS, Booking, Session, User, VolunteerProfile
from tutoring.scheduling import Availability, Busy, Slot, is_offered
from tutoring.scheduling.slots import LONGEST_BUSY_SECONDS
from tutoring.services.external_calendars import external_busy
from tutoring.services.slots import availabilities
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
UID_FALLBACK_DOMAIN = "tutoring.local"
# How long a writer waits for another writer of the same volunteer before
# giving up with BookingBusy; the same patience SQLite's busy timeout has.
LOCK_TIMEOUT_MS = SQLITE_BUSY_TIMEOUT_MS
# Ids are 32-bit integers in the database; a bigger number can't name a row
# (and drivers refuse to even compare with some).
MAX_ID = 2**31 - 1
# No volunteer's horizon exceeds 365 days (a database CHECK), so a start
# outside this span around now is never offered; refusing it early also keeps
# absurd dates (year 1, year 9999) away from date arithmetic.
_FARTHEST_OFFER = timedelta(days=366)
# Sessions that can matter to one slot: overlaps (buffers, long sessions) and
# every session of the ISO week(s) the slot can fall in, in any zone.
_NEAR = timedelta(days=8) + timedelta(seconds=LONGEST_BUSY_SECONDS)

# PostgreSQL SQLSTATEs we translate.
_EXCLUSION_VIOLATION = "23P01"
_RETRYABLE_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available (lock_timeout)
    "57014",  # query_canceled (statement_timeout)
}



# --- errors -----------------------------------------------------------------


class BookingError(Exception):
    """A booking request that can't be honoured; nothing was written.

    ``code`` and ``status`` are what the JSON API answers with; ``message`` is
    for people, in the current request's language; ``field`` names the input
    at fault, when one is.
    """

    code = "booking_error"
    status = 409

    def __init__(self, msgid: str, *, field: str | None = None, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        self.field = field
        super().__init__(msgid % params if params else msgid)

    @property
    def message(self) -> str:
        """The message in the current request's language (English outside a request)."""
        if has_request_context():
            return gettext(self.msgid, **self.params)
        return str(self)


class SlotUnavailable(BookingError):
    """The time asked for is not (or no longer) offered: 409 ``slot_unavailable``."""

    code = "slot_unavailable"
    status = 409

    def __init__(self, msgid: str | None = None, **kwargs: Any) -> None:
        super().__init__(msgid or N_("This time is not available any more. Please choose another time."), **kwargs)


class BookingBusy(BookingError):
    """Too many people are booking this volunteer right now; safe to retry: 409 ``busy``."""

    code = "busy"
    status = 409

    def __init__(self) -> None:
        super().__init__(N_("Many people are booking right now. Please try again in a moment."))


class InvalidBooking(BookingError):
    """The request itself is malformed or impossible (422, naming the field)."""

    code = "validation_error"
    status = 422


class BookingNotFound(BookingError):
    """No such booking, or the caller is not part of it: 404."""

    code = "not_found"
    status = 404

    def __init__(self) -> None:
        super().__init__(N_("There is no such booking."))


class BookingForbidden(BookingError):
    """The caller may see the booking (or volunteer) but not do this: 403."""

    code = "forbidden"
    status = 403


class BookingStateError(BookingError):
    """The booking's status or timing doesn't allow this change: 409 ``invalid_state``."""

    code = "invalid_state"
    status = 409


# --- reading ----------------------------------------------------------------


def bookings_for(user: User | int, *, include_cancelled: bool = True) -> list[Booking]:
    """The bookings ``user`` is part of (as learner or as volunteer), by session start."""
    user_id = _id_of(user)
    # Ids from two indexed lookups (as learner, as volunteer) rather than an
    # OR across the two tables, which no index serves (a scan of all bookings).
    mine = union(
        select(Booking.id).where(Booking.learner_id == user_id),
        select(Booking.id).join(Booking.session).where(Session.volunteer_id == user_id),
    )
    query = (
        select(Booking)
        .join(Booking.session)
        .options(joinedload(Booking.session, innerjoin=True))
        .where(Booking.id.in_(select(mine.subquery().c.id)))
        .order_by(Session.start_at, Booking.id)
    )
    if not include_cancelled:
        query = query.where(Booking.status != "cancelled")
    return list(db.session.scalars(query))


def booking_for(user: User | int, booking_id: int) -> Booking | None:
    """The booking if ``user`` is its learner or its volunteer; None for anyone else (a 404)."""
    user_id = _id_of(user)
    if not 1 <= booking_id <= MAX_ID:
        return None
    booking = db.session.scalar(
        select(Booking)
        .join(Booking.session)
        .options(joinedload(Booking.session, innerjoin=True))
        .where(Booking.id == booking_id, or_(Booking.learner_id == user_id, Session.volunteer_id == user_id))
    )
    return booking


# --- changing ---------------------------------------------------------------


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
    learner_id = _id_of(learner)
    start_at = _instant(start_at, "start")
    if kind not in KINDS:
        raise InvalidBooking(N_("Choose a kind of session: tutoring, mentoring or support."), field="kind")
    note = _text(note, "note", NOTE_MAX_LENGTH) or ""
    now = now or utcnow()

    with _write_transaction() as shown:
        if learner_id == volunteer_id:
            raise InvalidBooking(N_("You can't book a session with yourself."), field="volunteer_id")
        booker = _lock_user(learner_id)
        if booker is None or not booker.is_active or not booker.is_learner:
            raise BookingForbidden(N_("Only learners can book sessions."))
        # Its slot rules are read after the lock with one statement
        # (_availability_of), not joined to the lock and built as objects.
        volunteer = _lock_volunteer(volunteer_id, with_rules=False) if 1 <= volunteer_id <= MAX_ID else None
        _check_bookable(volunteer, kind)
        _check_coordination(volunteer_id, learner_id, kind)
        seat = _group_seat(volunteer, learner_id, start_at, kind, note, now)
        if seat is not None:  # a seat in an existing group session (docs/GROUPS.md)
            _queue_messages(seat, "booked", by_user_id=learner_id)
            _end_waitlist(learner_id, volunteer_id, now)
            shown.append(seat)
            return seat
        slot = _offered_slot(volunteer, start_at, now)
        _check_learner_free(learner_id, slot.start_at, slot.end_at)

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
        _queue_messages(booking, "booked", by_user_id=learner_id)
        _end_waitlist(learner_id, volunteer_id, now)
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
    user_id = _id_of(user)
    reason = _text(reason, "reason", REASON_MAX_LENGTH)
    now = now or utcnow()

    with _write_transaction() as shown:
        booking = _locked_booking(user_id, booking_id)
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
        _queue_messages(booking, "cancelled", by_user_id=user_id)
        shown.append(booking)
    log.info("booking %s: cancelled by user %s", booking_id, user_id)
    return booking


def reschedule_booking(user: User | int, booking_id: int, new_start_at: datetime, now: datetime | None = None) -> Booking:
    """Move a confirmed, not yet started booking to another offered slot; same UID, SEQUENCE + 1; commits.

    The booking's own session doesn't block the new time (it moves), but
    counts as usual otherwise: the new slot must be offered as if the old
    time were free. Either party may move it; both get an updated invite.
    """
    user_id = _id_of(user)
    new_start_at = _instant(new_start_at, "start")
    now = now or utcnow()

    with _write_transaction() as shown:
        booking = _locked_booking(user_id, booking_id, with_rules=True)
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
        _check_bookable(volunteer, session.kind)
        if user_id == booking.learner_id:
            # A learner choosing a new time is booking again: a block (or a
            # training rule) that stops a new booking stops this too. The
            # volunteer may still move a session they already agreed to.
            _check_coordination(session.volunteer_id, booking.learner_id, session.kind)
        slot = _offered_slot(volunteer, new_start_at, now, exclude_session_id=session.id)
        _check_learner_free(booking.learner_id, slot.start_at, slot.end_at, exclude_session_id=session.id)

        session.start_at = slot.start_at
        session.end_at = slot.end_at
        session.blocked_until_at = slot.end_at + timedelta(minutes=volunteer.buffer_minutes)
        booking.bump_sequence()
        db.session.flush()  # on PostgreSQL the exclusion constraint checks the moved session here
        _queue_messages(booking, "rescheduled", by_user_id=user_id)
        shown.append(booking)
    log.info("booking %s: moved by user %s to %s", booking_id, user_id, slot.start_at.isoformat())
    return booking


def mark_completed(volunteer: User | int, booking_id: int, now: datetime | None = None) -> Booking:
    """The volunteer records that the session took place (only after it ended); commits."""
    return _finish(volunteer, booking_id, "completed", now)


def mark_no_show(volunteer: User | int, booking_id: int, now: datetime | None = None) -> Booking:
    """The volunteer records that the learner didn't come (only after the session ended); commits."""
    return _finish(volunteer, booking_id, "no_show", now)


def new_booking_uid() -> str:
    """A new iCalendar UID: a UUID at the service's domain (from ``BASE_URL``), e.g. ``…@tutoring.example``."""
    domain = urlsplit(current_app.config.get("BASE_URL") or "").hostname or UID_FALLBACK_DOMAIN
    return f"{uuid.uuid4()}@{domain}"


# --- the hook for calendar invites and e-mail -------------------------------


def _queue_messages(booking: Booking, change: str, *, by_user_id: int) -> None:
    """Write the invite/cancel messages for ``change`` (booked|rescheduled|cancelled) in this transaction.

    Called after the change is flushed and before the commit, so a message is
    queued exactly when the change is committed: one outbox row per party
    (``tutoring.services.notifications``), which never reads the note.
    """
    # Imported here: notifications pulls in the calendar core, which the
    # booking rules themselves don't need.
    from tutoring.services.notifications import queue_booking_messages

    queue_booking_messages(booking, change, cancelled_by=by_user_id)


def _group_seat(
    volunteer: VolunteerProfile, learner_id: int, start_at: datetime, kind: str, note: str, now: datetime
) -> Booking | None:
    """A seat in the volunteer's open group session at ``start_at``, or None when there is none to join."""
    from tutoring.services.groups import take_seat

    return take_seat(volunteer, learner_id, start_at, kind, note, now)


def _end_waitlist(learner_id: int, volunteer_id: int, now: datetime) -> None:
    """A learner who books a volunteer stops waiting for them (their waitlist request ends, issue 9)."""
    from tutoring.services.waitlist import end_requests_on_booking

    end_requests_on_booking(learner_id, volunteer_id, now)


# --- internals --------------------------------------------------------------


def _finish(volunteer: User | int, booking_id: int, status: str, now: datetime | None) -> Booking:
    user_id = _id_of(volunteer)
    now = now or utcnow()
    with _write_transaction():
        booking = _locked_booking(user_id, booking_id)
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
    log.info("booking %s: marked %s by volunteer %s", booking_id, status, user_id)
    return booking


@contextmanager
def _write_transaction() -> Iterator[list[Booking]]:
    """Run the body in the session's transaction, commit it, and turn database refusals into BookingErrors.

    The body may add the booking it returns to the yielded list: see ``_commit``.
    """
    shown: list[Booking] = []
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # Bounded patience for the volunteer's lock; SET LOCAL ends with this transaction.
            db.session.execute(text(f"SET LOCAL lock_timeout = {int(LOCK_TIMEOUT_MS)}"))
        yield shown
        _commit(shown)
    except BookingError:
        db.session.rollback()
        raise
    except IntegrityError as error:
        db.session.rollback()
        if _sqlstate(error) == _EXCLUSION_VIOLATION:
            # Another writer got there first (the lock makes this rare; the constraint makes it harmless).
            log.info("booking refused by ex_sessions_no_overlap")
            raise SlotUnavailable() from error
        raise
    except DBAPIError as error:
        db.session.rollback()
        if _is_retryable(error):
            log.warning("booking gave up waiting for a lock: %s", type(error.orig).__name__)
            raise BookingBusy() from error
        raise
    except BaseException:
        db.session.rollback()
        raise


def _commit(shown: list[Booking]) -> None:
    """Commit; ``shown`` bookings keep their session and both people loaded, everything else is expired as usual.

    Every caller shows the booking it gets back (API JSON, the next page):
    after a plain commit that is five more reads (booking, session, profile,
    two users), each a new transaction. Those rows were read under this
    transaction's locks or written by it: they show the booking as committed.
    """
    session = db.session()
    if not shown or not session.expire_on_commit:
        session.commit()
        return
    keep = {id(row) for booking in shown for row in _booking_rows(booking)}
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    for row in list(session.identity_map.values()):
        if id(row) not in keep:
            session.expire(row)


def _booking_rows(booking: Booking) -> list[object]:
    """The booking and the rows shown with it (all loaded by now: the invites read them)."""
    volunteer = booking.session.volunteer
    return [booking, booking.session, volunteer, volunteer.user, booking.learner]


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def _is_retryable(error: DBAPIError) -> bool:
    if _sqlstate(error) in _RETRYABLE_SQLSTATES:
        return True
    # SQLite: the busy timeout ran out waiting for another writer.
    return isinstance(error, OperationalError) and any(
        words in str(error.orig).lower() for words in ("database is locked", "database is busy")
    )


def _lock_user(user_id: int) -> User | None:
    """The user, re-read and locked for the rest of the transaction (PostgreSQL ``FOR UPDATE``)."""
    return db.session.scalar(
        select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
    )


def _lock_volunteer(volunteer_id: int, *, with_rules: bool = True) -> VolunteerProfile | None:
    """The volunteer's profile and user, re-read under ``FOR UPDATE`` (of the profile's row only).

    ``with_rules`` also loads everything that decides their slots (weekly
    rules, in the same statement; away days, extra windows); a cancellation
    doesn't need them. ``populate_existing`` so objects an earlier query of
    this session loaded can't hide what the previous lock holder committed.
    """
    options = [joinedload(VolunteerProfile.user, innerjoin=True)]
    if with_rules:
        options += [
            # A handful of rows each: joined (one row per rule) saves a round trip.
            joinedload(VolunteerProfile.rules),
            selectinload(VolunteerProfile.away_periods),
            selectinload(VolunteerProfile.extra_windows),
        ]
    volunteer = db.session.execute(
        select(VolunteerProfile)
        .where(VolunteerProfile.user_id == volunteer_id)
        .options(*options)
        # OF the profile: the joined user and rules are read, not locked
        # (PostgreSQL can't lock the nullable side of the rules' outer join).
        .with_for_update(of=VolunteerProfile)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if volunteer is not None and not with_rules:
        # Rules some earlier query loaded may predate the lock: forget them,
        # so whoever needs them reads them now (``_availability_of``).
        db.session.expire(volunteer, _SLOT_RULES)
    return volunteer


_SLOT_RULES = ["rules", "away_periods", "extra_windows"]


def _locked_booking(user_id: int, booking_id: int, *, with_rules: bool = False) -> Booking:
    """The booking ``user_id`` is part of, re-read after locking its learner and volunteer (in that order).

    ``with_rules``: the volunteer's slot rules too (for a move). The locked
    learner and volunteer are then reached through the booking
    (``booking.learner``, ``booking.session.volunteer.user``) without another
    read.
    """
    found = booking_for(user_id, booking_id)
    if found is None:
        raise BookingNotFound()
    learner_id, volunteer_id = found.learner_id, found.session.volunteer_id
    learner = _lock_user(learner_id)
    volunteer = _lock_volunteer(volunteer_id, with_rules=with_rules)
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .options(joinedload(Booking.session, innerjoin=True))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if booking is None:  # pragma: no cover - bookings are never deleted
        raise BookingNotFound()
    # The identity map holds objects weakly: tie the locked rows to the
    # booking while they are still referenced here, or they are dropped and
    # every later access reads them again. Many-to-one by key: no query.
    _ = booking.learner, booking.session.volunteer
    del learner, volunteer
    return booking


def _check_bookable(volunteer: VolunteerProfile | None, kind: str) -> None:
    """Refuse volunteers who take no new bookings and kinds they don't offer.

    Unknown ids get the same answer as pending, paused and deactivated
    volunteers, so nobody learns who has applied.
    """
    if volunteer is None or not volunteer.is_bookable or not volunteer.user.is_active:
        raise SlotUnavailable(N_("This volunteer is not taking new bookings at the moment."))
    if kind not in volunteer.kinds:
        raise InvalidBooking(N_("This volunteer doesn't offer this kind of session."), field="kind")


def _check_coordination(volunteer_id: int, learner_id: int, kind: str) -> None:
    """Refuse a learner the volunteer blocked, and `support` from a volunteer their programme hasn't trained (issue 7)."""
    from tutoring.services.safeguarding import check_may_book

    check_may_book(volunteer_id, learner_id, kind)


def _offered_slot(
    volunteer: VolunteerProfile, start_at: datetime, now: datetime, exclude_session_id: int | None = None
) -> Slot:
    """The slot starting at ``start_at`` if it is offered right now (under the lock), else SlotUnavailable."""
    if not now - _FARTHEST_OFFER <= start_at <= now + _FARTHEST_OFFER:
        raise SlotUnavailable()
    busy = _busy_near(volunteer.id, start_at, exclude_session_id)
    slot = is_offered(_availability_of(volunteer), busy, start_at, now)
    if slot is None:
        raise SlotUnavailable()
    # The scheduling core widens sessions by today's buffer; the database
    # blocks each session until its own blocked_until_at (the buffer when it
    # was booked). Check that too, so SQLite refuses what PostgreSQL's
    # exclusion constraint would.
    blocked_until = slot.end_at + timedelta(minutes=volunteer.buffer_minutes)
    clash = select(Session.id).where(
        Session.volunteer_id == volunteer.id,
        Session.status != "cancelled",
        Session.start_at < blocked_until,
        Session.blocked_until_at > slot.start_at,
    )
    if exclude_session_id is not None:
        clash = clash.where(Session.id != exclude_session_id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise SlotUnavailable()
    return slot


def _availability_of(volunteer: VolunteerProfile) -> Availability:
    """``volunteer.availability()``; read with one statement when the lock didn't load their rules."""
    if "rules" in inspect(volunteer).unloaded:
        # One UNION ALL (the slot pages' own reader) instead of three lazy loads.
        return availabilities([volunteer])[volunteer.id]
    return volunteer.availability()


def _busy_near(volunteer_id: int, start_at: datetime, exclude_session_id: int | None) -> list[Busy]:
    """The volunteer's live sessions that can matter to a slot at ``start_at``, sorted by start."""
    query = (
        select(Session.start_at, Session.end_at)
        .where(
            Session.volunteer_id == volunteer_id,
            Session.status != "cancelled",
            Session.start_at >= start_at - _NEAR,
            Session.start_at < start_at + _NEAR,
        )
        .order_by(Session.start_at)
    )
    if exclude_session_id is not None:
        query = query.where(Session.id != exclude_session_id)
    sessions = [Busy(session_start, session_end) for session_start, session_end in db.session.execute(query)]
    # What the volunteer's own calendar says counts at booking time too (docs/EXTERNAL_CALENDARS.md).
    external = external_busy([volunteer_id], start_at - _NEAR, start_at + _NEAR).get(volunteer_id)
    return sorted(sessions + external, key=lambda item: item.start_at) if external else sessions


def _check_learner_free(learner_id: int, start_at: datetime, end_at: datetime, exclude_session_id: int | None = None) -> None:
    """A learner can't be in two sessions at once (any volunteers)."""
    query = (
        select(Booking.id)
        .join(Booking.session)
        .where(
            Booking.learner_id == learner_id,
            Booking.status != "cancelled",
            Session.status != "cancelled",
            Session.start_at < end_at,
            Session.end_at > start_at,
        )
    )
    if exclude_session_id is not None:
        query = query.where(Session.id != exclude_session_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise SlotUnavailable(N_("You already have a session at this time."))


def _id_of(user: User | int) -> int:
    if isinstance(user, int):
        return user
    # The API's caller is often expired (its token's use was just committed):
    # its identity key holds the id without reading the row again.
    identity = inspect(user).identity
    return identity[0] if identity else user.id


def _instant(value: datetime, field: str) -> datetime:
    """An aware instant in UTC; a time without a UTC offset means nothing across zones."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidBooking(N_("Give the time with its UTC offset, e.g. 2026-05-04T18:00:00+02:00."), field=field)
    return value.astimezone(UTC)


def _text(value: str | None, field: str, max_length: int) -> str | None:
    """Stripped text, None when empty; too long is a 422 naming the field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidBooking(N_("This must be text."), field=field)
    value = value.strip()
    if "\x00" in value:  # PostgreSQL text can't hold NUL; refuse it rather than fail at the insert
        raise InvalidBooking(N_("This text contains a character that is not allowed."), field=field)
    if len(value) > max_length:
        raise InvalidBooking(N_("This text is too long (at most %(max)d characters)."), field=field, max=max_length)
    return value or None
