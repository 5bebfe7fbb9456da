"""The booking services: what may be booked, moved and cancelled, by whom, and that refusals write nothing.

Runs on SQLite and on PostgreSQL (``make test``); where the databases guard
differently the test branches on ``dialect`` and says what each one does.
The clock is passed in (``now=NOW``) so the dates below are plain text.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy import inspect as sa_inspect

import tutoring.extensions as extensions
from tutoring.extensions import db
from tutoring.models import AwayPeriod, Booking, Session, User, VolunteerProfile
from tutoring.booking import engine
from tutoring.booking import operations as service
from tutoring.booking.engine import booking_for, bookings_for
from tutoring.booking.errors import (
    BookingBusy,
    BookingForbidden,
    BookingNotFound,
    BookingStateError,
    InvalidBooking,
    SlotUnavailable,
)
from tutoring.booking.operations import book_session, cancel_booking, mark_completed, mark_no_show, reschedule_booking
from tutoring.booking.slots import slots_in_range

# Monday 7 January 2030, 08:00 UTC. The volunteer (Europe/London, UTC in
# winter) offers Tuesdays 10:00-12:00 with 45-minute sessions and a
# 15-minute buffer: slots at 10:00 and 11:00 on Tuesday 8 January, 26 hours
# after NOW (default notice 12 h, horizon 56 days).
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 11, 0, tzinfo=UTC)
NEXT_TUE_10 = TUE_10 + timedelta(days=7)
TUESDAY_10_TO_12 = [(1, "10:00", "12:00")]


@pytest.fixture
def volunteer(make_user):
    """An approved volunteer offering Tuesday 10:00 and 11:00 (45 + 15 minutes)."""
    return make_user("volunteer", timezone="Europe/London", rules=TUESDAY_10_TO_12,
                     session_minutes=45, buffer_minutes=15)


@pytest.fixture
def learner(make_user):
    """A learner in another zone (times are instants; zones don't matter to booking)."""
    return make_user("learner", timezone="Asia/Kathmandu")


def snapshot(booking: Booking) -> dict:
    """What a test compares, read while the app context is open."""
    session = booking.session
    return {
        "id": booking.id, "status": booking.status, "uid": booking.uid, "sequence": booking.sequence,
        "note": booking.note, "cancel_reason": booking.cancel_reason, "learner_id": booking.learner_id,
        "volunteer_id": session.volunteer_id, "kind": session.kind, "start_at": session.start_at,
        "end_at": session.end_at, "blocked_until_at": session.blocked_until_at,
        "session_status": session.status, "session_id": session.id,
    }


def call(app, function, *args, **kwargs):
    """Run a service in its own app context (as a request would) and snapshot the booking it returns."""
    with app.app_context():
        result = function(*args, **kwargs)
        return snapshot(result) if isinstance(result, Booking) else result


def book(app, learner, volunteer, start=TUE_10, kind="tutoring", note="", now=NOW):
    """``book_session`` with this file's defaults."""
    return call(app, book_session, learner.id, volunteer.id, start, kind, note, now=now)


def row_counts(app) -> tuple[int, int]:
    """(sessions, bookings) in the database."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Session)),
                db.session.scalar(select(func.count()).select_from(Booking)))


def offered_starts(app, volunteer, day=date(2030, 1, 8), now=NOW) -> list[datetime]:
    """The volunteer's offered slot starts on ``day`` (UTC), as the slot pages compute them."""
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        start = datetime.combine(day, datetime.min.time(), UTC)
        return [slot.start_at for slot in slots_in_range(profile, start, start + timedelta(days=1), now)]


def set_profile(app, volunteer, **fields) -> None:
    """Change the volunteer's profile and commit."""
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        for key, value in fields.items():
            setattr(profile, key, value)
        db.session.commit()


# --- booking ----------------------------------------------------------------


def test_booking_an_offered_slot_writes_one_session_and_one_booking(app, volunteer, learner):
    booked = book(app, learner, volunteer, TUE_10, kind="mentoring", note="  Fractions, please  ")
    assert booked["status"] == booked["session_status"] == "confirmed"
    assert (booked["start_at"], booked["end_at"]) == (TUE_10, TUE_10 + timedelta(minutes=45))
    assert booked["blocked_until_at"] == TUE_10 + timedelta(minutes=60)  # end + buffer
    assert (booked["learner_id"], booked["volunteer_id"], booked["kind"]) == (learner.id, volunteer.id, "mentoring")
    assert booked["note"] == "Fractions, please"
    assert booked["sequence"] == 0
    # A UUID at the domain of BASE_URL (http://localhost in tests).
    uid_part, domain = booked["uid"].split("@")
    assert domain == "localhost" and len(uid_part) == 36
    assert row_counts(app) == (1, 1)
    # The slot is no longer offered; the next one still is.
    assert offered_starts(app, volunteer) == [TUE_11]


def test_an_instant_in_any_zone_books_the_same_slot(app, volunteer, learner):
    kathmandu = TUE_10.astimezone(ZoneInfo("Asia/Kathmandu"))  # 15:45+05:45
    booked = book(app, learner, volunteer, kathmandu)
    assert booked["start_at"] == TUE_10 and booked["start_at"].tzinfo is UTC


def test_the_uid_falls_back_to_a_local_domain_without_base_url(make_app, make_user):
    app = make_app(BASE_URL="")
    volunteer = make_user("volunteer", timezone="Europe/London", rules=TUESDAY_10_TO_12)
    learner = make_user("learner")
    assert book(app, learner, volunteer)["uid"].endswith("@tutoring.local")


def test_a_taken_slot_is_refused_to_the_next_learner(app, volunteer, learner, make_user):
    book(app, learner, volunteer)
    with pytest.raises(SlotUnavailable) as refused:
        book(app, make_user("learner"), volunteer)
    assert refused.value.code == "slot_unavailable" and refused.value.status == 409
    assert row_counts(app) == (1, 1)


def _away_on_tuesday(app, volunteer):
    with app.app_context():
        db.session.add(AwayPeriod(volunteer_id=volunteer.id, first_on=date(2030, 1, 8), last_on=date(2030, 1, 8)))
        db.session.commit()


def _session_ending_in_the_buffer(app, volunteer):
    # Booked earlier under other settings: 09:00-09:50, so 10:00 is within 15 minutes of it.
    with app.app_context():
        start = TUE_10 - timedelta(hours=1)
        db.session.add(Session(volunteer_id=volunteer.id, kind="tutoring", start_at=start,
                               end_at=start + timedelta(minutes=50), blocked_until_at=start + timedelta(minutes=50)))
        db.session.commit()


def _session_blocking_longer_than_todays_buffer(app, volunteer):
    # 09:00-09:45 booked when the buffer was 20 minutes: it blocks until 10:05.
    # Today's buffer (15) would allow 10:00; the stored block still holds, on
    # SQLite as on PostgreSQL (where the exclusion constraint would refuse it).
    with app.app_context():
        start = TUE_10 - timedelta(hours=1)
        db.session.add(Session(volunteer_id=volunteer.id, kind="tutoring", start_at=start,
                               end_at=start + timedelta(minutes=45), blocked_until_at=start + timedelta(minutes=65)))
        db.session.commit()


def _week_already_full(app, volunteer):
    set_profile(app, volunteer, max_sessions_per_week=1)
    with app.app_context():
        # Monday of the same ISO week: one booking fills a cap of one.
        start = datetime(2030, 1, 7, 20, 0, tzinfo=UTC)
        db.session.add(Session(volunteer_id=volunteer.id, kind="tutoring", start_at=start,
                               end_at=start + timedelta(minutes=45), blocked_until_at=start + timedelta(minutes=60)))
        db.session.commit()


REFUSED_SLOTS = {
    "off the grid": (lambda app, v: None, TUE_10 + timedelta(minutes=15)),
    "between two slots": (lambda app, v: None, TUE_10 + timedelta(minutes=50)),
    "outside every window": (lambda app, v: None, TUE_10 - timedelta(hours=2)),
    "a second off the grid": (lambda app, v: None, TUE_10 + timedelta(seconds=1)),
    "too short notice": (lambda app, v: set_profile(app, v, min_notice_hours=27), TUE_10),
    "beyond the horizon": (lambda app, v: None, TUE_10 + timedelta(days=7 * 9)),
    "away that day": (_away_on_tuesday, TUE_10),
    "weekly cap reached": (_week_already_full, TUE_10),
    "within the buffer of another session": (_session_ending_in_the_buffer, TUE_10),
    "inside a session's stored block": (_session_blocking_longer_than_todays_buffer, TUE_10),
    "volunteer pending": (lambda app, v: set_profile(app, v, state="pending"), TUE_10),
    "volunteer paused": (lambda app, v: set_profile(app, v, state="paused"), TUE_10),
    "in the past": (lambda app, v: None, NOW - timedelta(days=6)),
}


@pytest.mark.parametrize("case", REFUSED_SLOTS)
def test_a_slot_that_is_not_offered_is_refused_and_nothing_is_written(app, volunteer, learner, case):
    prepare, start = REFUSED_SLOTS[case]
    prepare(app, volunteer)
    before = row_counts(app)
    with pytest.raises(SlotUnavailable) as refused:
        book(app, learner, volunteer, start)
    assert refused.value.code == "slot_unavailable"
    assert str(refused.value)  # an English message outside requests
    assert row_counts(app) == before


def test_the_weekly_cap_counts_per_week_so_the_next_week_is_still_offered(app, volunteer, learner):
    _week_already_full(app, volunteer)
    assert book(app, learner, volunteer, NEXT_TUE_10)["start_at"] == NEXT_TUE_10


def test_a_deactivated_volunteer_takes_no_bookings(app, volunteer, learner):
    with app.app_context():
        db.session.get(User, volunteer.id).is_active = False
        db.session.commit()
    with pytest.raises(SlotUnavailable):
        book(app, learner, volunteer)
    assert row_counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "juggling"}, "kind"),
        ({"kind": "support"}, "kind"),  # known kind, not offered by this volunteer
        ({"start": datetime(2030, 1, 8, 10, 0)}, "start"),  # naive: no zone, no meaning
        ({"note": "x" * (service.NOTE_MAX_LENGTH + 1)}, "note"),
        ({"note": "nul \x00 byte"}, "note"),  # PostgreSQL text can't store it
    ],
    ids=["unknown kind", "kind not offered", "naive start", "note too long", "NUL in note"],
)
def test_bad_input_is_refused_naming_the_field(app, make_user, learner, kwargs, field):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=TUESDAY_10_TO_12,
                          kinds=["tutoring", "mentoring"])
    with pytest.raises(InvalidBooking) as refused:
        book(app, learner, volunteer, **kwargs)
    assert (refused.value.field, refused.value.status) == (field, 422)
    assert row_counts(app) == (0, 0)


