"""Helpers for the coordinator tests: sessions written straight to the database (past ones can't be booked)."""
from __future__ import annotations

from datetime import datetime, timedelta

from tutoring.extensions import db
from tutoring.models import Booking, Session


def add_session(volunteer_id: int, learner_id: int, start_at: datetime, *, minutes: int = 60,
                status: str = "completed", kind: str = "tutoring", note: str = "") -> int:
    """One session with one booking, both in ``status``; returns the booking id (call inside an app context)."""
    end_at = start_at + timedelta(minutes=minutes)
    session = Session(volunteer_id=volunteer_id, kind=kind, start_at=start_at, end_at=end_at,
                      blocked_until_at=end_at, status=status, capacity=1)
    booking = Booking(session=session, learner_id=learner_id, status=status, note=note)
    db.session.add_all([session, booking])
    db.session.commit()
    return booking.id
