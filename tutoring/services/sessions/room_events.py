"""Live delivery of room messages: "session S has a new message" reaches every open stream of S.

A notice carries the stored message (:class:`Notice`: its id, author, masked
text, time, whether it mentions a crisis) and the id of the room's message
before it, so a woken stream that sent exactly that previous message sends
this one without reading the database. A stream that sent something else
(it missed a notice: lost, late, or its queue overflowed) re-reads the
database after the last id it sent, and skips notices for ids it already
sent, so a notice lost, late or doubled loses or doubles nothing. Each
process keeps one hub of waiting streams. With Redis
configured (``REDIS_URL``, else a ``redis://`` ``RATELIMIT_STORAGE_URI``),
a notice is also published on the channel ``<prefix>room:<session id>`` and
one listener thread per process (a greenlet under gevent) passes other
processes' notices to its hub: one Redis connection per process, however
many streams. Without Redis (the ``make run`` default), only the process
that stored the message wakes its streams, which is all there is. Redis
pub/sub keeps nothing: a notice exists only while it is passed on.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import redis
from flask import current_app

log = logging.getLogger(__name__)

CHANNEL = "room:"
# Notices a stream may have waiting; past that it forgets them and re-reads the database.
MAX_WAITING_NOTICES = 64


@dataclass(frozen=True)
class Notice:
    """A message just stored in a room, as every open stream of the room needs it."""

    session_id: int
    message_id: int
    # The room's message just before this one (0: none). Posts to a room are serialised (a row lock), so a
    # stream whose last sent id is this one can send the message without looking for others in between.
    previous_id: int
    author_id: int | None
    author_name: str | None
    text: str  # already masked
    masked: bool
    created_at: datetime
    crisis: bool  # the stored text mentions a crisis (the support volunteer's escalate prompt)
    kind: str = "text"  # or "joined": a presence line (room_presence), rendered in each reader's language

    def dumps(self) -> str:
        """The notice as JSON (for Redis)."""
        return json.dumps({**asdict(self), "created_at": self.created_at.isoformat()}, ensure_ascii=False)

    @classmethod
    def loads(cls, data: str) -> Notice | None:
        """A notice from :meth:`dumps`, or None if ``data`` is not one (the streams then re-read the database)."""
        try:
            fields = json.loads(data)
            created_at = datetime.fromisoformat(fields.pop("created_at"))
            if created_at.tzinfo is None:
                return None
            notice = cls(**fields, created_at=created_at)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        ints = (notice.session_id, notice.message_id, notice.previous_id)
        if not all(type(value) is int for value in ints) or not isinstance(notice.text, str):
            return None
        if notice.kind not in ("text", "joined"):
            return None
        return notice


class Subscription:
    """One open stream's place in the hub: :meth:`wait` returns when its session has news (or on timeout).

    The notices that arrived since the last :meth:`take` wait in order; a notice
    that carries no message (``None``) or too many waiting mark the stream as
    having missed something, and it re-reads the database.
    """

    def __init__(self, hub: Hub, session_id: int) -> None:
        self.hub, self.session_id = hub, session_id
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.notices: deque[Notice] = deque()
        self.missed = False

    def deliver(self, notice: Notice | None) -> None:
        """Queue a notice for the stream and wake it."""
        with self.lock:
            if notice is None or len(self.notices) >= MAX_WAITING_NOTICES:
                self.notices.clear()
                self.missed = True
            else:
                self.notices.append(notice)
        self.event.set()

    def wait(self, timeout: float) -> bool:
        """Block until a notice (True) or ``timeout`` seconds (False); then ready for the next one."""
        woke = self.event.wait(timeout)
        self.event.clear()
        return woke

    def take(self) -> tuple[list[Notice], bool]:
        """The waiting notices, oldest first, and whether some were missed (then read the database instead)."""
        with self.lock:
            notices, missed = list(self.notices), self.missed
            self.notices.clear()
            self.missed = False
        return notices, missed

    def close(self) -> None:
        """Leave the hub (the stream ended)."""
        self.hub.leave(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


class Hub:
    """The waiting streams of this process, by session."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: dict[int, set[Subscription]] = defaultdict(set)

    def join(self, session_id: int) -> Subscription:
        subscription = Subscription(self, session_id)
        with self.lock:
            self.waiting[session_id].add(subscription)
        return subscription

    def leave(self, subscription: Subscription) -> None:
        with self.lock:
            waiting = self.waiting.get(subscription.session_id)
            if waiting is not None:
                waiting.discard(subscription)
                if not waiting:
                    del self.waiting[subscription.session_id]

    def notify(self, session_id: int, notice: Notice | None = None) -> None:
        """Wake the session's streams; ``notice`` is the new message (None: "re-read the database")."""
        with self.lock:
            subscriptions = list(self.waiting.get(session_id, ()))
        for subscription in subscriptions:
            subscription.deliver(notice)

    def open_streams(self) -> int:
        """How many streams wait in this process (for the bench and health checks)."""
        with self.lock:
            return sum(len(s) for s in self.waiting.values())


