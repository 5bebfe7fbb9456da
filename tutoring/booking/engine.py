"""The booking engine: the one write transaction, the locks and the checks every booking change goes through.

``book``, ``cancel``, ``reschedule`` (``tutoring.booking.operations``), seats
(``groups``), series and waitlists use only the public functions here: each
change runs in ``write_transaction()``, locks with ``lock_user`` /
``lock_volunteer`` / ``locked_booking``, re-checks the rules against what is
in the database *now* (``check_bookable``, ``check_may_book``,
``offered_slot``, ``check_learner_free``), writes, and commits (or rolls back
and raises a :class:`BookingError`). Call them with no unflushed work of your
own that must not be committed with them.

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

from sqlalchemy import inspect, or_, select, text, union
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import joinedload, undefer

from tutoring.booking.errors import (
    BookingBusy,
    BookingError,
    BookingNotFound,
    InvalidBooking,
    SlotUnavailable,
)
from tutoring.booking.slots import offered_at, support_week_full
from tutoring.calendar.text import N_
from tutoring.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from tutoring.models import Booking, Session, User, VolunteerProfile
from tutoring.scheduling import Slot
from tutoring.urls import service_domain
from tutoring.models.types import MAX_ID

log = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
# How long a writer waits for another writer of the same volunteer before
# giving up with BookingBusy; the same patience SQLite's busy timeout has.
LOCK_TIMEOUT_MS = SQLITE_BUSY_TIMEOUT_MS
# No volunteer's horizon exceeds 365 days (a database CHECK), so a start
# outside this span around now is never offered; refusing it early also keeps
# absurd dates (year 1, year 9999) away from date arithmetic.
_FARTHEST_OFFER = timedelta(days=366)

# PostgreSQL SQLSTATEs we translate.
_EXCLUSION_VIOLATION = "23P01"
_RETRYABLE_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available (lock_timeout)
    "57014",  # query_canceled (statement_timeout)
}


# --- reading ----------------------------------------------------------------


def bookings_for(user: User | int, *, include_cancelled: bool = True) -> list[Booking]:
    """The bookings ``user`` is part of (as learner or as volunteer), by session start."""
    user_id = user_id_of(user)
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


def booking_for(user: User | int, booking_id: int, with_learner: bool = False) -> Booking | None:
    """The booking if ``user`` is its learner or its volunteer; None for anyone else (a 404).

    ``with_learner`` loads the learner (with ``is_minor``) in the same query.
    """
    user_id = user_id_of(user)
    if not 1 <= booking_id <= MAX_ID:
        return None
    query = (
        select(Booking)
        .join(Booking.session)
        .options(joinedload(Booking.session, innerjoin=True))
        .where(Booking.id == booking_id, or_(Booking.learner_id == user_id, Session.volunteer_id == user_id))
    )
    if with_learner:
        query = query.options(joinedload(Booking.learner).undefer(User.is_minor))
    return db.session.scalar(query)


def new_booking_uid() -> str:
    """A new iCalendar UID: a UUID at the service's domain (from ``BASE_URL``), e.g. ``…@tutoring.example``."""
    return f"{uuid.uuid4()}@{service_domain()}"


# --- the transaction and the locks ------------------------------------------


@contextmanager
def write_transaction() -> Iterator[list[Booking]]:
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


def lock_user(user_id: int) -> User | None:
    """The user, re-read and locked for the rest of the transaction (PostgreSQL ``FOR UPDATE``)."""
    return db.session.scalar(
        # is_minor (deferred) comes with it: the minors' checks and the guardian's copy read it under the lock.
        select(User).options(undefer(User.is_minor)).where(User.id == user_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_volunteer(volunteer_id: int) -> VolunteerProfile | None:
    """The volunteer's profile and user, re-read under ``FOR UPDATE`` (of the profile's row only).

    What decides their slots is read afterwards, under the lock, by the one
    slot reader (``offered_slot``): rules an earlier query of this session
    loaded may predate the lock, so they are forgotten here, and
    ``populate_existing`` refreshes the profile itself.
    """
    volunteer = db.session.execute(
        select(VolunteerProfile)
        .where(VolunteerProfile.user_id == volunteer_id)
        .options(joinedload(VolunteerProfile.user, innerjoin=True))
        .with_for_update(of=VolunteerProfile)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if volunteer is not None:
        db.session.expire(volunteer, _SLOT_RULES)
    return volunteer


_SLOT_RULES = ["rules", "away_periods", "extra_windows"]


def locked_booking(user_id: int, booking_id: int) -> Booking:
    """The booking ``user_id`` is part of, re-read after locking its learner and volunteer (in that order).

    The locked learner and volunteer are then reached through the booking
    (``booking.learner``, ``booking.session.volunteer.user``) without another
    read.
    """
    found = booking_for(user_id, booking_id)
    if found is None:
        raise BookingNotFound()
    learner_id, volunteer_id = found.learner_id, found.session.volunteer_id
    learner = lock_user(learner_id)
    volunteer = lock_volunteer(volunteer_id)
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


# --- the checks ---------------------------------------------------------------


def check_bookable(volunteer: VolunteerProfile | None, kind: str) -> None:
    """Refuse volunteers who take no new bookings and kinds they don't offer.

    Unknown ids get the same answer as pending, paused and deactivated
    volunteers, so nobody learns who has applied.
    """
    if volunteer is None or not volunteer.is_bookable or not volunteer.user.is_active:
        raise SlotUnavailable(N_("This volunteer is not taking new bookings at the moment."))
    if kind not in volunteer.kinds:
        raise InvalidBooking(N_("This volunteer doesn't offer this kind of session."), field="kind")


def offered_slot(
    volunteer: VolunteerProfile, start_at: datetime, now: datetime, exclude_session_id: int | None = None, *,
    kind: str | None = None,
) -> Slot:
    """The slot starting at ``start_at`` if it is offered right now (under the lock), else SlotUnavailable.

    The pages' own reader decides (``tutoring.booking.slots.offered_at``), so a
    page never offers what booking refuses, nor the other way round; ``kind``
    is the kind booked (the support weekly cap, issue 18, holds support slots:
    the reader applies it, and a refusal it explains says so).
    """
    if not now - _FARTHEST_OFFER <= start_at <= now + _FARTHEST_OFFER:
        raise SlotUnavailable()
    slot = offered_at(volunteer, start_at, now, kind=kind, ignoring_session=exclude_session_id)
    if slot is None:
        if support_week_full(volunteer, kind, start_at, ignoring_session=exclude_session_id):
            raise SlotUnavailable(N_("This listener has no more room for support sessions that week. "
                                     "Please choose another week."))
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


def check_learner_free(learner_id: int, start_at: datetime, end_at: datetime, exclude_session_id: int | None = None) -> None:
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


# --- input ------------------------------------------------------------------


def user_id_of(user: User | int) -> int:
    if isinstance(user, int):
        return user
    # The API's caller is often expired (its token's use was just committed):
    # its identity key holds the id without reading the row again.
    identity = inspect(user).identity
    return identity[0] if identity else user.id


def as_instant(value: datetime, field: str) -> datetime:
    """An aware instant in UTC; a time without a UTC offset means nothing across zones."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidBooking(N_("Give the time with its UTC offset, e.g. 2026-05-04T18:00:00+02:00."), field=field)
    return value.astimezone(UTC)


def clean_text(value: str | None, field: str, max_length: int) -> str | None:
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