@pytest.mark.parametrize("volunteer_id", [999_999, 2**31, 2**70, 0, -1])
def test_an_unknown_volunteer_answers_like_one_who_takes_no_bookings(app, learner, volunteer_id):
    with pytest.raises(SlotUnavailable, match="not taking new bookings"):
        call(app, book_session, learner.id, volunteer_id, TUE_10, "tutoring", "", now=NOW)


def test_a_learner_id_is_not_a_volunteer(app, learner, make_user):
    with pytest.raises(SlotUnavailable, match="not taking new bookings"):
        book(app, make_user("learner"), learner)


@pytest.mark.parametrize("start", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)])
def test_absurd_dates_are_simply_not_offered(app, volunteer, learner, start):
    with pytest.raises(SlotUnavailable):
        book(app, learner, volunteer, start)
    booked = book(app, learner, volunteer)
    with pytest.raises(SlotUnavailable):
        call(app, reschedule_booking, learner.id, booked["id"], start, now=NOW)


def test_nobody_books_themselves_and_only_learners_book(app, volunteer, make_user):
    with pytest.raises(InvalidBooking) as refused:
        book(app, volunteer, volunteer)
    assert refused.value.field == "volunteer_id"
    for role in ("volunteer", "coordinator"):
        with pytest.raises(BookingForbidden):
            book(app, make_user(role), volunteer)
    assert row_counts(app) == (0, 0)


