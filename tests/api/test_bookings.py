"""The booking endpoints (SPEC §4): book, list, show, cancel, reschedule; who may, and the error shapes.

The rules themselves are tested in tests/test_booking_service.py and the
races in tests/test_booking_race.py; here: HTTP, JSON and authorization.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import tutoring.booking.operations as booking_service
from tests.api.helpers import assert_error

# Monday 7 January 2030 08:00 UTC; the volunteer (London, UTC in winter)
# offers Tuesdays 10:00-12:00: slots 10:00 and 11:00 (45 + 15 minutes).
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = "2030-01-08T10:00:00+00:00"
TUE_11 = "2030-01-08T11:00:00Z"
NEXT_TUE_10_CAIRO = "2030-01-15T12:00:00+02:00"  # = 10:00 UTC


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """The booking services' clock (minimum notice, horizon) reads NOW."""
    monkeypatch.setattr(booking_service, "utcnow", lambda: NOW)


@pytest.fixture
def people(make_user, bearer):
    """A volunteer, a learner in Kathmandu and a stranger, with their API headers."""
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(1, "10:00", "12:00")],
                          kinds=["tutoring", "mentoring"])
    learner = make_user("learner", timezone="Asia/Kathmandu", name="Sami")
    stranger = make_user("learner")
    return {
        "volunteer": volunteer, "learner": learner, "stranger": stranger,
        "as_volunteer": bearer(volunteer), "as_learner": bearer(learner), "as_stranger": bearer(stranger),
    }


def book(client, people, start=TUE_10, **body):
    """POST /api/v1/bookings as the learner."""
    payload = {"volunteer_id": people["volunteer"].id, "start": start, "kind": "tutoring", "note": "Algebra", **body}
    return client.post("/api/v1/bookings", json=payload, headers=people["as_learner"])


def test_booking_answers_201_with_the_booking(client, people):
    response = book(client, people)
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()
    assert response.headers["Location"] == f"/api/v1/bookings/{booking['id']}"
    # Times in the caller's zone (Kathmandu, +05:45) with offset, and in UTC.
    assert booking["start"] == "2030-01-08T15:45:00+05:45"
    assert booking["end"] == "2030-01-08T16:30:00+05:45"
    assert (booking["start_utc"], booking["end_utc"]) == ("2030-01-08T10:00:00Z", "2030-01-08T10:45:00Z")
    assert (booking["status"], booking["sequence"], booking["kind"]) == ("confirmed", 0, "tutoring")
    assert booking["uid"].endswith("@localhost")
    assert booking["volunteer"]["id"] == people["volunteer"].id
    assert booking["learner"] == {"id": people["learner"].id, "name": "Sami"}
    assert booking["note"] == "Algebra" and booking["cancel_reason"] is None and booking["series_id"] is None


def test_a_taken_or_off_grid_slot_is_409_slot_unavailable(client, people):
    assert book(client, people).status_code == 201
    assert_error(book(client, people), 409, "slot_unavailable")  # taken
    assert_error(book(client, people, start="2030-01-08T11:10:00Z"), 409, "slot_unavailable")  # off the grid


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"volunteer_id": None}, "volunteer_id"),
        ({"volunteer_id": "1"}, "volunteer_id"),
        ({"volunteer_id": True}, "volunteer_id"),
        ({"volunteer_id": 2**40}, "volunteer_id"),
        ({"start": "2030-01-08T10:00:00"}, "start"),  # no offset
        ({"start": "next tuesday"}, "start"),
        ({"start": 1893232800}, "start"),
        ({"start": "0001-01-01T00:00:00+14:00"}, "start"),
        ({"kind": "juggling"}, "kind"),
        ({"kind": ["tutoring"]}, "kind"),
        ({"kind": "support"}, "kind"),  # not offered by this volunteer
        ({"note": 5}, "note"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_booking_input_is_422_naming_the_field(client, people, body, field):
    assert_error(book(client, people, **body), 422, "validation_error", field=field)
    assert client.get("/api/v1/bookings", headers=people["as_learner"]).get_json() == []


def test_a_body_that_is_not_a_json_object_is_refused(client, people):
    headers = people["as_learner"]
    assert_error(client.post("/api/v1/bookings", json=[1, 2], headers=headers), 422, "validation_error", field="body")
    assert_error(client.post("/api/v1/bookings", data="{", headers={**headers, "Content-Type": "application/json"}),
                 400, "bad_request")
    too_deep = "[" * 100_000  # Python's parser gives up with a RecursionError: still just unreadable
    assert_error(client.post("/api/v1/bookings", data=too_deep, headers={**headers, "Content-Type": "application/json"}),
                 400, "bad_request")
    assert_error(client.post("/api/v1/bookings", data="volunteer_id=1", headers=headers), 415,
                 "unsupported_media_type")


def test_only_learners_book_and_only_with_a_token(client, people):
    body = {"volunteer_id": people["volunteer"].id, "start": TUE_10, "kind": "tutoring"}
    assert_error(client.post("/api/v1/bookings", json=body), 401, "authentication_required")
    assert_error(client.post("/api/v1/bookings", json=body, headers=people["as_volunteer"]), 422, "validation_error",
                 field="volunteer_id")  # themselves
    other_volunteer = {**body, "volunteer_id": people["stranger"].id}
    assert_error(client.post("/api/v1/bookings", json=other_volunteer, headers=people["as_volunteer"]), 403,
                 "forbidden")


def test_an_unknown_or_unbookable_volunteer_is_409_like_any_slot_not_offered(client, people, make_user):
    pending = make_user("volunteer", rules=[(1, "10:00", "12:00")], approved=False)
    for volunteer_id in (pending.id, people["stranger"].id, 999_999):
        assert_error(book(client, people, volunteer_id=volunteer_id), 409, "slot_unavailable")


def test_both_parties_list_and_see_the_booking_and_strangers_get_404(client, people, make_user, bearer):
    booking = book(client, people).get_json()
    for who in ("as_learner", "as_volunteer"):
        listed = client.get("/api/v1/bookings", headers=people[who]).get_json()
        assert [item["id"] for item in listed] == [booking["id"]]
        shown = client.get(f"/api/v1/bookings/{booking['id']}", headers=people[who])
        assert shown.status_code == 200 and shown.get_json()["uid"] == booking["uid"]
    # The volunteer sees London times.
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=people["as_volunteer"]).get_json()["start"] == (
        "2030-01-08T10:00:00+00:00")
    outsiders = [people["as_stranger"], bearer(make_user("volunteer")), bearer(make_user("coordinator"))]
    for headers in outsiders:
        assert client.get("/api/v1/bookings", headers=headers).get_json() == []
        assert_error(client.get(f"/api/v1/bookings/{booking['id']}", headers=headers), 404, "not_found")
        assert_error(client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers), 404, "not_found")
        assert_error(client.post(f"/api/v1/bookings/{booking['id']}/reschedule", json={"start": TUE_11},
                                 headers=headers), 404, "not_found")
    for missing in (booking["id"] + 1000, 2**40):
        assert_error(client.get(f"/api/v1/bookings/{missing}", headers=people["as_learner"]), 404, "not_found")
    assert_error(client.get(f"/api/v1/bookings/{booking['id']}"), 401, "authentication_required")


