"""CSRF on every form, rate limits on sign-in and reset requests, cookie flags, proxies."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tutoring.config import settings_from_env
from tutoring.extensions import db
from tutoring.auth.service import make_reset_token
from tutoring.models import User
from tests.conftest import TEST_PASSWORD

PASSWORD = "a long enough password"


def form_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)


def signed_in_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def failed_login(client, address: str | None = None, email: str = "l@example.org"):
    environ = {"REMOTE_ADDR": address} if address else {}
    data = {"csrf_token": form_token(client, "/auth/login"), "email": email, "password": "wrong password"}
    return client.post("/auth/login", data=data, environ_base=environ)


# --- CSRF -----------------------------------------------------------------


def test_csrf_protection_is_really_on_in_these_tests(app):
    # If a later conftest turned CSRF off, every "needs the token" test below would pass vacuously.
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup", "/auth/reset", "/auth/logout"])
@pytest.mark.parametrize("token", [None, "forged-token"], ids=["missing", "forged"])
def test_posting_without_a_valid_csrf_token_is_refused_with_a_friendly_page(client, path, token):
    data = {"email": "l@example.org", "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    response = client.post(path, data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form was not sent" in body and "Nothing was changed." in body
    assert "Traceback" not in body and "CSRF token is" not in body  # not Flask-WTF's bare reason
    assert 'lang="en"' in body  # a full page of the site, not a bare error


def test_csrf_failure_changes_nothing(app, client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    # Sign-in without the token: not signed in.
    client.post("/auth/login", data={"email": "l@example.org", "password": PASSWORD})
    assert signed_in_user_id(client) is None
    # Sign-up without the token: no account.
    client.post("/auth/signup", data={"role": "learner", "display_name": "X", "email": "x@example.org",
                                      "password": PASSWORD, "confirm": PASSWORD, "timezone": "UTC", "language": "en"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_token_from_another_session_is_refused(app, client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    other = app.test_client()
    stolen = form_token(other, "/auth/login")
    client.get("/auth/login")
    response = client.post("/auth/login", data={"csrf_token": stolen, "email": "l@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_csrf_failure_page_speaks_arabic(client):
    response = client.post("/auth/login", data={}, headers={"Accept-Language": "ar"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and 'dir="rtl"' in body
    assert "The form was not sent" not in body


def test_csrf_failure_answers_json_clients_in_the_api_shape(client):
    response = client.post("/auth/login", data={}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


# --- rate limits ------------------------------------------------------------


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_ten_failed_sign_ins_from_one_address_then_429(client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    for attempt in range(10):
        assert failed_login(client).status_code == 200, attempt
    response = failed_login(client)
    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Please wait a moment" in body and "Traceback" not in body
    assert int(response.headers["Retry-After"]) > 0
    # Even the right password waits now.
    token = form_token(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": token, "email": "l@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert signed_in_user_id(client) is None
    # Another IP is not affected for other accounts, and the form itself still shows;
    # this account's address is paused from every IP now (the per-address slow-down).
    assert failed_login(client, "192.0.2.7", email="someone-else@example.org").status_code == 200
    assert failed_login(client, "192.0.2.8").status_code == 429
    assert client.get("/auth/login").status_code == 200


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_successful_sign_ins_do_not_use_up_the_limit(client, make_user):
    """A school behind one address: many people signing in correctly are never blocked."""
    make_user("learner", email="l@example.org", password=PASSWORD)
    for attempt in range(15):
        token = form_token(client, "/auth/login")
        response = client.post("/auth/login",
                               data={"csrf_token": token, "email": "l@example.org", "password": PASSWORD})
        assert response.status_code == 302, attempt
        client.post("/auth/logout", data={"csrf_token": form_token(client, "/auth/reset")})


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_the_429_page_is_in_the_users_language(client):
    client.set_cookie("lang", "ar")
    for _attempt in range(10):
        failed_login(client)
    response = failed_login(client)
    body = response.get_data(as_text=True)
    assert response.status_code == 429 and 'dir="rtl"' in body
    assert "Please wait a moment" not in body


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_the_429_answer_is_json_for_json_clients(client):
    for _attempt in range(10):
        failed_login(client)
    token = form_token(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": token, "email": "x@example.org", "password": "x"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_limits_can_be_turned_off(client):
    for _attempt in range(15):
        assert failed_login(client).status_code == 200


@pytest.mark.app_config(RATELIMIT_ENABLED=True)
def test_reset_requests_are_limited_per_address_and_per_email(client):
    def ask(email, address):
        data = {"csrf_token": form_token(client, "/auth/reset"), "email": email}
        return client.post("/auth/reset", data=data, environ_base={"REMOTE_ADDR": address})

    # One inbox, many addresses: five requests an hour.
    for number in range(5):
        assert ask("target@example.org", f"198.51.100.{number}").status_code == 302
    assert ask("Target@Example.org", "198.51.100.99").status_code == 429
    # One address, many inboxes: five a minute.
    for number in range(5):
        assert ask(f"someone{number}@example.org", "203.0.113.5").status_code == 302
    assert ask("someone-else@example.org", "203.0.113.5").status_code == 429


@pytest.mark.app_config(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_the_limit_is_per_client_address(client):
    def via_proxy(client_address, email="l@example.org"):
        data = {"csrf_token": form_token(client, "/auth/login"), "email": email, "password": "x"}
        return client.post("/auth/login", data=data, headers={"X-Forwarded-For": client_address})

    # Different addresses each time, so the per-address slow-down stays out of this.
    for attempt in range(10):
        via_proxy("192.0.2.1", f"l{attempt}@example.org")
    assert via_proxy("192.0.2.1").status_code == 429
    assert via_proxy("192.0.2.2").status_code == 200


# --- cookies ------------------------------------------------------------------


def cookies_after_remembered_login(client) -> dict[str, str]:
    token = form_token(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": token, "email": "l@example.org",
                                                "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    cookies = cookies_after_remembered_login(client)
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]  # plain http in tests


@pytest.mark.app_config(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
def test_cookies_are_secure_when_configured(client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    cookies = cookies_after_remembered_login(client)
    assert "Secure" in cookies["session"] and "Secure" in cookies["remember_token"]


def test_an_https_base_url_makes_cookies_secure():
    settings = settings_from_env({"BASE_URL": "https://tutoring.example.org"}, "/tmp/instance")
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"


# --- per-address sign-in slow-down (issue 21, finding 5) ----------------------


def _login_from(app, ip: str, email: str, password: str):
    client = app.test_client()
    body = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    return client, client.post("/auth/login", data={"csrf_token": token, "email": email, "password": password},
                               environ_base={"REMOTE_ADDR": ip})


@pytest.mark.app_config(RATELIMIT_ENABLED=True, AUTH_LOGIN_ACCOUNT_LIMIT="3 per 15 minutes",
                        AUTH_LOGIN_LIMIT="100 per minute")
def test_failed_sign_ins_from_many_ips_pause_the_address_but_a_reset_lets_the_owner_in(app, make_user):
    owner = make_user("learner", email="owner@example.org")
    for number in range(3):
        _, response = _login_from(app, f"203.0.113.{number}", "Owner@example.org", "a wrong guess")
        assert response.status_code == 200
    # The next attempt, from yet another IP and even with the right password, is refused with a clear message.
    _, response = _login_from(app, "198.51.100.7", "owner@example.org", TEST_PASSWORD)
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "too many failed sign-ins for this email address" in body and 'href="/auth/reset"' in body
    # An address without an account is paused the same way, so the pause tells nothing.
    for number in range(3):
        _login_from(app, f"203.0.113.{number}", "nobody@example.org", "a wrong guess")
    _, unknown = _login_from(app, "198.51.100.7", "nobody@example.org", "a wrong guess")
    assert unknown.status_code == 429
    alert = re.compile(r'<p class="form-error" role="alert">.*?</p>', re.DOTALL)
    assert alert.search(unknown.get_data(as_text=True)).group() == alert.search(body).group()
    # Other addresses are not affected.
    other = make_user("learner", email="other@example.org")
    _, response = _login_from(app, "203.0.113.0", other.email, TEST_PASSWORD)
    assert response.status_code == 302

    # The owner resets the password: that signs them in and ends the pause.
    with app.app_context():
        token = make_reset_token(db.session.get(User, owner.id))
    client = app.test_client()
    page = client.get(f"/auth/reset/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/auth/reset/{token}", data={"csrf_token": csrf, "password": "a brand new password",
                                                         "confirm": "a brand new password"})
    assert response.status_code == 302
    _, response = _login_from(app, "198.51.100.7", "owner@example.org", "a brand new password")
    assert response.status_code == 302


@pytest.mark.app_config(RATELIMIT_ENABLED=True, AUTH_LOGIN_ACCOUNT_LIMIT="3 per 15 minutes",
                        AUTH_LOGIN_LIMIT="100 per minute")
def test_a_successful_sign_in_clears_the_failed_count(app, make_user):
    owner = make_user("learner", email="owner@example.org")
    for _round in range(2):
        for _attempt in range(2):
            _login_from(app, "203.0.113.1", owner.email, "a wrong guess")
        _, response = _login_from(app, "203.0.113.1", owner.email, TEST_PASSWORD)
        assert response.status_code == 302
