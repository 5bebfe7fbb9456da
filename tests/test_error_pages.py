"""400, 403, 405 and 500 on pages: a page in the user's language (or the JSON error shape), never Werkzeug's English.

tutoring/main/errors.py takes what no area or code-specific handler took;
the API keeps its own errors. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from flask import abort

import tutoring.main.errors as errors


@pytest.fixture
def failing(make_app):
    """An app with pages that fail in each way (exceptions become 500s, as in production)."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def crash():
        raise RuntimeError("a bug")

    app.add_url_rule("/_test/bad", "bad", lambda: abort(400))
    app.add_url_rule("/_test/forbidden", "forbidden", lambda: abort(403))
    app.add_url_rule("/_test/crash", "crash", crash)
    app.add_url_rule("/_test/teapot", "teapot", lambda: abort(418))
    return app


@pytest.mark.parametrize(("path", "method", "status", "english", "arabic"), [
    ("/_test/bad", "GET", 400, "This request could not be read", "تعذّرت قراءة هذا الطلب"),
    ("/_test/forbidden", "GET", 403, "Not allowed", "غير مسموح"),
    ("/", "POST", 405, "This page can&#39;t be opened that way", "لا تُفتح هذه الصفحة بهذه الطريقة"),
    ("/_test/crash", "GET", 500, "Something went wrong", "حدث خطأ ما"),
])
def test_each_error_is_a_page_in_the_users_language(failing, path, method, status, english, arabic):
    client = failing.test_client()
    for language, words in (("en", english), ("ar", arabic)):
        response = client.open(path, method=method, headers={"Accept-Language": language})
        assert response.status_code == status
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert f'lang="{language}"' in page
        assert words in page, page
        assert "Traceback" not in page and "a bug" not in page


def test_a_405_keeps_its_allow_header_and_a_json_client_gets_the_error_shape(failing):
    response = failing.test_client().post("/", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_the_api_keeps_its_own_errors(failing):
    response = failing.test_client().delete("/api/v1/me")
    assert response.status_code == 405
    assert response.get_json()["error"]["message"].startswith("This address does not accept DELETE")


def test_other_codes_and_csrf_keep_their_own_answers(failing):
    client = failing.test_client()
    assert client.get("/_test/teapot").status_code == 418
    refused = client.post("/auth/login", data={"email": "a@example.org", "password": "x"})
    assert refused.status_code == 400
    assert "too old or came from another site" in refused.get_data(as_text=True)


def test_when_even_the_error_page_fails_a_line_of_text_says_so(failing, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the database is down too")

    monkeypatch.setattr(errors, "render_template", broken)
    response = failing.test_client().get("/_test/crash")
    assert response.status_code == 500
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "Something went wrong on our side. Please try again in a moment."