def test_a_learner_cannot_hold_two_overlapping_sessions(app, volunteer, learner, make_user):
    # Tuesdays 15:30-17:30 in Kathmandu (+05:45) = 09:45-11:45 UTC: slots 09:45, 10:15, 10:45, 11:15 UTC.
    other = make_user("volunteer", timezone="Asia/Kathmandu", rules=[(1, "15:30", "17:30")],
                      session_minutes=30, buffer_minutes=0)
    book(app, learner, volunteer, TUE_10)
    for overlapping in (datetime(2030, 1, 8, 9, 45, tzinfo=UTC), datetime(2030, 1, 8, 10, 15, tzinfo=UTC)):
        with pytest.raises(SlotUnavailable, match="already have a session"):
            book(app, learner, other, overlapping)
    assert row_counts(app) == (1, 1)
    # Back to back (half-open intervals) is fine: 10:00-10:45 then 10:45-11:15.
    assert book(app, learner, other, datetime(2030, 1, 8, 10, 45, tzinfo=UTC))["status"] == "confirmed"


def test_notes_and_reasons_never_reach_the_logs(app, volunteer, learner, caplog):
    caplog.set_level(logging.DEBUG)
    booked = book(app, learner, volunteer, note="SECRET-NOTE-7731")
    call(app, cancel_booking, learner.id, booked["id"], reason="SECRET-REASON-4410", now=NOW)
    assert "booking" in caplog.text  # we do log, with ids
    assert "SECRET-NOTE-7731" not in caplog.text
    assert "SECRET-REASON-4410" not in caplog.text


