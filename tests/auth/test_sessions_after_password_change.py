"""A password change, or signing out, ends every session and remember-me cookie made before."""
from __future__ import annotations

import re

from tutoring.extensions import db
from tutoring.models import User
from tests.conftest import TEST_PASSWORD


def test_a_session_made_before_a_password_change_no_longer_signs_in(app, client, make_user, sign_in):
    user = make_user("learner")
    sign_in(user)
    assert client.get("/api/v1/me").status_code == 401  # the API never trusts the cookie
    page = client.get("/")
    assert user.display_name in page.get_data(as_text=True)

    with app.app_context():
        stored = db.session.get(User, user.id)
        stored.set_password("a brand new password")
        db.session.commit()

    page = client.get("/")
    assert user.display_name not in page.get_data(as_text=True)


def test_a_forged_or_old_style_session_id_is_refused(app, client, make_user):
    user = make_user("learner")
    for forged in (str(user.id), f"{user.id}:", f"{user.id}:{'0' * 32}", "x:y"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
            session["_fresh"] = True
        assert user.display_name not in client.get("/").get_data(as_text=True), forged


# --- signing out is kept on the server (issue 21, finding 5) ------------------


def _form_token(client, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)


def _sign_in_with_the_form(client, user, *, remember: bool = False):
    data = {"csrf_token": _form_token(client, "/auth/login"), "email": user.email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return response


def _saved_cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def _signed_in_as(app, cookies: dict[str, str], user) -> bool:
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return user.display_name in other.get("/").get_data(as_text=True)


def test_a_session_cookie_saved_before_signing_out_no_longer_works(app, client, make_user):
    user = make_user("learner")
    _sign_in_with_the_form(client, user)
    saved = _saved_cookies(client)
    assert _signed_in_as(app, saved, user)

    client.post("/auth/logout", data={"csrf_token": _form_token(client, "/auth/reset")})
    assert user.display_name not in client.get("/").get_data(as_text=True)
    assert not _signed_in_as(app, saved, user)  # the saved copy is refused too


def test_signing_out_ends_the_remember_me_cookie_and_every_other_device(app, client, make_user):
    user = make_user("learner")
    _sign_in_with_the_form(client, user, remember=True)
    remembered = {"remember_token": client.get_cookie("remember_token").value}
    assert _signed_in_as(app, remembered, user)
    laptop = app.test_client()
    _sign_in_with_the_form(laptop, user)

    client.post("/auth/logout", data={"csrf_token": _form_token(client, "/auth/reset")})
    assert not _signed_in_as(app, remembered, user)
    assert user.display_name not in laptop.get("/").get_data(as_text=True)
    # Signing in again works as before.
    _sign_in_with_the_form(client, user)
    assert user.display_name in client.get("/").get_data(as_text=True)


def test_a_session_id_from_before_the_generation_counts_as_generation_zero(app, client, make_user):
    user = make_user("learner")
    with app.app_context():
        fingerprint = db.session.get(User, user.id).password_fingerprint()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = f"{user.id}:{fingerprint}", True
    assert user.display_name in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.session.get(User, user.id).end_sessions()
        db.session.commit()
    assert user.display_name not in client.get("/").get_data(as_text=True)


def test_a_session_id_with_another_generation_is_refused(app, client, make_user):
    user = make_user("learner")
    with app.app_context():
        fingerprint = db.session.get(User, user.id).password_fingerprint()
    for forged in (f"{user.id}:{fingerprint}:1", f"{user.id}:{fingerprint}:-1", f"{user.id}:{fingerprint}:x"):
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = forged, True
        assert user.display_name not in client.get("/").get_data(as_text=True), forged
