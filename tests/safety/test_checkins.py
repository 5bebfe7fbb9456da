"""Check-ins after a session (issue 18 part 4): offered when the session ends (in UTC, whatever the parties'
zones), mailed once with a signed link that works without signing in, answered once; answers feed attendance;
worried/unsafe answers and escalations open urgent items and email the coordinators on duty; debriefs;
a kind notice after two absences; and no comment or note leaks anywhere. SQLite and PostgreSQL.

Times are derived from the clock the test runs at (``any_instant`` runs them at awkward instants too).
"""
from __future__ import annotations

import email
import logging
import re
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select

from tests.coordinators.coordinator_support import add_session
from tests.notices.test_outbox_support import decoded_text
from tutoring.extensions import db
from tutoring.models import Booking, CheckIn, DutyShift, OutboxMessage, SafeguardingReport, User
from tutoring.services.support import checkins
from tutoring.timeutil import utcnow

pytestmark = pytest.mark.app_config(BASE_URL="https://tutoring.example")

NOTE = "PRIVATE-NOTE-5521 please be gentle"
COMMENT = "PRIVATE-COMMENT-8830 she said her stepfather locks her in"


@pytest.fixture
def people(make_user):
    volunteer = make_user("volunteer", name="Layla", timezone="America/New_York", email="layla@example.org")
    learner = make_user("learner", name="Omar", timezone="Asia/Kathmandu", language="ar", email="omar@example.org")
    on_duty = make_user("coordinator", name="Huda", timezone="Asia/Riyadh", email="huda@example.org")
    off_duty = make_user("coordinator", name="Karim", timezone="Europe/London", email="karim@example.org")
    return volunteer, learner, on_duty, off_duty


def session(app, people, *, ended_ago=timedelta(minutes=5), kind="support", minutes=45, status="confirmed",
            volunteer=None):
    own, learner, *_ = people
    volunteer = volunteer or own
    with app.app_context():
        start = utcnow().replace(microsecond=0) - ended_ago - timedelta(minutes=minutes)
        return add_session(volunteer.id, learner.id, start, minutes=minutes, status=status, kind=kind, note=NOTE)


