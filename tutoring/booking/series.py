"""Weekly series: the same local time with one volunteer for N weeks, booked in one transaction (SPEC §4).

A series is a ``Series`` row plus ordinary bookings linked to it (each with
its own UID and SEQUENCE), so cancelling or moving one week is the booking
service's usual cancel/reschedule, and calendars get one event per week
(docs/SERIES.md says why that, and not an RRULE).

Every occurrence keeps the volunteer's wall-clock time: week *k* is the
first start's local date plus *k* weeks at the same local time in the
volunteer's zone, turned into an instant with ``fold=0`` (SPEC §2 rule 1).
So across a clock change on the learner's side only, the learner's local
time moves and the volunteer's stays (tutoring.services.notices.clock_notices warns
them both).

Locking is the booking service's: the learner's row, then the volunteer's
row ``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite. Under those
locks every week is checked against the database *before* it is inserted,
so no statement can hit the exclusion constraint and spoil the whole
transaction: a week that is not free is skipped with a reason, except the
first, which makes the whole request a 409 (as one booking would be).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tutoring.calendar.text import N_
from tutoring.extensions import db
from tutoring.models import KINDS, Booking, Series, Session, User, VolunteerProfile
from tutoring.scheduling import Slot, day_range_bounds, is_offered
from tutoring.booking import engine
from tutoring.booking.engine import MAX_ID, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from tutoring.booking.errors import (
    BookingError,
    BookingForbidden,
    BookingStateError,
    InvalidBooking,
    SlotUnavailable,
)
from tutoring.booking.groups import add_seat, open_group_at, seat_refusal
from tutoring.booking.slots import support_week_full
from tutoring.booking.operations import booking_changed, learner_booked
from tutoring.services.coordinators.safeguarding import check_may_book
from tutoring.services.support.training import training_day
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

MIN_WEEKS, MAX_WEEKS = 2, 26



# Why a week of a series is not booked: machine code -> words for people.
REASONS = {
    "booked": N_("The volunteer already has a session at this time."),
    "learner_busy": N_("You already have a session at this time."),
    "away": N_("The volunteer is away then."),
    "week_full": N_("The volunteer's week is already full."),
    "beyond_horizon": N_("Too far ahead: the volunteer doesn't take bookings that far ahead yet."),
    "too_soon": N_("Too soon to book."),
    "not_offered": N_("The volunteer doesn't offer this time that week."),
    "group_full": N_("The group session that week is full."),
    "group_kind": N_("The group session that week is for another kind of session."),
}


def reason_text(code: str) -> str:
    """The reason ``code`` in the current request's language (English outside one)."""
    msgid = REASONS.get(code, REASONS["not_offered"])
    try:
        return gettext(msgid)
    except RuntimeError:  # no app or request context
        return msgid


class SeriesNotFound(BookingError):
    """No such series, or the caller is not part of it: 404."""

    code = "not_found"
    status = 404

    def __init__(self) -> None:
        super().__init__(N_("There is no such series."))


# --- the pure part: which instants -------------------------------------------


def weekly_starts(first_start_at: datetime, timezone: str, weeks: int) -> list[datetime]:
    """``weeks`` UTC instants: ``first_start_at``, then the same wall-clock time in ``timezone`` each week.

    Adding whole weeks to the *local* date and converting with ``fold=0``
    (RFC 5545 §3.3.5, SPEC §2 rule 1): an hour that doesn't exist that day
    is read with the offset before the gap, an ambiguous one as its first.
    """
    zone = ZoneInfo(timezone)
    wall = first_start_at.astimezone(zone).replace(tzinfo=None, fold=0)
    starts = [first_start_at.astimezone(UTC)]
    for week in range(1, weeks):
        local = (wall + timedelta(weeks=week)).replace(tzinfo=zone, fold=0)
        starts.append(local.astimezone(UTC))
    return starts


@dataclass(frozen=True)
class Occurrence:
    """One week of a series as planned: its instants and, when it can't be booked, why (a ``REASONS`` code)."""

    start_at: datetime
    end_at: datetime
    reason: str | None = None

    @property
    def is_free(self) -> bool:
        """True when this week can be booked."""
        return self.reason is None

    @property
    def reason_text(self) -> str:
        """Why not, in the current language ('' when free)."""
        return reason_text(self.reason) if self.reason else ""


