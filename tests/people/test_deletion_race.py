"""Deleting a volunteer while learners keep booking them: every booking that got in is cancelled, with notice.

Issue 21, finding 1: deletion used to cancel the sessions it had found at the
start one by one and only then mark the profile not bookable, so bookings
made meanwhile stayed ``confirmed`` with "Deleted account", and their learners
never heard. Now deletion first commits that nobody can book the person any
more (inactive, profile paused, API tokens revoked, under the locks booking
takes), then cancels until nothing is left. Threads here book through the
booking service (each its own transaction, as a request would) while the
volunteer's account is deleted; the test runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import ApiToken, Booking, OutboxMessage, Session, User, VolunteerProfile
from tutoring.booking.errors import BookingError
from tutoring.booking.operations import book_session
from tutoring.services.coordinators.coordination import decide_volunteer
from tutoring.services.people.privacy import delete_account
from tutoring.booking.slots import slots_in_range

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)  # a Monday morning
THREADS = 4
ALREADY_BOOKED = 25
EVERY_DAY = [(weekday, "08:00", "20:00") for weekday in range(7)]


def offered_starts(volunteer_id: int) -> list[datetime]:
    profile = db.session.get(VolunteerProfile, volunteer_id)
    return [slot.start_at for slot in slots_in_range(profile, NOW, NOW + timedelta(days=30), NOW)]


def keep_booking(app, learner_id: int, volunteer_id: int, starts: list[datetime], made: list[int],
                 started: threading.Event, stop: threading.Event) -> None:
    """Book ``starts`` one after the other until told to stop; record the ids of bookings that got in."""
    with app.app_context():
        for start in starts:
            if stop.is_set():
                return
            try:
                made.append(book_session(learner_id, volunteer_id, start, "tutoring", now=NOW).id)
                started.set()
            except BookingError:
                pass
            finally:
                db.session.remove()


def test_bookings_racing_a_volunteers_deletion_all_end_cancelled_and_their_learners_are_told(app, make_user, bearer):
    volunteer = make_user("volunteer", timezone="UTC", rules=EVERY_DAY, session_minutes=30, buffer_minutes=0,
                          min_notice_hours=0, horizon_days=60)
    token_header = bearer(volunteer)
    learners = [make_user("learner") for _ in range(ALREADY_BOOKED + THREADS)]
    with app.app_context():
        starts = offered_starts(volunteer.id)
        for learner, start in zip(learners[:ALREADY_BOOKED], starts, strict=False):
            book_session(learner.id, volunteer.id, start, "tutoring", now=NOW)
    free = starts[ALREADY_BOOKED:]
    made: list[int] = []
    started, stop = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=keep_booking, args=(app, learner.id, volunteer.id, free[index::THREADS], made,
                                                    started, stop))
        for index, learner in enumerate(learners[ALREADY_BOOKED:])
    ]
    for thread in threads:
        thread.start()
    try:
        assert started.wait(30), "no racing booking got in"
        with app.app_context():
            delete_account(volunteer.id, now=NOW)
            db.session.remove()
        made_before_the_end = len(made)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    assert made, "the threads booked nothing"
    assert len(made) == made_before_the_end, "a booking got in after the deletion finished"
    with app.app_context():
        volunteer_row = db.session.get(User, volunteer.id)
        assert not volunteer_row.is_active and volunteer_row.volunteer_profile.state == "paused"
        live = db.session.scalars(
            select(Booking).join(Booking.session)
            .where(Session.volunteer_id == volunteer.id, Booking.status != "cancelled")
        ).all()
        assert live == []
        for booking_id in made:
            booking = db.session.get(Booking, booking_id)
            assert booking.status == "cancelled" and booking.session.status == "cancelled"
            told = db.session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.recipient == booking.learner.email,
                                                 OutboxMessage.booking_id == booking_id)
            ).all()
            assert "booked" in told and "cancelled" in told, (booking_id, told)
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == volunteer.id)) is None
    # The volunteer's API token died with the account.
    assert app.test_client().get("/api/v1/me", headers=token_header).status_code == 401


def test_a_volunteer_a_coordinator_paused_takes_no_booking_once_the_pause_returns(app, make_user):
    """Pausing locks the profile like booking does: bookings either got in before, or are refused after."""
    volunteer = make_user("volunteer", timezone="UTC", rules=EVERY_DAY, session_minutes=30, buffer_minutes=0,
                          min_notice_hours=0, horizon_days=60)
    coordinator = make_user("coordinator")
    learners = [make_user("learner") for _ in range(THREADS)]
    with app.app_context():
        starts = offered_starts(volunteer.id)
    made: list[int] = []
    started, stop = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=keep_booking, args=(app, learner.id, volunteer.id, starts[index::THREADS], made,
                                                    started, stop))
        for index, learner in enumerate(learners)
    ]
    for thread in threads:
        thread.start()
    try:
        assert started.wait(30)
        with app.app_context():
            decide_volunteer(db.session.get(User, coordinator.id), volunteer.id, "pause", "Taking a break")
            db.session.remove()
        made_when_paused = len(made)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    assert len(made) == made_when_paused
    with app.app_context():
        assert db.session.get(VolunteerProfile, volunteer.id).state == "paused"
        # Paused volunteers keep the sessions booked before the pause (SPEC §1).
        kept = db.session.scalars(select(Booking.id).where(Booking.status == "confirmed")).all()
        assert sorted(kept) == sorted(made)
