"""Guardians of minors (SPEC §7 "Minors", issue 19): sign-up, the signed consent link, copies, withdrawal, data.

A learner who says they are under 18 gives a guardian's address; the
guardian is mailed a signed, expiring link to a public page where they
consent or decline (POST, CSRF). Until they consent the minor can browse
but not book (403 ``guardian_consent_required``, pages say why and offer to
resend, rate-limited). The guardian then gets a copy of every booking
change (time, the volunteer's display name, the meeting link; never the
note or an address) with a link to withdraw, which cancels the minor's
future sessions with notice to everyone. All of it is in the audit log.
SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import time_machine
from sqlalchemy import select

from tutoring.booking.errors import GuardianConsentRequired
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.extensions import db
from tutoring.models import AuditEntry, Booking, GuardianConsent, OutboxMessage, User
from tutoring.services.minors import guardians
from tutoring.services.coordinators.coordination import mark_cleared
from tutoring.timeutil import utcnow

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 11, 0, tzinfo=UTC)
EVERY_DAY = [(weekday, "00:00", "23:00") for weekday in range(7)]
GUARDIAN = "parent@example.net"
PASSWORD = "a long enough password"

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)


def mails_to(address: str) -> list[tuple[str, str]]:
    """(subject, plain text) of every queued email to ``address``, oldest first (in an app context)."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                              .order_by(OutboxMessage.id)).all()
    found = []
    for row in rows:
        message = message_from_bytes(row.message, policy=default_policy)
        found.append((str(message["Subject"]), message.get_body(("plain",)).get_content()))
    return found


def link_in(text: str, kind: str) -> str:
    match = re.search(rf"https?://\S+(/guardian/{kind}/\S+)", text)
    assert match, text
    return match.group(1)


@pytest.fixture
def cleared(app, make_user):
    volunteer = make_user("volunteer", name="Clara Cleared", email="clara.private@example.org", rules=EVERY_DAY,
                          min_notice_hours=0)
    with app.app_context():
        mark_cleared(None, volunteer.id, checked_on=date(2020, 1, 1))
    return volunteer


def sign_up_minor(client, email="kid@example.org", guardian=GUARDIAN, language="en"):
    return client.post("/auth/signup", data={
        "role": "learner", "display_name": "Sami", "email": email, "password": PASSWORD, "confirm": PASSWORD,
        "timezone": "Asia/Amman", "language": language, "age": "minor", "guardian_email": guardian,
    })


# --- sign-up and consent -------------------------------------------------------------------------


def test_a_minor_signs_up_and_the_guardian_consents_from_the_emailed_link(app, client):
    answer = sign_up_minor(client)
    assert answer.status_code == 302
    with app.app_context():
        learner = User.by_email("kid@example.org")
        assert learner.is_minor
        consent = db.session.get(GuardianConsent, learner.id)
        assert (consent.guardian_email, consent.status) == (GUARDIAN, "pending")
        [(subject, text)] = mails_to(GUARDIAN)
        assert "Sami" in subject and "kid@example.org" not in text
        path = link_in(text, "consent")
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert "Who we are" in html and "What we store" in html and "I consent" in html
    assert client.post(path, data={"answer": "consent"}).status_code == 200
    with app.app_context():
        assert db.session.get(GuardianConsent, learner.id).status == "consented"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "guardian.consent"))
        assert (entry.subject_user_id, entry.reason) == (learner.id, GUARDIAN)
    again = client.post(path, data={"answer": "consent"})
    assert "Thank you" in again.get_data(as_text=True)  # already answered: the page says so, nothing changes


def test_the_consent_email_is_in_the_minors_language(app, client):
    sign_up_minor(client, language="ar")
    with app.app_context():
        [(subject, text)] = mails_to(GUARDIAN)
    assert re.search("[\u0600-\u06ff]", subject) and re.search("[\u0600-\u06ff]", text)


def test_a_guardian_who_declines_leaves_the_minor_unable_to_book(app, client, cleared):
    sign_up_minor(client)
    with app.app_context():
        path = link_in(mails_to(GUARDIAN)[0][1], "consent")
    client.post(path, data={"answer": "decline"})
    with app.app_context():
        learner = User.by_email("kid@example.org")
        assert db.session.get(GuardianConsent, learner.id).status == "declined"
        with pytest.raises(GuardianConsentRequired):
            book_session(learner.id, cleared.id, TUE_10, "tutoring", now=NOW)
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "guardian.decline"))


