"""A person's own data: the JSON download, deleting the account, and notes that expire (docs/SECURITY.md)."""
from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update as sa_update

from tests.conftest import TEST_PASSWORD
from tutoring.extensions import db
from tutoring.models import ApiToken, AvailabilityRule, Booking, OutboxMessage, Session, User, VolunteerProfile
from tutoring.booking.operations import book_session
from tutoring.worker import Worker
from tutoring.services.people.privacy import purge_old_notes
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

NOTE = "I struggle with fractions and feel anxious"


@pytest.fixture
def people(make_user):
    """A volunteer free every day, a learner, and another learner (a stranger to the first)."""
    volunteer = make_user("volunteer", name="Vera", email="vera@example.org",
                          rules=[(day, "00:00", "23:45") for day in range(7)], min_notice_hours=0)
    learner = make_user("learner", name="Lina", email="lina@example.org")
    stranger = make_user("learner", name="Sam", email="sam@example.org")
    return volunteer, learner, stranger


def book(app, learner, volunteer, days_from_now: float, note: str = NOTE) -> int:
    """A booking whose session starts about ``days_from_now`` days from now (negative: in the past)."""
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        then = utcnow() + timedelta(days=days_from_now) - timedelta(days=1)
        slot = slots_in_range(profile, then + timedelta(days=1), then + timedelta(days=2), then)[0]
        return book_session(learner.id, volunteer.id, slot.start_at, "tutoring", note, now=then).id


def csrf(client, path: str = "/me/privacy") -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def delete(client, password=TEST_PASSWORD, confirm=True, token=None):
    data = {"csrf_token": token if token is not None else csrf(client), "password": password}
    if confirm:
        data["confirm"] = "y"
    return client.post("/me/privacy/delete", data=data)


# --- the page and the download -------------------------------------------------------------------


def test_the_your_data_page_is_an_account_tab(client, sign_in, people):
    _volunteer, learner, _stranger = people
    sign_in(learner)
    body = client.get("/me/privacy").get_data(as_text=True)
    assert 'href="/me/privacy" aria-current="page"' in body
    assert 'href="/me/data"' in body and 'action="/me/privacy/delete"' in body
    assert "180 days after the session ends" in body


def test_the_page_speaks_arabic(client, sign_in, make_user):
    sign_in(make_user("learner", language="ar"))
    body = client.get("/me/privacy").get_data(as_text=True)
    assert 'dir="rtl"' in body
    assert "Delete my account" not in body and "Download my data" not in body


