"""GET and PUT /api/v1/me/availability (SPEC §4): the round trip, 422s naming the field, nothing half-saved, volunteers only."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import assert_error
from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.schedules.availability import availability_document

PATH = "/api/v1/me/availability"

SPEC_BODY = {
    "timezone": "Africa/Cairo",
    "session_minutes": 45,
    "buffer_minutes": 15,
    "min_notice_hours": 12,
    "horizon_days": 56,
    "max_sessions_per_week": None,
    "rules": [{"weekday": 1, "start": "18:00", "end": "20:00"}],
    "away": [{"from": "2026-12-24", "to": "2026-12-31"}],
    "extra": [{"date": "2027-01-09", "start": "10:00", "end": "12:00"}],
}

FULL_BODY = {
    "timezone": "Asia/Kathmandu",
    "session_minutes": 30,
    "buffer_minutes": 0,
    "min_notice_hours": 0,
    "horizon_days": 365,
    "max_sessions_per_week": 5,
    "rules": [
        {"weekday": 0, "start": "00:00", "end": "01:00"},
        {"weekday": 1, "start": "09:00", "end": "12:00", "valid_from": "2026-01-01", "valid_until": "2026-06-30"},
        {"weekday": 1, "start": "18:00", "end": "20:00"},
        {"weekday": 6, "start": "22:00", "end": "00:00"},
    ],
    "away": [{"from": "2026-12-24", "to": "2026-12-31"}, {"from": "2027-02-01", "to": "2027-02-01"}],
    "extra": [{"date": "2027-01-09", "start": "23:00", "end": "01:00"}, {"date": "2027-01-10", "start": "10:00", "end": "12:00"}],
}


@pytest.fixture
def volunteer(make_user):
    return make_user("volunteer", timezone="Europe/London", rules=[(2, "07:00", "08:30"), (4, "17:00", "19:00")])


def stored(app, user) -> dict:
    with app.app_context():
        return availability_document(db.session.get(User, user.id).volunteer_profile)


@pytest.mark.parametrize("body", [SPEC_BODY, FULL_BODY], ids=["spec-example", "everything"])
def test_put_then_get_gives_back_the_same_document(client, volunteer, bearer, body):
    headers = bearer(volunteer)
    put = client.put(PATH, json=body, headers=headers)
    assert put.status_code == 200, put.get_json()
    assert put.get_json() == body
    got = client.get(PATH, headers=headers)
    assert got.status_code == 200
    assert got.get_json() == body
    # The zone is the account's: /me says so too.
    assert client.get("/api/v1/me", headers=headers).get_json()["timezone"] == body["timezone"]


def test_get_shows_the_current_availability(client, volunteer, bearer):
    body = client.get(PATH, headers=bearer(volunteer)).get_json()
    assert body == {
        "timezone": "Europe/London", "session_minutes": 45, "buffer_minutes": 15, "min_notice_hours": 12,
        "horizon_days": 56, "max_sessions_per_week": None,
        "rules": [{"weekday": 2, "start": "07:00", "end": "08:30"}, {"weekday": 4, "start": "17:00", "end": "19:00"}],
        "away": [], "extra": [],
    }


def with_changes(path: tuple, value) -> dict:
    body = copy.deepcopy(FULL_BODY)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        # overlapping windows of one weekday, and one past midnight into the next day
        (("rules", 2, "start"), "11:00", "rules[2].start"),
        (("rules", 3), {"weekday": 6, "start": "23:30", "end": "00:30"}, "rules[3].end"),
        (("timezone",), "Europe/Atlantis", "timezone"),
        (("session_minutes",), 500, "session_minutes"),
        (("buffer_minutes",), -5, "buffer_minutes"),
        (("min_notice_hours",), 1000, "min_notice_hours"),
        (("horizon_days",), 0, "horizon_days"),
        (("max_sessions_per_week",), 0, "max_sessions_per_week"),
        (("rules", 0, "weekday"), 7, "rules[0].weekday"),
        (("rules", 1, "end"), "25:00", "rules[1].end"),
        (("away", 0, "to"), "2026-12-01", "away[0].to"),
        (("extra", 1, "start"), "noon", "extra[1].start"),
        # an extra window starting inside the previous one, which runs past midnight
        (("extra", 1, "start"), "00:30", "extra[1].start"),
    ],
)
def test_a_bad_document_is_refused_naming_the_field_and_nothing_is_saved(app, client, volunteer, bearer, path, value, field):
    before = stored(app, volunteer)
    response = client.put(PATH, json=with_changes(path, value), headers=bearer(volunteer))
    error = assert_error(response, 422, "validation_error", field)
    assert field in error["field"]
    assert stored(app, volunteer) == before  # the previous rules are all still there
    with app.app_context():
        assert db.session.get(User, volunteer.id).timezone == "Europe/London"


def test_the_message_is_in_the_callers_language(client, make_user, bearer):
    volunteer = make_user("volunteer", language="ar")
    response = client.put(PATH, json=with_changes(("rules", 2, "start"), "11:00"), headers=bearer(volunteer))
    error = assert_error(response, 422, "validation_error", "rules[2].start")
    assert "الثلاثاء" in error["message"]  # Tuesday, the day of the window it overlaps


@pytest.mark.parametrize("role", ["learner", "coordinator"])
def test_only_volunteers_have_an_availability(client, make_user, bearer, role):
    headers = bearer(make_user(role))
    assert_error(client.get(PATH, headers=headers), 403, "forbidden")
    assert_error(client.put(PATH, json=SPEC_BODY, headers=headers), 403, "forbidden")


def test_a_volunteer_only_ever_reaches_their_own(app, client, make_user, volunteer, bearer):
    other = make_user("volunteer", timezone="Asia/Riyadh", rules=[(5, "10:00", "11:00")])
    before = stored(app, volunteer)
    assert client.put(PATH, json=SPEC_BODY, headers=bearer(other)).status_code == 200
    assert stored(app, volunteer) == before
    assert client.get(PATH, headers=bearer(volunteer)).get_json() == before


def test_without_a_token_it_is_401_even_with_a_session_cookie(client, volunteer, sign_in):
    sign_in(volunteer)
    assert_error(client.get(PATH), 401, "authentication_required")
    assert_error(client.put(PATH, json=SPEC_BODY), 401, "authentication_required")


def test_a_body_that_is_not_json_is_refused(app, client, volunteer, bearer):
    before = stored(app, volunteer)
    headers = bearer(volunteer)
    assert client.put(PATH, data="rules", headers={**headers, "Content-Type": "text/plain"}).status_code == 415
    assert client.put(PATH, data="{", headers={**headers, "Content-Type": "application/json"}).status_code == 400
    assert_error(client.put(PATH, json=[], headers=headers), 422, "validation_error", "body")
    assert stored(app, volunteer) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 400) | st.sampled_from(["18:00", "20:00", "2026-12-24", "UTC", "x"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["weekday", "start", "end", "from", "to", "date", "valid_from"]), children, max_size=4),
    max_leaves=10,
)
mutated_bodies = st.fixed_dictionaries(
    {key: st.just(value) for key, value in FULL_BODY.items()}
).flatmap(
    lambda body: st.tuples(st.sampled_from(sorted(body)), json_values).map(lambda change: {**body, change[0]: change[1]})
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=mutated_bodies)
def test_any_document_gets_200_or_a_422_and_a_422_saves_nothing(app, client, volunteer, bearer, body):
    headers = bearer(volunteer)
    before = client.get(PATH, headers=headers).get_json()
    response = client.put(PATH, json=body, headers=headers)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.get_json()["error"]["field"]
        assert client.get(PATH, headers=headers).get_json() == before
    else:
        assert client.get(PATH, headers=headers).get_json() == response.get_json()