@pytest.mark.parametrize("form, message", [
    ({"guardian_email": ""}, "guardian's email address"),
    ({"guardian_email": "not an address"}, "guardian's email address"),
    ({"guardian_email": "kid@example.org"}, "not yours"),
])
def test_a_minor_must_give_a_guardians_own_address(app, client, form, message):
    answer = sign_up_minor(client, guardian=form["guardian_email"])
    assert answer.status_code == 200 and message in answer.get_data(as_text=True)
    with app.app_context():
        assert User.by_email("kid@example.org") is None


def test_an_adult_learner_signs_up_without_a_guardian(app, client):
    answer = client.post("/auth/signup", data={
        "role": "learner", "display_name": "Ada", "email": "ada@example.org", "password": PASSWORD,
        "confirm": PASSWORD, "timezone": "UTC", "language": "en", "age": "adult", "guardian_email": GUARDIAN})
    assert answer.status_code == 302
    with app.app_context():
        assert not User.by_email("ada@example.org").is_minor
        assert mails_to(GUARDIAN) == []


def test_forged_and_expired_links_are_not_found(app, client):
    sign_up_minor(client)
    with app.app_context():
        path = link_in(mails_to(GUARDIAN)[0][1], "consent")
    assert client.get(path + "x").status_code == 404
    assert client.get(path.replace("/consent/", "/withdraw/")).status_code == 404  # a consent link can't withdraw
    with time_machine.travel(utcnow() + guardians.CONSENT_MAX_AGE + timedelta(minutes=1)):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"answer": "consent"}).status_code == 404


@pytest.mark.app_config()  # CSRF on, as in production
def test_the_consent_buttons_need_their_csrf_token(app, client):
    with app.app_context():
        learner = User.by_email("x@example.org")
    sign_up = client.get("/auth/signup")  # noqa: F841  (a session cookie)
    with app.app_context():
        from tutoring.services.people.accounts import create_user

        user = create_user("kid2@example.org", role="learner", display_name="K", timezone="UTC", password=PASSWORD)
        consent = guardians.request_consent(user, GUARDIAN)
        db.session.commit()
        path = link_in(guardians.consent_link(consent), "consent")
    assert learner is None
    assert client.post(path, data={"answer": "consent"}).status_code == 400


def test_a_minor_can_ask_for_the_email_again_but_not_too_often(app, client, sign_in, make_user):
    learner = make_user("learner")
    with app.app_context():
        guardians.request_consent(db.session.get(User, learner.id), GUARDIAN)
        db.session.commit()
    sign_in(learner)
    first = client.post("/guardian/resend", data={"next": "/me/"}, follow_redirects=True)
    assert "wait a little" in first.get_data(as_text=True)  # the sign-up's email went out just now
    with time_machine.travel(utcnow() + guardians.RESEND_AFTER + timedelta(minutes=1)):
        again = client.post("/guardian/resend", data={"next": "https://evil.example/"})
        assert again.status_code == 302 and "evil" not in again.headers["Location"]
    with app.app_context():
        assert len(mails_to(GUARDIAN)) == 2


def test_the_dashboard_says_why_a_minor_cant_book_yet(app, client, sign_in, make_user):
    learner = make_user("learner")
    with app.app_context():
        guardians.request_consent(db.session.get(User, learner.id), GUARDIAN)
        db.session.commit()
    sign_in(learner)
    html = client.get("/me/").get_data(as_text=True)
    assert "Waiting for your parent or guardian" in html and "Send the email again" in html


# --- copies and withdrawal -----------------------------------------------------------------------


@pytest.fixture
def consented_minor(app, make_user):
    learner = make_user("learner", name="Sami", email="sami.private@example.org", timezone="Asia/Amman")
    with app.app_context():
        user = db.session.get(User, learner.id)
        guardians.request_consent(user, GUARDIAN)
        db.session.commit()
        guardians.decide(db.session.get(GuardianConsent, learner.id), True)
    return learner