# --- the database's own refusals --------------------------------------------


def test_the_exclusion_constraint_refusal_becomes_slot_unavailable(app, volunteer, learner, make_user, dialect,
                                                                   monkeypatch):
    """If the service's own checks were bypassed, PostgreSQL still refuses the overlap, as SlotUnavailable."""
    book(app, learner, volunteer, TUE_10)
    # Simulate a writer that checked before the first booking committed: it
    # believes 10:00 is free.
    from tutoring.scheduling import Slot

    monkeypatch.setattr(service, "offered_slot",
                        lambda volunteer, start_at, now, exclude_session_id=None, kind=None:
                        Slot(start_at, start_at + timedelta(minutes=45)))
    if dialect == "postgresql":
        with pytest.raises(SlotUnavailable):
            book(app, make_user("learner"), volunteer, TUE_10)
        assert row_counts(app) == (1, 1)
    else:
        # SQLite has no exclusion constraint: there the locked re-check (bypassed
        # here) is the only guard, which is why every writer takes the lock.
        book(app, make_user("learner"), volunteer, TUE_10)
        assert row_counts(app) == (2, 2)


def test_a_writer_that_waits_too_long_for_the_volunteer_gets_a_retryable_error(make_app, make_user, dialect,
                                                                              database_url, monkeypatch):
    """Another transaction holds the volunteer (PostgreSQL row lock / SQLite write lock): BookingBusy, not a crash."""
    monkeypatch.setattr(engine, "LOCK_TIMEOUT_MS", 200)
    monkeypatch.setattr(extensions, "SQLITE_BUSY_TIMEOUT_MS", 200)  # read when a connection opens
    app = make_app()
    volunteer = make_user("volunteer", timezone="Europe/London", rules=TUESDAY_10_TO_12)
    learner = make_user("learner")
    holder = create_engine(database_url)
    try:
        with holder.connect() as connection:
            if dialect == "postgresql":
                connection.execute(text("SELECT 1 FROM volunteer_profiles WHERE user_id = :id FOR UPDATE"),
                                   {"id": volunteer.id})
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(BookingBusy) as busy:
                book(app, learner, volunteer)
            assert (busy.value.code, busy.value.status) == ("busy", 409)
            connection.rollback()
        # Once the other writer is gone, the same request goes through.
        assert book(app, learner, volunteer)["status"] == "confirmed"
    finally:
        holder.dispose()
        with app.app_context():
            db.engine.dispose()


