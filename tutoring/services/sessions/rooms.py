"""The session room (SPEC §7 Messages): who may read and write, when, and what is stored.

A room belongs to a session: a one-to-one session's learner and volunteer,
or a group session's volunteer and seat holders, share it. It is reached
through a booking (``/api/v1/bookings/<id>/messages``, ``/sessions/<id>/room``
with the booking's id), loaded with :func:`room_for`, which answers
:class:`~tutoring.errors.NotFound` to anyone who is not a party.

Writes are open from booking until :data:`CLOSES_AFTER` past the end
(:class:`RoomClosed`, 409 ``room_closed``, later or once the booking is
cancelled); from :data:`LIVE_BEFORE` before the start it is "live". Every
text goes through :func:`tutoring.safety.masking.mask_contacts` before it is
stored; what was hidden is returned so the page can tell the writer why.
Messages are never logged, mailed or shown to coordinators; a report carries
the last :data:`REPORT_MESSAGES` of them (:func:`attach_to_report`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import joinedload

from tutoring.booking.engine import booking_for
from tutoring.calendar.text import N_
from tutoring.config import days_setting
from tutoring.errors import NotFound, ServiceError
from tutoring.extensions import db
from tutoring.models import (
    MAX_MESSAGE_LENGTH,
    Booking,
    Message,
    RoomPresence,
    SafeguardingReport,
    Session,
    User,
    message_reports,
)
from tutoring.safety.crisis import mentions_crisis
from tutoring.safety.masking import mask_contacts
from tutoring.services.minors import guardians
from tutoring.services.sessions import room_events
from tutoring.services.coordinators import safeguarding
from tutoring.services.support.checkins import may_escalate
from tutoring.services.coordinators.coordination import clean_text
from tutoring.timeutil import utcnow
from tutoring.transactions import committing

log = logging.getLogger(__name__)

LIVE_BEFORE = timedelta(minutes=15)
CLOSES_AFTER = timedelta(minutes=30)
# The most messages one read returns; a client asks again with ``after``.
PAGE = 200
REPORT_MESSAGES = 50
DEFAULT_MESSAGE_RETENTION_DAYS = 30


class RoomError(ServiceError):
    """A message the room refuses; nothing was written."""

    code = "room_error"
    status = 409


class RoomClosed(RoomError):
    """The room takes no more messages: 30 minutes after the end, or the booking was cancelled (409 ``room_closed``)."""

    code = "room_closed"
    status = 409

    def __init__(self) -> None:
        super().__init__(N_("This room is closed: messages can be sent until 30 minutes after the session ends."))


class InvalidMessage(RoomError):
    """Empty or too long (422, field ``text``)."""

    code = "validation_error"
    status = 422


@dataclass(frozen=True)
class Room:
    """A session's room as one of its parties sees it through one booking."""

    booking: Booking
    session: Session
    viewer_id: int
    now: datetime
    # SPEC §7 Minors: a minor whose guardian withdrew consent writes no more (the withdrawal cancels only
    # future sessions, so a running or just-ended session's room would otherwise stay open).
    consent_withdrawn: bool = False

    @property
    def opens_at(self) -> datetime:
        """When the room turns live (before that, it is a short thread)."""
        return self.session.start_at - LIVE_BEFORE

    @property
    def closes_at(self) -> datetime:
        """After this, no more messages."""
        return self.session.end_at + CLOSES_AFTER

    @property
    def state(self) -> str:
        """``before`` (a thread until shortly before the start), ``live``, or ``closed``."""
        # A group session's cancelled seat closes its holder's view only: its volunteer may reach the room through it.
        seat_cancelled = self.booking.status == "cancelled" and not (self.session.is_group and self.viewer_is_volunteer)
        if seat_cancelled or self.session.status == "cancelled" or self.now >= self.closes_at or self.consent_withdrawn:
            return "closed"
        return "live" if self.now >= self.opens_at else "before"

    @property
    def is_open(self) -> bool:
        """Whether messages may be written now."""
        return self.state != "closed"

    @property
    def viewer_is_volunteer(self) -> bool:
        """Whether the viewer is the session's volunteer (they see the escalate action)."""
        return self.session.volunteer_id == self.viewer_id


@dataclass(frozen=True)
class Posted:
    """A stored message and what the writer should be told: what was hidden, and whether help should show."""

    message: Message
    reasons: tuple[str, ...]
    crisis: bool