def rows(app) -> list[tuple[str, str]]:
    """(recipient, everything a person could read of the message) for each outbox row."""
    with app.app_context():
        return [(row.recipient, decoded_text(email.message_from_bytes(row.message, policy=policy.default)))
                for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def link_for(app, recipient: str) -> str:
    (text,) = [text for to, text in rows(app) if to == recipient and "/check-ins/" in text]
    return re.search(r"https://tutoring\.example(/check-ins/\S+)", text).group(1)


def put_on_duty(app, coordinator):
    """A shift covering now, in the coordinator's own zone (wrapping past midnight when it must)."""
    with app.app_context():
        from zoneinfo import ZoneInfo
        local = utcnow().astimezone(ZoneInfo(coordinator.timezone))
        start = (local - timedelta(hours=1)).strftime("%H:%M")
        end = (local + timedelta(hours=1)).strftime("%H:%M")
        weekday = (local - timedelta(hours=1)).weekday()
        db.session.add(DutyShift(coordinator_id=coordinator.id, weekday=weekday, start=start, end=end,
                                 timezone=coordinator.timezone))
        db.session.commit()


# --- offered when the session ends --------------------------------------------------------------------


@pytest.mark.any_instant
def test_check_ins_are_mailed_once_to_each_party_only_after_the_session_ends(app, people, make_user):
    other = make_user("volunteer", timezone="Pacific/Chatham")
    not_yet = session(app, people, ended_ago=timedelta(minutes=-1), volunteer=other)  # ends in a minute
    ended = session(app, people, ended_ago=timedelta(seconds=1), kind="tutoring")
    with app.app_context():
        assert checkins.queue_due_checkins() == 2
        assert checkins.queue_due_checkins() == 0  # once
        mailed = db.session.scalars(select(CheckIn)).all()
        assert {c.booking_id for c in mailed} == {ended} and len(mailed) == 2
        assert not_yet not in {c.booking_id for c in mailed}
    assert {to for to, _ in rows(app)} == {"layla@example.org", "omar@example.org"}


def test_cancelled_and_week_old_sessions_get_no_check_in(app, people):
    session(app, people, status="cancelled")
    session(app, people, ended_ago=timedelta(days=8))
    with app.app_context():
        assert checkins.queue_due_checkins() == 0


def test_the_mail_has_a_signed_link_the_help_link_for_support_and_no_note_or_names(app, people):
    session(app, people)
    with app.app_context():
        checkins.queue_due_checkins()
    for to, text in rows(app):
        assert "/check-ins/" in text and "https://tutoring.example/help" in text
        assert NOTE not in text and "PRIVATE-NOTE" not in text
        other = "Omar" if to == "layla@example.org" else "Layla"
        assert other not in text
    arabic = [text for to, text in rows(app) if to == "omar@example.org"][0]
    assert "كيف" in arabic  # the learner's language


def test_the_link_works_without_signing_in_and_the_volunteers_answer_records_attendance(app, client, people):
    booking_id = session(app, people, kind="tutoring")
    with app.app_context():
        checkins.queue_due_checkins()
    link = link_for(app, "layla@example.org")
    page = client.get(link)
    assert page.status_code == 200 and 'name="happened"' in page.get_data(as_text=True)
    assert 'name="concern"' not in page.get_data(as_text=True)  # only support sessions ask it
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    answered = client.post(link, data={"csrf_token": token, "happened": "other_absent", "mood": "bad"})
    assert answered.status_code == 200 and "Thank you for checking in" in answered.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "no_show"
    again = client.post(link, data={"csrf_token": token, "happened": "yes"})
    assert again.status_code == 409
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "no_show"


@pytest.mark.parametrize("token", ["nonsense", "eyJhIjoxfQ.bad.signature", "%00"])
def test_a_forged_link_is_a_404(client, token):
    assert client.get(f"/check-ins/{token}").status_code == 404


def test_a_bad_answer_is_explained_and_nothing_is_written(app, client, people):
    session(app, people)
    with app.app_context():
        checkins.queue_due_checkins()
    link = link_for(app, "omar@example.org")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(link).get_data(as_text=True)).group(1)
    response = client.post(link, data={"csrf_token": token, "happened": "perhaps", "comment": "x"})
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CheckIn.answered_at).where(CheckIn.user_id == people[1].id)) is None


