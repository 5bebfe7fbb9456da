"""The base page: language and direction, CSRF plumbing for htmx, no inline code (SPEC §6)."""
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)


@pytest.mark.parametrize(
    ("headers", "cookie", "expected"),
    [
        ({}, None, ('lang="en"', 'dir="ltr"')),
        ({"Accept-Language": "ar"}, None, ('lang="ar"', 'dir="rtl"')),
        ({"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"}, None, ('lang="ar"', 'dir="rtl"')),
        ({"Accept-Language": "fr-FR,fr;q=0.9"}, None, ('lang="en"', 'dir="ltr"')),
        ({"Accept-Language": "ar"}, "en", ('lang="en"', 'dir="ltr"')),
        ({"Accept-Language": "en"}, "ar", ('lang="ar"', 'dir="rtl"')),
        ({}, "xx", ('lang="en"', 'dir="ltr"')),
    ],
    ids=["default", "accept-ar", "accept-ar-EG", "unsupported", "cookie-beats-header", "cookie-ar", "bad-cookie"],
)
def test_language_comes_from_cookie_else_accept_language_else_english(client, headers, cookie, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    tag = html_tag(client.get("/", headers=headers))
    assert all(part in tag for part in expected), tag


def test_account_language_beats_cookie_and_header(client, make_user, sign_in):
    sign_in(make_user("learner", language="ar"))
    client.set_cookie("lang", "en")
    response = client.get("/", headers={"Accept-Language": "en"})
    assert 'dir="rtl"' in html_tag(response)
    assert "ابحث عن" in response.get_data(as_text=True)  # the Arabic catalogue is used


def test_page_names_the_zone_times_are_shown_in(client, make_user, sign_in):
    assert "UTC" in client.get("/").get_data(as_text=True)
    client.set_cookie("tz", "Asia/Kathmandu")
    assert "Asia/Kathmandu" in client.get("/").get_data(as_text=True)
    sign_in(make_user("learner", timezone="America/New_York"))
    assert "America/New_York" in client.get("/").get_data(as_text=True)


def test_base_page_sends_the_csrf_token_to_htmx_and_has_no_inline_code(client):
    body = client.get("/").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', body).group(1)
    assert f"hx-headers='{{\"X-CSRFToken\": \"{meta}\"}}'" in body
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts and all("src=" in tag for tag in scripts)
    assert "/static/vendor/htmx.min.js" in body and "/static/css/app.css" in body
    assert " style=" not in body and "<style" not in body
    assert not re.search(r"\son[a-z]+=", body)  # no onclick= and friends


def test_stylesheet_uses_logical_properties_only():
    css = (STATIC / "css" / "app.css").read_text()
    physical = re.findall(r"(?<![\w-])(?:margin|padding|border)-(?:left|right)\b|(?<![\w-])(?:left|right)\s*:|"
                          r"text-align\s*:\s*(?:left|right)|float\s*:\s*(?:left|right)", css)
    assert physical == []


def test_htmx_is_vendored():
    assert (STATIC / "vendor" / "htmx.min.js").stat().st_size > 10_000, "run `make vendor`"


def test_language_switch_sets_the_cookie_and_returns_to_a_local_page(client):
    response = client.post("/language", data={"lang": "ar", "next": "/?q=1", "csrf_token": _csrf(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?q=1"
    assert "lang=ar" in response.headers["Set-Cookie"]
    assert 'dir="rtl"' in html_tag(client.get("/"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "////evil.example", "/\\evil.example",
                                    "\\\\evil.example", "/\tevil", "javascript:alert(1)", ""])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"lang": "en", "next": target, "csrf_token": _csrf(client)})
    assert response.headers["Location"] == "/"


def test_language_switch_updates_a_signed_in_account(app, client, make_user, sign_in):
    from tutoring.extensions import db
    from tutoring.models import User

    user = make_user("learner", language="en")
    sign_in(user)
    client.post("/language", data={"lang": "ar", "next": "/", "csrf_token": _csrf(client)})
    with app.app_context():
        assert db.session.get(User, user.id).language == "ar"


def test_language_switch_needs_the_csrf_token(client):
    assert client.post("/language", data={"lang": "ar", "next": "/"}).status_code == 400


def _csrf(client) -> str:
    body = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', body).group(1)


def test_an_unknown_page_is_a_404_in_the_users_language(client):
    english = client.get("/no-such-page")
    assert english.status_code == 404
    assert 'lang="en"' in english.get_data(as_text=True) and "There is nothing here." in english.get_data(as_text=True)
    client.set_cookie("lang", "ar")
    arabic = client.get("/no-such-page").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "There is nothing here." not in arabic