# --- cancelling -------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "volunteer"])
def test_either_party_cancels_and_the_slot_is_offered_again(app, volunteer, learner, make_user, who):
    booked = book(app, learner, volunteer, TUE_10, note="private")
    canceller = learner if who == "learner" else volunteer
    cancelled = call(app, cancel_booking, canceller.id, booked["id"], reason="  Exam moved  ", now=NOW)
    assert cancelled["status"] == cancelled["session_status"] == "cancelled"
    assert cancelled["cancel_reason"] == "Exam moved"
    assert (cancelled["uid"], cancelled["sequence"]) == (booked["uid"], 1)
    assert offered_starts(app, volunteer) == [TUE_10, TUE_11]
    # And someone else can book it.
    assert book(app, make_user("learner"), volunteer, TUE_10)["status"] == "confirmed"


def selects_by_table(app, function, *args, **kwargs) -> tuple[object, dict[str, int]]:
    """Run ``function`` like ``call`` and count the SELECTs it sent, by the first table they read."""
    counts: dict[str, int] = {}

    def record(_conn, _cursor, statement, *_args) -> None:
        words = " ".join(statement.split())
        if words.upper().startswith("SELECT") and " FROM " in words:
            table = words.split(" FROM ", 1)[1].split(" ", 1)[0]
            counts[table] = counts.get(table, 0) + 1

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            result = call(app, function, *args, **kwargs)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return result, counts


@pytest.mark.parametrize("who", ["learner", "volunteer"])
def test_a_cancellation_reads_each_row_once_under_its_locks(app, volunteer, learner, who):
    booked = book(app, learner, volunteer, TUE_10)
    canceller = learner if who == "learner" else volunteer
    cancelled, selects = selects_by_table(app, cancel_booking, canceller.id, booked["id"], now=NOW)
    assert cancelled["status"] == "cancelled"
    # The learner's and the volunteer's locks are the only reads of their
    # rows (the invites reuse them), and a cancellation needs no slot rules.
    assert selects.get("users") == 1 and selects.get("volunteer_profiles") == 1, selects
    assert not {"availability_rules", "away_periods", "extra_windows", "sessions"} & set(selects), selects


def test_a_move_still_reads_the_volunteers_rules_once(app, volunteer, learner):
    booked = book(app, learner, volunteer, TUE_10)
    moved, selects = selects_by_table(app, reschedule_booking, learner.id, booked["id"], TUE_11, now=NOW)
    assert (moved["start_at"], moved["sequence"]) == (TUE_11, 1)
    # The lock reads the profile and user; the one slot reader reads rules, windows and away days in one statement.
    assert selects.get("users") == 1 and selects.get("volunteer_profiles") == 1, selects
    # One UNION ALL (counted by its first table) reads them all: no separate read of windows or away days.
    assert selects.get("availability_rules") == 1, selects
    assert not {"away_periods", "extra_windows"} & set(selects), selects


def test_the_returned_booking_shows_its_session_and_people_without_reading_again(app, volunteer, learner, make_user):
    bystander = make_user("learner")
    reads: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        reads.append(statement)

    with app.app_context():
        other = db.session.get(User, bystander.id)  # loaded before, not part of the booking
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            booking = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
            reads.clear()
            shown = (booking.status, booking.session.start_at, booking.session.volunteer.user.email,
                     booking.learner.email, booking.session.capacity)
            assert reads == []
            assert sa_inspect(other).expired  # everything else is expired by the commit as usual
            cancelled = cancel_booking(volunteer.id, booking.id, now=NOW)
            reads.clear()
            assert (cancelled.status, cancelled.session.status, cancelled.sequence) == ("cancelled", "cancelled", 1)
            assert cancelled.learner.email == learner.email and reads == []
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert shown == ("confirmed", TUE_10, volunteer.email, learner.email, 1)
        db.session.expire_all()
        assert (booking.status, booking.sequence, booking.session.status) == ("cancelled", 1, "cancelled")


def test_cancelling_frees_a_place_in_the_weekly_cap(app, volunteer, learner, make_user):
    set_profile(app, volunteer, max_sessions_per_week=1)
    booked = book(app, learner, volunteer, TUE_10)
    assert offered_starts(app, volunteer) == []
    call(app, cancel_booking, learner.id, booked["id"], now=NOW)
    assert offered_starts(app, volunteer) == [TUE_10, TUE_11]