def test_the_learner_checks_in_on_the_booking_page(app, client, people, sign_in):
    booking_id = session(app, people, kind="tutoring")
    sign_in(people[1])
    detail = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert f"/bookings/{booking_id}/check-in" in detail
    form = client.get(f"/bookings/{booking_id}/check-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    client.post(f"/bookings/{booking_id}/check-in", data={"csrf_token": token, "happened": "yes", "mood": "good"})
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "completed"


def test_a_stranger_and_a_session_not_over_get_no_check_in(app, client, people, make_user, sign_in):
    booking_id = session(app, people, ended_ago=timedelta(minutes=-10))
    sign_in(make_user("learner"))
    assert client.get(f"/bookings/{booking_id}/check-in").status_code == 404
    sign_in(people[1])
    assert client.get(f"/bookings/{booking_id}/check-in").status_code == 303


# --- urgent items and the rota ------------------------------------------------------------------------


def test_a_worried_check_in_opens_an_urgent_item_and_emails_only_the_coordinator_on_duty(app, client, people, caplog):
    caplog.set_level(logging.DEBUG)
    volunteer, learner, huda, karim = people
    put_on_duty(app, huda)
    booking_id = session(app, people)
    with app.app_context():
        check_in = checkins.check_in_for(db.session.get(User, volunteer.id), db.session.get(Booking, booking_id))
        checkins.answer(check_in, {"happened": "yes", "mood": "bad", "concern": "1", "comment": COMMENT})
        (report,) = db.session.scalars(select(SafeguardingReport)).all()
        assert report.urgent and report.source == "check_in" and report.details == COMMENT
        assert report.reporter_id == volunteer.id and report.booking_id == booking_id
    mails = [(to, text) for to, text in rows(app) if "URGENT" in text or "عاجل" in text]
    assert [to for to, _ in mails] == ["huda@example.org"]
    assert all("PRIVATE-COMMENT" not in text and "Omar" not in text and "Layla" not in text for _, text in rows(app))
    assert "PRIVATE-COMMENT" not in caplog.text and "PRIVATE-NOTE" not in caplog.text


def test_with_nobody_on_duty_every_coordinator_is_emailed(app, people):
    volunteer, learner, huda, karim = people
    with app.app_context():
        # a shift that doesn't cover now: 12 hours away
        from zoneinfo import ZoneInfo
        local = utcnow().astimezone(ZoneInfo("UTC")) + timedelta(hours=12)
        db.session.add(DutyShift(coordinator_id=huda.id, weekday=local.weekday(), start=local.strftime("%H:%M"),
                                 end=(local + timedelta(hours=1)).strftime("%H:%M"), timezone="UTC"))
        db.session.commit()
        assert checkins.on_duty_by_rota(utcnow()) == []
    booking_id = session(app, people)
    with app.app_context():
        check_in = checkins.check_in_for(db.session.get(User, learner.id), db.session.get(Booking, booking_id))
        checkins.answer(check_in, {"happened": "yes", "concern": "on"})
        (report,) = db.session.scalars(select(SafeguardingReport)).all()
        assert report.urgent and report.details == checkins.NO_COMMENT
    assert sorted(to for to, text in rows(app) if "/coordinator/safeguarding" in text) == [
        "huda@example.org", "karim@example.org"]


def test_concern_is_only_for_support_sessions(app, people):
    booking_id = session(app, people, kind="tutoring")
    with app.app_context():
        check_in = checkins.check_in_for(db.session.get(User, people[0].id), db.session.get(Booking, booking_id))
        checkins.answer(check_in, {"happened": "yes", "concern": "1", "comment": COMMENT})
        assert db.session.scalar(select(SafeguardingReport.id)) is None


def test_the_volunteer_escalates_during_a_support_session_from_the_booking_page(app, client, people, sign_in):
    volunteer, learner, huda, karim = people
    booking_id = session(app, people, ended_ago=timedelta(minutes=-20))  # still going on
    sign_in(volunteer)
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert f"/bookings/{booking_id}/escalate" in page and "/debrief" not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/bookings/{booking_id}/escalate", data={"csrf_token": token, "comment": COMMENT})
    assert response.status_code == 303
    with app.app_context():
        (report,) = db.session.scalars(select(SafeguardingReport)).all()
        assert report.urgent and report.source == "escalation"
    assert {to for to, text in rows(app)} == {"huda@example.org", "karim@example.org"}
    # the learner can't, nor can anyone a day after the end
    sign_in(learner)
    assert client.post(f"/bookings/{booking_id}/escalate", data={"csrf_token": token}).status_code == 404


def test_escalation_ends_a_day_after_the_session_and_is_for_support_only(app, people):
    late = session(app, people, ended_ago=timedelta(hours=25))
    tutoring = session(app, people, ended_ago=timedelta(minutes=1), kind="tutoring")
    with app.app_context():
        volunteer = db.session.get(User, people[0].id)
        for booking_id in (late, tutoring):
            with pytest.raises(checkins.CheckInError):
                checkins.escalate(volunteer, booking_id, "")
        assert db.session.scalar(select(SafeguardingReport.id)) is None


def test_a_debrief_is_a_non_urgent_item_and_an_email_to_the_coordinator_on_duty(app, client, people, sign_in):
    volunteer, learner, huda, karim = people
    put_on_duty(app, karim)
    booking_id = session(app, people, ended_ago=timedelta(hours=2))
    sign_in(volunteer)
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/bookings/{booking_id}/debrief", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/bookings/{booking_id}/debrief", data={"csrf_token": token}).status_code == 303  # explained
    with app.app_context():
        (report,) = db.session.scalars(select(SafeguardingReport)).all()
        assert not report.urgent and report.source == "debrief"
    assert [to for to, text in rows(app) if "debrief" in text] == ["karim@example.org"]


