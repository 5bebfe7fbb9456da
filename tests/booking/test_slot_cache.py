"""The slot reader's per-volunteer cache (issue 17): keyed by ``schedule_version``, which database triggers raise in
the same transaction as every change of what the reader reads (migration 0021), so a cached read never offers a
taken slot nor hides a free one.

Each test reads a volunteer's slots (filling the cache), changes one input the way the app does (or with a bulk
or raw statement, as another process might), and checks that the next cached read equals a read straight from
the database (``cached=False``) and shows the change.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from tests.coordinators.coordinator_support import add_session
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.booking import slots as slots_module
from tutoring.booking.slots import slot_inputs, slots_in_range
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, AwayPeriod, ExtraWindow, ScheduleVersion, Session, User, VolunteerProfile
from tutoring.models.external_calendar import ExternalBusyTime, ExternalCalendar
from tutoring.scheduling import slots_between

NOW = datetime(2027, 3, 24, 9, 7, tzinfo=UTC)  # a Wednesday
SPAN = timedelta(days=14)


COMPANION: list[int] = []


def cached(volunteer_id: int, kind: str | None = None) -> list:
    """The volunteer's slots as a search reads them: with another volunteer (one volunteer is read uncached)."""
    profiles = [db.session.get(VolunteerProfile, volunteer_id), db.session.get(VolunteerProfile, COMPANION[-1])]
    known, busy = slot_inputs(profiles, NOW, NOW + SPAN, kind=kind)
    return slots_between(known[volunteer_id], busy.get(volunteer_id, []), NOW, NOW + SPAN, NOW)


@pytest.fixture(autouse=True)
def companion(make_user):
    COMPANION.append(make_user("volunteer", rules=[(0, "09:00", "10:00")]).id)


def test_one_volunteer_is_read_from_the_database_and_several_through_the_cache(app, volunteer):
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        assert slots_in_range(profile, NOW, NOW + SPAN, now=NOW) == cached(volunteer.id) == uncached(volunteer.id)
        before = len(slots_module._INPUTS)
        cached(volunteer.id)
        slots_in_range(profile, NOW + SPAN, NOW + 2 * SPAN, now=NOW)
        assert len(slots_module._INPUTS) == before


def uncached(volunteer_id: int, kind: str | None = None) -> list:
    profile = db.session.get(VolunteerProfile, volunteer_id)
    known, busy = slot_inputs([profile], NOW, NOW + SPAN, kind=kind, cached=False)
    return slots_between(known[profile.id], busy.get(profile.id, []), NOW, NOW + SPAN, NOW)


def version(volunteer_id: int) -> int:
    return db.session.scalar(select(ScheduleVersion.version).where(ScheduleVersion.volunteer_id == volunteer_id))


@pytest.fixture
def volunteer(make_user):
    return make_user("volunteer", timezone="Asia/Riyadh", kinds=["tutoring", "support"], min_notice_hours=0,
                     session_minutes=60, buffer_minutes=0, rules=[(day, "09:00", "13:00") for day in range(7)])


def changed(app, volunteer_id: int, change, kind: str | None = None) -> tuple[list, list]:
    """The cached slots before and after ``change()`` (committed); after must equal an uncached read."""
    with app.app_context():
        before = cached(volunteer_id, kind)
        assert before == cached(volunteer_id, kind) == uncached(volunteer_id, kind)
        old_version = version(volunteer_id)
        db.session.commit()
    with app.app_context():
        change()
        db.session.commit()
    with app.app_context():
        after = cached(volunteer_id, kind)
        assert after == uncached(volunteer_id, kind)
        assert after != before
        return before, after, old_version, version(volunteer_id)


def test_a_rule_edit_a_new_rule_and_a_deleted_rule_are_read_at_once(app, volunteer):
    def shorten():
        rule = db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)).first()
        rule.end_minute = 10 * 60
    before, after, old, new = changed(app, volunteer.id, shorten)
    assert len(after) < len(before) and new != old

    def add():
        db.session.add(AvailabilityRule(volunteer_id=volunteer.id, weekday=2, start_minute=15 * 60, end_minute=17 * 60))
    before, after, _, _ = changed(app, volunteer.id, add)
    assert len(after) > len(before)

    def bulk_delete():  # a bulk statement, as the availability editor's PUT replaces the rules
        db.session.execute(delete(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id,
                                                          AvailabilityRule.weekday == 2))
    before, after, _, _ = changed(app, volunteer.id, bulk_delete)
    assert len(after) < len(before)


