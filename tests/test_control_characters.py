"""Control characters in text input (issue 21, finding 4): one rule for every form, query and JSON body.

NUL used to give a 500 on ``/me/profile`` and ``/auth/signup`` (PostgreSQL
refuses NUL in text; on SQLite a check constraint saw an empty name) and was
stored as is elsewhere. Now any C0 control in a form or JSON body but tab, line feed and carriage
return, DEL, C1 controls and lone surrogates make the request a 400 (the API: its 422 naming the field) that
says why, in the person's language, before any view runs: nothing changes.
Run on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tutoring.extensions import db
from tutoring.models import Booking, User
from tutoring.security import has_refused_characters

VOLUNTEER_FORM = {
    "display_name": "Amal", "timezone": "Asia/Amman", "language": "en", "subjects": "Maths, Physics",
    "languages": "Arabic, English", "kinds": ["tutoring"], "bio": "Engineer.",
    "session_minutes": "30", "buffer_minutes": "10", "min_notice_hours": "24", "horizon_days": "28",
    "max_sessions_per_week": "4",
}


def csrf_token(client, path: str = "/auth/reset") -> str:
    body = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


@pytest.mark.parametrize("text", ["\x00", "\x00a", "Lina\x00x", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "\x9b"])
@pytest.mark.parametrize("field", ["display_name", "subjects", "bio", "languages"])
def test_a_profile_with_a_control_character_is_refused_plainly_and_nothing_changes(app, client, make_user, sign_in,
                                                                                     field, text):
    volunteer = make_user("volunteer", name="Before")
    sign_in(volunteer)
    response = client.post("/me/profile", data={**VOLUNTEER_FORM, field: text, "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, volunteer.id).display_name == "Before"


def test_tabs_and_line_breaks_are_text(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", name="Before")
    sign_in(volunteer)
    response = client.post("/me/profile", data={**VOLUNTEER_FORM, "bio": "Line one\r\nLine\ttwo",
                                                "csrf_token": csrf_token(client)})
    assert response.status_code in (200, 302)
    with app.app_context():
        assert db.session.get(User, volunteer.id).volunteer_profile.bio.replace("\r\n", "\n") == "Line one\nLine\ttwo"


def test_a_sign_up_with_nul_in_the_name_is_refused_in_the_page_language(app, client):
    data = {"role": "learner", "display_name": "Evil\x00Name", "email": "evil@example.org", "password": "x" * 12,
            "confirm": "x" * 12, "timezone": "Africa/Cairo", "language": "ar",
            "csrf_token": csrf_token(client, "/auth/signup")}
    response = client.post("/auth/signup", data=data, headers={"Accept-Language": "ar"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'lang="ar"' in body and "control characters" not in body  # said in Arabic
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("body", [
    {"note": "a\x00b"}, {"kind": "tutoring\x00"}, {"note": "\ud800"}, {"x\x00": 1}, {"rules": [{"start": "\x01"}]},
])
def test_json_with_a_control_character_gets_the_api_error_shape_and_books_nothing(app, client, make_user, bearer,
                                                                                     body):
    volunteer = make_user("volunteer", rules=[(day, "09:00", "12:00") for day in range(7)])
    learner = make_user("learner")
    payload = {"volunteer_id": volunteer.id, "start": "2027-01-12T09:00:00Z", "kind": "tutoring", **body}
    response = client.post("/api/v1/bookings", data=json.dumps(payload), headers={
        **bearer(learner), "Content-Type": "application/json"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["field"] == next(iter(body)) and error["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_nul_in_a_query_string_or_a_path_is_no_crash(client):
    """Query strings and paths are read, never stored: they are unknown values, not refusals."""
    assert client.get("/?subject=a%00b").status_code == 200
    assert client.get("/calendar/abc%00def.ics").status_code == 404


@pytest.mark.parametrize(("text", "refused"), [
    ("plain", False), ("tab\there", False), ("line\nbreak\r\n", False), ("مرحبا", False), ("\u202eevil", False),
    ("\x00", True), ("\x1f", True), ("\x7f", True), ("\x80", True), ("\x9f", True), ("\udfff", True),
])
def test_which_characters_are_refused(text, refused):
    assert has_refused_characters(text) is refused
