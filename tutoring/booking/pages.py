"""What the booking pages show, apart from HTTP: the chosen slot, fresh alternatives, a person's sessions.

Every change goes through ``tutoring.booking.operations`` (through the engine, which owns the
transactions and the rules); this module only reads.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import Booking, User, VolunteerProfile
from tutoring.scheduling import Slot
from tutoring.booking.engine import booking_for, bookings_for
from tutoring.booking.slots import next_slots, slots_in_range

# Fresh slots offered when the chosen one is gone: this many, near it.
ALTERNATIVES = 6
ALTERNATIVES_BEFORE = timedelta(days=1)
ALTERNATIVES_AFTER = timedelta(days=3)
# Starts outside this span around now are never offered (no horizon exceeds 365 days).
FARTHEST = timedelta(days=366)

# How a session's kind is shown once booked. Support is named neutrally: lists
# are seen on shared screens, and the people involved know what it is.
SESSION_KIND_LABELS = {"tutoring": _l("Tutoring"), "mentoring": _l("Mentoring")}
NEUTRAL_KIND_LABEL = _l("Session")
STATUS_LABELS = {
    "confirmed": _l("Booked"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Took place"),
    "no_show": _l("Missed"),
}


def session_kind_label(kind: str) -> str:
    """A booked session's kind for lists and pages; support (and anything unknown) is just "Session"."""
    return str(SESSION_KIND_LABELS.get(kind, NEUTRAL_KIND_LABEL))


def status_label(status: str) -> str:
    """A booking status in the viewer's language."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


# --- the slot a booking page is about ----------------------------------------------------------


def parse_instant(value: str | None, now: datetime) -> datetime | None:
    """The UTC instant in ``?start=`` (``2027-01-12T16:00:00Z`` or with an offset); None if it isn't one or is absurd."""
    value = (value or "").strip()
    if not value or len(value) > 40:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None or instant.utcoffset() is None:
        return None  # a local time names no instant
    try:
        instant = instant.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in the year 10000
        return None
    if not now - FARTHEST <= instant <= now + FARTHEST:
        return None
    return instant


def offered_slot(
    volunteer: VolunteerProfile, start_at: datetime, now: datetime, *, kind: str | None = None
) -> Slot | None:
    """The volunteer's slot (of ``kind``; None: any) starting exactly at ``start_at`` if it is offered now (a read;
    booking re-checks)."""
    for slot in slots_in_range(volunteer, start_at, start_at + timedelta(seconds=1), now, kind=kind):
        if slot.start_at == start_at:
            return slot
    return None


def slots_around(
    volunteer: VolunteerProfile, start_at: datetime | None, now: datetime, *, kind: str | None = None
) -> list[Slot]:
    """A few offered slots (of ``kind``) of the volunteer nearest ``start_at`` (else their next ones), in time order."""
    if not volunteer.is_bookable:
        return []
    if start_at is not None:
        low = max(now, start_at - ALTERNATIVES_BEFORE)
        high = max(low, start_at + ALTERNATIVES_AFTER)
        near = slots_in_range(volunteer, low, high, now, kind=kind)
        if near:
            nearest = sorted(near, key=lambda slot: abs(slot.start_at - start_at))[:ALTERNATIVES]
            return sorted(nearest)
    horizon = now + timedelta(days=volunteer.horizon_days)
    return next_slots([volunteer], now, horizon, ALTERNATIVES, now, kind=kind).get(volunteer.id, [])


# --- a booking, for one of its two people ------------------------------------------------------


def party_booking_or_404(booking_id: int) -> Booking:
    """The booking if the signed-in user is its learner or volunteer; 404 for anyone else (and unknown ids)."""
    booking = booking_for(current_user.id, booking_id)
    if booking is None:
        abort(404)
    return booking


def people_by_id(ids: Iterable[int]) -> dict[int, User]:
    """Users by id, in one query (the other party's name and zone on each row)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(wanted)))}


@dataclass(frozen=True)
class SessionView:
    """One booking as one of its two people sees it."""

    booking: Booking
    viewer_id: int
    other: User  # the person the viewer meets
    now: datetime

    @property
    def id(self) -> int:
        """The booking's id."""
        return self.booking.id

    @property
    def viewer_is_volunteer(self) -> bool:
        """True when the viewer is the session's volunteer."""
        return self.booking.session.volunteer_id == self.viewer_id

    @property
    def is_over(self) -> bool:
        """True once the session has ended."""
        return self.booking.end_at <= self.now

    @property
    def is_upcoming(self) -> bool:
        """Booked and not yet over."""
        return self.booking.status == "confirmed" and not self.is_over

    @property
    def can_cancel(self) -> bool:
        """Either person may cancel a booked session until it ends."""
        return self.is_upcoming

    @property
    def can_reschedule(self) -> bool:
        """Either person may move a booked session that hasn't started (not a seat of a group session)."""
        return (
            self.booking.status == "confirmed" and self.booking.start_at > self.now and self.booking.session.capacity == 1
        )

    @property
    def can_record(self) -> bool:
        """The volunteer records completed or no-show once the session has ended (and may correct it)."""
        return self.viewer_is_volunteer and self.is_over and self.booking.status != "cancelled"

    @property
    def kind_label(self) -> str:
        """The kind, support named neutrally."""
        return session_kind_label(self.booking.kind)

    @property
    def status_label(self) -> str:
        """The status in the viewer's language."""
        return status_label(self.booking.status)


def session_view(booking: Booking, viewer_id: int, now: datetime, people: dict[int, User] | None = None) -> SessionView:
    """``booking`` as the user ``viewer_id`` (one of its two people) sees it."""
    volunteer_id = booking.session.volunteer_id
    other_id = booking.learner_id if volunteer_id == viewer_id else volunteer_id
    other = (people or {}).get(other_id) or db.session.get(User, other_id)
    return SessionView(booking, viewer_id, other, now)


@dataclass(frozen=True)
class MySessions:
    """A person's sessions: booked ones still to come (soonest first), and the rest (latest first)."""

    upcoming: list[SessionView]
    past: list[SessionView]


def my_sessions(user: User, now: datetime) -> MySessions:
    """The signed-in person's sessions as learner or volunteer, with the other person's name (two queries)."""
    bookings = bookings_for(user)
    people = people_by_id(
        booking.learner_id if booking.session.volunteer_id == user.id else booking.session.volunteer_id
        for booking in bookings
    )
    views = [session_view(booking, user.id, now, people) for booking in bookings]
    return MySessions(
        upcoming=[view for view in views if view.is_upcoming],
        past=[view for view in reversed(views) if not view.is_upcoming],
    )
