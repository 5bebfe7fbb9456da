"""60 learners racing for the 50 seats of one group session get exactly 50, on a real multi-process server.

The server and the client threads are those of ``test_booking_race`` (gunicorn,
4 processes x 12 threads, on the test database; every client connects first
and then waits at a barrier). Seats are counted under the volunteer's lock and
the session row's lock (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so the 51st request and every later one must get a clean 409.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from tests.booking.test_booking_race import ALL_DAYS_9_TO_12, fire_together, offered_between, post_booking, server  # noqa: F401
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, Booking, Session, VolunteerProfile
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

SEATS, LEARNERS = 50, 60


def test_sixty_learners_racing_for_fifty_seats_get_exactly_fifty(server, app, make_user, bearer):
    volunteer = make_user("volunteer", timezone="Africa/Cairo", rules=ALL_DAYS_9_TO_12, min_notice_hours=0)
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = SEATS
        db.session.commit()
    learners = [make_user("learner") for _ in range(LEARNERS)]
    with app.app_context():
        soon = utcnow() + timedelta(days=2)
        slot = offered_between(volunteer.id, soon, soon + timedelta(days=2))[0]
        profile = db.session.get(VolunteerProfile, volunteer.id)
        (offered,) = [s for s in slots_in_range(profile, slot, slot + timedelta(seconds=1))]
        assert (offered.capacity, offered.seats_left) == (SEATS, SEATS)
    calls = [post_booking(bearer(learner), volunteer.id, slot, note=f"learner {learner.id}") for learner in learners]

    results = fire_together(server, calls)

    statuses = Counter(status for status, _body in results)
    assert statuses == {201: SEATS, 409: LEARNERS - SEATS}, (statuses, results, server[2][-30:])
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "slot_unavailable" and body["error"]["message"], body
    with app.app_context():
        (session,) = db.session.scalars(select(Session).where(Session.volunteer_id == volunteer.id))
        assert (session.status, session.capacity, session.start_at) == ("confirmed", SEATS, slot)
        seats = list(db.session.scalars(select(Booking).where(Booking.session_id == session.id)))
        assert len(seats) == SEATS and all(seat.status == "confirmed" for seat in seats)
        assert len({seat.learner_id for seat in seats}) == SEATS and len({seat.uid for seat in seats}) == SEATS
        assert all(seat.note == f"learner {seat.learner_id}" for seat in seats)  # each winner's own request
        assert {body["id"] for status, body in results if status == 201} == {seat.id for seat in seats}
        assert db.session.scalar(select(func.count(Booking.id))) == SEATS
        # Full: no longer offered, and nothing else took its time.
        assert slot not in offered_between(volunteer.id, slot, slot + timedelta(hours=1))


def test_the_group_race_server_logged_no_errors(server):
    log = "\n".join(server[2])
    assert "Traceback" not in log and "internal_error" not in log, log[-5000:]
