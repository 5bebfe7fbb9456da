"""Slots read from the database agree with what booking accepts."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tutoring.extensions import db
from tutoring.models import VolunteerProfile
from tutoring.services.booking import SlotUnavailable, book_session
from tutoring.services.slots import next_slots, slots_on_days

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
