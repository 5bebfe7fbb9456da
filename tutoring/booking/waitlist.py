"""The waitlist: learners ask to hear when a volunteer has a free slot in a time-of-day range (issue 9).

A request names a range of the learner's own day (their zone when they
asked). ``check_waitlists`` looks at the volunteer's offered slots (from now
to their horizon) and tells each waiting learner, **in the order they
asked**, about matching slots they have not heard of yet: slots open when
someone cancels or the volunteer adds time. Each request is told at most
once a day, by email (outbox, their language and zone) and by an in-app
notice. A request ends when the learner books that volunteer
(``end_requests_on_booking``, called in the booking's transaction) or
withdraws it.

What runs the check: right after a request that cancelled a session or
changed a volunteer's availability (a session listener notes the volunteer,
``run_pending_checks`` runs after the response is built), and the worker on
every poll for everybody (so nothing waits on a missed trigger).
Everyone whose range matches is told; first come, first told, and nobody
holds a slot for anyone (docs/SERIES.md, "Waitlist").
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload

from tutoring.calendar.text import N_, format_short, translations_for, zone_short
from tutoring.extensions import db
from tutoring.mail import build_message
from tutoring.models import (
    AvailabilityRule,
    AwayPeriod,
    ExtraWindow,
    Notice,
    Session,
    User,
    VolunteerProfile,
    WaitlistRequest,
)
from tutoring.services.notices import outbox
from tutoring.booking.errors import (
    BookingError,
    BookingForbidden,
    BookingNotFound,
    InvalidBooking,
    SlotUnavailable,
    VolunteerNotTrained,
)
from tutoring.booking.slots import slots_in_range
from tutoring.services.minors.clearance import is_cleared
from tutoring.services.coordinators.coordination import bookable_kinds
from tutoring.services.coordinators.safeguarding import check_cleared, is_blocked
from tutoring.services.support.training import training_day
from tutoring.models.types import MAX_ID
from tutoring.timeutil import is_valid_zone, utcnow

log = logging.getLogger(__name__)

NOTIFY_EVERY = timedelta(days=1)
# A message lists at most this many of the new times; the link shows them all.
SLOTS_IN_MESSAGE = 5



# --- asking and withdrawing ----------------------------------------------------


def waiting_request(learner_id: int, volunteer_id: int) -> WaitlistRequest | None:
    """The learner's open request for this volunteer, if any."""
    return db.session.scalar(
        select(WaitlistRequest).where(
            WaitlistRequest.learner_id == learner_id,
            WaitlistRequest.volunteer_id == volunteer_id,
            WaitlistRequest.status == "waiting",
        )
    )


def ask(
    learner: User, volunteer_id: int, start_minute: int, end_minute: int, now: datetime | None = None
) -> WaitlistRequest:
    """Start waiting (or change the range of an open request, keeping one's place); commits.

    The range is in the learner's zone; slots that match it right now are
    already on the page they asked from, so only later openings are news.
    """
    now = now or utcnow()
    if not learner.is_learner:
        raise BookingForbidden(N_("Only learners can join a waitlist."))
    for value, field in ((start_minute, "start"), (end_minute, "end")):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 24 * 60:
            raise InvalidBooking(N_("Give a time of day such as 18:00."), field=field)
    if start_minute == end_minute:
        raise InvalidBooking(N_("The range must not start and end at the same time."), field="end")
    if not is_valid_zone(learner.timezone):
        raise InvalidBooking(N_("Set your time zone in your profile first."), field="timezone")
    volunteer = db.session.get(VolunteerProfile, volunteer_id) if 1 <= volunteer_id <= MAX_ID else None
    if volunteer is None or volunteer.state != "approved" or not volunteer.user.is_active:
        raise BookingNotFound()
    _check_not_blocked(volunteer_id, learner.id)
    check_cleared(volunteer_id, learner.id, day=training_day(now))  # a minor waits only for a cleared volunteer
    if not bookable_kinds(volunteer_id, volunteer.kinds, day=training_day(now)):
        # Every kind they offer needs training they don't have (SPEC §7): nothing to wait for.
        raise VolunteerNotTrained()
    try:
        request = waiting_request(learner.id, volunteer_id)
        if request is None:
            request = WaitlistRequest(learner_id=learner.id, volunteer_id=volunteer_id, created_at=now)
            db.session.add(request)
        request.timezone = learner.timezone
        request.start_minute, request.end_minute = start_minute, end_minute
        request.told_starts = [_key(start) for start in matching_starts(request, volunteer, now)]
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    log.info("waitlist %s: learner %s waits for volunteer %s", request.id, learner.id, volunteer_id)
    return request


