"""Every API answer that is not a success is JSON in the SPEC §4 shape; junk input never gives a 500."""
from __future__ import annotations

import logging

import pytest

import tutoring.api.views as api_views

from .helpers import assert_error


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/api/v1/me", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/v1/me", "GET, HEAD, OPTIONS"),
        ("PUT", "/api/v1/volunteers", "GET, HEAD, OPTIONS"),
        ("PATCH", "/api/v1/volunteers/1/slots", "GET, HEAD, OPTIONS"),
        ("POST", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_method_is_405_json_with_allow(client, make_user, bearer, method, path, allowed):
    for headers in ({}, bearer(make_user())):
        response = client.open(path, method=method, headers=headers)
        error = assert_error(response, 405, "method_not_allowed")
        assert {method.strip() for method in response.headers["Allow"].split(",")} == set(allowed.split(", "))
        assert method in error["message"]


def test_options_lists_the_methods_without_needing_a_token(client):
    response = client.options("/api/v1/me")
    assert response.status_code == 200
    assert {method.strip() for method in response.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


def test_a_state_changing_call_with_a_session_cookie_and_no_csrf_token_is_still_json(app, client, make_user, sign_in):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(make_user())
    assert_error(client.post("/api/v1/me", json={}), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/", "/api/v1/nothing", "/api/v1/volunteers/1", "/api/v1/me/x"])
def test_unknown_api_addresses_are_404_json(client, make_user, bearer, path):
    assert_error(client.get(path, headers=bearer(make_user())), 404, "not_found")
    assert_error(client.get(path), 404, "not_found")


def test_pages_outside_the_api_keep_their_own_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.is_json


@pytest.mark.app_config(RATELIMIT_ENABLED=True, API_RATELIMIT="3 per minute")
def test_too_many_requests_is_429_json(client, make_user, bearer):
    headers = bearer(make_user())
    statuses = [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get("/api/v1/me", headers=headers)
    assert_error(response, 429, "rate_limited")
    assert "Retry-After" in response.headers


def test_an_unexpected_exception_is_logged_and_answered_as_json_500(client, make_user, bearer, monkeypatch, caplog):
    def broken(**_filters):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api_views, "find_volunteers", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/volunteers", headers=bearer(make_user()))
    error = assert_error(response, 500, "internal_error")
    assert "a bug" not in error["message"]  # internals stay in the log
    assert "a bug" in caplog.text


def test_error_messages_are_translated_for_arabic_accounts(client, make_user, bearer):
    arabic = bearer(make_user(language="ar"))
    english = bearer(make_user(language="en"))
    for path in ("/api/v1/volunteers?limit=0", "/api/v1/volunteers/1/slots?tz=Nowhere", "/api/v1/nowhere"):
        arabic_message = client.get(path, headers=arabic).get_json()["error"]["message"]
        english_message = client.get(path, headers=english).get_json()["error"]["message"]
        assert arabic_message != english_message
        assert any("\u0600" <= ch <= "\u06ff" for ch in arabic_message), arabic_message


JUNK = [
    "",
    " ",
    "\x00",
    "%00",
    "null",
    "-0",
    "0x10",
    "1e309",
    "9" * 5000,
    "NaN",
    "🙂",
    "' OR 1=1 --",
    "<script>",
    "../../../../etc/passwd",
    "2026-02-29",
    "2026-12-31T25:00",
    "9999-12-31",
    "0001-01-01",
    "Etc/GMT+14",
    "Factory",
    "UTC",
    "localtime",
    "posixrules",
    "a" * 10_000,
]


@pytest.mark.parametrize("value", JUNK)
def test_junk_query_values_never_cause_a_server_error(client, make_user, bearer, value):
    volunteer = make_user("volunteer", rules=[(day, "09:00", "17:00") for day in range(7)])
    headers = bearer(make_user())
    paths = ["/api/v1/me", "/api/v1/volunteers", f"/api/v1/volunteers/{volunteer.id}/slots"]
    names = ["subject", "language", "kind", "limit", "offset", "from", "to", "tz"]
    for path in paths:
        for name in names:
            response = client.get(path, headers=headers, query_string={name: value})
            assert response.status_code in {200, 422}, (path, name, response.get_data(as_text=True)[:300])
            assert response.is_json
        # Everything at once, and the same name twice.
        response = client.get(path, headers=headers, query_string=[(name, value) for name in names * 2])
        assert response.status_code in {200, 422}


@pytest.mark.parametrize("raw", ["tz=%ff", "tz=%ED%A0%80", "from=%", "to=%zz", "kind=%C0%AF", "limit=%00", "&&&", "=x", "tz"])
def test_undecodable_query_strings_never_cause_a_server_error(client, make_user, bearer, raw):
    volunteer = make_user("volunteer", rules=[(0, "09:00", "17:00")])
    headers = bearer(make_user())
    for path in ("/api/v1/volunteers", f"/api/v1/volunteers/{volunteer.id}/slots"):
        response = client.get(f"{path}?{raw}", headers=headers)
        assert response.status_code in {200, 422}, response.get_data(as_text=True)
