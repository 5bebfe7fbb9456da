"""What the database itself guarantees, on SQLite and on PostgreSQL.

Tests branch on the dialect instead of skipping, so each run states what its
database does.
"""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, AwayPeriod, Booking, Session, User

T0 = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)


def session_at(volunteer_id, start, minutes=45, buffer=15, status="confirmed", kind="tutoring", **fields):
    """A session row starting at ``start`` whose block ends ``buffer`` minutes after it."""
    end = start + timedelta(minutes=minutes)
    return Session(volunteer_id=volunteer_id, kind=kind, start_at=start, end_at=end,
                   blocked_until_at=end + timedelta(minutes=buffer), status=status, **fields)


def insert_fails(*rows) -> bool:
    """True if inserting ``rows`` violates a constraint (and nothing is left behind)."""
    db.session.add_all(rows)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return True
    return False


def test_overlapping_live_sessions_of_one_volunteer(app, make_user, dialect):
    volunteer, other = make_user("volunteer"), make_user("volunteer")
    with app.app_context():
        db.session.add(session_at(volunteer.id, T0))  # blocks 17:00-18:00
        db.session.commit()
        overlapping = session_at(volunteer.id, T0 + timedelta(minutes=50))  # inside the buffer
        if dialect == "postgresql":
            # The exclusion constraint refuses it, however the inserts race.
            assert insert_fails(overlapping)
            # Half-open: starting exactly when the block ends is fine.
            assert not insert_fails(session_at(volunteer.id, T0 + timedelta(minutes=60)))
            # Cancelled sessions block nothing, and other volunteers are independent.
            assert not insert_fails(session_at(volunteer.id, T0 + timedelta(minutes=30), status="cancelled"))
            assert not insert_fails(session_at(other.id, T0))
            # Reviving a cancelled session that now overlaps is refused too.
            revived = db.session.scalar(db.select(Session).where(Session.status == "cancelled"))
            revived.status = "confirmed"
            assert insert_fails()
        else:
            # SQLite has no exclusion constraint: the booking service's
            # BEGIN IMMEDIATE transaction (check, then insert) is the guard.
            assert not insert_fails(overlapping)
            assert dialect == "sqlite"


CHECKED = [
    ("session ends before it starts", lambda v: session_at(v, T0, minutes=-45)),
    ("session ends when it starts", lambda v: session_at(v, T0, minutes=0)),
    ("block ends before the session", lambda v: session_at(v, T0, buffer=-5)),
    ("unknown session status", lambda v: session_at(v, T0, status="maybe")),
    ("unknown session kind", lambda v: session_at(v, T0, kind="juggling")),
    ("capacity zero", lambda v: session_at(v, T0, capacity=0)),
    ("weekday 7", lambda v: AvailabilityRule(volunteer_id=v, weekday=7, start="10:00", end="11:00")),
    ("minute 1440", lambda v: AvailabilityRule(volunteer_id=v, weekday=1, start_minute=0, end_minute=1440)),
    ("away backwards", lambda v: AwayPeriod(volunteer_id=v, first_on=T0.date(), last_on=T0.date() - timedelta(1))),
]


@pytest.mark.parametrize(("case", "row"), CHECKED, ids=[case for case, _ in CHECKED])
def test_check_constraints_refuse_impossible_rows(app, make_user, case, row):
    volunteer = make_user("volunteer")
    with app.app_context():
        assert insert_fails(row(volunteer.id)), case


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("session_minutes", 9), ("session_minutes", 241), ("buffer_minutes", -1), ("buffer_minutes", 121),
        ("min_notice_hours", 337), ("horizon_days", 0), ("horizon_days", 366),
        ("max_sessions_per_week", 0), ("max_sessions_per_week", 101), ("state", "banned"),
    ],
)
def test_session_settings_out_of_range_are_refused(app, make_user, field, value):
    volunteer = make_user("volunteer")
    with app.app_context():
        setattr(db.session.get(User, volunteer.id).volunteer_profile, field, value)
        assert insert_fails()


def test_session_settings_at_the_limits_are_accepted(app, make_user):
    volunteer = make_user("volunteer")
    with app.app_context():
        profile = db.session.get(User, volunteer.id).volunteer_profile
        profile.session_minutes, profile.buffer_minutes, profile.min_notice_hours = 240, 0, 336
        profile.horizon_days, profile.max_sessions_per_week = 365, 100
        assert not insert_fails()


def test_users_checks_refuse_unknown_roles_languages_and_uppercase_email(app, make_user):
    user = make_user("learner")
    with app.app_context():
        for column, value in [("role", "admin"), ("language", "fr"), ("email", "Upper@example.org")]:
            with pytest.raises(IntegrityError):
                db.session.execute(text(f"UPDATE users SET {column} = :v WHERE id = :id"), {"v": value, "id": user.id})
                db.session.commit()
            db.session.rollback()


def test_a_learner_holds_one_live_place_per_session_and_may_rebook_after_cancelling(app, make_user):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    with app.app_context():
        session = session_at(volunteer.id, T0, capacity=4)
        first = Booking(session=session, learner_id=learner.id)
        db.session.add(first)
        db.session.commit()
        assert insert_fails(Booking(session_id=session.id, learner_id=learner.id))
        first.status = "cancelled"
        db.session.commit()
        assert not insert_fails(Booking(session_id=session.id, learner_id=learner.id))


def test_booking_uids_are_unique(app, make_user):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    with app.app_context():
        first = Booking(session=session_at(volunteer.id, T0), learner_id=learner.id)
        db.session.add(first)
        db.session.commit()
        clash = Booking(session=session_at(volunteer.id, T0 + timedelta(hours=2)), learner_id=learner.id, uid=first.uid)
        assert insert_fails(clash)


def test_foreign_keys_are_enforced(app, make_user):
    learner = make_user("learner")
    with app.app_context():
        # A learner has no volunteer profile, so can't own a session.
        assert insert_fails(session_at(learner.id, T0))


def test_sqlite_connections_are_configured_for_safe_writes(app, dialect):
    with app.app_context():
        connection = db.session.connection()
        if dialect == "sqlite":
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") >= 5000
            assert pragma("journal_mode") == "wal"
            # BEGIN IMMEDIATE: this transaction already holds the write lock,
            # so a second writer can't even begin.
            other = db.engine.raw_connection()
            try:
                other.execute("PRAGMA busy_timeout = 0")
                with pytest.raises(Exception, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        else:
            assert connection.exec_driver_sql("SHOW server_version_num").scalar() >= "130000"
            assert connection.exec_driver_sql(
                "SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'"
            ).scalar() == 1
        db.session.rollback()
