"""Signing up, signing in and out, and where sign-in sends people (SPEC §3)."""
from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

import tutoring.models.user as user_module
from tutoring.extensions import db
from tutoring.models import User, VolunteerProfile
from tutoring.worker import Worker

PASSWORD = "a long enough password"


def form_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)


def signup_data(client, **overrides) -> dict:
    """A valid volunteer sign-up, changed by ``overrides`` (None drops a field)."""
    data = {
        "csrf_token": form_token(client, "/auth/signup"),
        "role": "volunteer",
        "display_name": "Amal",
        "email": "amal@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "timezone": "Asia/Amman",
        "language": "ar",
        "kinds": ["tutoring", "support"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def login(client, email: str, password: str, **extra):
    """POST the sign-in form."""
    data = {"csrf_token": form_token(client, "/auth/login"), "email": email, "password": password, **extra}
    return client.post("/auth/login", data=data)


def signed_in_user_id(client) -> str | None:
    """The user id the session signs in (Flask-Login's id is "<id>:<password fingerprint>")."""
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return value.partition(":")[0] if value else None


def outbox_mail(app) -> list[email.message.EmailMessage]:
    """The mail the worker delivers now, oldest first (each message once: the files are removed)."""
    Worker(app).run(once=True)
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns) if folder.exists() else []
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    for path in files:
        path.unlink()
    return messages


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


# --- sign up -------------------------------------------------------------


def test_signup_page_has_the_fields_and_a_zone_picker(client):
    body = client.get("/auth/signup", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    for name in ("role", "display_name", "email", "password", "confirm", "timezone", "language", "kinds", "csrf_token"):
        assert f'name="{name}"' in body, name
    assert 'list="timezones"' in body and '<datalist id="timezones">' in body
    assert '<option value="Asia/Kathmandu" data-aliases="Asia/Katmandu">' in body
    assert 'value="coordinator"' not in body
    # The language is preset to the one the page is shown in.
    assert re.search(r'<input checked id="language-\d" name="language" type="radio" value="ar">', body)
    # The zone is preset by a static script, never inline code.
    assert '<script src="/static/js/timezone-field.js?v=' in body  # static URLs carry their content hash
    assert "data-browser-timezone" in body


def test_signup_presets_the_zone_the_browser_reported(client):
    client.set_cookie("tz", "Asia/Calcutta")
    body = client.get("/auth/signup").get_data(as_text=True)
    assert re.search(r'id="timezone"[^>]*value="Asia/Kolkata"', body)


def test_volunteer_signup_creates_a_pending_volunteer_and_asks_them_to_check_their_email(app, client):
    response = client.post("/auth/signup", data=signup_data(client))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/signup/sent"
    with app.app_context():
        user = User.by_email("amal@example.org")
        assert (user.role, user.display_name, user.timezone, user.language) == ("volunteer", "Amal", "Asia/Amman", "ar")
        assert user.check_password(PASSWORD)
        assert user.volunteer_profile.state == "pending"
        assert user.volunteer_profile.kinds == ["tutoring", "support"]
    # Not signed in: the page is the same whether or not the address had an account (issue 21).
    assert signed_in_user_id(client) is None
    [mail] = outbox_mail(app)
    assert mail["To"].addresses[0].addr_spec == "amal@example.org"
    assert "Amal" in mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "حسابك جاهز"  # in the new account's language
    # Then they sign in with what they chose.
    assert login(client, "amal@example.org", PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(user.id)


def test_learner_signup_creates_a_learner_without_a_profile(app, client):
    data = signup_data(client, role="learner", email="Sami@Example.org", language="en", kinds=None)
    response = client.post("/auth/signup", data=data)
    assert response.status_code == 302
    with app.app_context():
        user = User.by_email("sami@example.org")
        assert user.role == "learner" and user.volunteer_profile is None
        assert db.session.scalar(select(func.count()).select_from(VolunteerProfile)) == 0


def test_signup_carries_a_local_next_page_to_the_sign_in_link(client):
    response = client.post("/auth/signup", data=signup_data(client, next="/volunteers?kind=support"))
    assert response.headers["Location"] == "/auth/signup/sent?next=/volunteers?kind%3Dsupport"
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="/auth/login?next=/volunteers?kind%3Dsupport"' in body
    response = client.post("/auth/signup", data=signup_data(client, email="b@example.org", next="https://evil.example/"))
    assert response.headers["Location"] == "/auth/signup/sent"


def test_signup_turns_an_old_zone_name_into_the_current_one(app, client):
    client.post("/auth/signup", data=signup_data(client, timezone="Asia/Katmandu"))
    with app.app_context():
        assert User.by_email("amal@example.org").timezone == "Asia/Kathmandu"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Choose a time zone from the list"),
        ({"timezone": ""}, "Choose your time zone."),
        ({"password": "short", "confirm": "short"}, "Use at least 8 characters."),
        ({"confirm": "a different password"}, "The two passwords are not the same."),
        ({"role": "admin"}, "Choose whether you want to book sessions or to volunteer."),
        ({"role": "coordinator"}, "Choose whether you want to book sessions or to volunteer."),
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"email": ""}, "Enter your email address."),
        ({"display_name": "   "}, "Enter a name to show to others."),
        ({"display_name": "x" * 101}, "Use at most 100 characters."),
        ({"language": "fr"}, "Choose Arabic or English."),
        ({"kinds": None}, "Choose at least one kind of session you offer."),
        ({"kinds": ["tutoring", "astrology"]}, "Choose at least one kind of session you offer."),
    ],
    ids=["unknown-zone", "no-zone", "short-password", "mismatched-confirmation", "unknown-role",
         "coordinator", "bad-email", "no-email", "blank-name", "long-name", "bad-language", "no-kinds", "bad-kind"],
)
def test_bad_signup_shows_a_message_and_creates_nothing(app, client, overrides, message):
    response = client.post("/auth/signup", data=signup_data(client, **overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    assert 'class="field-errors"' in body
    assert count_users(app) == 0
    assert signed_in_user_id(client) is None


def without_csrf_tokens(response) -> str:
    """The page with its CSRF token (signed with the second it was made in, so new each second) blanked."""
    text = response.get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', text)
    return text.replace(token.group(1), "TOKEN") if token else text


def test_signup_with_a_taken_email_answers_like_a_new_one_and_mails_the_owner(app, client, make_user):
    """Issue 21, finding 3: sign-up must not tell whether an address has an account."""
    owner = make_user("learner", email="amal@example.org", password=PASSWORD, language="ar", name="Owner")
    fresh = client.post("/auth/signup", data=signup_data(client, email="new@example.org"))
    fresh_page = client.get(fresh.headers["Location"])
    outbox_mail(app)  # the new account's welcome

    taken = client.post("/auth/signup", data=signup_data(client, email="AMAL@example.org", password="another password 1",
                                                       confirm="another password 1", display_name="Intruder"))
    taken_page = client.get(taken.headers["Location"])
    assert (taken.status_code, taken.headers["Location"]) == (fresh.status_code, fresh.headers["Location"])
    assert taken.get_data() == fresh.get_data()
    # The pages' CSRF tokens carry the second they were made in; everything else must be identical.
    assert (taken_page.status_code, without_csrf_tokens(taken_page)) == (fresh_page.status_code, without_csrf_tokens(fresh_page))
    assert "already" not in taken_page.get_data(as_text=True)

    assert count_users(app) == 2
    assert signed_in_user_id(client) is None
    with app.app_context():
        stored = User.by_email("amal@example.org")
        assert (stored.id, stored.display_name, stored.role) == (owner.id, "Owner", "learner")
        assert stored.check_password(PASSWORD)  # nothing changed
    # The owner hears about it, in their own language, with a way in.
    [notice] = outbox_mail(app)
    assert notice["To"].addresses[0].addr_spec == "amal@example.org"
    assert notice["Subject"] == "حاول أحدهم إنشاء حساب بعنوانك"
    text = notice.get_body(("plain",)).get_content()
    assert "Owner" in text and "/auth/login" in text and "/auth/reset" in text


def test_signing_up_twice_with_one_address_answers_the_same_both_times(app, client):
    first = client.post("/auth/signup", data=signup_data(client, language="en"))
    second = client.post("/auth/signup", data=signup_data(client, language="en"))
    assert (first.status_code, first.headers["Location"], first.get_data()) == (
        second.status_code, second.headers["Location"], second.get_data())
    assert count_users(app) == 1
    welcome, notice = outbox_mail(app)
    assert welcome["Subject"] == "Your account is ready"
    assert notice["Subject"] == "Someone tried to sign up with your address"


@pytest.mark.app_config(RATELIMIT_ENABLED=True, AUTH_SIGNUP_LIMIT="3 per hour")
def test_the_signup_limit_counts_every_attempt(client):
    statuses = [client.post("/auth/signup", data=signup_data(client, email="amal@example.org")).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_signup_errors_are_in_the_page_language(client):
    client.set_cookie("lang", "ar")
    response = client.post("/auth/signup", data=signup_data(client, password="short", confirm="short"))
    body = response.get_data(as_text=True)
    assert "Use at least" not in body
    assert "8" in body and "أحرف" in body


def test_a_learner_may_leave_the_kinds_empty(app, client):
    response = client.post("/auth/signup", data=signup_data(client, role="learner", kinds=None))
    assert response.status_code == 302


def test_signed_in_people_are_sent_on_from_the_signup_and_login_pages(client, make_user, sign_in):
    sign_in(make_user("learner"))
    assert client.get("/auth/signup").headers["Location"] == "/"
    assert client.get("/auth/login?next=/volunteers").headers["Location"] == "/volunteers"


# --- sign in -------------------------------------------------------------


def test_login_page_has_the_spec_fields(client):
    body = client.get("/auth/login").get_data(as_text=True)
    for name in ("email", "password", "csrf_token", "remember"):
        assert f'name="{name}"' in body, name
    assert 'action="/auth/login"' in body and 'method="post"' in body


def test_login_signs_in_and_goes_home(client, make_user):
    # A learner: volunteers land on their dashboard instead (tests/people/test_account_profile.py).
    user = make_user("learner", email="v@example.org", password=PASSWORD)
    response = login(client, "V@Example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in_user_id(client) == str(user.id)


@pytest.mark.parametrize("email", ["nobody@example.org", "learner@example.org"], ids=["unknown-email", "wrong-password"])
def test_failed_login_says_the_same_thing_either_way(client, make_user, email):
    make_user("learner", email="learner@example.org", password=PASSWORD)
    response = login(client, email, "wrong password")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The email or password is not right." in body
    assert f'value="{email}"' in body  # the address is kept, the password is not
    assert "wrong password" not in body
    assert signed_in_user_id(client) is None


def test_an_address_with_a_nul_is_refused_like_any_text_with_control_characters(client, make_user):
    make_user("learner", email="learner@example.org", password=PASSWORD)
    response = login(client, "learner\x00@example.org", PASSWORD)
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None


def test_a_deactivated_account_cannot_sign_in(app, client, make_user):
    user = make_user("learner", email="gone@example.org", password=PASSWORD)
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    response = login(client, "gone@example.org", PASSWORD)
    assert "The email or password is not right." in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None


def test_an_unknown_email_still_costs_a_password_check(client, make_user, monkeypatch):
    """Timing: an unknown address runs argon2 once, like a known one."""
    make_user("learner", email="known@example.org", password=PASSWORD)
    checks = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash_, password):
            checks.append(hash_)
            return super().verify(hash_, password)

    monkeypatch.setattr(user_module, "password_hasher", CountingHasher(time_cost=1, memory_cost=8, parallelism=1))
    login(client, "known@example.org", "wrong password")
    login(client, "unknown@example.org", "wrong password")
    assert len(checks) == 2
    assert all(hash_.startswith("$argon2") for hash_ in checks)


def test_login_starts_a_fresh_session(client, make_user):
    """No session fixation: whatever the session held before sign-in is gone, CSRF token included."""
    make_user("learner", email="l@example.org", password=PASSWORD)
    token_before = form_token(client, "/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        cookie_before = dict(session)
    response = client.post("/auth/login", data={"csrf_token": token_before, "email": "l@example.org",
                                                "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != cookie_before.get("csrf_token")
        assert session.get("_user_id")
    # The old form token no longer works for the new session.
    response = client.post("/auth/logout", data={"csrf_token": token_before})
    assert response.status_code == 400


def test_remember_me_cookie_only_when_asked(client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    response = login(client, "l@example.org", PASSWORD)
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))

    client.post("/auth/logout", data={"csrf_token": form_token(client, "/auth/reset")})
    response = login(client, "l@example.org", PASSWORD, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_me_cookie_signs_in_a_new_session_and_logout_removes_it(app, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    client = app.test_client()
    login(client, "l@example.org", PASSWORD, remember="y")
    client.delete_cookie("session")  # the browser was closed
    assert 'class="account-name"' in client.get("/auth/reset").get_data(as_text=True)

    response = client.post("/auth/logout", data={"csrf_token": form_token(client, "/auth/reset")})
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    client.delete_cookie("session")
    assert 'class="account-name"' not in client.get("/auth/reset").get_data(as_text=True)


# --- where sign-in goes ---------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/volunteers?kind=support", "/volunteers?kind=support"),
        ("/bookings/3", "/bookings/3"),
        ("//evil.example", "/"),
        ("////evil.example", "/"),
        ("https://evil.example/", "/"),
        ("http:/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/\\/evil.example", "/"),
        ("/path\\with\\backslashes", "/"),
        ("/\t/evil.example", "/"),
        ("/\r\n/evil.example", "/"),
        (" //evil.example", "/"),
        ("evil.example", "/"),
        ("", "/"),
    ],
)
def test_login_redirects_only_to_a_local_next(client, make_user, target, expected):
    make_user("learner", email="l@example.org", password=PASSWORD)
    response = login(client, "l@example.org", PASSWORD, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("target", ["/\x00/evil.example", "/\x7f/evil.example"])
def test_a_next_with_control_characters_is_refused_and_signs_nobody_in(client, make_user, target):
    make_user("learner", email="l@example.org", password=PASSWORD)
    response = login(client, "l@example.org", PASSWORD, next=target)
    assert response.status_code == 400 and signed_in_user_id(client) is None


def test_login_next_from_the_query_string_is_kept_in_the_form(client, make_user):
    make_user("learner", email="l@example.org", password=PASSWORD)
    body = client.get("/auth/login?next=/bookings").get_data(as_text=True)
    assert re.search(r'name="next" type="hidden" value="/bookings"', body)
    token = form_token(client, "/auth/login")
    response = client.post("/auth/login?next=/bookings",
                           data={"csrf_token": token, "email": "l@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/bookings"


# --- sign out -------------------------------------------------------------


def test_logout_is_post_only(client, make_user, sign_in):
    sign_in(make_user("learner"))
    assert client.get("/auth/logout").status_code == 405
    assert signed_in_user_id(client) is not None


def test_logout_needs_the_csrf_token(client, make_user, sign_in):
    sign_in(make_user("learner"))
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert signed_in_user_id(client) is not None


def test_logout_signs_out_and_keeps_the_account_language(client, make_user, sign_in):
    sign_in(make_user("learner", language="ar"))
    response = client.post("/auth/logout", data={"csrf_token": form_token(client, "/auth/reset")})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_user_id(client) is None
    body = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="ar"' in body  # from the cookie set on the way out
    assert "تم تسجيل خروجك" in body


# --- the header -------------------------------------------------------------


def test_header_offers_sign_in_and_sign_up_when_signed_out(client):
    body = client.get("/auth/reset?x=1").get_data(as_text=True)
    account = re.search(r'<div class="account-nav">.*?</div>', body, re.S).group(0)
    assert 'href="/auth/login"' in account and 'href="/auth/signup"' in account
    assert 'action="/auth/logout"' not in body


def test_header_sign_in_link_comes_back_to_the_page_it_was_on(app):
    from flask import render_template

    with app.test_request_context("/volunteers?kind=support"):
        html = render_template("auth/_account_nav.html")
    assert 'href="/auth/login?next=/volunteers?kind%3Dsupport"' in html
    assert 'href="/auth/signup?next=/volunteers?kind%3Dsupport"' in html


def test_header_shows_the_name_and_a_sign_out_form_when_signed_in(client, make_user, sign_in):
    sign_in(make_user("learner", name="Maya <b>"))
    body = client.get("/auth/reset").get_data(as_text=True)
    assert '<span class="account-name">Maya &lt;b&gt;</span>' in body
    form = re.search(r'<form method="post" action="/auth/logout" class="sign-out">.*?</form>', body, re.S).group(0)
    assert 'name="csrf_token"' in form and "<button" in form
    account = re.search(r'<div class="account-nav">.*?</div>', body, re.S).group(0)
    assert "/auth/login" not in account and "/auth/signup" not in account


# --- pages that need an account ----------------------------------------------------


@pytest.fixture
def protected(app):
    """A page that needs an account, added to the test app: ``/members-only``."""
    from flask_login import login_required

    app.add_url_rule("/members-only", "members_only", login_required(lambda: "members only"))
    return "/members-only"


@pytest.mark.fresh_app
def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(client, make_user, protected):
    response = client.get(protected + "?week=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/members-only?week%3D2"
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please sign in to see this page." in body
    assert re.search(r'name="next" type="hidden" value="/members-only\?week=2"', body)

    make_user("learner", email="l@example.org", password=PASSWORD)
    response = login(client, "l@example.org", PASSWORD, next="/members-only?week=2")
    assert response.headers["Location"] == "/members-only?week=2"
    assert client.get("/members-only?week=2").get_data(as_text=True) == "members only"


@pytest.mark.fresh_app
def test_the_sign_in_prompt_speaks_the_visitors_language(client, protected):
    client.set_cookie("lang", "ar")
    client.get(protected)
    assert "يُرجى تسجيل الدخول لعرض هذه الصفحة." in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.fresh_app
def test_an_htmx_swap_gets_a_full_page_redirect_to_sign_in(client, protected):
    response = client.get(protected, headers={"HX-Request": "true",
                                              "HX-Current-URL": "http://localhost/volunteers/4?week=2026-12-07"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/volunteers/4?week%3D2026-12-07"
    assert response.get_data() == b""


@pytest.mark.fresh_app
def test_an_htmx_swap_from_another_site_is_not_sent_back_there(client, protected):
    response = client.get(protected, headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"})
    assert response.headers["HX-Redirect"] == "/auth/login"


@pytest.mark.fresh_app
def test_json_clients_get_401_in_the_api_shape(client, protected):
    response = client.get(protected, headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
