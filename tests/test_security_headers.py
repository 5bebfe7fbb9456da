"""Security headers on every response, HSTS only over HTTPS, request size limit, session fixation, API tokens."""
from __future__ import annotations

import hmac
import io
import re

import pytest
from sqlalchemy import event, select

from tutoring.extensions import db
from tutoring.models import ApiToken, User
from tutoring.models.token import hash_token
from tutoring.security import CONTENT_SECURITY_POLICY

PASSWORD = "a long enough password"


def csp_directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/auth/login", "/healthz", "/api/v1/openapi.json", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_policy_has_no_unsafe_source_anywhere():
    assert not any("unsafe" in value for value in CONTENT_SECURITY_POLICY.values())


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_forged_forwarded_proto_gets_no_hsts_without_a_trusted_proxy(client):
    """Without TRUSTED_PROXIES, X-Forwarded-Proto is anyone's header and means nothing."""
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.app_config(TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_that_terminated_https_hsts_is_sent(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1"})
    assert "Strict-Transport-Security" in response.headers
    assert "Strict-Transport-Security" not in client.get("/", headers={"X-Forwarded-Proto": "http"}).headers


def test_security_headers_do_not_change_cookie_settings(client, app):
    """Flask-Talisman must not flip SESSION_COOKIE_SECURE on a plain-HTTP setup (config.py decides)."""
    client.get("/")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# --- request size ---------------------------------------------------------------


@pytest.mark.app_config(MAX_CONTENT_LENGTH=4096, WTF_CSRF_ENABLED=False)
def test_an_oversized_form_gets_a_clear_413_page(client):
    response = client.post("/auth/login", data={"email": "a@example.org", "password": "x" * 10_000})
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "too large" in body and "4 KiB" in body and "Traceback" not in body


@pytest.mark.app_config(MAX_CONTENT_LENGTH=4096)
def test_an_oversized_api_request_gets_413_in_the_api_shape(client, make_user, bearer):
    learner = make_user("learner")
    response = client.post("/api/v1/bookings", headers=bearer(learner),
                           data=b'{"note": "' + b"x" * 10_000 + b'"}', content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


@pytest.mark.app_config(MAX_CONTENT_LENGTH=4096, WTF_CSRF_ENABLED=False)
def test_the_413_page_speaks_arabic(client):
    client.set_cookie("lang", "ar")
    response = client.post("/auth/login", data={"email": "a@example.org", "password": "x" * 10_000})
    assert response.status_code == 413
    assert 'dir="rtl"' in response.get_data(as_text=True)
    assert "too large" not in response.get_data(as_text=True)


def test_the_default_limit_is_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
@pytest.mark.parametrize("path", ["/auth/login", "/auth/reset", "/auth/signup"])
def test_a_form_post_carrying_a_file_gets_a_clear_400_page(app, client, path):
    # Flask-WTF would hand the file to the email field, which expects text.
    file = (io.BytesIO(b"someone@example.org"), "email.txt")
    response = client.post(path, data={"email": file, "password": "a long enough password"})
    assert response.status_code == 400
    assert "Forms on this site take no files. Nothing was saved." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
def test_the_files_page_speaks_arabic(client):
    client.set_cookie("lang", "ar")
    response = client.post("/auth/login", data={"email": (io.BytesIO(b"x"), "email.txt")})
    assert response.status_code == 400
    assert 'dir="rtl"' in response.get_data(as_text=True)
    assert "take no files" not in response.get_data(as_text=True)


def test_a_form_part_without_a_name_is_ignored_not_a_crash(client):
    # name="\r" breaks the part's header: Werkzeug reads the part with no name, which Flask-WTF tripped over.
    response = client.post("/auth/login", data={"\r": "", "email": "a@example.org", "password": "x"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "This form could not be sent" in response.get_data(as_text=True)  # no CSRF token: the usual page


def test_an_api_request_carrying_a_file_gets_400_in_the_api_shape(client, make_user, bearer):
    response = client.post("/api/v1/bookings", headers=bearer(make_user("learner")),
                           data={"note": (io.BytesIO(b"x"), "note.txt")})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


# --- session fixation ---------------------------------------------------------------


def test_signing_in_starts_a_new_session(client, make_user):
    """Anything planted in the session before sign-in (a fixed session) is gone afterwards."""
    make_user("learner", email="l@example.org", password=PASSWORD)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    body = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    with client.session_transaction() as session:
        csrf_before = session.get("csrf_token")
    response = client.post("/auth/login", data={"csrf_token": token, "email": "l@example.org", "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")
        assert session.get("csrf_token") != csrf_before


# --- API tokens -------------------------------------------------------------------------


def test_api_tokens_are_stored_only_as_hashes(app, make_user, bearer):
    user = make_user("learner")
    raw = bearer(user)["Authorization"].removeprefix("Bearer ")
    with app.app_context():
        stored = db.session.scalar(select(ApiToken.token_hash).where(ApiToken.user_id == user.id))
    assert stored == hash_token(raw) and raw not in stored and len(stored) == 64


def test_token_lookup_compares_in_constant_time_and_never_sends_the_raw_token(app, make_user, bearer, monkeypatch):
    user = make_user("learner")
    raw = bearer(user)["Authorization"].removeprefix("Bearer ")
    compared = []
    real_compare = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real_compare(a, b))
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(repr(args[3]) + repr(args[2]))  # noqa: E731  (parameters, statement)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            found = ApiToken.find_active(raw)
            assert found is not None and found.user_id == user.id
            assert ApiToken.find_active(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert (hash_token(raw), hash_token(raw)) in compared
    assert statements and not any(raw in statement for statement in statements)


def test_a_wrong_or_revoked_token_gets_401(client, app, make_user, bearer):
    user = make_user("learner")
    headers = bearer(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.revoke()
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with app.app_context():
        assert db.session.get(User, user.id) is not None


def test_a_views_own_stricter_referrer_policy_is_kept(client):
    """The password-reset page carries a token in its address: it says no-referrer, and that stays."""
    response = client.get("/auth/reset/some-token")
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_scripts_and_stylesheets_skip_the_document_only_headers_but_keep_nosniff(client):
    """A script or stylesheet is no document: CSP and framing rules mean nothing there. Pages and SVG keep them."""
    for path in ("/static/js/room.js", "/static/css/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers and "X-Frame-Options" not in response.headers
    for path in ("/static/favicon.svg", "/"):
        response = client.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY"