def test_exceptions_away_periods_and_extra_windows_are_read_at_once(app, volunteer):
    day = (NOW + timedelta(days=3)).date()

    def away():
        db.session.add(AwayPeriod(volunteer_id=volunteer.id, first_on=day, last_on=day))
    before, after, _, _ = changed(app, volunteer.id, away)
    assert len(after) < len(before)

    def extra():
        db.session.add(ExtraWindow(volunteer_id=volunteer.id, day_on=day + timedelta(days=1), start_minute=18 * 60,
                                   end_minute=20 * 60))
    before, after, _, _ = changed(app, volunteer.id, extra)
    assert len(after) > len(before)


@pytest.mark.parametrize("setting, value", [("session_minutes", 30), ("buffer_minutes", 30), ("horizon_days", 5),
                                            ("min_notice_hours", 48), ("max_sessions_per_week", 0)])
def test_setting_changes_are_read_at_once(app, volunteer, make_user, setting, value):
    if setting == "max_sessions_per_week":  # a weekly cap: one session this week already
        with app.app_context():
            add_session(volunteer.id, make_user("learner").id, NOW + timedelta(days=1, hours=-3), status="confirmed")
        value = 1

    def change():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        setattr(profile, setting, value)
    changed(app, volunteer.id, change)


def test_a_zone_change_is_read_at_once(app, volunteer):
    def move():
        db.session.get(User, volunteer.id).timezone = "America/New_York"
    changed(app, volunteer.id, move)


def test_booking_cancelling_and_moving_are_read_at_once(app, volunteer, make_user):
    learner = make_user("learner")
    with app.app_context():
        first, second = cached(volunteer.id)[2:4]
    booking_ids = []

    def book():
        booking_ids.append(book_session(learner.id, volunteer.id, first.start_at, "tutoring", now=NOW).id)
    before, after, old, new = changed(app, volunteer.id, book)
    assert first in before and first not in after and new != old

    def move():
        reschedule_booking(learner.id, booking_ids[0], second.start_at, now=NOW)
    before, after, _, _ = changed(app, volunteer.id, move)
    assert first in after and second not in after

    def cancel():
        cancel_booking(learner.id, booking_ids[0], now=NOW)
    before, after, _, _ = changed(app, volunteer.id, cancel)
    assert second in after


def test_a_session_written_by_another_process_is_read_at_once(app, volunteer, make_user):
    """Raw SQL on its own connection, as another gunicorn process would write: the triggers still raise the version."""
    learner = make_user("learner")
    with app.app_context():
        slot = cached(volunteer.id)[0]

    def elsewhere():
        with db.engine.begin() as connection:
            connection.execute(insert(Session).values(
                volunteer_id=volunteer.id, kind="tutoring", start_at=slot.start_at, end_at=slot.end_at,
                blocked_until_at=slot.end_at, status="confirmed", capacity=1))
            connection.execute(text("SELECT 1"))
    before, after, old, new = changed(app, volunteer.id, elsewhere)
    assert slot not in after and new != old
    del learner

    def cancelled_elsewhere():
        with db.engine.begin() as connection:
            connection.execute(update(Session).where(Session.volunteer_id == volunteer.id).values(status="cancelled"))
    before, after, _, _ = changed(app, volunteer.id, cancelled_elsewhere)
    assert slot in after


def test_an_external_busy_time_refresh_is_read_at_once(app, volunteer):
    with app.app_context():
        calendar = ExternalCalendar(volunteer_id=volunteer.id, kind="ics", host="calendar.example", secret=b"x")
        db.session.add(calendar)
        db.session.commit()
        calendar_id = calendar.id
        slot = cached(volunteer.id)[1]

    def refresh():  # as refresh_calendar stores them: delete the calendar's rows, insert the new ones in bulk
        db.session.execute(delete(ExternalBusyTime).where(ExternalBusyTime.calendar_id == calendar_id))
        db.session.execute(insert(ExternalBusyTime), [
            {"calendar_id": calendar_id, "volunteer_id": volunteer.id, "start_at": slot.start_at,
             "end_at": slot.start_at + timedelta(minutes=10)}])
    before, after, _, _ = changed(app, volunteer.id, refresh)
    assert slot in before and slot not in after

    def cleared():
        db.session.execute(delete(ExternalBusyTime).where(ExternalBusyTime.calendar_id == calendar_id))
    before, after, _, _ = changed(app, volunteer.id, cleared)
    assert slot in after


