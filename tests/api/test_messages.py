"""The room's API (SPEC §7 Messages): parties only, masked text, 409 ``room_closed`` after the window."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.helpers import assert_error
from tests.rooms.room_support import make_session

PHONE_AR = "رقمي ٠٥٥٥ ١٢٣ ٤٥٦٧"


@pytest.fixture
def people(make_user, bearer):
    volunteer = make_user("volunteer", name="Vera")
    learner = make_user("learner", name="Sami")
    other = make_user("learner", name="Other")
    stranger = make_user("learner")
    return {"volunteer": volunteer, "learner": learner, "other": other, "stranger": stranger,
            **{f"as_{role}": bearer(user) for role, user in
               {"volunteer": volunteer, "learner": learner, "other": other, "stranger": stranger}.items()}}


@pytest.fixture
def booking_id(app, people):
    return make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(days=2))[0]


def post(client, booking_id, headers, text):
    return client.post(f"/api/v1/bookings/{booking_id}/messages", json={"text": text}, headers=headers)


def test_a_party_posts_and_the_other_reads_it(client, people, booking_id):
    response = post(client, booking_id, people["as_learner"], "What is 12 × 12 = 144? See you at 18:30")
    assert response.status_code == 201, response.get_json()
    message = response.get_json()
    assert set(message) == {"id", "author", "text", "masked", "at"}
    assert message["author"] == {"id": people["learner"].id, "name": "Sami"}
    assert message["masked"] is False
    assert message["text"] == "What is 12 × 12 = 144? See you at 18:30"
    assert message["at"].endswith("Z")
    listed = client.get(f"/api/v1/bookings/{booking_id}/messages", headers=people["as_volunteer"])
    assert listed.status_code == 200
    assert listed.get_json() == [message]


def test_contact_details_are_stored_masked(client, people, booking_id):
    message = post(client, booking_id, people["as_volunteer"], f"{PHONE_AR} or vera@gmail.com").get_json()
    assert message["masked"] is True
    assert "٤٥٦٧" not in message["text"] and "gmail" not in message["text"]
    stored = client.get(f"/api/v1/bookings/{booking_id}/messages", headers=people["as_learner"]).get_json()
    assert stored[0]["text"] == message["text"]


def test_after_lists_only_newer_messages(client, people, booking_id):
    ids = [post(client, booking_id, people["as_learner"], f"message {n}").get_json()["id"] for n in range(3)]
    listed = client.get(f"/api/v1/bookings/{booking_id}/messages", query_string={"after": ids[0]},
                        headers=people["as_learner"]).get_json()
    assert [m["id"] for m in listed] == ids[1:]
    assert_error(client.get(f"/api/v1/bookings/{booking_id}/messages", query_string={"after": "x"},
                            headers=people["as_learner"]), 422, "validation_error", "after")


@pytest.mark.parametrize("who", ["stranger", "other"])
def test_anyone_else_gets_404_reading_and_writing(client, people, booking_id, who):
    headers = people[f"as_{who}"]
    assert_error(post(client, booking_id, headers, "hello"), 404, "not_found")
    assert_error(client.get(f"/api/v1/bookings/{booking_id}/messages", headers=headers), 404, "not_found")
    assert_error(post(client, 999_999, people["as_learner"], "hello"), 404, "not_found")


def test_signed_out_gets_401(client, booking_id):
    assert client.get(f"/api/v1/bookings/{booking_id}/messages").status_code == 401
    assert client.post(f"/api/v1/bookings/{booking_id}/messages", json={"text": "hi"}).status_code == 401


def test_group_session_volunteer_and_seat_holders_share_one_room(app, client, people, make_user, bearer):
    seat_a, seat_b = make_session(app, people["volunteer"], [people["learner"], people["other"]],
                                  starts_in=timedelta(hours=3))
    first = post(client, seat_a, people["as_learner"], "hello group").get_json()
    # Each seat holder reads through their own booking; the volunteer through any.
    for booking, headers in ((seat_b, people["as_other"]), (seat_a, people["as_volunteer"]),
                             (seat_b, people["as_volunteer"])):
        assert client.get(f"/api/v1/bookings/{booking}/messages", headers=headers).get_json() == [first]
    assert_error(client.get(f"/api/v1/bookings/{seat_a}/messages", headers=people["as_other"]), 404, "not_found")


@pytest.mark.parametrize(("starts_in", "open_"), [
    (timedelta(minutes=-45 - 29), True),   # ended 29 minutes ago: still open
    (timedelta(minutes=-45 - 31), False),  # ended 31 minutes ago: closed
    (timedelta(days=-3), False),
])
def test_writes_close_30_minutes_after_the_end(app, client, people, starts_in, open_):
    booking = make_session(app, people["volunteer"], [people["learner"]], starts_in=starts_in)[0]
    response = post(client, booking, people["as_learner"], "thanks!")
    if open_:
        assert response.status_code == 201
    else:
        assert_error(response, 409, "room_closed")
    # Reading stays possible for the parties.
    assert client.get(f"/api/v1/bookings/{booking}/messages", headers=people["as_learner"]).status_code == 200


def test_a_cancelled_booking_takes_no_messages(app, client, people):
    booking = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(days=1),
                           status="cancelled")[0]
    assert_error(post(client, booking, people["as_learner"], "hi"), 409, "room_closed")


@pytest.mark.parametrize(("body", "status"), [
    ({"text": ""}, 422), ({"text": "   "}, 422), ({"text": 5}, 422), ({}, 422), ({"text": "x" * 2001}, 422),
])
def test_bad_text_is_refused_naming_the_field(client, people, booking_id, body, status):
    response = client.post(f"/api/v1/bookings/{booking_id}/messages", json=body, headers=people["as_learner"])
    assert_error(response, status, "validation_error", "text")
    assert client.get(f"/api/v1/bookings/{booking_id}/messages", headers=people["as_learner"]).get_json() == []


def test_posting_is_rate_limited(make_app, make_user, bearer):
    app = make_app(ROOM_MESSAGE_LIMIT="3 per minute", RATELIMIT_ENABLED=True)
    client = app.test_client()
    volunteer, learner = make_user("volunteer"), make_user("learner")
    booking = make_session(app, volunteer, [learner], starts_in=timedelta(days=1))[0]
    headers = bearer(learner)
    statuses = [post(client, booking, headers, f"m{n}").status_code for n in range(4)]
    assert statuses == [201, 201, 201, 429]