def _check_not_blocked(volunteer_id: int, learner_id: int) -> None:
    """A learner the volunteer blocked can't wait for them either; told as if the volunteer took no bookings."""
    if is_blocked(volunteer_id, learner_id):
        raise SlotUnavailable(N_("This volunteer is not taking new bookings at the moment."))


def withdraw(learner_id: int, request_id: int, now: datetime | None = None) -> WaitlistRequest:
    """End the learner's own waiting request; commits. 404 (BookingNotFound) for anyone else's."""
    request = db.session.get(WaitlistRequest, request_id) if 1 <= request_id <= MAX_ID else None
    if request is None or request.learner_id != learner_id:
        raise BookingNotFound()
    if request.status == "waiting":
        request.status = "withdrawn"
        request.ended_at = now or utcnow()
    db.session.commit()
    return request


def end_requests_on_booking(learner_id: int, volunteer_id: int, now: datetime) -> None:
    """The learner booked this volunteer: their request for them ends (in the caller's transaction)."""
    db.session.execute(
        update(WaitlistRequest)
        .where(
            WaitlistRequest.learner_id == learner_id,
            WaitlistRequest.volunteer_id == volunteer_id,
            WaitlistRequest.status == "waiting",
        )
        .values(status="booked", ended_at=now)
    )


# --- matching and telling --------------------------------------------------------


def matching_starts(request: WaitlistRequest, volunteer: VolunteerProfile, now: datetime) -> list[datetime]:
    """Start instants of the volunteer's offered slots (now to their horizon) in the request's range."""
    zone = ZoneInfo(request.timezone)
    slots = slots_in_range(volunteer, now, now + timedelta(days=volunteer.horizon_days), now)
    starts = []
    for slot in slots:
        local = slot.start_at.astimezone(zone)
        if request.covers(local.hour * 60 + local.minute):
            starts.append(slot.start_at)
    return starts


