"""Slots read from the database agree with what booking accepts."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tutoring.extensions import db
from tutoring.models import VolunteerProfile
from tutoring.booking.errors import SlotUnavailable
from tutoring.booking.operations import book_session
from tutoring.booking.slots import next_slots, slots_on_days

# Monday 2027-03-01, a week with no clock change in London.
NOW = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)
DAY = date(2027, 3, 1)


def test_slots_on_days_reads_the_viewers_dates(app, make_user):
    volunteer = make_user("volunteer", rules=[(0, "18:00", "20:00")], session_minutes=60, buffer_minutes=0)
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        london = slots_on_days(profile, DAY, DAY, "Europe/London", now=NOW)
        # 18:00-20:00 London is 04:00-06:00 on Tuesday in Sydney (UTC+11).
        sydney_monday = slots_on_days(profile, DAY, DAY, "Australia/Sydney", now=NOW)
        sydney_tuesday = slots_on_days(profile, DAY + timedelta(days=1), DAY + timedelta(days=1), "Australia/Sydney", now=NOW)
    expected = [datetime(2027, 3, 1, 18, tzinfo=UTC), datetime(2027, 3, 1, 19, tzinfo=UTC)]
    assert [slot.start_at for slot in london] == expected
    assert sydney_monday == []
    assert [slot.start_at for slot in sydney_tuesday] == expected


def test_a_booked_slot_and_its_buffer_leave_the_offer(app, make_user):
    volunteer = make_user("volunteer", rules=[(0, "18:00", "21:00")], session_minutes=45, buffer_minutes=15)
    learner = make_user("learner")
    with app.app_context():
        book_session(learner.id, volunteer.id, datetime(2027, 3, 1, 19, tzinfo=UTC), "tutoring", now=NOW)
        profile = db.session.get(VolunteerProfile, volunteer.id)
        starts = [slot.start_at.hour for slot in slots_on_days(profile, DAY, DAY, "Europe/London", now=NOW)]
    assert starts == [18, 20]


def test_a_shortened_buffer_does_not_offer_time_the_old_booking_still_blocks(app, make_user):
    """The session keeps the buffer it was booked with; pages must not offer what booking refuses."""
    volunteer = make_user("volunteer", rules=[(0, "18:00", "22:00")], session_minutes=30, buffer_minutes=60)
    learner, other = make_user("learner"), make_user("learner")
    with app.app_context():
        book_session(learner.id, volunteer.id, datetime(2027, 3, 1, 18, tzinfo=UTC), "tutoring", now=NOW)
        profile = db.session.get(VolunteerProfile, volunteer.id)
        profile.buffer_minutes = 0
        db.session.commit()
        profile = db.session.get(VolunteerProfile, volunteer.id)
        offered = [slot.start_at for slot in slots_on_days(profile, DAY, DAY, "Europe/London", now=NOW)]
        # The old booking blocks until 19:30 (18:30 + 60 minutes); the grid is now every 30 minutes.
        assert offered[0] == datetime(2027, 3, 1, 19, 30, tzinfo=UTC)
        with pytest.raises(SlotUnavailable):
            book_session(other.id, volunteer.id, datetime(2027, 3, 1, 19, tzinfo=UTC), "tutoring", now=NOW)
        assert book_session(other.id, volunteer.id, offered[0], "tutoring", now=NOW).id


def test_next_slots_skips_volunteers_who_take_no_bookings(app, make_user):
    open_one = make_user("volunteer", rules=[(0, "18:00", "20:00")], session_minutes=60, buffer_minutes=0)
    pending = make_user("volunteer", approved=False, rules=[(0, "18:00", "20:00")])
    with app.app_context():
        profiles = [db.session.get(VolunteerProfile, user.id) for user in (open_one, pending)]
        found = next_slots(profiles, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 8, tzinfo=UTC), 1, now=NOW)
    assert list(found) == [open_one.id]
    assert [slot.start_at for slot in found[open_one.id]] == [datetime(2027, 3, 1, 18, tzinfo=UTC)]


def test_one_query_reads_the_same_availability_and_busy_time_as_two(app, make_user):
    """slot_inputs (one UNION ALL) gives exactly what availabilities and busy_by_volunteer give, in order."""
    from sqlalchemy import update

    from tutoring.models import AwayPeriod, ExtraWindow, Session
    from tutoring.models.external_calendar import ExternalBusyTime, ExternalCalendar
    from tutoring.booking.slots import availabilities, busy_by_volunteer, slot_inputs

    first = make_user("volunteer", rules=[(0, "09:00", "12:00"), (0, "18:00", "20:00")], buffer_minutes=10)
    second = make_user("volunteer", rules=[(2, "10:00", "11:00")])
    idle = make_user("volunteer")
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        db.session.add_all([
            ExtraWindow(volunteer_id=first.id, day_on=date(2027, 3, 4), start="14:00", end="16:00", capacity=3),
            AwayPeriod(volunteer_id=first.id, first_on=date(2027, 3, 10), last_on=date(2027, 3, 12)),
            Session(volunteer_id=first.id, kind="tutoring", start_at=start, end_at=start + timedelta(minutes=45),
                    blocked_until_at=start + timedelta(hours=1)),
            Session(volunteer_id=first.id, kind="tutoring", start_at=start + timedelta(hours=1),
                    end_at=start + timedelta(hours=2), blocked_until_at=start + timedelta(hours=2), capacity=4),
            Session(volunteer_id=second.id, kind="tutoring", start_at=start + timedelta(days=2),
                    end_at=start + timedelta(days=2, hours=1), blocked_until_at=start + timedelta(days=2, hours=1)),
        ])
        calendar = ExternalCalendar(volunteer_id=first.id, kind="ics", host="calendar.example.org", secret=b"x")
        db.session.add(calendar)
        db.session.flush()
        db.session.add(ExternalBusyTime(calendar_id=calendar.id, volunteer_id=first.id,
                                        start_at=start + timedelta(hours=9), end_at=start + timedelta(hours=10)))
        cancelled = Session(volunteer_id=second.id, kind="tutoring", start_at=start + timedelta(days=3),
                            end_at=start + timedelta(days=3, hours=1), blocked_until_at=start + timedelta(days=3, hours=1))
        db.session.add(cancelled)
        db.session.flush()
        db.session.execute(update(Session).where(Session.id == cancelled.id).values(status="cancelled"))
        db.session.commit()

        profiles = [db.session.get(VolunteerProfile, user.id) for user in (first, second, idle)]
        low, high = datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 8, tzinfo=UTC)
        known, busy = slot_inputs(profiles, low, high)
        assert known == availabilities(profiles)
        assert {key: value for key, value in busy.items() if value} == busy_by_volunteer(profiles, low, high)
        assert len(busy[first.id]) == 3 and busy[first.id][1].seats_left == 4  # an open group session
        assert known[first.id].extra and known[first.id].away and not busy.get(idle.id)