def test_the_guardian_gets_a_copy_of_every_booking_change_without_notes_or_addresses(app, consented_minor, cleared):
    with app.app_context():
        booking = book_session(consented_minor.id, cleared.id, TUE_10, "tutoring", "my secret note", now=NOW)
        reschedule_booking(consented_minor.id, booking.id, TUE_11, now=NOW)
        cancel_booking(cleared.id, booking.id, "the volunteer's private reason", now=NOW)
        copies = mails_to(GUARDIAN)[1:]  # after the consent request
        uid_url = guardians.meeting_url_for(db.session.get(Booking, booking.id))
    assert [subject for subject, _ in copies] == [
        "Sami booked a session with Clara Cleared", "Sami's session with Clara Cleared was moved",
        "Sami's session with Clara Cleared was cancelled"]
    booked, moved, cancelled = (text for _, text in copies)
    assert "Tuesday, January 8, 2030" in booked and "1:00" in booked  # 10:00 UTC in Amman (UTC+3)
    assert "2:00" in moved
    assert uid_url and uid_url in booked and "/guardian/withdraw/" in booked
    for text in (booked, moved, cancelled):
        for secret in ("my secret note", "private reason", "clara.private@example.org", "sami.private@example.org"):
            assert secret not in text


def test_withdrawing_consent_cancels_future_sessions_and_tells_everyone(app, client, consented_minor, cleared):
    with app.app_context():
        soon = book_session(consented_minor.id, cleared.id, utcnow().replace(minute=0, second=0, microsecond=0)
                            + timedelta(days=1, hours=1), "tutoring").id
        later = book_session(consented_minor.id, cleared.id, utcnow().replace(minute=0, second=0, microsecond=0)
                             + timedelta(days=2, hours=1), "tutoring").id
        path = link_in(mails_to(GUARDIAN)[-1][1], "withdraw")
    page = client.get(path)
    assert page.status_code == 200 and "Withdraw my consent" in page.get_data(as_text=True)
    done = client.post(path)
    assert done.status_code == 200 and "2 future sessions were cancelled" in done.get_data(as_text=True)
    with app.app_context():
        assert {db.session.get(Booking, i).status for i in (soon, later)} == {"cancelled"}
        assert db.session.get(GuardianConsent, consented_minor.id).status == "withdrawn"
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "guardian.withdraw"))
        for address in (cleared.email, consented_minor.email):
            kinds = db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.recipient == address)).all()
            assert sum(key.startswith("cancelled:") for key in kinds) == 2, (address, kinds)
        assert sum("was cancelled" in subject for subject, _ in mails_to(GUARDIAN)) == 2
        with pytest.raises(GuardianConsentRequired):
            book_session(consented_minor.id, cleared.id, utcnow().replace(minute=0, second=0, microsecond=0)
                         + timedelta(days=3, hours=1), "tutoring")
    assert client.get(path).status_code == 404  # the old link stopped working


# --- the CLI ------------------------------------------------------------------------------------


