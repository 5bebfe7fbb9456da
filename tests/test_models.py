"""Model behaviour: instants, passwords, tokens, availability conversion."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from tutoring.extensions import db
from tutoring.models import ApiToken, AwayPeriod, Booking, ExtraWindow, Session, User
from tutoring.scheduling import Availability, AwayPeriod as AwayData, ExtraWindow as ExtraData, WeeklyRule
from tutoring.services.people.accounts import issue_api_token, user_for_api_token


def test_instants_come_back_as_the_same_aware_utc_instant(app, make_user):
    volunteer = make_user("volunteer")
    kathmandu = datetime(2026, 3, 29, 18, 15, tzinfo=ZoneInfo("Asia/Kathmandu"))  # +05:45
    with app.app_context():
        db.session.add(
            Session(volunteer_id=volunteer.id, kind="tutoring", start_at=kathmandu,
                    end_at=kathmandu + timedelta(minutes=45), blocked_until_at=kathmandu + timedelta(minutes=60))
        )
        db.session.commit()
    with app.app_context():
        stored = db.session.scalar(select(Session))
        assert stored.start_at == datetime(2026, 3, 29, 12, 30, tzinfo=UTC)
        assert stored.start_at.tzinfo is UTC
        assert stored.created_at.tzinfo is UTC
        # Range queries compare instants, whatever zone the argument is in.
        assert db.session.scalar(select(Session).where(Session.start_at >= kathmandu)) is not None
        assert db.session.scalar(select(Session).where(Session.start_at > kathmandu)) is None


def test_instants_are_utc_whatever_the_connection_time_zone(app, make_user, dialect):
    volunteer = make_user("volunteer")
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    with app.app_context():
        if dialect == "postgresql":
            # psycopg hands back timestamptz in the session's zone; the column type must normalise.
            db.session.execute(text("SET TIME ZONE 'America/St_Johns'"))
        db.session.add(Session(volunteer_id=volunteer.id, kind="support", start_at=start,
                               end_at=start + timedelta(hours=1), blocked_until_at=start + timedelta(hours=1)))
        db.session.flush()
        db.session.expire_all()
        stored = db.session.scalar(select(Session))
        assert (stored.start_at, stored.start_at.utcoffset()) == (start, timedelta(0))
        db.session.rollback()


def test_naive_datetimes_are_refused(app, make_user):
    volunteer = make_user("volunteer")
    with app.app_context():
        naive = datetime(2026, 1, 1, 10, 0)
        db.session.add(Session(volunteer_id=volunteer.id, kind="tutoring", start_at=naive,
                               end_at=naive + timedelta(hours=1), blocked_until_at=naive + timedelta(hours=1)))
        with pytest.raises(Exception, match="naive"):
            db.session.flush()
        db.session.rollback()


def test_email_is_stored_lowercase_and_found_in_any_case(app, make_user):
    make_user("learner", email="  Mixed.Case@Example.ORG ")
    with app.app_context():
        assert User.by_email("MIXED.case@example.org").email == "mixed.case@example.org"


def test_unknown_time_zone_is_refused_by_the_model(app):
    with app.app_context(), pytest.raises(ValueError, match="unknown time zone"):
        User(email="x@example.org", role="learner", display_name="X", timezone="Europe/Atlantis")


def test_password_is_hashed_with_argon2_and_checked(app, make_user):
    user = make_user("learner", password="s3cret password")
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret" not in user.password_hash
    assert user.check_password("s3cret password")
    assert not user.check_password("S3cret password")


def test_calendar_tokens_are_long_random_unique_and_rotate(app, make_user):
    first, second = make_user("learner"), make_user("learner")
    assert first.calendar_token != second.calendar_token
    assert len(first.calendar_token) >= 43  # 32 bytes = 256 bits, URL-safe base64
    with app.app_context():
        user = db.session.get(User, first.id)
        old = user.calendar_token
        new = user.rotate_calendar_token()
        db.session.commit()
        assert new != old
        assert User.by_calendar_token(old) is None
        assert User.by_calendar_token(new).id == first.id
        assert User.by_calendar_token("") is None


def test_api_tokens_stop_working_when_revoked_or_the_user_is_deactivated(app, make_user):
    user = make_user("learner")
    with app.app_context():
        raw = issue_api_token(db.session.get(User, user.id))
        other = issue_api_token(db.session.get(User, user.id))
        db.session.commit()
        assert user_for_api_token(raw).id == user.id
        assert db.session.scalar(select(ApiToken).where(ApiToken.last_used_at.is_not(None))) is not None
        assert user_for_api_token(raw + "x") is None
        assert user_for_api_token("") is None
        ApiToken.find_active(raw).revoke()
        db.session.commit()
        assert user_for_api_token(raw) is None
        assert user_for_api_token(other).id == user.id
        db.session.get(User, user.id).is_active = False
        db.session.commit()
        assert user_for_api_token(other) is None


def test_availability_converts_rules_extra_windows_and_away_periods(app, make_user):
    volunteer = make_user(
        "volunteer", timezone="Australia/Sydney", rules=[(2, "21:00", "00:30"), (0, "19:00", "21:00")],
        session_minutes=50, buffer_minutes=10, max_sessions_per_week=3,
    )
    with app.app_context():
        profile = db.session.get(User, volunteer.id).volunteer_profile
        profile.rules[0].valid_from_on = date(2026, 1, 5)
        profile.extra_windows.append(ExtraWindow(day_on=date(2026, 2, 7), start=time(10), end="12:30"))
        profile.away_periods.append(AwayPeriod(first_on=date(2026, 12, 24), last_on=date(2026, 12, 31)))
        db.session.commit()
        availability = profile.availability()
    assert isinstance(availability, Availability)
    assert availability.timezone == "Australia/Sydney"
    assert availability.settings.session_minutes == 50
    assert availability.settings.buffer_minutes == 10
    assert availability.settings.max_sessions_per_week == 3
    assert availability.settings.horizon_days == 56 and availability.settings.min_notice_hours == 12
    assert availability.rules == (
        WeeklyRule(weekday=0, start=time(19), end=time(21), valid_from=date(2026, 1, 5)),
        WeeklyRule(weekday=2, start=time(21), end=time(0, 30)),
    )
    assert availability.extra == (ExtraData(on=date(2026, 2, 7), start=time(10), end=time(12, 30)),)
    assert availability.away == (AwayData(first_day=date(2026, 12, 24), last_day=date(2026, 12, 31)),)


def test_a_booking_reads_volunteer_kind_and_times_through_its_session(app, make_user):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    start = datetime(2026, 5, 4, 17, 0, tzinfo=UTC)
    with app.app_context():
        session = Session(volunteer_id=volunteer.id, kind="mentoring", start_at=start,
                          end_at=start + timedelta(minutes=45), blocked_until_at=start + timedelta(minutes=60))
        booking = Booking(session=session, learner_id=learner.id, note="private")
        db.session.add(booking)
        db.session.commit()
        assert (booking.volunteer_id, booking.kind, booking.start_at) == (volunteer.id, "mentoring", start)
        assert booking.sequence == 0 and booking.status == "confirmed"
        uid = booking.uid
        booking.bump_sequence()
        db.session.commit()
        assert (booking.uid, booking.sequence) == (uid, 1)
        assert session.to_busy().end_at == start + timedelta(minutes=45)