@dataclass(frozen=True)
class SeriesResult:
    """What booking a series gave: the series, its bookings, and the weeks skipped (with reasons)."""

    series: Series
    bookings: list[Booking]
    skipped: list[Occurrence]


# --- planning (also the preview page) -----------------------------------------


def plan_series(
    learner_id: int, volunteer: VolunteerProfile, first_start_at: datetime, weeks: int, now: datetime
) -> list[Occurrence]:
    """Each week's instants and whether it is free now, for the preview page; writes nothing.

    Each week is checked on its own: weeks are 7 days apart, so one week's
    booking can't overlap, widen into, or fill the cap of another's.
    """
    _check_weeks(weeks)
    length = timedelta(minutes=volunteer.session_minutes)
    plan = []
    for start_at in weekly_starts(first_start_at, volunteer.user.timezone, weeks):
        plan.append(Occurrence(start_at, start_at + length, _why_not(learner_id, volunteer, start_at, now)))
    return plan


def _why_not(learner_id: int, volunteer: VolunteerProfile, start_at: datetime, now: datetime) -> str | None:
    """None when the week at ``start_at`` can be booked by the learner now, else the first reason it can't."""
    return _check_week(learner_id, volunteer, start_at, now)[0]


def _check_week(
    learner_id: int, volunteer: VolunteerProfile, start_at: datetime, now: datetime,
    kind: str | None = None, *, lock: bool = False,
) -> tuple[str | None, Slot | Session | None]:
    """(None, what to book) when the week can be booked, else (the reason, None).

    What to book is the offered slot, or the volunteer's open group session
    at that time: the learner takes a seat in it, as one booking would
    (docs/GROUPS.md). ``lock`` locks that session (booking, not the preview).
    """
    group = open_group_at(volunteer.id, start_at, lock=lock)
    if group is not None:
        refusal = seat_refusal(volunteer, learner_id, group, kind, now)
        if refusal is None:
            return None, group
        code = refusal[0]
        return (_reason_not_offered(volunteer, start_at, now) if code == "not_offered" else code), None
    try:
        slot = engine.offered_slot(volunteer, start_at, now, kind=kind)
    except SlotUnavailable:
        if support_week_full(volunteer, kind, start_at):  # the support weekly cap (issue 18)
            return "week_full", None
        return _reason_not_offered(volunteer, start_at, now), None
    try:
        engine.check_learner_free(learner_id, slot.start_at, slot.end_at)
    except SlotUnavailable:
        return "learner_busy", None
    return None, slot


def _reason_not_offered(volunteer: VolunteerProfile, start_at: datetime, now: datetime) -> str:
    """Why ``start_at`` isn't one of the volunteer's offered slots, most specific first."""
    availability = volunteer.availability()
    settings = availability.settings
    end_at = start_at + timedelta(minutes=settings.session_minutes)
    if start_at < now + timedelta(hours=settings.min_notice_hours):
        return "too_soon"
    if start_at > now + timedelta(days=settings.horizon_days):
        return "beyond_horizon"
    for away in availability.away:
        away_start, away_end = day_range_bounds(availability.timezone, away.first_day, away.last_day)
        if away_start < end_at and start_at < away_end:
            return "away"
    # With nobody booked, no cap and no time away: is it on the grid at all?
    bare = replace(availability, away=(), settings=replace(settings, max_sessions_per_week=None))
    if is_offered(bare, [], start_at, now) is None:
        return "not_offered"
    cap = settings.max_sessions_per_week
    if cap is not None and _sessions_in_iso_week(volunteer, start_at) >= cap:
        return "week_full"
    return "booked"


def _sessions_in_iso_week(volunteer: VolunteerProfile, start_at: datetime) -> int:
    """Live sessions of the volunteer starting in the ISO week (their zone) of ``start_at``."""
    local_day = start_at.astimezone(ZoneInfo(volunteer.user.timezone)).date()
    monday = local_day - timedelta(days=local_day.weekday())
    week_start, week_end = day_range_bounds(volunteer.user.timezone, monday, monday + timedelta(days=6))
    return db.session.scalar(
        select(func.count(Session.id)).where(
            Session.volunteer_id == volunteer.id,
            Session.status != "cancelled",
            Session.start_at >= week_start,
            Session.start_at < week_end,
        )
    ) or 0