@pytest.mark.parametrize("who", ["as_learner", "as_volunteer"])
def test_either_party_cancels_with_an_optional_reason(client, people, who):
    booking = book(client, people).get_json()
    response = client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "Ill"}, headers=people[who])
    assert response.status_code == 200
    cancelled = response.get_json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Ill")
    assert (cancelled["uid"], cancelled["sequence"]) == (booking["uid"], 1)
    # Cancelling again is a conflict with the booking's state; the slot is free for others.
    assert_error(client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=people[who]), 409, "invalid_state")
    assert book(client, people).status_code == 201


def test_cancel_needs_no_body_but_refuses_a_bad_reason(client, people):
    booking = book(client, people).get_json()
    url = f"/api/v1/bookings/{booking['id']}/cancel"
    assert_error(client.post(url, json={"reason": 42}, headers=people["as_learner"]), 422, "validation_error",
                 field="reason")
    assert_error(client.post(url, json={"reason": "x" * 501}, headers=people["as_learner"]), 422, "validation_error",
                 field="reason")
    response = client.post(url, headers=people["as_learner"])
    assert response.status_code == 200 and response.get_json()["cancel_reason"] is None


def test_reschedule_keeps_the_uid_and_raises_the_sequence(client, people):
    booking = book(client, people).get_json()
    url = f"/api/v1/bookings/{booking['id']}/reschedule"
    response = client.post(url, json={"start": NEXT_TUE_10_CAIRO}, headers=people["as_learner"])
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()
    assert (moved["id"], moved["uid"], moved["sequence"]) == (booking["id"], booking["uid"], 1)
    assert moved["start_utc"] == "2030-01-15T10:00:00Z"
    assert_error(client.post(url, json={"start": "2030-01-15T10:05:00Z"}, headers=people["as_learner"]), 409,
                 "slot_unavailable")
    assert_error(client.post(url, json={}, headers=people["as_learner"]), 422, "validation_error", field="start")
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=people["as_learner"]).get_json()["sequence"] == 1


def test_errors_are_in_the_callers_language(client, make_user, bearer):
    volunteer = make_user("volunteer", rules=[(1, "10:00", "12:00")])
    arabic = bearer(make_user("learner", language="ar"))
    body = {"volunteer_id": volunteer.id, "start": "2030-01-08T10:15:00Z", "kind": "tutoring"}
    error = assert_error(client.post("/api/v1/bookings", json=body, headers=arabic), 409, "slot_unavailable")
    assert error["message"] == "هذا الموعد لم يعد متاحاً. يُرجى اختيار موعد آخر."


def test_the_openapi_document_describes_the_booking_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/bookings"]) == {"get", "post"}
    assert "201" in paths["/api/v1/bookings"]["post"]["responses"]
    assert "409" in paths["/api/v1/bookings"]["post"]["responses"]
    assert set(paths["/api/v1/bookings/{booking_id}"]) == {"get"}
    assert set(paths["/api/v1/bookings/{booking_id}/cancel"]) == {"post"}
    assert set(paths["/api/v1/bookings/{booking_id}/reschedule"]) == {"post"}

