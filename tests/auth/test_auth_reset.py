"""Password reset: same answer for every address, a signed one-hour link that works once, mail in the user's language."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest

import tutoring.auth.service as auth_service
from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.notices import outbox as outbox_service
from tutoring.worker import Worker
from tutoring.timeutil import utcnow

OLD_PASSWORD = "the old password"
NEW_PASSWORD = "a brand new password"


def form_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)


def outbox(app) -> list[Path]:
    # Mail is queued in the outbox table; the worker writes it out as .eml files.
    Worker(app).run(once=True)
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def ask_for_reset(client, address: str):
    return client.post("/auth/reset", data={"csrf_token": form_token(client, "/auth/reset"), "email": address})


def link_path(message) -> str:
    """The reset link's path (the link itself is absolute, on BASE_URL)."""
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://localhost(/auth/reset/\S+)", text).group(1)
    return link


def signed_in_user_id(client) -> str | None:
    """The user id the session signs in (Flask-Login's id is "<id>:<password fingerprint>")."""
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return value.partition(":")[0] if value else None


def sign_in_works(app, address: str, password: str) -> bool:
    client = app.test_client()
    data = {"csrf_token": form_token(client, "/auth/login"), "email": address, "password": password}
    return client.post("/auth/login", data=data).status_code == 302


def test_reset_flow_end_to_end(app, client, make_user):
    user = make_user("learner", email="maya@example.org", name="Maya", password=OLD_PASSWORD)

    response = ask_for_reset(client, "Maya@Example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "we have sent it a link" in client.get("/auth/login").get_data(as_text=True)

    [eml] = outbox(app)
    message = read_eml(eml)
    assert message["To"] == "maya@example.org"
    assert message["From"] == "tutoring@example.org"
    assert message["Subject"] == "Reset your password"
    path = link_path(message)
    html = message.get_body(("html",)).get_content()
    assert f'href="http://localhost{path}"' in html and 'dir="ltr"' in html
    assert "Hello Maya," in message.get_body(("plain",)).get_content()

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_user_id(client) == str(user.id)

    assert sign_in_works(app, "maya@example.org", NEW_PASSWORD)
    assert not sign_in_works(app, "maya@example.org", OLD_PASSWORD)

    # The link worked once; now it is refused, for reading and for posting.
    other = app.test_client()
    refused = other.get(path)
    assert refused.status_code == 400
    assert "This link does not work" in refused.get_data(as_text=True)
    token = form_token(other, "/auth/reset")
    again = other.post(path, data={"csrf_token": token, "password": "yet another one", "confirm": "yet another one"})
    assert again.status_code == 400
    assert sign_in_works(app, "maya@example.org", NEW_PASSWORD)


def test_reset_for_an_unknown_email_answers_identically(app, make_user):
    make_user("learner", email="maya@example.org", password=OLD_PASSWORD)

    def answer(address: str) -> tuple:
        client = app.test_client()
        response = ask_for_reset(client, address)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        page = re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"|content="[^"]*"', "TOKEN", page)
        page = page.replace(address, "ADDRESS")
        return response.status_code, response.headers["Location"], page

    assert answer("maya@example.org") == answer("nobody@example.org")
    # A NUL names nobody: the request is refused like any text with control characters (and no 500).
    assert ask_for_reset(app.test_client(), "maya\x00@example.org").status_code == 400
    assert len(outbox(app)) == 1  # only the real account got mail


def test_a_deactivated_account_gets_no_reset_mail(app, client, make_user):
    user = make_user("learner", email="gone@example.org", password=OLD_PASSWORD)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    assert ask_for_reset(client, "gone@example.org").status_code == 302
    assert outbox(app) == []


def reset_path_for(app, user_id: int) -> str:
    with app.test_request_context():
        return f"/auth/reset/{auth_service.make_reset_token(db.session.get(User, user_id))}"


@pytest.mark.parametrize(("minutes_later", "status"), [(59, 200), (61, 400)])
def test_a_reset_link_works_for_one_hour(app, client, make_user, monkeypatch, minutes_later, status):
    user = make_user("learner", password=OLD_PASSWORD)
    path = reset_path_for(app, user.id)
    later = utcnow() + timedelta(minutes=minutes_later)
    monkeypatch.setattr(auth_service, "utcnow", lambda: later)
    assert client.get(path).status_code == status


def test_an_expired_link_cannot_set_a_password(app, client, make_user, monkeypatch):
    user = make_user("learner", email="l@example.org", password=OLD_PASSWORD)
    path = reset_path_for(app, user.id)
    token = form_token(client, "/auth/reset")
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(auth_service, "utcnow", lambda: later)
    response = client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert sign_in_works(app, "l@example.org", OLD_PASSWORD)


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    lambda token: "x" + token,
    lambda token: "not-a-token",
], ids=["bad-signature", "bad-payload", "garbage"])
def test_a_tampered_link_is_refused(app, client, make_user, mangle):
    user = make_user("learner", password=OLD_PASSWORD)
    path = reset_path_for(app, user.id)
    prefix, token = path.rsplit("/", 1)
    assert client.get(f"{prefix}/{mangle(token)}").status_code == 400


