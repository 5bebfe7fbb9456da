"""Reminders before a session (``TUTORING_REMINDER_HOURS``, default 24 and 1 hours), through the outbox.

The worker calls ``queue_due_reminders`` on every poll. For each confirmed,
not yet started booking, the reminder due now is the one with the *smallest*
offset whose time has come: a worker that was down for a day sends one
"starts soon" message, not a late 24-hour one followed by the 1-hour one.
A reminder whose time came before the booking was made (or last moved) is
not sent: the invite that just went out says the same.

Each reminder's dedupe key holds the booking's UID, SEQUENCE, the offset and
the recipient, so a reminder is queued once however many workers run, and a
moved booking (new SEQUENCE) gets reminders for its new time, while those
for the old time that hadn't gone out are dropped by the move itself
(``notifications.queue_booking_messages``). Cancelled bookings get none.

A minor's guardian who consented gets a copy of the learner's reminders
(``guardians.queue_reminder_copy``: time, volunteer's name, meeting link,
withdrawal link; never the note).

A group session's volunteer gets one reminder per offset for the session
(keyed by the session's UID and SEQUENCE), not one per seat; its learners get
their seats' own.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from tutoring.extensions import db
from tutoring.models import Booking, OutboxMessage, Session, User, VolunteerProfile
from tutoring.services.minors import guardians
from tutoring.services.notices.notifications import (
    changed_at,
    parties,
    queue_group_reminder,
    queue_reminder,
    reminder_key,
    session_uid,
)
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)

DEFAULT_REMINDER_HOURS = (24.0, 1.0)


def parse_hours(value: Any) -> tuple[float, ...]:
    """Offsets in hours from a setting: ``"24,1"``, ``24``, ``[24, 1]`` or ``""`` (no reminders); largest first.

    Raises ``ValueError`` for anything else, so a typo in the environment
    stops the worker at start rather than silently sending nothing.
    """
    if value is None:
        return DEFAULT_REMINDER_HOURS
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as error:
                raise ValueError(f"REMINDER_HOURS is not a JSON list: {text!r}") from error
        else:
            value = [part for part in text.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError(f"REMINDER_HOURS must be hours separated by commas, not {value!r}")
    try:
        hours = {float(item) for item in value}
    except (TypeError, ValueError) as error:
        raise ValueError(f"REMINDER_HOURS must be hours separated by commas, not {value!r}") from error
    if any(not 0 < h <= 24 * 14 for h in hours):
        raise ValueError("REMINDER_HOURS: each offset must be more than 0 and at most 336 hours")
    return tuple(sorted(hours, reverse=True))


def reminder_hours() -> tuple[float, ...]:
    """The configured offsets (``TUTORING_REMINDER_HOURS``), largest first."""
    return parse_hours(current_app.config.get("REMINDER_HOURS"))


def due_offset(start_at: datetime, last_change_at: datetime, hours: Iterable[float], now: datetime) -> float | None:
    """The offset whose reminder should go out ``now`` for a session at ``start_at``, or None.

    The smallest offset whose moment has come, provided the booking was made
    or last moved before that moment, and the session hasn't started.
    """
    if start_at <= now:
        return None
    come = [h for h in hours if start_at - timedelta(hours=h) <= now]
    if not come:
        return None
    nearest = min(come)
    if last_change_at > start_at - timedelta(hours=nearest):
        return None
    return nearest


def queue_due_reminders(now: datetime | None = None) -> int:
    """Queue every reminder that is due and not queued yet; commits. Returns how many rows were added."""
    now = now or utcnow()
    hours = reminder_hours()
    if not hours:
        return 0
    try:
        bookings = list(
            db.session.scalars(
                select(Booking)
                .join(Booking.session)
                .where(
                    Booking.status == "confirmed",
                    Session.status == "confirmed",
                    Session.start_at > now,
                    Session.start_at <= now + timedelta(hours=max(hours)),
                )
                .options(
                    # The session is already joined: a second join of it
                    # (joinedload) would scan every session (tests/test_query_plans.py).
                    contains_eager(Booking.session)
                    .joinedload(Session.volunteer, innerjoin=True)
                    .joinedload(VolunteerProfile.user, innerjoin=True),
                    # is_minor (deferred on User) decides whether a guardian gets a copy.
                    joinedload(Booking.learner, innerjoin=True).undefer(User.is_minor),
                )
                .order_by(Session.start_at, Booking.id)
            ).unique()
        )
        wanted: list[tuple[Booking, User, float]] = []
        copies: list[tuple[Booking, float]] = []  # a minor's guardian gets a copy (SPEC §7 "Minors")
        groups: dict[int, tuple[Session, float]] = {}
        for booking in bookings:
            offset = due_offset(booking.session.start_at, changed_at(booking), hours, now)
            if offset is not None:
                wanted.extend((booking, user, offset) for user in parties(booking))
                if booking.learner.is_minor and booking.learner.is_active:
                    copies.append((booking, offset))
            session = booking.session
            if session.is_group and session.id not in groups and session.volunteer.user.is_active:
                # The volunteer's one reminder: due from when the session was first booked.
                group_offset = due_offset(session.start_at, session.created_at, hours, now)
                if group_offset is not None:
                    groups[session.id] = (session, group_offset)
        added = 0
        for session, offset in groups.values():
            key = reminder_key(session_uid(session.id), session.sequence, offset, session.volunteer_id)
            if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is None and (
                queue_group_reminder(session, offset, now=now)
            ):
                added += 1
                log.info("session %s: %s reminder queued for its volunteer", session.id, f"{offset:g}h")
        if not wanted:
            db.session.commit()
            return added
        keys = {reminder_key(b.uid, b.sequence, h, u.id) for b, u, h in wanted}
        keys |= {guardians.reminder_copy_key(b, h) for b, h in copies}
        # Render only what is missing: most polls find everything queued already.
        existing = set(
            db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys)))
        )
        for booking, user, offset in wanted:
            if reminder_key(booking.uid, booking.sequence, offset, user.id) in existing:
                continue
            if queue_reminder(booking, user, offset, now=now):
                added += 1
                log.info("booking %s: %s reminder queued for user %s", booking.id, f"{offset:g}h", user.id)
        for booking, offset in copies:
            if guardians.reminder_copy_key(booking, offset) not in existing and (
                guardians.queue_reminder_copy(booking, offset, now=now)
            ):
                added += 1
                log.info("booking %s: %s reminder queued for the learner's guardian", booking.id, f"{offset:g}h")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return added