def room_for(user: User | int, booking_id: int, now: datetime | None = None) -> Room:
    """The room of the booking's session for one of its parties; :class:`NotFound` for anyone else."""
    booking = booking_for(user, booking_id, with_learner=True)
    if booking is None:
        raise NotFound(N_("Not found."))
    viewer_id = user if isinstance(user, int) else user.id
    learner = booking.learner
    # A withdrawal closes the minor's own view of a group session's room, and a one-to-one session's room
    # entirely; not the room of the volunteer (who may reach it through the minor's seat) or the other seats.
    concerns_viewer = not booking.session.is_group or booking.learner_id == viewer_id
    return Room(booking=booking, session=booking.session, viewer_id=viewer_id, now=now or utcnow(),
                consent_withdrawn=concerns_viewer and learner is not None and not guardians.has_consent(learner))


def messages_after(room: Room | int, after_id: int = 0, limit: int = PAGE, text_only: bool = False) -> list[Message]:
    """The room's messages with an id above ``after_id``, oldest first, at most ``limit``.

    ``room`` may be a session id, for a stream whose party was checked when it opened. The pages show
    room notices (``joined``) among the messages; ``text_only`` leaves them out (the API).
    """
    session_id = room if isinstance(room, int) else room.session.id
    query = select(Message).options(joinedload(Message.author)).where(Message.session_id == session_id,
                                                                      Message.id > after_id)
    if text_only:
        query = query.where(Message.kind == "text")
    return list(db.session.scalars(query.order_by(Message.id).limit(limit)))


def recent_messages(room: Room, limit: int = PAGE) -> list[Message]:
    """The room's last ``limit`` messages, oldest first (what the page shows on arrival)."""
    newest = list(db.session.scalars(
        select(Message).options(joinedload(Message.author))
        .where(Message.session_id == room.session.id).order_by(Message.id.desc()).limit(limit)
    ))
    return newest[::-1]


def clean_message(text: object) -> str:
    """The text as stored before masking: a string, trimmed, 1..MAX_MESSAGE_LENGTH characters."""
    if not isinstance(text, str):
        raise InvalidMessage(N_("Please write a message."), field="text")
    text = text.strip()
    if not text:
        raise InvalidMessage(N_("Please write a message."), field="text")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidMessage(N_("This message is too long (at most %(max)d characters)."), field="text",
                             max=MAX_MESSAGE_LENGTH)
    return text


def post_message(user: User, booking_id: int, text: object, now: datetime | None = None,
                 room: Room | None = None) -> Posted:
    """Store a message in the booking's room, masked; commits, then tells the room's open streams.

    :class:`NotFound` for a non-party, :class:`RoomClosed` after the window, :class:`InvalidMessage` for bad text.
    ``room`` is the booking's room as :func:`room_for` just loaded it for ``user`` (saves loading it again).
    """
    if room is None or room.booking.id != booking_id or room.viewer_id != user.id:
        room = room_for(user, booking_id, now)
    if not room.is_open:
        raise RoomClosed()
    cleaned = clean_message(text)
    masked_text, was_masked, reasons = mask_contacts(cleaned)
    session_id, author_id = room.session.id, user.id
    message = Message(session_id=session_id, author_id=author_id, text=masked_text, masked=was_masked,
                      created_at=room.now)
    crisis = mentions_crisis(cleaned)
    try:
        lock_room(session_id)
        notice = add_entry(message, user.display_name,
                           crisis=crisis if masked_text == cleaned else mentions_crisis(masked_text))
        commit_keeping_objects()
    except BaseException:
        db.session.rollback()
        raise
    room_events.publish(notice)
    return Posted(message=message, reasons=reasons, crisis=crisis)


def lock_room(session_id: int) -> None:
    """Take the room's writer lock for the rest of the transaction: one writer per room at a time.

    A room's entries then commit in id order, so a stream that has sent id N never misses a lower id committed
    later (Last-Event-ID and ?after= rely on it). SQLite's BEGIN IMMEDIATE already serialises every write.
    """
    db.session.execute(select(Session.id).where(Session.id == session_id).with_for_update())


def add_entry(message: Message, author_name: str | None, *, crisis: bool) -> room_events.Notice:
    """Add ``message`` to its room (under :func:`lock_room`) and return the notice that carries it to the streams.

    The room's last entry, read after the lock, is the one just before this: the notice's ``previous_id``. It
    is read in a statement of its own: PostgreSQL's READ COMMITTED gives each statement a new snapshot, so it
    sees the entry of the writer that held the lock before (a subquery of the locking statement would not, and
    a stream would skip that entry). The caller commits, then publishes the notice.
    """
    session_id = message.session_id
    previous_id = db.session.scalar(select(func.max(Message.id)).where(Message.session_id == session_id)) or 0
    db.session.add(message)
    db.session.flush()
    return room_events.Notice(
        session_id=session_id, message_id=message.id, previous_id=previous_id, author_id=message.author_id,
        author_name=author_name, text=message.text, masked=message.masked, created_at=message.created_at,
        crisis=crisis, kind=message.kind)


