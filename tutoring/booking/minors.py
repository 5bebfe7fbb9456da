"""A guardian withdraws consent (SPEC §7 "Minors", issue 19): the minor's future sessions are cancelled.

The withdrawal is committed first (so nothing new can be booked from then
on: ``check_may_book`` reads it under the booking lock), then each future
booking is cancelled through the one booking operation, as if the learner
cancelled it: the volunteer, the learner and the guardian each get the usual
notice.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from tutoring.booking.errors import BookingError
from tutoring.booking.operations import cancel_booking
from tutoring.extensions import db
from tutoring.models import Booking, GuardianConsent, Session
from tutoring.services.minors import guardians
from tutoring.timeutil import utcnow

log = logging.getLogger(__name__)


def future_bookings(learner_id: int, now: datetime) -> list[int]:
    """Ids of the learner's confirmed bookings that haven't started, soonest first."""
    return list(db.session.scalars(
        select(Booking.id).join(Booking.session)
        .where(Booking.learner_id == learner_id, Booking.status == "confirmed", Session.start_at > now)
        .order_by(Session.start_at, Booking.id)
    ))


def withdraw(consent: GuardianConsent, now: datetime | None = None) -> int:
    """Withdraw the guardian's consent (logged) and cancel the minor's future sessions; returns how many were cancelled."""
    now = now or utcnow()
    learner_id = consent.learner_id
    try:
        guardians.mark_withdrawn(consent, now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    cancelled = 0
    for booking_id in future_bookings(learner_id, now):
        try:
            cancel_booking(learner_id, booking_id, now=now)
        except BookingError:  # cancelled or moved meanwhile by someone else: nothing left to do for it
            continue
        cancelled += 1
    log.info("guardian withdrew consent for learner %s: %d sessions cancelled", learner_id, cancelled)
    return cancelled
