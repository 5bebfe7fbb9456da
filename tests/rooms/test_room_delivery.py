"""Live delivery (issue 20): a notice carries the stored message, so a woken stream sends it without reading the
database; a stream that missed a notice re-reads the database and still sends every message once, in order; the
HTML is the same either way, per viewer (mine, the support volunteer's escalate prompt)."""
from __future__ import annotations

import contextvars
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from tests.rooms.room_support import make_session
from tutoring.extensions import db
from tutoring.models import Booking, User
from tutoring.services.sessions import room_events, room_presence
from tutoring.services.sessions.rooms import post_message

CRISIS = "I want to kill myself tonight"


@pytest.fixture
def people(make_user):
    return {"volunteer": make_user("volunteer", name="Vera"), "learner": make_user("learner", name="Nour", language="ar")}


@pytest.fixture
def slow_heartbeat(app, monkeypatch):
    """Streams that re-read the database only when told to: the heartbeat's re-read can't hide a lost message.

    Their viewers' "has joined" entries are left out here (presence has its own tests, and the last one below),
    so each stream's events are exactly the messages posted.
    """
    monkeypatch.setitem(app.config, "ROOM_STREAM_HEARTBEAT", 30.0)
    monkeypatch.setitem(app.config, "ROOM_STREAM_SECONDS", 60.0)
    monkeypatch.setattr(room_presence.StreamPresence, "touch", lambda self: None)


class OpenStream:
    """A party's stream, read one chunk at a time in a context of its own (it keeps its request context pushed)."""

    def __init__(self, app, user: User, booking_id: int, after: int = 0) -> None:
        self.context = contextvars.Context()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user.get_id(), True
        self.response = self.context.run(client.get, f"/sessions/{booking_id}/room/stream?after={after}",
                                         buffered=False)
        assert self.response.status_code == 200
        self.chunks = iter(self.response.response)
        assert self.next().startswith("retry: ")

    def next(self) -> str:
        chunk = self.context.run(next, self.chunks)
        return chunk.decode() if isinstance(chunk, bytes) else chunk

    def close(self) -> None:
        self.context.run(self.response.close)


def ids(chunk: str) -> list[int]:
    return [int(i) for i in re.findall(r"^id: (\d+)$", chunk, re.M)]


def without_csrf(chunk: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', chunk)


def post(app, user: User, booking_id: int, text: str) -> int:
    with app.app_context():
        return post_message(db.session.get(User, user.id), booking_id, text).message.id


class Queries:
    """Counts the SQL statements sent while it is active."""

    def __init__(self, app) -> None:
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def _count(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> Queries:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_a_notice_is_sent_without_the_database_and_a_missed_one_is_read_from_it_once_in_order(
        app, people, slow_heartbeat, monkeypatch):
    booking = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=5))[0]
    first = post(app, people["volunteer"], booking, "first")
    stream = OpenStream(app, people["learner"], booking)
    try:
        assert ids(stream.next()) == [first]  # on opening: from the database
        second = post(app, people["volunteer"], booking, "second")
        with Queries(app) as queries:
            chunk = stream.next()
        assert ids(chunk) == [second] and "second" in chunk and queries.count == 0
        # The third message's notice never arrives (lost between processes); the fourth's does.
        with monkeypatch.context() as patch:
            patch.setattr(room_events, "publish", lambda notice: None)
            third = post(app, people["volunteer"], booking, "third")
        fourth = post(app, people["learner"], booking, "fourth")
        chunk = stream.next()
        assert ids(chunk) == [third, fourth] and chunk.index("third") < chunk.index("fourth")
        # Late and doubled notices of messages already sent send nothing again.
        with app.app_context():
            session_id = db.session.get(Booking, booking).session_id
        stale = room_events.Notice(session_id=session_id, message_id=third, previous_id=second, author_id=None,
                                   author_name=None, text="third", masked=False,
                                   created_at=datetime(2026, 1, 1, tzinfo=UTC), crisis=False)
        room_events.HUB.notify(session_id, stale)
        room_events.HUB.notify(session_id, None)  # a notice without a message: re-read, finds nothing new
        fifth = post(app, people["volunteer"], booking, "fifth")
        assert ids(stream.next()) == [fifth]
    finally:
        stream.close()