def check_waitlists(volunteer_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Tell waiting learners about newly matching slots, in the order they asked; commits. Returns how many were told.

    ``volunteer_ids`` limits the check (after one volunteer's change); None checks everybody.
    """
    now = now or utcnow()
    query = (
        select(WaitlistRequest)
        .where(WaitlistRequest.status == "waiting")
        .options(joinedload(WaitlistRequest.learner, innerjoin=True),
                 joinedload(WaitlistRequest.volunteer, innerjoin=True).joinedload(VolunteerProfile.user))
        .order_by(WaitlistRequest.created_at, WaitlistRequest.id)
    )
    if volunteer_ids is not None:
        if not volunteer_ids:
            return 0
        query = query.where(WaitlistRequest.volunteer_id.in_(sorted(set(volunteer_ids))))
    told = 0
    try:
        requests = list(db.session.scalars(query).unique())
        slots_cache: dict[int, list[datetime]] = {}
        for request in requests:
            volunteer = request.volunteer
            if not volunteer.is_bookable or not request.learner.is_active or is_blocked(volunteer.id, request.learner_id):
                continue
            if not bookable_kinds(volunteer.id, volunteer.kinds, day=training_day(now)):
                continue  # nothing they may hold now (training, SPEC §7): no news to send
            if request.learner.is_minor and not is_cleared(volunteer.id, training_day(now)):
                continue  # a minor is offered only volunteers cleared for minors (SPEC §7)
            if request.last_notified_at is not None and now - request.last_notified_at < NOTIFY_EVERY:
                continue
            matching = matching_starts(request, volunteer, now)
            slots_cache[volunteer.id] = matching
            known = set(request.told_starts or [])
            new = [start for start in matching if _key(start) not in known]
            # Forget times that are gone, so a slot that closes and opens again is news again.
            current = {_key(start) for start in matching}
            if not new:
                if known - current:
                    request.told_starts = sorted(known & current)
                continue
            _tell(request, new, now)
            request.told_starts = sorted(current)
            request.last_notified_at = now
            told += 1
            log.info("waitlist %s: learner %s told of %d new times", request.id, request.learner_id, len(new))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return told


_SUBJECT = N_("%(name)s has free times you asked about")
_GREETING = N_("Hello %(name)s,")
_BODY = N_("%(name)s now has free times in the range you asked for (%(range)s, %(zone)s):")
_FIRST_COME = N_("Other learners may be waiting too: times go to whoever books first.")
_BOOK = N_("See the times and book: %(link)s")
_STOP = N_("You asked to be told about these times. To stop, withdraw your request on the same page.")


def _tell(request: WaitlistRequest, starts: list[datetime], now: datetime) -> None:
    """An in-app notice and an email (the learner's language and zone) about ``starts``."""
    learner, volunteer = request.learner, request.volunteer.user
    day = now.date().isoformat()
    db.session.add(Notice(
        user_id=learner.id,
        kind="waitlist",
        key=f"waitlist:{request.id}:{day}",
        data={"volunteer_id": volunteer.id, "volunteer_name": volunteer.display_name,
              "starts": [_key(start) for start in starts[:SLOTS_IN_MESSAGE]], "more": len(starts) > SLOTS_IN_MESSAGE},
        created_at=now,
    ))
    translate = translations_for(learner.language)
    zone = learner.timezone
    values = {"name": volunteer.display_name, "range": range_text(request),
              "zone": zone_short(request.timezone, now, learner.language, translate)}
    times = [format_short(start, zone, learner.language) for start in starts[:SLOTS_IN_MESSAGE]]
    link = f"{_base_url()}/volunteers/{volunteer.id}"
    lines = [
        translate(_GREETING) % {"name": learner.display_name},
        "",
        translate(_BODY) % values,
        *(f"- {text}" for text in times),
        "",
        translate(_FIRST_COME),
        translate(_BOOK) % {"link": link},
        "",
        translate(_STOP),
    ]
    message = build_message(learner.email, translate(_SUBJECT) % {"name": volunteer.display_name}, "\n".join(lines) + "\n")
    message["Content-Language"] = learner.language
    outbox.queue_unique(message, kind="mail", recipient=learner.email,
                        dedupe_key=f"waitlist:{request.id}:{day}", now=now)


def range_text(request: WaitlistRequest) -> str:
    """``18:00–21:00``: the request's range of the day (digits are the same in both languages' pages)."""
    return f"{_clock(request.start_minute)}–{_clock(request.end_minute)}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _key(start: datetime) -> str:
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _base_url() -> str:
    from flask import current_app

    return current_app.config["BASE_URL"].rstrip("/")


# --- triggers: a cancellation or an availability change ---------------------------

_PENDING = "waitlist_volunteers"


def _note_changes(session: OrmSession, _flush_context) -> None:
    """After a flush: remember volunteers whose free time may have grown (cancelled sessions, availability edits)."""
    found = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, AvailabilityRule | ExtraWindow | AwayPeriod):
            found.add(obj.volunteer_id)
        elif isinstance(obj, Session) and obj.status == "cancelled":
            found.add(obj.volunteer_id)
        elif isinstance(obj, VolunteerProfile):
            found.add(obj.user_id)
    if not found:
        session.info.pop(_PENDING, None)


def _committed(session: OrmSession) -> None:
    """After a commit: hand the noted volunteers to this app context's end-of-request check."""
    found = session.info.pop(_PENDING, None)
    if found and has_app_context():
        g.setdefault("_waitlist_due", set()).update(found)


def _rolled_back(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


event.listen(OrmSession, "after_flush", _note_changes)
event.listen(OrmSession, "after_commit", _committed)
event.listen(OrmSession, "after_soft_rollback", lambda session, _transaction: _rolled_back(session))


def run_pending_checks() -> int:
    """Check the waitlists of volunteers changed during this request; never fails the request (errors are logged)."""
    due = g.pop("_waitlist_due", None) if has_app_context() else None
    if not due:
        return 0
    try:
        return check_waitlists(sorted(due))
    except (BookingError, Exception):  # the change itself is committed; the worker tries again later
        log.exception("waitlist check after a change failed")
        db.session.rollback()
        return 0