# --- attendance -----------------------------------------------------------------------------------------


def test_a_learner_absent_twice_in_30_days_gets_a_kind_notice(app, people):
    volunteer, learner, *_ = people
    first = session(app, people, ended_ago=timedelta(days=10), kind="tutoring")
    second = session(app, people, ended_ago=timedelta(hours=1), kind="tutoring")
    with app.app_context():
        for booking_id, expected in ((first, 0), (second, 1)):
            check_in = checkins.check_in_for(db.session.get(User, volunteer.id), db.session.get(Booking, booking_id))
            if check_in is None:  # the first ended over a week ago: its check-in isn't offered; record it directly
                booking = db.session.get(Booking, booking_id)
                booking.status = "no_show"
                db.session.commit()
                continue
            checkins.answer(check_in, {"happened": "other_absent"})
    notices = [(to, text) for to, text in rows(app) if "/sessions" in text and "/check-ins/" not in text]
    assert [to for to, _ in notices] == ["omar@example.org"]


def test_coordinators_see_the_rota_and_no_show_rates_never_a_comment(app, client, people, sign_in):
    volunteer, learner, huda, karim = people
    completed = session(app, people, kind="tutoring", ended_ago=timedelta(days=2), status="completed")
    absent = session(app, people, kind="tutoring")
    with app.app_context():
        check_in = checkins.check_in_for(db.session.get(User, volunteer.id), db.session.get(Booking, absent))
        checkins.answer(check_in, {"happened": "other_absent", "comment": COMMENT})
    assert completed
    sign_in(huda)
    page = client.get("/coordinator/duty")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "50%" in html and "Nobody is on duty now" in html
    for path in ("/coordinator/duty", "/coordinator/safeguarding", "/coordinator/", "/coordinator/sessions"):
        body = client.get(path).get_data(as_text=True)
        assert "PRIVATE-COMMENT" not in body and "PRIVATE-NOTE" not in body, path


def test_coordinators_edit_the_rota(app, client, people, sign_in):
    volunteer, learner, huda, karim = people
    sign_in(huda)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/coordinator/duty").get_data(as_text=True)).group(1)
    bad = client.post("/coordinator/duty/shifts", data={"csrf_token": token, "coordinator_id": karim.id, "weekday": 6,
                                                        "start": "22:00", "end": "25:00", "timezone": "Europe/London"})
    assert bad.status_code == 422 and 'id="shift-end-error"' in bad.get_data(as_text=True)
    good = client.post("/coordinator/duty/shifts", data={"csrf_token": token, "coordinator_id": karim.id,
                                                         "weekday": 6, "start": "22:00", "end": "06:00",
                                                         "timezone": "Europe/London"})
    assert good.status_code == 303
    with app.app_context():
        (shift,) = db.session.scalars(select(DutyShift)).all()
        assert (shift.coordinator_id, shift.weekday, shift.start, shift.end) == (karim.id, 6, "22:00", "06:00")
        shift_id = shift.id
    assert "(+1)" in client.get("/coordinator/duty").get_data(as_text=True)
    assert client.post(f"/coordinator/duty/shifts/{shift_id}/remove", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/coordinator/duty/shifts/{shift_id}/remove", data={"csrf_token": token}).status_code == 404
    sign_in(volunteer)
    assert client.get("/coordinator/duty").status_code == 403


def test_words_of_crisis_in_a_check_in_comment_show_help(app, client, people):
    session(app, people)
    with app.app_context():
        checkins.queue_due_checkins()
    link = link_for(app, "omar@example.org")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(link).get_data(as_text=True)).group(1)
    html = client.post(link, data={"csrf_token": token, "happened": "yes", "comment": "بدي موت"}).get_data(as_text=True)
    assert 'id="crisis-help-heading"' in html
    assert "بدي موت" not in "".join(text for _, text in rows(app))
