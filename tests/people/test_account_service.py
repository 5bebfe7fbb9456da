"""The availability and profile services: what they accept, what they refuse (naming the field), and that a refusal saves nothing."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tutoring.account.dashboard import minutes_given_this_month, upcoming_sessions
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, Booking, Session, User
from tutoring.services.schedules import availability as service
from tutoring.services.schedules.availability import AvailabilityError, AvailabilityNotFound, parse_availability
from tutoring.services.people.profile import ProfileInvalid, spoken_language_code, update_profile

SPEC_EXAMPLE = {
    "timezone": "Africa/Cairo",
    "session_minutes": 45,
    "buffer_minutes": 15,
    "min_notice_hours": 12,
    "horizon_days": 56,
    "max_sessions_per_week": None,
    "rules": [{"weekday": 1, "start": "18:00", "end": "20:00"}],
    "away": [{"from": "2026-12-24", "to": "2026-12-31"}],
    "extra": [{"date": "2027-01-09", "start": "10:00", "end": "12:00"}],
}


def document(**changes):
    """The SPEC §4 example with some keys changed."""
    return {**SPEC_EXAMPLE, **changes}


def refused_field(body) -> str:
    with pytest.raises(AvailabilityError) as caught:
        parse_availability(body)
    assert caught.value.message  # always something to tell a person
    return caught.value.field


# --- reading the document ------------------------------------------------------------------------


def test_the_spec_example_is_accepted():
    data = parse_availability(SPEC_EXAMPLE)
    assert data.timezone == "Africa/Cairo"
    assert data.settings.session_minutes == 45 and data.settings.max_sessions_per_week is None
    assert [(r.weekday, r.start_minute, r.end_minute) for r in data.rules] == [(1, 18 * 60, 20 * 60)]
    assert [(a.first_on, a.last_on) for a in data.away] == [(date(2026, 12, 24), date(2026, 12, 31))]
    assert [(e.on, e.start_minute, e.end_minute) for e in data.extra] == [(date(2027, 1, 9), 600, 720)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": 3}, "timezone"),
        ({"session_minutes": 9}, "session_minutes"),
        ({"session_minutes": 241}, "session_minutes"),
        ({"session_minutes": 45.0}, "session_minutes"),
        ({"session_minutes": "45"}, "session_minutes"),
        ({"session_minutes": True}, "session_minutes"),
        ({"buffer_minutes": -1}, "buffer_minutes"),
        ({"buffer_minutes": 121}, "buffer_minutes"),
        ({"min_notice_hours": 337}, "min_notice_hours"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 366}, "horizon_days"),
        ({"max_sessions_per_week": 0}, "max_sessions_per_week"),
        ({"max_sessions_per_week": 101}, "max_sessions_per_week"),
        ({"rules": "Monday"}, "rules"),
        ({"rules": [{"weekday": 7, "start": "18:00", "end": "20:00"}]}, "rules[0].weekday"),
        ({"rules": [{"weekday": -1, "start": "18:00", "end": "20:00"}]}, "rules[0].weekday"),
        ({"rules": [{"weekday": 1, "start": "24:00", "end": "20:00"}]}, "rules[0].start"),
        ({"rules": [{"weekday": 1, "start": "18:00", "end": "8pm"}]}, "rules[0].end"),
        ({"rules": [{"weekday": 1, "start": "18:00", "end": "20:00:00"}]}, "rules[0].end"),
        ({"rules": [{"weekday": 1, "start": "18:00"}]}, "rules[0].end"),
        ({"rules": [{"weekday": 1, "start": "18:00", "end": "20:00", "zone": "UTC"}]}, "rules[0].zone"),
        ({"rules": [{"weekday": 1, "start": "18:00", "end": "20:00", "valid_from": "2027-02-30"}]},
         "rules[0].valid_from"),
        ({"rules": [{"weekday": 1, "start": "18:00", "end": "20:00", "valid_from": "2027-03-01",
                     "valid_until": "2027-02-01"}]}, "rules[0].valid_until"),
        ({"rules": ["18:00"]}, "rules[0]"),
        ({"away": [{"from": "2026-12-31", "to": "2026-12-24"}]}, "away[0].to"),
        ({"away": [{"from": "24/12/2026", "to": "2026-12-31"}]}, "away[0].from"),
        ({"away": [{"from": "1999-12-24", "to": "2026-12-31"}]}, "away[0].from"),
        ({"away": [{"from": "2026-12-24", "to": "9999-12-31"}]}, "away[0].to"),
        ({"extra": [{"date": "2027-01-09", "start": "10:00", "end": "1200"}]}, "extra[0].end"),
        ({"extra": [{"date": "2027-13-09", "start": "10:00", "end": "12:00"}]}, "extra[0].date"),
        ({"extra": [{}]}, "extra[0].date"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(changes, field):
    assert refused_field(document(**changes)) == field


@pytest.mark.parametrize("key", list(SPEC_EXAMPLE))
def test_every_key_is_required(key):
    body = dict(SPEC_EXAMPLE)
    del body[key]
    assert refused_field(body) == key


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_a_body_that_is_no_object_is_refused(body):
    assert refused_field(body) == "body"


def test_too_many_rules_are_refused():
    rules = [{"weekday": n % 7, "start": f"{n // 7:02d}:00", "end": f"{n // 7:02d}:30"} for n in range(101)]
    assert refused_field(document(rules=rules)) == "rules"


# --- overlaps ------------------------------------------------------------------------------------


def rules(*windows):
    return [{"weekday": day, "start": start, "end": end} for day, start, end in windows]


@pytest.mark.parametrize(
    ("windows", "field"),
    [
        # rules[1] starts inside rules[0]
        ([(1, "18:00", "20:00"), (1, "19:00", "21:00")], "rules[1].start"),
        # rules[1] ends inside rules[0]
        ([(1, "18:00", "20:00"), (1, "17:00", "18:30")], "rules[1].end"),
        # rules[1] contains rules[0]
        ([(1, "18:00", "20:00"), (1, "17:00", "21:00")], "rules[1].end"),
        ([(1, "18:00", "20:00"), (1, "18:00", "20:00")], "rules[1].start"),
        # a window past midnight reaches into the next day's
        ([(1, "22:00", "02:00"), (2, "01:00", "03:00")], "rules[1].start"),
        ([(2, "01:00", "03:00"), (1, "22:00", "02:00")], "rules[1].end"),
        # Sunday night into Monday morning: the week wraps
        ([(0, "00:30", "02:00"), (6, "23:00", "01:00")], "rules[1].end"),
        # a 24-hour window (end == start) meets everything that day
        ([(3, "09:00", "09:00"), (3, "20:00", "21:00")], "rules[1].start"),
        ([(3, "09:00", "09:00"), (4, "08:00", "08:30")], "rules[1].start"),
    ],
)
def test_windows_that_overlap_in_wall_clock_time_are_refused(windows, field):
    assert refused_field(document(rules=rules(*windows))) == field


@pytest.mark.parametrize(
    "windows",
    [
        [(1, "18:00", "20:00"), (1, "20:00", "22:00")],  # touching windows merge
        [(1, "22:00", "02:00"), (2, "02:00", "04:00")],
        [(6, "22:00", "00:00"), (0, "00:00", "02:00")],
        [(1, "18:00", "20:00"), (2, "18:00", "20:00")],
        [(3, "09:00", "09:00"), (4, "09:00", "10:00")],
    ],
)
def test_windows_that_only_touch_or_fall_on_other_days_are_fine(windows):
    assert len(parse_availability(document(rules=rules(*windows))).rules) == 2


def test_rules_in_force_in_different_months_may_share_a_time():
    body = document(rules=[
        {"weekday": 1, "start": "18:00", "end": "20:00", "valid_until": "2027-01-31"},
        {"weekday": 1, "start": "19:00", "end": "21:00", "valid_from": "2027-02-01"},
    ])
    assert len(parse_availability(body).rules) == 2
    body["rules"][1]["valid_from"] = "2027-01-15"
    assert refused_field(body) == "rules[1].start"


def test_extra_windows_and_away_periods_must_not_overlap_each_other():
    assert refused_field(document(extra=[
        {"date": "2027-01-09", "start": "10:00", "end": "12:00"},
        {"date": "2027-01-09", "start": "11:00", "end": "13:00"},
    ])) == "extra[1].start"
    assert refused_field(document(extra=[
        {"date": "2027-01-09", "start": "23:00", "end": "01:00"},
        {"date": "2027-01-10", "start": "00:30", "end": "02:00"},
    ])) == "extra[1].start"
    assert refused_field(document(away=[
        {"from": "2026-12-24", "to": "2026-12-31"},
        {"from": "2026-12-20", "to": "2026-12-24"},
    ])) == "away[1].to"
    # An extra window may sit on top of a weekly one: they merge.
    assert parse_availability(document(extra=[{"date": "2026-12-01", "start": "17:00", "end": "19:00"}]))


# --- writing -------------------------------------------------------------------------------------


def profile_of(app, user):
    with app.app_context():
        volunteer = db.session.get(User, user.id).volunteer_profile
        return service.availability_document(volunteer), volunteer.state


def test_replace_availability_writes_everything_and_reads_back_the_same(app, make_user):
    volunteer = make_user("volunteer", rules=[(0, "08:00", "09:00"), (4, "10:00", "11:00")])
    with app.app_context():
        service.replace_availability(volunteer.id, parse_availability(SPEC_EXAMPLE))
    assert profile_of(app, volunteer)[0] == SPEC_EXAMPLE
    with app.app_context():
        assert db.session.get(User, volunteer.id).timezone == "Africa/Cairo"
        assert db.session.query(AvailabilityRule).count() == 1  # the old rules are gone, not kept beside


def test_editor_changes_are_checked_against_the_other_windows(app, make_user):
    volunteer = make_user("volunteer", rules=[(1, "18:00", "20:00")])
    other = make_user("volunteer", rules=[(1, "18:00", "20:00")])
    with app.app_context():
        rule = service.add_rule(volunteer.id, "2", "18:00", "20:00")
        with pytest.raises(AvailabilityError) as caught:
            service.add_rule(volunteer.id, "1", "19:30", "21:00")
        assert caught.value.field == "start"
        with pytest.raises(AvailabilityError) as caught:
            service.change_rule(volunteer.id, rule.id, "1", "17:00", "18:30")
        assert caught.value.field == "end"
        # Moving a window onto its own old time is fine; it doesn't clash with itself.
        service.change_rule(volunteer.id, rule.id, "2", "18:30", "20:30")
        with pytest.raises(AvailabilityError) as caught:
            service.add_rule(volunteer.id, "one", "9:00", "10:00")
        assert caught.value.field == "weekday"
        with pytest.raises(AvailabilityNotFound):
            service.change_rule(other.id, rule.id, "3", "09:00", "10:00")
        with pytest.raises(AvailabilityNotFound):
            service.remove_rule(other.id, rule.id)
    document_after, _state = profile_of(app, volunteer)
    assert document_after["rules"] == [
        {"weekday": 1, "start": "18:00", "end": "20:00"},
        {"weekday": 2, "start": "18:30", "end": "20:30"},
    ]


def test_form_times_may_be_typed_loosely():
    assert service.parse_clock(" 9:30 ", "start", strict=False) == 570
    assert service.parse_clock("18:30:00", "start", strict=False) == 1110
    with pytest.raises(AvailabilityError):
        service.parse_clock("9:30", "start")


def test_away_periods_and_extra_windows_are_added_and_removed(app, make_user):
    volunteer = make_user("volunteer")
    with app.app_context():
        period = service.add_away(volunteer.id, "2026-12-24", "2026-12-31")
        with pytest.raises(AvailabilityError) as caught:
            service.add_away(volunteer.id, "2026-12-30", "2027-01-02")
        assert caught.value.field == "from"
        with pytest.raises(AvailabilityError) as caught:
            service.add_away(volunteer.id, "2027-01-05", "2027-01-02")
        assert caught.value.field == "to"
        window = service.add_extra(volunteer.id, "2027-01-09", "10:00", "12:00")
        with pytest.raises(AvailabilityError) as caught:
            service.add_extra(volunteer.id, "2027-01-09", "09:00", "10:30")
        assert caught.value.field == "end"
        service.remove_away(volunteer.id, period.id)
        service.remove_extra(volunteer.id, window.id)
    assert profile_of(app, volunteer)[0]["away"] == [] and profile_of(app, volunteer)[0]["extra"] == []


def test_pause_and_resume_only_for_volunteers_who_were_approved(app, make_user):
    approved = make_user("volunteer")
    pending = make_user("volunteer", approved=False)
    with app.app_context():
        assert service.set_paused(approved.id, True).state == "paused"
        assert service.set_paused(approved.id, True).state == "paused"
        assert service.set_paused(approved.id, False).state == "approved"
        with pytest.raises(AvailabilityError) as caught:
            service.set_paused(pending.id, True)
        assert caught.value.field == "state"
    assert profile_of(app, pending)[1] == "pending"


def test_the_preview_groups_slots_by_day_in_the_zone_asked_for(app, make_user):
    # Tuesday 23:00-01:00 in Kathmandu, 30-minute sessions: in Cairo that is Tuesday evening.
    volunteer = make_user("volunteer", timezone="Asia/Kathmandu", rules=[(1, "23:00", "01:00")],
                          session_minutes=30, buffer_minutes=0, min_notice_hours=0, approved=False)
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
    with app.app_context():
        profile = db.session.get(User, volunteer.id).volunteer_profile
        own = service.preview(profile, "Asia/Kathmandu", now)
        cairo = service.preview(profile, "Africa/Cairo", now)
    assert len(own.days) == len(cairo.days) == 14
    # Pending, yet the preview shows what learners will be offered once approved.
    assert own.count == cairo.count == 8
    assert [day.on for day in own.days_with_slots] == [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 10), date(2026, 3, 11)]
    assert [day.on for day in cairo.days_with_slots] == [date(2026, 3, 3), date(2026, 3, 10)]
    assert cairo.days_with_slots[0].slots[0].start_at == datetime(2026, 3, 3, 17, 15, tzinfo=UTC)


# --- the dashboard's figures ---------------------------------------------------------------------


def add_session(volunteer_id, learner_id, start_at, minutes, status="completed", note=""):
    session = Session(volunteer_id=volunteer_id, kind="tutoring", start_at=start_at,
                      end_at=start_at + timedelta(minutes=minutes),
                      blocked_until_at=start_at + timedelta(minutes=minutes), status=status)
    db.session.add_all([session, Booking(session=session, learner_id=learner_id, status=status, note=note)])


def test_hours_given_count_completed_sessions_of_this_month_in_the_volunteers_zone(app, make_user):
    volunteer = make_user("volunteer", timezone="Asia/Kathmandu")
    learner = make_user("learner")
    with app.app_context():
        # Kathmandu is UTC+05:45: 2026-02-28T20:00Z is already March 1st there.
        add_session(volunteer.id, learner.id, datetime(2026, 2, 28, 20, 0, tzinfo=UTC), 45)
        add_session(volunteer.id, learner.id, datetime(2026, 3, 10, 12, 0, tzinfo=UTC), 60)
        add_session(volunteer.id, learner.id, datetime(2026, 3, 11, 12, 0, tzinfo=UTC), 60, status="no_show")
        add_session(volunteer.id, learner.id, datetime(2026, 3, 12, 12, 0, tzinfo=UTC), 60, status="cancelled")
        # February 28th 18:00Z is still February in Kathmandu; April 1st is next month.
        add_session(volunteer.id, learner.id, datetime(2026, 2, 28, 18, 0, tzinfo=UTC), 60)
        add_session(volunteer.id, learner.id, datetime(2026, 3, 31, 18, 30, tzinfo=UTC), 60)
        db.session.commit()
        now = datetime(2026, 3, 20, tzinfo=UTC)
        assert minutes_given_this_month(volunteer.id, "Asia/Kathmandu", now) == 105
        assert minutes_given_this_month(volunteer.id, "UTC", now) == 120


def test_upcoming_sessions_name_the_other_person_and_skip_past_and_cancelled(app, make_user):
    volunteer = make_user("volunteer", name="Amira")
    learner = make_user("learner", name="Sami")
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    with app.app_context():
        add_session(volunteer.id, learner.id, now + timedelta(days=2), 45, status="confirmed", note="fractions")
        add_session(volunteer.id, learner.id, now + timedelta(days=1), 45, status="cancelled")
        add_session(volunteer.id, learner.id, now - timedelta(days=1), 45, status="confirmed")
        db.session.commit()
        as_volunteer = upcoming_sessions(db.session.get(User, volunteer.id), now)
        as_learner = upcoming_sessions(db.session.get(User, learner.id), now)
    assert [(s.other_name, s.note) for s in as_volunteer] == [("Sami", "fractions")]
    assert [(s.other_name, s.note) for s in as_learner] == [("Amira", "fractions")]


# --- the profile ---------------------------------------------------------------------------------


PROFILE = {
    "display_name": "Amal", "timezone": "Asia/Katmandu", "language": "ar", "subjects": "Maths، Physics, ,",
    "languages": "Arabic, fr, الإنجليزية", "kinds": ["support", "tutoring"], "bio": "  Hello  ",
    "session_minutes": "30", "buffer_minutes": "0", "min_notice_hours": "24", "horizon_days": "28",
    "max_sessions_per_week": "",
}


def test_update_profile_reads_form_text(app, make_user):
    volunteer = make_user("volunteer")
    with app.app_context():
        update_profile(volunteer.id, PROFILE)
        user = db.session.get(User, volunteer.id)
        profile = user.volunteer_profile
        assert (user.display_name, user.timezone, user.language) == ("Amal", "Asia/Kathmandu", "ar")
        assert profile.subjects == ["Maths", "Physics"]
        assert profile.languages == ["ar", "fr", "en"]
        assert profile.kinds == ["tutoring", "support"]
        assert profile.bio == "Hello"
        assert (profile.session_minutes, profile.buffer_minutes, profile.min_notice_hours, profile.horizon_days,
                profile.max_sessions_per_week) == (30, 0, 24, 28, None)


def test_update_profile_reports_every_bad_field_and_saves_nothing(app, make_user):
    volunteer = make_user("volunteer", name="Before")
    bad = {**PROFILE, "display_name": " ", "timezone": "Nowhere", "languages": "Klingonese", "kinds": [],
           "session_minutes": "5", "max_sessions_per_week": "abc"}
    with app.app_context():
        with pytest.raises(ProfileInvalid) as caught:
            update_profile(volunteer.id, bad)
        assert set(caught.value.errors) == {"display_name", "timezone", "languages", "kinds", "session_minutes",
                                            "max_sessions_per_week"}
    with app.app_context():
        user = db.session.get(User, volunteer.id)
        assert user.display_name == "Before" and user.volunteer_profile.session_minutes == 45


def test_spoken_languages_are_found_by_code_or_name():
    assert spoken_language_code("FR") == "fr"
    assert spoken_language_code("nepali") == "ne"
    assert spoken_language_code("العربية") == "ar"
    assert spoken_language_code("xx") is None
