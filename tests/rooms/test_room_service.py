"""The rooms service: retention deletes old messages except those a report carries; a report takes the last 50."""
from __future__ import annotations

from datetime import timedelta

from tests.rooms.room_support import make_session
from tutoring.extensions import db
from tutoring.models import Message, SafeguardingReport, User
from tutoring.services.sessions.rooms import REPORT_MESSAGES, attach_to_report, purge_old_messages, reported_messages
from tutoring.timeutil import utcnow


def add_messages(app, booking_id: int, author: User, count: int) -> int:
    with app.app_context():
        from tutoring.models import Booking

        session_id = db.session.get(Booking, booking_id).session_id
        db.session.add_all(Message(session_id=session_id, author_id=author.id, text=f"m{n}") for n in range(count))
        db.session.commit()
        return session_id


def test_retention_deletes_old_rooms_but_keeps_reported_messages_and_recent_rooms(app, make_user):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    old = make_session(app, volunteer, [learner], starts_in=timedelta(days=-40))[0]
    reported = make_session(app, volunteer, [learner], starts_in=timedelta(days=-41))[0]
    recent = make_session(app, volunteer, [learner], starts_in=timedelta(days=-10))[0]
    add_messages(app, old, learner, 3)
    reported_session = add_messages(app, reported, learner, 60)
    recent_session = add_messages(app, recent, learner, 2)
    with app.app_context():
        report = SafeguardingReport(reporter_id=learner.id, volunteer_id=volunteer.id, booking_id=reported,
                                    details="Asked for my number")
        db.session.add(report)
        db.session.flush()
        assert attach_to_report(report.id, reported_session) == REPORT_MESSAGES
        db.session.commit()
        report_id = report.id
    with app.app_context():
        deleted = purge_old_messages(now=utcnow())  # default: 30 days
        assert deleted == 3 + 60 - REPORT_MESSAGES
        kept = reported_messages(report_id)
        assert [m.text for m in kept] == [f"m{n}" for n in range(60 - REPORT_MESSAGES, 60)]
        assert db.session.query(Message).filter_by(session_id=recent_session).count() == 2


def test_retention_days_come_from_the_setting(make_app, make_user):
    app = make_app(MESSAGE_RETENTION_DAYS=5)
    volunteer, learner = make_user("volunteer"), make_user("learner")
    booking = make_session(app, volunteer, [learner], starts_in=timedelta(days=-10))[0]
    add_messages(app, booking, learner, 2)
    with app.app_context():
        assert purge_old_messages() == 2
