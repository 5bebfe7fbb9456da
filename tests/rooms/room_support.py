"""A session with its bookings straight in the database, at a time relative to now (rooms care only about the window)."""
from __future__ import annotations

from datetime import timedelta

from tutoring.extensions import db
from tutoring.models import Booking, Session, User
from tutoring.timeutil import utcnow


def make_session(app, volunteer: User, learners: list[User], *, starts_in: timedelta, minutes: int = 45,
                 kind: str = "tutoring", status: str = "confirmed") -> list[int]:
    """A session of ``volunteer`` starting ``starts_in`` from now (negative: in the past); returns its booking ids."""
    with app.app_context():
        start = utcnow().replace(microsecond=0) + starts_in
        session = Session(volunteer_id=volunteer.id, kind=kind, start_at=start, end_at=start + timedelta(minutes=minutes),
                          blocked_until_at=start + timedelta(minutes=minutes), capacity=max(1, len(learners)),
                          status=status)
        db.session.add(session)
        bookings = [Booking(session=session, learner_id=learner.id, status=status) for learner in learners]
        db.session.add_all(bookings)
        db.session.commit()
        return [booking.id for booking in bookings]
