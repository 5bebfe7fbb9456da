"""Live delivery of room messages: "session S has a new message" reaches every open stream of S.

A notice carries ids only (session, message); a stream that wakes re-reads the
database after the last id it sent, so a notice lost or doubled loses or
doubles nothing. Each process keeps one hub of waiting streams. With Redis
configured (``REDIS_URL``, else a ``redis://`` ``RATELIMIT_STORAGE_URI``),
a notice is also published on the channel ``<prefix>room:<session id>`` and
one listener thread per process (a greenlet under gevent) passes other
processes' notices to its hub: one Redis connection per process, however
many streams. Without Redis (the ``make run`` default), only the process
that stored the message wakes its streams, which is all there is.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
from collections import defaultdict
import time
from typing import Any

import redis
from flask import current_app

log = logging.getLogger(__name__)

CHANNEL = "room:"


class Subscription:
    """One open stream's place in the hub: :meth:`wait` returns when its session has news (or on timeout)."""

    def __init__(self, hub: Hub, session_id: int) -> None:
        self.hub, self.session_id = hub, session_id
        self.event = threading.Event()

    def wait(self, timeout: float) -> bool:
        """Block until a notice (True) or ``timeout`` seconds (False); then ready for the next one."""
        woke = self.event.wait(timeout)
        self.event.clear()
        return woke

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

    def notify(self, session_id: int) -> None:
        with self.lock:
            subscriptions = list(self.waiting.get(session_id, ()))
        for subscription in subscriptions:
            subscription.event.set()

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

    def publish(self, session_id: int, message_id: int) -> None:
        self.client.publish(f"{self.channel}{session_id}", f"{self.origin} {message_id}")

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
                    if session_id.isdigit() and not data.startswith(f"{self.origin} "):
                        HUB.notify(int(session_id))
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


def publish(session_id: int, message_id: int) -> None:
    """Tell every open stream of the session, in every process, that message ``message_id`` is stored."""
    HUB.notify(session_id)
    bridge = _bridge()
    if bridge is not None:
        try:
            bridge.publish(session_id, message_id)
        except Exception:  # noqa: BLE001  (the message is stored; other processes' streams catch up on their heartbeat)
            log.warning("room events: could not publish to Redis", exc_info=True)
