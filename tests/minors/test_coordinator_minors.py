"""The coordinators' page of minors (SPEC §7 "Minors", issue 19): consent status, guardian's address, resend.

Coordinators only (learners and volunteers 403, signed-out visitors the
sign-in page); the resend is CSRF-protected, rate-limited like the
learner's own, logged with the coordinator as the actor, and 404s for
anyone who isn't a minor learner. SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AuditEntry, GuardianConsent, OutboxMessage, User
from tutoring.services.minors import guardians
from tutoring.timeutil import utcnow

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)


@pytest.fixture
def minors(app, make_user):
    """Three minors: waiting (asked an hour ago), consented, declined; and an adult learner."""
    waiting = make_user("learner", name="Waiting Wafa", email="wafa@example.org")
    given = make_user("learner", name="Given Ghada", email="ghada@example.org")
    declined = make_user("learner", name="Declined Dina", email="dina@example.org")
    adult = make_user("learner", name="Adult Adam", email="adam@example.org")
    with app.app_context(), time_machine.travel(utcnow() - timedelta(hours=1), tick=False):
        for user, guardian in ((waiting, "wafa.parent@example.net"), (given, "ghada.parent@example.net"),
                               (declined, "dina.parent@example.net")):
            guardians.request_consent(db.session.get(User, user.id), guardian)
        db.session.commit()
        guardians.decide(db.session.get(GuardianConsent, given.id), True)
        guardians.decide(db.session.get(GuardianConsent, declined.id), False)
    return {"waiting": waiting, "given": given, "declined": declined, "adult": adult}


def test_a_coordinator_sees_each_minor_with_status_and_guardian_address(app, client, sign_in, make_user, minors):
    sign_in(make_user("coordinator"))
    page = client.get("/coordinator/minors")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name, address in (("Waiting Wafa", "wafa.parent@example.net"), ("Given Ghada", "ghada.parent@example.net"),
                          ("Declined Dina", "dina.parent@example.net")):
        assert name in html and address in html
    assert "Adult Adam" not in html
    assert "Waiting for the guardian" in html and "Consented" in html and "Declined" in html
    # Those needing attention come first; a consented minor has nothing to resend.
    assert html.index("Waiting Wafa") < html.index("Declined Dina") < html.index("Given Ghada")
    assert f"/coordinator/minors/{minors['given'].id}/resend" not in html
    assert f"/coordinator/minors/{minors['waiting'].id}/resend" in html


def test_the_page_is_in_arabic_too(app, client, sign_in, make_user, minors):
    sign_in(make_user("coordinator", language="ar"))
    html = client.get("/coordinator/minors").get_data(as_text=True)
    assert "بانتظار ردّ وليّ الأمر" in html and "wafa.parent@example.net" in html


@pytest.mark.parametrize("role", ["learner", "volunteer"])
def test_only_coordinators_may_open_or_resend(app, client, sign_in, make_user, minors, role):
    sign_in(make_user(role))
    assert client.get("/coordinator/minors").status_code == 403
    assert client.post(f"/coordinator/minors/{minors['waiting'].id}/resend").status_code == 403
    with app.app_context():
        assert not db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "wafa.parent@example.net")).all()[1:]


def test_signed_out_visitors_are_sent_to_sign_in(app, client, minors):
    answer = client.get("/coordinator/minors")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]


def test_a_coordinator_resends_the_consent_email_logged_and_rate_limited(app, client, sign_in, make_user, minors):
    coordinator = make_user("coordinator")
    sign_in(coordinator)
    path = f"/coordinator/minors/{minors['declined'].id}/resend"
    done = client.post(path, follow_redirects=True)
    assert done.status_code == 200 and "The consent email was sent again." in done.get_data(as_text=True)
    with app.app_context():
        consent = db.session.get(GuardianConsent, minors["declined"].id)
        assert consent.status == "pending"  # a decline is asked anew
        sent = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "dina.parent@example.net")).all()
        assert len(sent) == 2
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "guardian.resend")).one()
        assert entry.actor_id == coordinator.id and entry.subject_user_id == minors["declined"].id
    again = client.post(path, follow_redirects=True)
    assert "wait a little" in again.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "dina.parent@example.net")).all()) == 2


def test_resending_refuses_consented_minors_and_404s_for_anyone_else(app, client, sign_in, make_user, minors):
    sign_in(make_user("coordinator"))
    given = client.post(f"/coordinator/minors/{minors['given'].id}/resend", follow_redirects=True)
    assert "There is no request to send again" in given.get_data(as_text=True)
    assert client.post(f"/coordinator/minors/{minors['adult'].id}/resend").status_code == 404
    assert client.post("/coordinator/minors/999999/resend").status_code == 404
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "guardian.resend")).all()


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_resending_needs_the_csrf_token(app, client, sign_in, make_user, minors):
    sign_in(make_user("coordinator"))
    assert client.post(f"/coordinator/minors/{minors['waiting'].id}/resend").status_code == 400