def test_a_cancelled_or_finished_booking_cannot_be_cancelled(app, volunteer, learner):
    first = book(app, learner, volunteer, TUE_10)
    call(app, cancel_booking, learner.id, first["id"], now=NOW)
    with pytest.raises(BookingStateError):
        call(app, cancel_booking, learner.id, first["id"], now=NOW)
    second = book(app, learner, volunteer, TUE_11)
    with pytest.raises(BookingStateError):
        call(app, cancel_booking, learner.id, second["id"], now=TUE_11 + timedelta(minutes=45))
    with app.app_context():
        assert db.session.get(Booking, second["id"]).sequence == 0


def test_a_too_long_reason_is_refused(app, volunteer, learner):
    booked = book(app, learner, volunteer)
    with pytest.raises(InvalidBooking) as refused:
        call(app, cancel_booking, learner.id, booked["id"], reason="x" * (service.REASON_MAX_LENGTH + 1), now=NOW)
    assert refused.value.field == "reason"
    with app.app_context():
        assert db.session.get(Booking, booked["id"]).status == "confirmed"


# --- rescheduling -----------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "volunteer"])
def test_rescheduling_keeps_the_uid_and_raises_the_sequence(app, volunteer, learner, who):
    booked = book(app, learner, volunteer, TUE_10)
    mover = learner if who == "learner" else volunteer
    moved = call(app, reschedule_booking, mover.id, booked["id"], NEXT_TUE_10, now=NOW)
    assert (moved["id"], moved["uid"]) == (booked["id"], booked["uid"])
    assert moved["sequence"] == 1
    assert (moved["start_at"], moved["end_at"]) == (NEXT_TUE_10, NEXT_TUE_10 + timedelta(minutes=45))
    assert moved["status"] == "confirmed"
    assert offered_starts(app, volunteer) == [TUE_10, TUE_11]  # the old time is free again
    again = call(app, reschedule_booking, mover.id, booked["id"], TUE_11, now=NOW)
    assert (again["uid"], again["sequence"]) == (booked["uid"], 2)
    assert row_counts(app) == (1, 1)


def test_the_booking_being_moved_does_not_block_its_own_move(app, volunteer, learner):
    """With a cap of one a week, the booking itself fills the week; moving it within the week must still work."""
    set_profile(app, volunteer, max_sessions_per_week=1, session_minutes=60, buffer_minutes=0)
    booked = book(app, learner, volunteer, TUE_10)
    moved = call(app, reschedule_booking, learner.id, booked["id"], TUE_11, now=NOW)
    assert moved["start_at"] == TUE_11
    # Moving onto its own current time is fine as well (its own block doesn't count).
    assert call(app, reschedule_booking, learner.id, booked["id"], TUE_11, now=NOW)["sequence"] == 2


@pytest.mark.parametrize(
    "start", [TUE_11 + timedelta(minutes=5), TUE_11, NOW - timedelta(days=1)], ids=["off grid", "taken", "past"]
)
def test_a_move_to_a_time_not_offered_is_refused_and_nothing_changes(app, volunteer, learner, make_user, start):
    booked = book(app, learner, volunteer, TUE_10)
    book(app, make_user("learner"), volunteer, TUE_11)
    with pytest.raises(SlotUnavailable):
        call(app, reschedule_booking, learner.id, booked["id"], start, now=NOW)
    with app.app_context():
        after = snapshot(db.session.get(Booking, booked["id"]))
    assert after == booked


def test_cancelled_or_started_bookings_cannot_be_moved(app, volunteer, learner):
    booked = book(app, learner, volunteer, TUE_10)
    with pytest.raises(BookingStateError):
        call(app, reschedule_booking, learner.id, booked["id"], NEXT_TUE_10, now=TUE_10 + timedelta(minutes=1))
    call(app, cancel_booking, learner.id, booked["id"], now=NOW)
    with pytest.raises(BookingStateError):
        call(app, reschedule_booking, learner.id, booked["id"], NEXT_TUE_10, now=NOW)


