"""GET /api/v1/me: the caller's own account (SPEC §4)."""
from __future__ import annotations

import pytest

from tutoring.extensions import db
from tutoring.models import User


@pytest.mark.parametrize("role", ["volunteer", "learner", "coordinator"])
def test_me_shows_the_callers_account(app, client, make_user, bearer, role):
    user = make_user(role, name="Amal", timezone="Asia/Kathmandu", language="ar")
    response = client.get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    with app.app_context():
        token = db.session.get(User, user.id).calendar_token
    assert response.get_json() == {
        "id": user.id,
        "role": role,
        "name": "Amal",
        "timezone": "Asia/Kathmandu",
        "language": "ar",
        "feed_url": f"http://localhost/calendar/{token}.ics",
    }
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.app_config(BASE_URL="https://tutoring.example.org/")
def test_feed_url_uses_base_url(client, make_user, bearer):
    feed_url = client.get("/api/v1/me", headers=bearer(make_user())).get_json()["feed_url"]
    assert feed_url.startswith("https://tutoring.example.org/calendar/")
    assert feed_url.endswith(".ics")


@pytest.mark.app_config(BASE_URL="")
def test_feed_url_falls_back_to_the_request_host(client, make_user, bearer):
    response = client.get("/api/v1/me", headers=bearer(make_user()), base_url="https://api.example.net")
    assert response.get_json()["feed_url"].startswith("https://api.example.net/calendar/")


def test_a_volunteers_me_id_is_their_listing_id(client, make_user, bearer):
    volunteer = make_user("volunteer")
    me = client.get("/api/v1/me", headers=bearer(volunteer)).get_json()
    listed = client.get("/api/v1/volunteers", headers=bearer(make_user())).get_json()
    assert [entry["id"] for entry in listed] == [me["id"]]