def test_the_notice_path_renders_what_the_database_path_renders_for_each_viewer(app, people, slow_heartbeat):
    """The author's copy is "mine", the other's is not, each in its own zone and language; the support volunteer
    alone gets the escalate prompt under the learner's crisis message."""
    booking = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=-10),
                           kind="support")[0]
    streams = {who: OpenStream(app, people[who], booking) for who in ("volunteer", "learner")}
    try:
        crisis = post(app, people["learner"], booking, CRISIS)
        live = {who: stream.next() for who, stream in streams.items()}
        for who in ("volunteer", "learner"):
            assert ids(live[who]) == [crisis]
            again = OpenStream(app, people[who], booking, after=crisis - 1)  # the same message, from the database
            try:
                assert without_csrf(again.next()) == without_csrf(live[who])  # each client has its own token
            finally:
                again.close()
        assert 'class="message mine"' in live["learner"] and "mine" not in live["volunteer"]
        assert live["volunteer"].count("escalate-prompt") == 1 and "escalate-prompt" not in live["learner"]
        assert 'dir="auto"' in live["volunteer"]
    finally:
        for stream in streams.values():
            stream.close()


def test_a_notice_for_another_session_wakes_nothing():
    subscription = room_events.HUB.join(987654)
    try:
        notice = room_events.Notice(session_id=987655, message_id=3, previous_id=2, author_id=1, author_name="A",
                                    text="hi", masked=False, created_at=datetime(2026, 1, 1, tzinfo=UTC), crisis=False)
        room_events.HUB.notify(987655, notice)
        assert subscription.wait(0.01) is False and subscription.take() == ([], False)
        room_events.HUB.notify(987654, notice)
        assert subscription.wait(0.01) is True and subscription.take() == ([notice], False)
    finally:
        subscription.close()


def test_too_many_waiting_notices_mean_a_database_read():
    subscription = room_events.HUB.join(987656)
    try:
        for number in range(room_events.MAX_WAITING_NOTICES + 1):
            room_events.HUB.notify(987656, room_events.Notice(
                session_id=987656, message_id=number + 1, previous_id=number, author_id=None, author_name=None,
                text="x", masked=False, created_at=datetime(2026, 1, 1, tzinfo=UTC), crisis=False))
        assert subscription.take() == ([], True)
    finally:
        subscription.close()


def test_a_notice_crosses_redis_as_json_and_anything_else_is_no_notice():
    notice = room_events.Notice(session_id=5, message_id=9, previous_id=7, author_id=None, author_name=None,
                                text="مرحبا \"x\"\n", masked=True, created_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
                                crisis=True)
    assert room_events.Notice.loads(notice.dumps()) == notice
    for junk in ("", "9", "{}", '{"session_id": "5"}', notice.dumps().replace("+00:00", "")):
        assert room_events.Notice.loads(junk) is None


def test_a_joined_line_travels_as_a_notice_too(app, people, monkeypatch):
    """A party opening the room stores a "joined" entry; the other's open stream gets it from the notice alone,
    in the reader's language, and the next message follows it in order."""
    monkeypatch.setitem(app.config, "ROOM_STREAM_HEARTBEAT", 30.0)
    booking = make_session(app, people["volunteer"], [people["learner"]], starts_in=timedelta(minutes=5))[0]
    stream = OpenStream(app, people["volunteer"], booking)
    try:
        stream.next()  # the volunteer's own "joined" entry, which renders as nothing for them
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = people["learner"].get_id(), True
        assert client.get(f"/sessions/{booking}/room").status_code == 200  # Nour comes in
        with Queries(app) as queries:
            chunk = stream.next()
        assert "<bdi>Nour</bdi> has joined" in chunk and 'class="message joined"' in chunk and queries.count == 0
        joined = ids(chunk)[0]
        message = post(app, people["learner"], booking, "hello")
        assert ids(stream.next()) == [message] and message > joined
    finally:
        stream.close()