@pytest.mark.app_config(SUPPORT_WEEKLY_CAP=1)
def test_the_support_cap_is_read_at_once(app, volunteer, make_user):
    learner = make_user("learner")
    with app.app_context():
        slot = cached(volunteer.id, "support")[0]

    def support_session():
        add_session(volunteer.id, learner.id, slot.start_at, status="confirmed", kind="support")
    before, after, _, _ = changed(app, volunteer.id, support_session, kind="support")
    assert not [one for one in after if one.start_at < slot.start_at + timedelta(days=4)] or after[0] > slot
    with app.app_context():
        # Other kinds are still offered in that week; and with no cap configured, support slots are too.
        assert len(cached(volunteer.id, "tutoring")) > len(after)
        app.config["SUPPORT_WEEKLY_CAP"] = 0
        try:
            assert cached(volunteer.id, "support") == cached(volunteer.id, "tutoring") == uncached(volunteer.id, "support")
        finally:
            app.config["SUPPORT_WEEKLY_CAP"] = 1


def test_the_version_is_raised_in_the_writing_transaction_itself(app, volunteer, make_user):
    """A read later in the same transaction (a weekly series books week after week) sees its own writes."""
    learner = make_user("learner")
    with app.app_context():
        first = cached(volunteer.id)[0]
        old = version(volunteer.id)
        add_session_uncommitted = Session(volunteer_id=volunteer.id, kind="tutoring", start_at=first.start_at,
                                          end_at=first.end_at, blocked_until_at=first.end_at, status="confirmed",
                                          capacity=1)
        db.session.add(add_session_uncommitted)
        assert first not in cached(volunteer.id)  # autoflushed: the version read sees the new one
        assert version(volunteer.id) != old
        db.session.rollback()
        assert first in cached(volunteer.id)
    del learner


def test_a_rolled_back_change_leaves_no_version_to_the_next_change(app, volunteer, make_user):
    """The number a rolled-back transaction read (and cached under) is never the next committed state's."""
    with app.app_context():
        first, second = cached(volunteer.id)[:2]
        db.session.add(Session(volunteer_id=volunteer.id, kind="tutoring", start_at=first.start_at, end_at=first.end_at,
                               blocked_until_at=first.end_at, status="confirmed", capacity=1))
        assert first not in cached(volunteer.id)
        db.session.rollback()
        db.session.add(Session(volunteer_id=volunteer.id, kind="tutoring", start_at=second.start_at,
                               end_at=second.end_at, blocked_until_at=second.end_at, status="confirmed", capacity=1))
        db.session.commit()
        now_offered = cached(volunteer.id)
        assert first in now_offered and second not in now_offered
        assert now_offered == uncached(volunteer.id)


def test_a_seat_taken_in_a_group_session_is_read_at_once(app, volunteer, make_user):
    """A group session's seats left come from its bookings: a new booking (no session change) is a new version."""
    from tutoring.models import Booking

    learners = [make_user("learner") for _ in range(2)]
    with app.app_context():
        slot = cached(volunteer.id)[0]
        session = Session(volunteer_id=volunteer.id, kind="tutoring", start_at=slot.start_at, end_at=slot.end_at,
                          blocked_until_at=slot.end_at, status="confirmed", capacity=3)
        db.session.add_all([session, Booking(session=session, learner_id=learners[0].id, status="confirmed")])
        db.session.commit()
        session_id = session.id

    def seat():
        db.session.add(Booking(session_id=session_id, learner_id=learners[1].id, status="confirmed"))
    before, after, _, _ = changed(app, volunteer.id, seat)
    seats = {one.start_at: one.seats_left for one in before}, {one.start_at: one.seats_left for one in after}
    assert seats[0][slot.start_at] == 2 and seats[1][slot.start_at] == 1