HUB = Hub()


class RedisBridge:
    """Publishes this process's notices to Redis and passes every process's notices to :data:`HUB`."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.channel = url, f"{prefix}{CHANNEL}"
        # Notices carry the sending process's mark: its own streams were already woken by publish().
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.thread = threading.Thread(target=self._listen, name="room-events", daemon=True)
        self.thread.start()

    def publish(self, notice: Notice) -> None:
        self.client.publish(f"{self.channel}{notice.session_id}", f"{self.origin} {notice.dumps()}")

    def _listen(self) -> None:
        pattern = f"{self.channel}*"
        while True:
            try:
                listener = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_keepalive=True)
                pubsub = listener.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(pattern)
                for item in pubsub.listen():
                    channel = item["channel"].decode() if isinstance(item["channel"], bytes) else item["channel"]
                    data = item["data"].decode() if isinstance(item["data"], bytes) else str(item["data"])
                    session_id = channel.removeprefix(self.channel)
                    origin, _, payload = data.partition(" ")
                    if session_id.isdigit() and origin != self.origin:
                        notice = Notice.loads(payload)
                        if notice is not None and notice.session_id != int(session_id):
                            notice = None
                        HUB.notify(int(session_id), notice)
            except Exception:  # noqa: BLE001  (Redis went away: streams still re-read on their heartbeat)
                log.warning("room events: Redis listener lost, reconnecting", exc_info=True)
                time.sleep(1)


_bridges: dict[tuple[str, str], RedisBridge] = {}
_bridges_lock = threading.Lock()


def redis_url() -> str | None:
    """The Redis that carries notices between processes, or None (in-process only)."""
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        storage = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
        url = storage if storage.startswith(("redis://", "rediss://")) else ""
    return url or None


def _bridge() -> RedisBridge | None:
    url = redis_url()
    if url is None:
        return None
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    with _bridges_lock:
        bridge = _bridges.get((url, prefix))
        if bridge is None:
            bridge = _bridges[(url, prefix)] = RedisBridge(url, prefix)
        return bridge


def subscribe(session_id: int) -> Subscription:
    """Wait for news of one session's room (call :meth:`Subscription.close` when the stream ends)."""
    _bridge()  # start listening to the other processes before the first wait
    return HUB.join(session_id)


def publish(notice: Notice) -> None:
    """Tell every open stream of the notice's session, in every process, that its message is stored (after commit)."""
    HUB.notify(notice.session_id, notice)
    bridge = _bridge()
    if bridge is not None:
        try:
            bridge.publish(notice)
        except Exception:  # noqa: BLE001  (the message is stored; other processes' streams catch up on their heartbeat)
            log.warning("room events: could not publish to Redis", exc_info=True)