def test_a_paused_volunteer_keeps_bookings_but_they_cannot_be_moved(app, volunteer, learner):
    booked = book(app, learner, volunteer, TUE_10)
    set_profile(app, volunteer, state="paused")
    with pytest.raises(SlotUnavailable):
        call(app, reschedule_booking, learner.id, booked["id"], NEXT_TUE_10, now=NOW)
    # Cancelling still works.
    assert call(app, cancel_booking, learner.id, booked["id"], now=NOW)["status"] == "cancelled"


# --- who sees what ----------------------------------------------------------


def test_strangers_can_neither_see_nor_change_a_booking(app, volunteer, learner, make_user):
    booked = book(app, learner, volunteer, TUE_10)
    strangers = [make_user("learner"), make_user("volunteer", rules=TUESDAY_10_TO_12), make_user("coordinator")]
    for stranger in strangers:
        assert call(app, booking_for, stranger.id, booked["id"]) is None
        assert call(app, bookings_for, stranger.id) == []
        with pytest.raises(BookingNotFound) as hidden:
            call(app, cancel_booking, stranger.id, booked["id"], now=NOW)
        assert hidden.value.status == 404
        with pytest.raises(BookingNotFound):
            call(app, reschedule_booking, stranger.id, booked["id"], NEXT_TUE_10, now=NOW)
        with pytest.raises(BookingNotFound):
            call(app, mark_completed, stranger.id, booked["id"], now=NEXT_TUE_10)
    with app.app_context():
        after = snapshot(db.session.get(Booking, booked["id"]))
    assert after == booked
    assert call(app, booking_for, learner.id, 999_999) is None
    assert call(app, booking_for, learner.id, 2**70) is None
    with pytest.raises(BookingNotFound):
        call(app, cancel_booking, learner.id, 2**70, now=NOW)


def test_both_parties_see_the_booking(app, volunteer, learner, make_user):
    booked = book(app, learner, volunteer, TUE_11)
    earlier = book(app, make_user("learner"), volunteer, TUE_10)
    assert call(app, booking_for, learner.id, booked["id"])["uid"] == booked["uid"]
    assert call(app, booking_for, volunteer.id, booked["id"])["uid"] == booked["uid"]
    with app.app_context():
        assert [b.id for b in bookings_for(learner.id)] == [booked["id"]]
        assert [b.id for b in bookings_for(volunteer.id)] == [earlier["id"], booked["id"]]  # by start
    call(app, cancel_booking, learner.id, booked["id"], now=NOW)
    with app.app_context():
        assert [b.id for b in bookings_for(learner.id, include_cancelled=False)] == []
        assert [b.id for b in bookings_for(learner.id)] == [booked["id"]]


# --- after the session ------------------------------------------------------


def test_only_the_volunteer_marks_a_session_completed_and_only_after_it_ended(app, volunteer, learner):
    booked = book(app, learner, volunteer, TUE_10)
    ended = TUE_10 + timedelta(minutes=45)
    with pytest.raises(BookingStateError):
        call(app, mark_completed, volunteer.id, booked["id"], now=ended - timedelta(seconds=1))
    with pytest.raises(BookingForbidden):
        call(app, mark_completed, learner.id, booked["id"], now=ended)
    done = call(app, mark_completed, volunteer.id, booked["id"], now=ended)
    assert done["status"] == done["session_status"] == "completed"
    assert done["sequence"] == 0  # no calendar change
    # A slip can be corrected.
    missed = call(app, mark_no_show, volunteer.id, booked["id"], now=ended)
    assert missed["status"] == missed["session_status"] == "no_show"


def test_a_cancelled_booking_cannot_be_marked(app, volunteer, learner):
    booked = book(app, learner, volunteer, TUE_10)
    call(app, cancel_booking, volunteer.id, booked["id"], now=NOW)
    with pytest.raises(BookingStateError):
        call(app, mark_no_show, volunteer.id, booked["id"], now=NEXT_TUE_10)


def test_errors_speak_the_request_language(app, volunteer, learner):
    error = SlotUnavailable()
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert error.message != str(error)  # translated
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert error.message == str(error)