def test_a_token_signed_for_something_else_is_refused(app, client, make_user):
    """Same secret, other salt (e.g. another feature's signed links): not a reset link."""
    from itsdangerous import URLSafeTimedSerializer

    user = make_user("learner", password=OLD_PASSWORD)
    with app.app_context():
        fingerprint = auth_service.password_fingerprint(db.session.get(User, user.id))
    other = URLSafeTimedSerializer(app.secret_key, salt="something-else").dumps({"user": user.id, "fp": fingerprint})
    assert client.get(f"/auth/reset/{other}").status_code == 400


def test_new_password_must_be_long_enough_and_typed_twice(app, client, make_user):
    user = make_user("learner", email="l@example.org", password=OLD_PASSWORD)
    path = reset_path_for(app, user.id)
    for password, confirm, message in [("short", "short", "Use at least 8 characters."),
                                       (NEW_PASSWORD, "something else", "The two passwords are not the same.")]:
        token = form_token(client, path)
        response = client.post(path, data={"csrf_token": token, "password": password, "confirm": confirm})
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert sign_in_works(app, "l@example.org", OLD_PASSWORD)
    assert client.get(path).status_code == 200  # still unused


def test_reset_mail_is_in_the_recipients_language(app, client, make_user):
    make_user("volunteer", email="amal@example.org", name="أمل", language="ar", password=OLD_PASSWORD)
    # Asked from an English page: the mail still follows the account.
    ask_for_reset(client, "amal@example.org")
    [eml] = outbox(app)
    message = read_eml(eml)
    assert message["Subject"] == "إعادة تعيين كلمة المرور"
    text = message.get_body(("plain",)).get_content()
    assert "مرحبًا أمل،" in text and "Reset" not in text
    html = message.get_body(("html",)).get_content()
    assert 'lang="ar" dir="rtl"' in html


def test_the_reset_page_asks_for_an_email(client):
    body = client.get("/auth/reset").get_data(as_text=True)
    assert 'name="email"' in body and 'name="csrf_token"' in body


def test_reset_request_without_an_email_shows_a_message(app, client):
    response = client.post("/auth/reset", data={"csrf_token": form_token(client, "/auth/reset"), "email": " "})
    assert response.status_code == 200
    assert "Enter your email address." in response.get_data(as_text=True)
    assert outbox(app) == []


def test_smtp_failure_still_gives_the_usual_answer(app, client, make_user, monkeypatch):
    make_user("learner", email="l@example.org", password=OLD_PASSWORD)

    def broken(*_args, **_kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(outbox_service, "queue", broken)
    response = ask_for_reset(client, "l@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