@pytest.mark.parametrize("path", ["/me/privacy", "/me/data"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_signed_out_visitors_cannot_delete_anything(app, client, people):
    _volunteer, learner, _stranger = people
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/auth/reset").get_data(as_text=True)).group(1)
    response = client.post("/me/privacy/delete", data={"csrf_token": token, "password": TEST_PASSWORD, "confirm": "y"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(User, learner.id).is_active


def test_download_holds_the_persons_data_and_no_secrets(app, client, sign_in, bearer, people):
    volunteer, learner, stranger = people
    mine = book(app, learner, volunteer, 3)
    book(app, stranger, volunteer, 4, note="the stranger's own note")
    bearer(learner)
    sign_in(learner)
    response = client.get("/me/data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "lina@example.org" and data["account"]["display_name"] == "Lina"
    assert [booking["id"] for booking in data["bookings"]] == [mine]
    assert data["bookings"][0]["note"] == NOTE and data["bookings"][0]["with"] == "Vera"
    assert data["bookings"][0]["start"].endswith("Z")
    assert {message["kind"] for message in data["emails"]} == {"booked"}
    assert len(data["api_tokens"]) == 1
    text = response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, learner.id)
        secrets = [user.password_hash, user.calendar_token,
                   *db.session.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == learner.id))]
    assert not any(secret in text for secret in secrets)
    assert "the stranger's own note" not in text and "sam@example.org" not in text


def test_a_volunteers_download_has_their_profile_and_availability(app, client, sign_in, people):
    volunteer, learner, _stranger = people
    book(app, learner, volunteer, 2)
    sign_in(volunteer)
    data = client.get("/me/data").get_json()
    assert data["volunteer_profile"]["state"] == "approved"
    assert len(data["availability_rules"]) == 7
    assert data["bookings"][0]["as"] == "volunteer" and data["bookings"][0]["with"] == "Lina"


def test_downloading_changes_nothing(app, client, sign_in, people):
    _volunteer, learner, _stranger = people
    sign_in(learner)
    with app.app_context():
        before = db.session.get(User, learner.id).calendar_token
    client.get("/me/data")
    with app.app_context():
        assert db.session.get(User, learner.id).calendar_token == before


# --- deleting the account -----------------------------------------------------------------------------


def test_deleting_needs_the_csrf_token(app, client, sign_in, people):
    _volunteer, learner, _stranger = people
    sign_in(learner)
    response = delete(client, token="")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, learner.id).is_active


@pytest.mark.parametrize("password, confirm", [("wrong password", True), (TEST_PASSWORD, False), ("", True)])
def test_a_wrong_password_or_no_confirmation_deletes_nothing(app, client, sign_in, people, password, confirm):
    volunteer, learner, _stranger = people
    booking_id = book(app, learner, volunteer, 3)
    sign_in(learner)
    response = delete(client, password=password, confirm=confirm)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert user.is_active and user.deleted_at is None and user.email == "lina@example.org"
        assert db.session.get(Booking, booking_id).status == "confirmed"


def test_deleting_a_learner_cancels_future_sessions_with_notice_and_anonymises_the_past(app, client, sign_in, people):
    volunteer, learner, _stranger = people
    past = book(app, learner, volunteer, -10)
    future = book(app, learner, volunteer, 5)
    sign_in(learner)
    response = delete(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "cancelled your upcoming session" in client.get("/").get_data(as_text=True)

    with app.app_context():
        user = db.session.get(User, learner.id)
        assert not user.is_active and user.deleted_at is not None
        assert user.email.endswith("@deleted.invalid") and user.display_name == "Deleted account"
        assert not user.check_password(TEST_PASSWORD)
        assert db.session.scalars(select(ApiToken).where(ApiToken.user_id == learner.id)).all() == []
        future_booking = db.session.get(Booking, future)
        assert future_booking.status == "cancelled" and future_booking.session.status == "cancelled"
        assert future_booking.note == ""
        past_booking = db.session.get(Booking, past)
        assert past_booking.status == "confirmed" and past_booking.note == ""  # kept for the volunteer's history
        # The volunteer was told, through the outbox, as for any cancellation.
        notice = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.booking_id == future, OutboxMessage.kind == "cancelled")).all()
        assert [message.recipient for message in notice] == ["vera@example.org"]
        assert b"method=CANCEL" in notice[0].message or b"method=\"CANCEL\"" in notice[0].message
        # Nothing addressed to the deleted person stays behind.
        assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "lina@example.org")).all() == []

    # Signed out, and the old credentials no longer work.
    assert client.get("/me/").status_code == 302
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/auth/login").get_data(as_text=True)).group(1)
    client.post("/auth/login", data={"csrf_token": token, "email": "lina@example.org", "password": TEST_PASSWORD})
    assert client.get("/me/").status_code == 302


def test_mail_already_sent_to_the_people_they_met_goes_with_the_deleted_account(app, client, sign_in, people):
    """Invites name both parties: the volunteer's sent copies held the learner's address (issue 21). The
    cancellation just queued for the volunteer still goes out."""
    volunteer, learner, _stranger = people
    past, future = book(app, learner, volunteer, -10), book(app, learner, volunteer, 5)
    with app.app_context():
        db.session.execute(sa_update(OutboxMessage).values(sent_at=utcnow()))  # all delivered long ago
        db.session.commit()
        assert db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "vera@example.org", OutboxMessage.booking_id.in_([past, future]))).all()
    sign_in(learner)
    assert delete(client).status_code == 302
    with app.app_context():
        left = db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id.in_([past, future]))).all()
        assert [(m.recipient, m.kind, m.sent_at) for m in left] == [("vera@example.org", "cancelled", None)]
        assert not any(b"lina@example.org" in m.message for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_not(None))))