def test_the_cli_creates_a_minor_and_asks_the_guardian(app, runner):
    made = runner.invoke(args=["users", "create", "kid@example.org", "--role", "learner", "--name", "K",
                               "--timezone", "UTC", "--minor", "--guardian", GUARDIAN], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    with app.app_context():
        learner = User.by_email("kid@example.org")
        assert learner.is_minor and db.session.get(GuardianConsent, learner.id).status == "pending"
        assert len(mails_to(GUARDIAN)) == 1
    for args in (["--minor"], ["--guardian", GUARDIAN], ["--minor", "--guardian", "nope"]):
        refused = runner.invoke(args=["users", "create", "kid2@example.org", "--role", "learner", "--name", "K",
                                      "--timezone", "UTC", *args], input=PASSWORD + "\n")
        assert refused.exit_code != 0, args


# --- data ---------------------------------------------------------------------------------------


def test_a_minors_export_holds_the_guardian_and_the_consent(app, consented_minor):
    from tutoring.services.people.privacy import export_data

    with app.app_context():
        data = export_data(db.session.get(User, consented_minor.id))
    assert data["account"]["is_minor"] is True
    [row] = data["guardian_consents"]
    assert (row["guardian_email"], row["status"]) == (GUARDIAN, "consented")


def test_deleting_a_minors_account_tells_the_guardian_and_forgets_them(app, consented_minor, cleared):
    from tutoring.services.people.privacy import delete_account

    with app.app_context():
        booking_id = book_session(consented_minor.id, cleared.id, utcnow().replace(minute=0, second=0, microsecond=0)
                                  + timedelta(days=1, hours=1), "tutoring").id
        delete_account(consented_minor.id)
        assert db.session.get(Booking, booking_id).status == "cancelled"
        assert db.session.get(GuardianConsent, consented_minor.id) is None
        subjects = [subject for subject, _ in mails_to(GUARDIAN)]
        assert subjects[-1] == "Sami's account was deleted" and any("was cancelled" in s for s in subjects)
        reasons = db.session.scalars(select(AuditEntry.reason).where(AuditEntry.action.like("guardian.%"))).all()
        assert reasons and all(GUARDIAN not in reason for reason in reasons)


def test_unanswered_and_declined_requests_are_forgotten_after_the_retention_period(app, make_user, consented_minor):
    waiting, declined = make_user("learner"), make_user("learner")
    with app.app_context():
        guardians.request_consent(db.session.get(User, waiting.id), "a@example.net")
        guardians.request_consent(db.session.get(User, declined.id), "b@example.net")
        db.session.commit()
        guardians.decide(db.session.get(GuardianConsent, declined.id), False)
        assert guardians.purge_unanswered(utcnow() + timedelta(days=89)) == 0
        assert guardians.purge_unanswered(utcnow() + timedelta(days=91)) == 2
        assert db.session.get(GuardianConsent, waiting.id) is None
        assert db.session.get(GuardianConsent, consented_minor.id).status == "consented"  # kept while in use
        assert db.session.get(User, waiting.id).is_minor


# --- reminders ----------------------------------------------------------------------------------


def test_the_guardian_gets_each_reminder_once_without_notes_or_addresses(app, consented_minor, cleared):
    from tutoring.services.notices.reminders import queue_due_reminders

    with app.app_context():
        booking = book_session(consented_minor.id, cleared.id, TUE_10, "tutoring", "my secret note", now=NOW)
        queue_due_reminders(now=TUE_10 - timedelta(hours=23))
        queue_due_reminders(now=TUE_10 - timedelta(hours=22))  # a later poll adds nothing
        reminders = [(s, t) for s, t in mails_to(GUARDIAN) if s.startswith("Reminder")]
        assert [s for s, _ in reminders] == ["Reminder: Sami has a session with Clara Cleared"]
        text = reminders[0][1]
        assert "Tuesday, January 8, 2030" in text and "1:00" in text  # 10:00 UTC in Amman
        assert guardians.meeting_url_for(db.session.get(Booking, booking.id)) in text
        assert "/guardian/withdraw/" in text
        for secret in ("my secret note", "clara.private@example.org", "sami.private@example.org"):
            assert secret not in text
        queue_due_reminders(now=TUE_10 - timedelta(minutes=30))  # the 1-hour one
        assert sum(s.startswith("Reminder") for s, _ in mails_to(GUARDIAN)) == 2


def test_moving_the_session_drops_the_guardians_unsent_reminder(app, consented_minor, cleared):
    from tutoring.services.notices.reminders import queue_due_reminders

    with app.app_context():
        booking = book_session(consented_minor.id, cleared.id, TUE_10, "tutoring", now=NOW)
        queue_due_reminders(now=TUE_10 - timedelta(hours=23))
        reschedule_booking(consented_minor.id, booking.id, TUE_11, now=TUE_10 - timedelta(hours=23))
        assert not any(s.startswith("Reminder") for s, _ in mails_to(GUARDIAN))


def test_an_adults_reminders_have_no_guardian_copy(app, make_user, cleared):
    from tutoring.services.notices.reminders import queue_due_reminders

    adult = make_user("learner", name="Ada", email="ada@example.org")
    with app.app_context():
        book_session(adult.id, cleared.id, TUE_10, "tutoring", now=NOW)
        assert queue_due_reminders(now=TUE_10 - timedelta(hours=23)) == 2  # the learner's and the volunteer's
        assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("%:guardian"))).all()