# --- booking ------------------------------------------------------------------


def preview_series(
    learner: User | int, volunteer_id: int, first_start_at: datetime, weeks: int, now: datetime | None = None
) -> list[Occurrence]:
    """The plan for the preview page, read without locks (booking re-checks everything under them)."""
    now = now or utcnow()
    volunteer = db.session.get(VolunteerProfile, volunteer_id) if 1 <= volunteer_id <= MAX_ID else None
    if volunteer is None or not volunteer.is_bookable:
        raise SlotUnavailable(N_("This volunteer is not taking new bookings at the moment."))
    return plan_series(user_id_of(learner), volunteer, engine.as_instant(first_start_at, "start"), weeks, now)


def book_series(
    learner: User | int,
    volunteer_id: int,
    first_start_at: datetime,
    weeks: int,
    kind: str,
    note: str = "",
    now: datetime | None = None,
) -> SeriesResult:
    """Book every free week of a weekly series in one transaction; commits.

    Raises :class:`SlotUnavailable` (409) when the first week itself is not
    offered or the learner is busy then, :class:`InvalidBooking` (422) for
    bad input, and the booking service's other errors as ``book_session`` does.
    Each booking gets its own UID and invites, exactly like a single booking.
    """
    learner_id = user_id_of(learner)
    first_start_at = engine.as_instant(first_start_at, "start")
    _check_weeks(weeks)
    if kind not in KINDS:
        raise InvalidBooking(N_("Choose a kind of session: tutoring, mentoring or support."), field="kind")
    note = engine.clean_text(note, "note", NOTE_MAX_LENGTH) or ""
    now = now or utcnow()

    with engine.write_transaction():
        if learner_id == volunteer_id:
            raise InvalidBooking(N_("You can't book a session with yourself."), field="volunteer_id")
        booker = engine.lock_user(learner_id)
        if booker is None or not booker.is_active or not booker.is_learner:
            raise BookingForbidden(N_("Only learners can book sessions."))
        volunteer = engine.lock_volunteer(volunteer_id) if 1 <= volunteer_id <= MAX_ID else None
        engine.check_bookable(volunteer, kind)
        # The same refusals as one booking (blocked learners, programme rules).
        check_may_book(volunteer_id, learner_id, kind, day=training_day(now))
        # Under the locks: the first week decides whether there is a series at all.
        first_group = open_group_at(volunteer_id, first_start_at)
        if first_group is not None:  # the first week joins an open group session
            refusal = seat_refusal(volunteer, learner_id, first_group, kind, now)
            if refusal is not None:
                raise refusal[1]
            first_start = first_group.start_at
        else:
            first_slot = engine.offered_slot(volunteer, first_start_at, now, kind=kind)
            engine.check_learner_free(learner_id, first_slot.start_at, first_slot.end_at)
            first_start = first_slot.start_at

        series = Series(
            volunteer_id=volunteer_id, learner_id=learner_id, kind=kind, weeks=weeks, first_start_at=first_start
        )
        db.session.add(series)
        bookings: list[Booking] = []
        skipped: list[Occurrence] = []
        buffer = timedelta(minutes=volunteer.buffer_minutes)
        for start_at in weekly_starts(first_start, volunteer.user.timezone, weeks):
            reason, slot = _check_week(learner_id, volunteer, start_at, now, kind, lock=True)
            if slot is None:
                skipped.append(Occurrence(start_at, start_at + timedelta(minutes=volunteer.session_minutes), reason))
                continue
            if isinstance(slot, Session):  # a seat in the open group session that week
                bookings.append(add_seat(slot, learner_id, note, series))
                continue
            session = Session(
                volunteer_id=volunteer_id, kind=kind, start_at=slot.start_at, end_at=slot.end_at,
                blocked_until_at=slot.end_at + buffer, status="confirmed",
                # A week in a group window opens a group session, as one booking would.
                capacity=getattr(slot, "capacity", 1),
            )
            booking = Booking(
                session=session, learner_id=learner_id, note=note, uid=engine.new_booking_uid(),
                sequence=0, series=series,
            )
            db.session.add_all([session, booking])
            db.session.flush()  # the next week's checks see this one (and PostgreSQL's constraint checks it now)
            bookings.append(booking)
        for booking in bookings:
            booking_changed(booking, "booked", by_user_id=learner_id)
        learner_booked(learner_id, volunteer_id, now)
        series_id = series.id
    log.info("series %s: learner %s booked %d of %d weeks with volunteer %s", series_id, learner_id, len(bookings),
             weeks, volunteer_id)
    return SeriesResult(series, bookings, skipped)


