"""A password change signs out every other session and remember-me cookie."""
from __future__ import annotations

from tutoring.extensions import db
from tutoring.models import User


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
