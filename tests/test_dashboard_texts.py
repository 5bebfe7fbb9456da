"""What the dashboard says as a volunteer's or learner's situation changes (issue 22, item 8).

It no longer asks for availability that exists, says "no session has been
booked with you yet" after sessions were held, or shows "0 hours" when the
month's sessions simply haven't been marked held.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.people.test_account_profile import book
from tutoring.extensions import db
from tutoring.models import User
from tutoring.timeutil import utcnow


def dashboard(client, app=None, user=None, language="en") -> str:
    if user is not None:
        with app.app_context():
            db.session.get(User, user.id).language = language
            db.session.commit()
    return client.get("/me/").get_data(as_text=True).replace("\u202f", " ")


def test_a_pending_volunteer_without_windows_is_asked_to_set_them_up(client, make_user, sign_in):
    sign_in(make_user("volunteer", approved=False))
    body = dashboard(client)
    assert "Set up your availability now" in body
    assert "No weekly window yet" in body


def test_a_pending_volunteer_with_windows_is_not_asked_to_set_them_up_again(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", approved=False, rules=[(1, "18:00", "20:00")])
    sign_in(volunteer)
    body = dashboard(client)
    assert "Set up your availability" not in body
    assert "Your availability is ready: learners can book you once you are approved." in body
    assert "1 weekly window" in body
    arabic = dashboard(client, app, volunteer, "ar")
    assert "أوقات الإتاحة جاهزة" in arabic and "جهّز أوقاتك المتاحة" not in arabic


@pytest.mark.any_instant("sunday-late-utc", "leap-day")
def test_after_a_held_session_the_volunteer_is_not_told_nothing_was_ever_booked(app, client, make_user, sign_in):
    """A session that ended (not yet marked) this month: no "no session yet", no "0 hours", a nudge to mark it."""
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "18:00", "20:00")])
    learner = make_user("learner")
    book(app, volunteer, learner, utcnow() - timedelta(hours=2))
    sign_in(volunteer)
    body = dashboard(client)
    assert "No sessions are booked with you yet." not in body
    assert "Nothing coming up: no session is booked with you from now on." in body and 'href="/sessions"' in body
    assert "0 hours" not in body and "None yet" in body
    assert "1 session has ended: mark whether it took place, so its time counts." in body
    arabic = dashboard(client, app, volunteer, "ar")
    assert "لم تُحجز معك أي جلسة بعد." not in arabic and "0 ساعة" not in arabic
    assert "انتهت جلسة واحدة" in arabic


@pytest.mark.any_instant("sunday-late-utc", "leap-day")
def test_marked_sessions_count_as_hours_and_ask_for_nothing(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "18:00", "20:00")])
    learner = make_user("learner")
    book(app, volunteer, learner, utcnow() - timedelta(hours=2), minutes=60, status="completed")
    sign_in(volunteer)
    body = dashboard(client)
    assert "1 hour" in body and "None yet" not in body
    assert "mark whether" not in body


def test_a_volunteer_never_booked_is_told_so(client, make_user, sign_in):
    sign_in(make_user("volunteer", rules=[(1, "18:00", "20:00")]))
    assert "No sessions are booked with you yet." in dashboard(client)


def test_a_learner_with_only_past_sessions_has_nothing_coming_up(app, client, make_user, sign_in):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    book(app, volunteer, learner, utcnow() - timedelta(days=3), status="completed")
    sign_in(learner)
    body = dashboard(client)
    assert "Nothing coming up: you have no session booked from now on." in body
    assert "You have no sessions booked." not in body