def test_deleting_a_volunteer_cancels_their_sessions_and_unlists_them(app, client, sign_in, people):
    volunteer, learner, stranger = people
    first = book(app, learner, volunteer, 3)
    second = book(app, stranger, volunteer, 4)
    sign_in(volunteer)
    assert delete(client).status_code == 302
    with app.app_context():
        for booking_id, address in ((first, "lina@example.org"), (second, "sam@example.org")):
            assert db.session.get(Booking, booking_id).status == "cancelled"
            recipients = db.session.scalars(select(OutboxMessage.recipient).where(
                OutboxMessage.booking_id == booking_id, OutboxMessage.kind == "cancelled")).all()
            assert recipients == [address]
        profile = db.session.get(VolunteerProfile, volunteer.id)
        assert profile.state == "paused" and profile.subjects == [] and profile.bio == ""
        assert db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)).all() == []
        # The sessions stay (the learners' history) and point at the anonymised profile.
        assert db.session.scalar(select(Session.volunteer_id).where(Session.id == db.session.get(Booking, first).session_id)) == volunteer.id
    assert client.get(f"/volunteers/{volunteer.id}").status_code == 404


# --- notes expire --------------------------------------------------------------------------------------


@pytest.mark.app_config(NOTE_RETENTION_DAYS=30)
def test_notes_of_sessions_older_than_the_retention_period_are_cleared(app, people):
    volunteer, learner, _stranger = people
    old = book(app, learner, volunteer, -40)
    recent = book(app, learner, volunteer, -20)
    future = book(app, learner, volunteer, 3)
    with app.app_context():
        before = db.session.get(Booking, old).updated_at
        assert purge_old_notes() == 1
        assert db.session.get(Booking, old).note == ""
        assert db.session.get(Booking, old).updated_at == before  # feeds and calendars see no change
        assert db.session.get(Booking, recent).note == NOTE
        assert db.session.get(Booking, future).note == NOTE
        assert purge_old_notes() == 0


def test_the_cli_purges_notes(app, runner, people):
    volunteer, learner, _stranger = people
    old = book(app, learner, volunteer, -200)
    result = runner.invoke(args=["privacy", "purge-notes"])
    assert result.exit_code == 0, result.output
    assert "Cleared the notes of 1 bookings" in result.output and "180 days" in result.output
    with app.app_context():
        assert db.session.get(Booking, old).note == ""


def test_the_cli_takes_a_shorter_period(app, runner, people):
    volunteer, learner, _stranger = people
    recent = book(app, learner, volunteer, -5)
    assert runner.invoke(args=["privacy", "purge-notes", "--days", "30"]).exit_code == 0
    with app.app_context():
        assert db.session.get(Booking, recent).note == NOTE
    assert runner.invoke(args=["privacy", "purge-notes", "--days", "1"]).exit_code == 0
    with app.app_context():
        assert db.session.get(Booking, recent).note == ""


@pytest.mark.app_config(NOTE_RETENTION_DAYS=10)
def test_the_worker_purges_notes_on_its_rounds(app, people):
    volunteer, learner, _stranger = people
    old = book(app, learner, volunteer, -20)
    with app.app_context():
        Worker(app).housekeeping()
        assert db.session.get(Booking, old).note == ""