# --- reading and cancelling -----------------------------------------------------


def series_for(user: User | int, series_id: int) -> Series | None:
    """The series if ``user`` is its learner or its volunteer, with its bookings and sessions; else None (a 404)."""
    user_id = user_id_of(user)
    if not isinstance(series_id, int) or not 1 <= series_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Series)
        .where(Series.id == series_id, or_(Series.learner_id == user_id, Series.volunteer_id == user_id))
        .options(selectinload(Series.bookings).joinedload(Booking.session, innerjoin=True))
        .execution_options(populate_existing=True)
    )


def occurrences(series: Series) -> list[Booking]:
    """The series' bookings by start time (moved weeks where they are now)."""
    return sorted(series.bookings, key=lambda booking: (booking.session.start_at, booking.id))


def cancel_series_from(
    user: User | int,
    series_id: int,
    from_day: date,
    zone: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """Cancel every confirmed, not yet ended week of the series starting on or after ``from_day`` (in ``zone``).

    One transaction, one invite (CANCEL) per week and person. Raises
    :class:`SeriesNotFound` for anyone but its two people, and
    :class:`BookingStateError` when nothing from that day on can be cancelled.
    """
    user_id = user_id_of(user)
    reason = engine.clean_text(reason, "reason", REASON_MAX_LENGTH)
    now = now or utcnow()
    if not isinstance(from_day, date):
        raise InvalidBooking(N_("Give the date as YYYY-MM-DD."), field="from")
    try:
        from_at = day_range_bounds(zone, from_day, from_day)[0]
    except (OverflowError, ValueError) as error:
        raise InvalidBooking(N_("Give the date as YYYY-MM-DD."), field="from") from error

    with engine.write_transaction():
        series = series_for(user_id, series_id)
        if series is None:
            raise SeriesNotFound()
        engine.lock_user(series.learner_id)
        engine.lock_volunteer(series.volunteer_id)
        bookings = list(
            db.session.scalars(
                select(Booking)
                .join(Booking.session)
                .where(
                    Booking.series_id == series.id,
                    Booking.status == "confirmed",
                    Session.start_at >= from_at,
                    Session.end_at > now,
                )
                .options(joinedload(Booking.session, innerjoin=True).selectinload(Session.bookings))
                .order_by(Session.start_at)
                .with_for_update(of=Booking)
                .execution_options(populate_existing=True)
            ).unique()
        )
        if not bookings:
            raise BookingStateError(N_("There is no upcoming session of this series from that date on."))
        for booking in bookings:
            booking.status = "cancelled"
            booking.cancel_reason = reason
            booking.bump_sequence()
            if not any(other.status != "cancelled" for other in booking.session.bookings if other.id != booking.id):
                booking.session.status = "cancelled"
        db.session.flush()
        for booking in bookings:
            booking_changed(booking, "cancelled", by_user_id=user_id)
    log.info("series %s: %d weeks cancelled by user %s", series_id, len(bookings), user_id)
    return bookings


# --- helpers --------------------------------------------------------------------


def _check_weeks(weeks: object) -> None:
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise InvalidBooking(
            N_("Choose between %(min)d and %(max)d weeks."), field="weeks", min=MIN_WEEKS, max=MAX_WEEKS
        )


def user_id_of(user: User | int) -> int:
    return user if isinstance(user, int) else user.id