def commit_keeping_objects() -> None:
    """Commit without expiring the session's objects: what this request loaded and wrote is still what it
    shows, and reading an attribute after the commit would cost a query each (the message, its author, the room).
    """
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def attach_to_report(report_id: int, session_id: int) -> int:
    """Attach the session's last :data:`REPORT_MESSAGES` messages to a report (the caller commits); returns how many.

    The only way a coordinator ever reads messages: a party chose to report them. Room notices
    (``joined``) are not messages: the report carries the last :data:`REPORT_MESSAGES` people wrote.
    """
    last = list(db.session.scalars(
        select(Message.id).where(Message.session_id == session_id, Message.kind == "text")
        .order_by(Message.id.desc()).limit(REPORT_MESSAGES)
    ))
    if last:
        db.session.execute(insert(message_reports), [{"report_id": report_id, "message_id": i} for i in last])
    return len(last)


def reported_messages(report_id: int) -> list[Message]:
    """The messages a report carries, oldest first (coordinators only call this)."""
    return reported_messages_for([report_id]).get(report_id, [])


def reported_messages_for(report_ids: list[int]) -> dict[int, list[Message]]:
    """The messages each of these reports carries, oldest first, by report id (the coordinators' page; one query)."""
    if not report_ids:
        return {}
    rows = db.session.execute(
        select(message_reports.c.report_id, Message).options(joinedload(Message.author))
        .join(message_reports, message_reports.c.message_id == Message.id)
        .where(message_reports.c.report_id.in_(report_ids))
        .order_by(message_reports.c.report_id, Message.id)
    )
    carried: dict[int, list[Message]] = {}
    for report_id, message in rows:
        carried.setdefault(report_id, []).append(message)
    return carried


def report_room(user: User, booking_id: int, details: str) -> SafeguardingReport:
    """Either party reports the room to the coordinators: the report carries its last messages; commits.

    :class:`NotFound` for a non-party. The report is about the session's
    volunteer and booking, as a learner's report of a session is; its
    reporter (learner or volunteer) tells the coordinators who chose to share.
    """
    room = room_for(user, booking_id)
    details = clean_text(details, "details", safeguarding.DETAILS_MAX_LENGTH, required=True)
    with committing():
        report = safeguarding.add_report(user, details, volunteer_id=room.session.volunteer_id,
                                         booking_id=room.booking.id)
        attach_to_report(report.id, room.session.id)
    return report


def may_prompt_escalation(room: Room) -> bool:
    """Whether the viewer is a support session's volunteer who may escalate now (the booking page's urgent path)."""
    return room.viewer_is_volunteer and may_escalate(room.booking, room.now)


def escalation_prompts(messages: list[Message], viewer_id: int, allowed: bool) -> set[int]:
    """Ids of the messages under which the volunteer sees the escalate prompt: others' messages mentioning a crisis.

    Judged on the stored (masked) text when shown, so nothing about the words is stored.
    """
    if not allowed:
        return set()
    return {m.id for m in messages if m.is_text and m.author_id != viewer_id and mentions_crisis(m.text)}


def message_retention_days() -> int:
    """``MESSAGE_RETENTION_DAYS`` (``TUTORING_MESSAGE_RETENTION_DAYS``): days after a session's end its messages are kept."""
    return days_setting(current_app.config, "MESSAGE_RETENTION_DAYS", DEFAULT_MESSAGE_RETENTION_DAYS)


def purge_old_messages(now: datetime | None = None, days: int | None = None) -> int:
    """Delete messages of sessions that ended more than ``days`` ago, except those a report carries; commits.

    Who was in those rooms when (``room_presence``) goes with them.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=message_retention_days() if days is None else days)
    old_sessions = select(Session.id).where(Session.start_at < cutoff, Session.end_at < cutoff)
    with committing():
        count = db.session.execute(
            delete(Message)
            .where(Message.session_id.in_(old_sessions),
                   ~exists().where(message_reports.c.message_id == Message.id))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.execute(delete(RoomPresence).where(RoomPresence.session_id.in_(old_sessions))
                           .execution_options(synchronize_session=False))
    if count:
        log.info("deleted %d room messages of sessions that ended before %s", count, cutoff.isoformat())
    return count
