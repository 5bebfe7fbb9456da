"""Bearer-token authentication: only the token counts, never a session cookie (SPEC §4)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import request

from tutoring.extensions import csrf, db
from tutoring.models import ApiToken, User
from tutoring.services.people.accounts import LAST_USED_PRECISION

from .helpers import assert_error

PROTECTED = ["/api/v1/me", "/api/v1/volunteers", "/api/v1/volunteers/1/slots"]


@pytest.mark.parametrize("path", PROTECTED)
def test_no_token_is_401_json_with_a_bearer_challenge(client, path):
    response = client.get(path)
    assert_error(response, 401, "authentication_required")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tutoring"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-real-token",
        "Bearer ",
        "Bearer",
        "bearer",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer two words",
        "Bearer " + "a" * 10_000,
        "Bearer abc\x00def",
        "Bearer تسجيل",
        "",
    ],
)
@pytest.mark.parametrize("path", PROTECTED)
def test_a_bad_token_is_401_invalid_token(client, path, header):
    response = client.get(path, headers={"Authorization": header})
    assert_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tutoring", error="invalid_token"'


def test_a_valid_token_authenticates_and_the_scheme_is_case_insensitive(client, make_user, bearer):
    user = make_user("learner")
    token = bearer(user)["Authorization"].split(" ", 1)[1]
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = client.get("/api/v1/me", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200
        assert response.get_json()["id"] == user.id


def test_a_revoked_token_is_401(app, client, make_user, bearer):
    user = make_user("learner")
    headers = bearer(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        for token in db.session.get(User, user.id).api_tokens:
            token.revoke()
        db.session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_a_deactivated_users_token_is_401(app, client, make_user, bearer):
    user = make_user("volunteer")
    headers = bearer(user)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")


def test_a_session_cookie_alone_does_not_authenticate(client, make_user, sign_in):
    user = make_user("learner")
    sign_in(user)
    assert_error(client.get("/api/v1/me"), 401, "authentication_required")


def test_the_token_not_the_session_cookie_decides_who_is_calling(client, make_user, sign_in, bearer):
    signed_in = make_user("learner", language="ar")
    token_owner = make_user("volunteer", language="en")
    sign_in(signed_in)
    body = client.get("/api/v1/me", headers=bearer(token_owner)).get_json()
    assert body["id"] == token_owner.id


def test_api_is_exempt_from_csrf_because_only_bearer_tokens_authenticate(app):
    # Flask-WTF skips views it was told to exempt; with no POST endpoint yet, ask it directly.
    with app.test_request_context("/api/v1/me", method="GET"):
        assert request.blueprint == "api"
        assert csrf._is_exempt()


def test_last_used_at_is_noted_at_most_every_few_minutes(app, client, make_user, bearer):
    user = make_user("learner")
    headers = bearer(user)

    def last_used():
        with app.app_context():
            return db.session.scalar(db.select(ApiToken.last_used_at).where(ApiToken.user_id == user.id))

    assert last_used() is None
    client.get("/api/v1/me", headers=headers)
    first = last_used()
    assert first is not None
    client.get("/api/v1/me", headers=headers)
    assert last_used() == first  # a second call moments later writes nothing
    with app.app_context():
        token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
        token.last_used_at = first - LAST_USED_PRECISION - timedelta(seconds=1)
        db.session.commit()
    client.get("/api/v1/me", headers=headers)
    assert last_used() > first - LAST_USED_PRECISION


def test_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def test_errors_are_in_the_callers_account_language(client, make_user, bearer):
    arabic = make_user("learner", language="ar")
    error = assert_error(
        client.get("/api/v1/volunteers", headers=bearer(arabic), query_string={"kind": "nonsense"}),
        422,
        "validation_error",
        field="kind",
    )
    assert "kind" in error["message"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in error["message"])  # Arabic script


def test_the_account_language_beats_accept_language(client, make_user, bearer):
    english = make_user("learner", language="en")
    headers = {**bearer(english), "Accept-Language": "ar"}
    error = assert_error(client.get("/api/v1/nowhere", headers=headers), 404, "not_found")
    assert error["message"] == "Not found."


def test_without_an_account_errors_follow_accept_language(client):
    error = assert_error(client.get("/api/v1/me", headers={"Accept-Language": "ar"}), 401, "authentication_required")
    assert any("\u0600" <= ch <= "\u06ff" for ch in error["message"])
