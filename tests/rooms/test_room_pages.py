"""The room page (SPEC §7 Messages): parties only, a post form that works without JavaScript, masking explained
in the writer's language, the polling fragment and the live stream (Last-Event-ID)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.rooms.room_support import make_session
from tutoring.safety.masking import PLACEHOLDER


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def people(make_user):
    return {"volunteer": make_user("volunteer", name="Vera"), "learner": make_user("learner", name="Nour", language="ar"),
            "stranger": make_user("learner"), "coordinator": make_user("coordinator")}


@pytest.fixture
def booking_id(app, people):
    return make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=10))[0]


def room_url(booking_id: int) -> str:
    return f"/sessions/{booking_id}/room"


def post(client, booking_id: int, text: str, **headers):
    return client.post(room_url(booking_id), data={"text": text, "csrf_token": csrf(client, room_url(booking_id))},
                       headers=headers)


@pytest.mark.parametrize("who", ["learner", "volunteer"])
def test_each_party_sees_the_live_room_with_video_and_audio_only_options(client, sign_in, people, booking_id, who):
    sign_in(people[who])
    body = client.get(room_url(booking_id)).get_data(as_text=True)
    assert 'class="room-state state-live"' in body
    assert "config.startAudioOnly=true" in body
    # The stream starts after the last entry: here the viewer's own "joined" entry (shown as nothing).
    assert 'hx-ext="sse"' in body and re.search(rf"/sessions/{booking_id}/room/stream\?after=\d+", body)
    assert 'id="room-form"' in body and 'dir="auto"' in body


@pytest.mark.parametrize("who", ["stranger", "coordinator"])
def test_anyone_else_gets_404_everywhere(client, sign_in, people, booking_id, who):
    sign_in(people[who])
    for path in (room_url(booking_id), f"{room_url(booking_id)}/messages", f"{room_url(booking_id)}/stream"):
        assert client.get(path).status_code == 404, path
    sign_in(people["learner"])
    token = csrf(client, room_url(booking_id))
    sign_in(people[who])
    assert client.post(room_url(booking_id), data={"text": "hi", "csrf_token": token}).status_code == 404


def test_signed_out_is_sent_to_sign_in(client, booking_id):
    response = client.get(room_url(booking_id))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_posting_without_javascript_redirects_back_and_explains_masking_in_arabic(client, sign_in, people, booking_id):
    sign_in(people["learner"])
    response = post(client, booking_id, "رقمي ٠٥٥٥ ١٢٣ ٤٥٦٧ والساعة ٦:٣٠")
    assert response.status_code == 303
    assert re.fullmatch(rf"/sessions/{booking_id}/room#message-\d+", response.headers["Location"])
    body = client.get(room_url(booking_id)).get_data(as_text=True)
    assert "٤٥٦٧" not in body and PLACEHOLDER in body and "٦:٣٠" in body
    assert "أُخفي رقم هاتف" in body  # "A phone number was hidden", in the writer's language
    sign_in(people["volunteer"])
    body = client.get(room_url(booking_id)).get_data(as_text=True)
    assert "٤٥٦٧" not in body and "Contact details were hidden." in body
    assert "A phone number was hidden." not in body  # told to the writer only


def test_htmx_post_answers_the_cleared_form_and_the_message_out_of_band(client, sign_in, people, booking_id):
    sign_in(people["volunteer"])
    response = post(client, booking_id, "write to vera@gmail.com", **{"HX-Request": "true", "HX-Target": "room-form"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'hx-swap-oob="beforeend:#messages"' in body and "vera@gmail.com" not in body
    assert "An email address was hidden." in body
    assert re.search(r'<textarea[^>]*>\s*</textarea>', body)


def test_a_crisis_word_shows_the_writer_where_help_is(client, sign_in, people, booking_id):
    sign_in(people["learner"])
    response = post(client, booking_id, "I think about suicide")
    assert "help=1" in response.headers["Location"]
    body = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert 'href="/help"' in body and "room-help" in body


def test_bad_text_is_refused_in_the_form_and_nothing_is_stored(client, sign_in, people, booking_id):
    sign_in(people["learner"])
    response = post(client, booking_id, "   ")
    assert response.status_code == 422
    assert 'id="room-error"' in response.get_data(as_text=True)
    assert 'class="message"' not in client.get(f"{room_url(booking_id)}/messages").get_data(as_text=True)


def test_a_closed_room_reads_but_takes_nothing(app, client, sign_in, people):
    closed = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(hours=-3))[0]
    sign_in(people["learner"])
    body = client.get(room_url(closed)).get_data(as_text=True)
    assert "state-closed" in body and 'id="room-form"' not in body and "sse-connect" not in body
    response = client.post(room_url(closed), data={"text": "late", "csrf_token": csrf(client, room_url(booking_id := closed))})
    assert response.status_code == 409 and booking_id == closed


def test_before_the_window_it_is_a_thread_asking_what_to_work_on(app, client, sign_in, people):
    later = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(days=2))[0]
    sign_in(people["volunteer"])
    body = client.get(room_url(later)).get_data(as_text=True)
    assert "state-before" in body and "What would you like to work on?" in body
    assert "config.startAudioOnly" not in body  # the call options appear when the room is live


def test_polling_fragment_lists_only_newer_messages(client, sign_in, people, booking_id):
    sign_in(people["learner"])
    for text in ("one", "two", "three"):
        post(client, booking_id, text)
    first = int(re.search(r'id="message-(\d+)" class="message mine"', client.get(f"{room_url(booking_id)}/messages").get_data(as_text=True)).group(1))
    body = client.get(f"{room_url(booking_id)}/messages?after={first}").get_data(as_text=True)
    assert ">one<" not in body and ">two<" in body and ">three<" in body and "<html" not in body


def test_the_stream_resumes_after_last_event_id(make_app, make_user, sign_in):
    app = make_app(ROOM_STREAM_SECONDS=0.2, ROOM_STREAM_HEARTBEAT=0.05)
    client = app.test_client()
    volunteer, learner = make_user("volunteer"), make_user("learner")
    booking = make_session(app, volunteer, [learner], starts_in=timedelta(minutes=5))[0]
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = learner.get_id(), True
    token = csrf(client, room_url(booking))
    for text in ("first", "second", "third"):
        assert client.post(room_url(booking), data={"text": text, "csrf_token": token}).status_code == 303
    whole = client.get(f"{room_url(booking)}/stream").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r"^id: (\d+)$", whole, re.M)][1:]  # after the reader's own "joined" entry
    assert len(ids) == 3 and whole.startswith("retry: ")
    assert "event: message" in whole and "data: <li" in whole
    resumed = client.get(f"{room_url(booking)}/stream", headers={"Last-Event-ID": str(ids[0])}).get_data(as_text=True)
    assert [int(i) for i in re.findall(r"^id: (\d+)$", resumed, re.M)] == ids[1:]
    assert "first" not in resumed and "third" in resumed
    assert [int(i) for i in re.findall(r"^id: (\d+)$", client.get(f"{room_url(booking)}/stream?after={ids[1]}")
                                       .get_data(as_text=True), re.M)] == ids[2:]