def test_protective_records_are_not_in_a_learners_download(app, client, sign_in, people):
    """A learner never learns from the download that a volunteer blocked them."""
    from tutoring.models import LearnerBlock

    volunteer, learner, _stranger = people
    with app.app_context():
        db.session.add(LearnerBlock(volunteer_id=volunteer.id, learner_id=learner.id))
        db.session.commit()
    sign_in(learner)
    data = client.get("/me/data").get_json()
    assert "learner_blocks" not in data
    assert data["account"]["id"] == learner.id


# --- own calendars, waitlists, notices and programmes in the download ------------------------------


def test_a_volunteers_download_names_their_calendars_and_programmes_and_no_calendar_secrets(
        app, client, sign_in, make_user, people):
    from tutoring.models import ExternalCalendar, Programme
    from tutoring.services.schedules.calendar_fetch import Source
    from tutoring.services.coordinators.coordination import create_programme, set_membership
    from tutoring.services.schedules.external_calendars import seal

    volunteer, _learner, _stranger = people
    coordinator = make_user("coordinator")
    read_at = utcnow().replace(microsecond=0)
    with app.app_context():
        secret = seal(Source(kind="caldav", url="https://cal.example.org/private/vera-7f3a9c/calendar.ics",
                             username="vera-login", password="pa55-horse-battery"))
        db.session.add(ExternalCalendar(volunteer_id=volunteer.id, kind="caldav", host="cal.example.org",
                                        secret=secret, last_attempt_at=read_at, last_success_at=read_at))
        db.session.commit()
        boss = db.session.get(User, coordinator.id)
        line = create_programme(boss, name="Listening line", kinds=["support"], support_needs_training=True)
        set_membership(boss, line.id, volunteer.id, member=True, trained=True)
        create_programme(boss, name="Not theirs", kinds=["tutoring"])
        assert db.session.scalar(select(Programme.id).where(Programme.name == "Not theirs"))
    sign_in(volunteer)
    response = client.get("/me/data")
    data = response.get_json()
    stamp = read_at.isoformat().replace("+00:00", "Z")
    assert data["own_calendars"] == [{"host": "cal.example.org", "last_read_at": stamp, "last_tried_at": stamp}]
    assert [(p["name"], p["slug"], p["trained"]) for p in data["programmes"]] == [
        ("Listening line", "listening-line", True)]
    assert "external_calendars" not in data and "programme_members" not in data
    text = response.get_data(as_text=True)
    for hidden in ("vera-7f3a9c", "/private/", "vera-login", "pa55-horse-battery", "caldav",
                   base64.b64encode(secret).decode()[:40], secret.decode()[:40]):
        assert hidden not in text


def test_a_learners_download_has_their_waitlist_requests_and_notices_and_the_volunteers_has_neither(
        app, client, sign_in, people):
    from tutoring.models import Notice
    from tutoring.booking.waitlist import ask

    volunteer, learner, stranger = people
    with app.app_context():
        ask(db.session.get(User, learner.id), volunteer.id, 18 * 60, 21 * 60)
        ask(db.session.get(User, stranger.id), volunteer.id, 9 * 60, 10 * 60)
        db.session.add(Notice(user_id=learner.id, kind="waitlist", key="waitlist:test",
                              data={"volunteer_id": volunteer.id, "volunteer_name": "Vera", "starts": []}))
        db.session.commit()
    sign_in(learner)
    data = client.get("/me/data").get_json()
    assert [(r["volunteer"], r["range"], r["status"]) for r in data["waitlist_requests"]] == [
        ("Vera", "18:00–21:00", "waiting")]
    assert [(n["kind"], n["data"]["volunteer_name"], n["dismissed_at"]) for n in data["notices"]] == [
        ("waitlist", "Vera", None)]
    assert "own_calendars" not in data and "programmes" not in data  # a learner has neither

    # Learners waiting for Vera are their data, not hers.
    sign_in(volunteer)
    data = client.get("/me/data").get_json()
    assert data["waitlist_requests"] == [] and data["notices"] == []
    assert data["own_calendars"] == [] and data["programmes"] == []
