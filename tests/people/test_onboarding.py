"""A new volunteer's way in (issue 22 item 7): coordinators hear of the sign-up, the first sign-in lands on the
setup checklist, the dashboard reminds until profile and availability are done, and a pending volunteer previews
their own public page (nobody else sees it)."""
from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from tutoring.extensions import db
from tutoring.models import AvailabilityRule, User
from tutoring.worker import Worker

PASSWORD = "a long enough password"


def form_token(client, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)


def delivered(app) -> list[email.message.EmailMessage]:
    """The mail the worker delivers now (the files are removed)."""
    Worker(app).run(once=True)
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    for path in files:
        path.unlink()
    return messages


def sign_up(client, role: str = "volunteer"):
    return client.post("/auth/signup", data={
        "csrf_token": form_token(client, "/auth/signup"), "role": role, "display_name": "Amal",
        "email": "amal@example.org", "password": PASSWORD, "confirm": PASSWORD, "timezone": "Asia/Amman",
        "language": "ar", "kinds": ["tutoring"]})


def test_coordinators_are_told_in_their_language_when_a_volunteer_signs_up(app, client, make_user):
    make_user("coordinator", email="boss@example.org", language="en", name="Boss")
    make_user("coordinator", email="rais@example.org", language="ar", name="Rais")
    assert sign_up(client).status_code == 302
    mails = {mail["To"].addresses[0].addr_spec: mail for mail in delivered(app)}
    assert set(mails) == {"amal@example.org", "boss@example.org", "rais@example.org"}
    with app.app_context():
        amal = User.by_email("amal@example.org")
    boss = mails["boss@example.org"]
    assert boss["Subject"] == "New volunteer: Amal"
    text = boss.get_body(("plain",)).get_content()
    assert f"/coordinator/volunteers/{amal.id}" in text and "amal@example.org" not in text
    assert mails["rais@example.org"]["Subject"] == "تسجيل تطوع جديد: Amal"


def test_a_learner_sign_up_tells_no_coordinator(app, client, make_user):
    make_user("coordinator", email="boss@example.org")
    sign_up(client, role="learner")
    assert [mail["To"].addresses[0].addr_spec for mail in delivered(app)] == ["amal@example.org"]


def test_first_sign_in_lands_on_the_checklist_until_profile_and_availability_are_done(app, client):
    sign_up(client)
    login = {"csrf_token": form_token(client, "/auth/login"), "email": "amal@example.org", "password": PASSWORD}
    response = client.post("/auth/login", data=login)
    assert response.headers["Location"] == "/me/setup"
    page = client.get("/me/setup").get_data(as_text=True)
    assert page.count('class="panel setup-step"') == 4  # three steps to do and what happens next
    assert "الملف التعريفي" in page and "/me/availability" in page and "/me/calendar" in page
    dashboard = client.get("/me/").get_data(as_text=True)
    assert "اكتمل 0 من 2 من الخطوات." in dashboard and 'href="/me/setup"' in dashboard

    with app.app_context():
        amal = User.by_email("amal@example.org")
        amal.volunteer_profile.bio, amal.volunteer_profile.languages = "Maths teacher.", ["ar"]
        db.session.commit()
    assert "اكتمل 1 من 2 من الخطوات." in client.get("/me/").get_data(as_text=True)
    with app.app_context():
        amal = User.by_email("amal@example.org")
        amal.volunteer_profile.rules.append(AvailabilityRule(weekday=1, start="18:00", end="20:00"))
        db.session.commit()
    assert 'href="/me/setup"' not in client.get("/me/").get_data(as_text=True)
    page = client.get("/me/setup").get_data(as_text=True)
    assert page.count("setup-step-done") == 2 and 'href="/me/"' in page
    with client.session_transaction() as session:
        session.clear()  # signed out
    login["csrf_token"] = form_token(client, "/auth/login")
    assert client.post("/auth/login", data=login).headers["Location"] == "/me/"


@pytest.mark.parametrize("role", ["learner", "coordinator"])
def test_the_checklist_is_for_volunteers(client, make_user, sign_in, role):
    sign_in(make_user(role))
    assert client.get("/me/setup").status_code == 403


def test_a_pending_volunteer_previews_their_own_page_and_no_one_else_sees_it(client, make_user, sign_in):
    pending = make_user("volunteer", approved=False, name="Pending Pat", bio="I teach physics.",
                        rules=[(1, "18:00", "20:00")])
    assert client.get(f"/volunteers/{pending.id}").status_code == 404  # signed out
    sign_in(make_user("learner"))
    assert client.get(f"/volunteers/{pending.id}").status_code == 404
    sign_in(make_user("volunteer"))
    assert client.get(f"/volunteers/{pending.id}").status_code == 404
    sign_in(pending)
    response = client.get(f"/volunteers/{pending.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This is a preview of your page" in page and "I teach physics." in page
    assert 'id="week"' in page and "waitlist" not in page


@pytest.mark.parametrize(("chosen", "stored"), [(None, "neutral"), ("feminine", "feminine"), ("masculine", "masculine")])
def test_sign_up_asks_how_arabic_texts_address_the_person(app, client, chosen, stored):
    page = client.get("/auth/signup").get_data(as_text=True)
    assert 'name="address_form"' in page and 'value="feminine"' in page
    data = {"csrf_token": form_token(client, "/auth/signup"), "role": "volunteer", "display_name": "Amal",
            "email": "amal@example.org", "password": PASSWORD, "confirm": PASSWORD, "timezone": "Asia/Amman",
            "language": "ar", "kinds": ["tutoring"]}
    if chosen:
        data["address_form"] = chosen
    assert client.post("/auth/signup", data=data).status_code == 302
    with app.app_context():
        assert User.by_email("amal@example.org").address_form == stored


def test_a_made_up_address_form_at_sign_up_is_refused(app, client):
    response = client.post("/auth/signup", data={
        "csrf_token": form_token(client, "/auth/signup"), "role": "learner", "display_name": "Amal",
        "email": "amal@example.org", "password": PASSWORD, "confirm": PASSWORD, "timezone": "Asia/Amman",
        "language": "en", "address_form": "royal"})
    assert response.status_code == 200 and "Choose neutral, feminine or masculine." in response.get_data(as_text=True)
    with app.app_context():
        assert User.by_email("amal@example.org") is None
