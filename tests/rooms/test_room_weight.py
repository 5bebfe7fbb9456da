"""The room is light (issue 20): first load at most 30 KB gzipped with every asset, nothing from other hosts,
and a message's trip (the stream's event) a few hundred bytes."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.rooms.room_support import make_session
from tests.test_page_weight import GZIP, first_load, page_text, wire_bytes

ROOM_BUDGET = 30 * 1024
EVENT_BUDGET = 600


@pytest.mark.parametrize("language", ["ar", "en"])
def test_room_first_load_is_at_most_30_kb_and_all_from_here(app, make_user, language):
    volunteer = make_user("volunteer", name="Vera")
    learner = make_user("learner", name="نور", language=language, timezone="Asia/Riyadh")
    booking = make_session(app, volunteer, [learner], starts_in=timedelta(minutes=5))[0]
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = learner.get_id(), True
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"',
                      client.get(f"/sessions/{booking}/room").get_data(as_text=True)).group(1)
    for n in range(20):  # a conversation under way
        client.post(f"/sessions/{booking}/room", data={"text": f"سؤال رقم {n}: ما ناتج 12 × 12؟", "csrf_token": token})
    total, urls, html = first_load(client, f"/sessions/{booking}/room")
    print(f"room first load ({language}): {total / 1024:.1f} KB ({total} B), {len(urls)} files")
    assert f'lang="{language}"' in html and html.count('class="message mine">') == 20
    assert any("htmx-ext-sse" in url for url in urls) and any("room.js" in url for url in urls)
    assert not [url for url in urls if urlsplit(url).netloc or url.startswith("//")]
    assert total <= ROOM_BUDGET, f"{total / 1024:.1f} KB"


def test_one_message_on_the_stream_is_a_few_hundred_bytes(make_app, make_user):
    app = make_app(ROOM_STREAM_SECONDS=0.1, ROOM_STREAM_HEARTBEAT=0.05)
    volunteer, learner = make_user("volunteer", name="Vera"), make_user("learner", name="Nour")
    booking = make_session(app, volunteer, [learner], starts_in=timedelta(minutes=5))[0]
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = learner.get_id(), True
    page = client.get(f"/sessions/{booking}/room").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    client.post(f"/sessions/{booking}/room", data={"text": "What is 3x + 5 = 20?", "csrf_token": token})
    stream = client.get(f"/sessions/{booking}/room/stream", headers=GZIP).get_data(as_text=True)
    event = stream.split("\n\n")[2]  # after retry: and the reader's own "joined" entry (no data)
    assert event.startswith("id: ") and "3x + 5 = 20" in event
    size = len(event.encode()) + 2
    poll = client.get(f"/sessions/{booking}/room/messages?after=0", headers=GZIP)
    print(f"one message: stream event {size} B, poll answer {wire_bytes(poll)} B")
    assert size <= EVENT_BUDGET and "3x + 5 = 20" in page_text(poll)
