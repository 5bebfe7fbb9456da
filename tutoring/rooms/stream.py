"""The room's live stream: Server-Sent Events that htmx's ``sse`` extension swaps into the page.

Each event is one message (``id:`` its message id, ``event: message``, the
rendered list item as data). On (re)connect the stream starts after
``Last-Event-ID`` (the browser sends it when it reconnects by itself) or
``?after=`` (js/room.js puts the last id it shows there when the extension
opens a new connection), so no message is lost across a break. Between
messages the stream waits on :mod:`tutoring.services.sessions.room_events` without a
database connection. A notice carries the new message and the id of the
room's message before it: when that is the last id this stream sent, the
message is sent as it is, rendered once per process for each (time zone,
language, mine or not); otherwise (a notice was missed) the stream re-reads
the database after its last id, and it skips notices of ids it already sent,
so every message goes out once, in order. A comment every ``HEARTBEAT``
seconds keeps proxies from closing it and re-reads the database in case a
notice was missed. A stream ends after ``MAX_STREAM_SECONDS`` (the browser
reconnects at once) so a worker never holds a stream forever.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import Response, current_app, render_template, request, stream_with_context
from flask_babel import get_locale
from flask_login import current_user, login_required

from tutoring.extensions import db
from tutoring.i18n import current_timezone
from tutoring.rooms.blueprint import bp
from tutoring.rooms.views import room_or_404
from tutoring.services.sessions import room_events, room_presence
from tutoring.services.sessions.rooms import escalation_prompts, may_prompt_escalation, messages_after

HEARTBEAT = 15.0
MAX_STREAM_SECONDS = 300.0
# Tells the browser how soon to reconnect after a break (milliseconds).
RETRY_MS = 2000
# Rendered messages kept per process (each for one zone, language and side).
RENDERED_CACHE = 1024


def _last_seen() -> int:
    for value in (request.headers.get("Last-Event-ID", ""), request.args.get("after", "")):
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) < 12:
            return int(value)
    return 0


def sse_event(message_id: int, html: str) -> str:
    """One Server-Sent Event carrying a rendered message (every line of the HTML as its own ``data:`` line)."""
    data = "".join(f"data: {line}\n" for line in html.strip().splitlines())
    return f"id: {message_id}\nevent: message\n{data}\n"


@dataclass(frozen=True)
class NoticeAuthor:
    display_name: str


@dataclass(frozen=True)
class NoticeMessage:
    """A notice's message with what rooms/_message.html reads of a :class:`~tutoring.models.Message`."""

    id: int
    author_id: int | None
    author: NoticeAuthor | None
    text: str
    masked: bool
    created_at: datetime
    kind: str

    @classmethod
    def of(cls, notice: room_events.Notice) -> NoticeMessage:
        author = NoticeAuthor(notice.author_name) if notice.author_id is not None and notice.author_name else None
        return cls(id=notice.message_id, author_id=notice.author_id, author=author, text=notice.text,
                   masked=notice.masked, created_at=notice.created_at, kind=notice.kind)


def render_message(message, zone: str, viewer_id: int, escalate_ids: set[int], booking_id: int) -> str:
    """One message's list item as ``viewer_id`` sees it."""
    return render_template("rooms/_message.html", message=message, zone=zone, viewer_id=viewer_id,
                           escalate_ids=escalate_ids, escalate_booking_id=booking_id)


@lru_cache(maxsize=RENDERED_CACHE)
def _shared_event(notice: room_events.Notice, zone: str, language: str, mine: bool) -> str:
    """The event of a notice's message for everyone who sees it in ``zone`` and ``language``, from its side.

    ``language`` is in the key only: rendering reads it from the request, which is in that language.
    """
    message = NoticeMessage.of(notice)
    viewer_id = notice.author_id if mine else None
    return sse_event(notice.message_id, render_message(message, zone, viewer_id, set(), 0))


def notice_event(notice: room_events.Notice, zone: str, viewer_id: int, may_prompt: bool, booking_id: int) -> str:
    """The event of a notice's message for one viewer: shared, except the support volunteer's escalate prompt."""
    mine = notice.author_id is not None and notice.author_id == viewer_id
    if may_prompt and notice.crisis and not mine:
        return sse_event(notice.message_id, render_message(NoticeMessage.of(notice), zone, viewer_id,
                                                           {notice.message_id}, booking_id))
    return _shared_event(notice, zone, str(get_locale()), mine)


@bp.get("/sessions/<int:booking_id>/room/stream")
@login_required
def stream(booking_id: int):
    """The room's messages as they arrive (text/event-stream), from after the last one the browser has."""
    room = room_or_404(booking_id)
    session_id, user_id, zone = room.session.id, current_user.id, current_timezone()
    # The support volunteer's escalate prompt under a message mentioning a crisis (judged when the stream opens;
    # a stream lives MAX_STREAM_SECONDS at most).
    may_prompt, booking_id = may_prompt_escalation(room), room.booking.id
    last_id = _last_seen()
    presence = room_presence.StreamPresence.of(room)  # the viewer is here while the stream is open (issue 20)
    heartbeat = float(current_app.config.get("ROOM_STREAM_HEARTBEAT", HEARTBEAT))
    lifetime = float(current_app.config.get("ROOM_STREAM_SECONDS", MAX_STREAM_SECONDS))
    db.session.remove()  # hold no database connection while waiting

    def from_database() -> list[str]:
        """Events of the messages after ``last_id``, read from the database (the party was checked on opening)."""
        nonlocal last_id
        try:
            messages = messages_after(session_id, last_id)
            flagged = escalation_prompts(messages, user_id, may_prompt)
            chunks = [sse_event(m.id, render_message(m, zone, user_id, flagged, booking_id)) for m in messages]
            if messages:
                last_id = messages[-1].id
        finally:
            db.session.remove()
        return chunks

    def events():
        nonlocal last_id
        yield f"retry: {RETRY_MS}\n\n"
        ends_at = time.monotonic() + lifetime
        with room_events.subscribe(session_id) as subscription:
            read = True  # on opening: everything after the browser's last id
            while True:
                try:
                    presence.touch()  # may store and announce the viewer's "joined" entry (sent below like a message)
                finally:
                    db.session.remove()
                notices, missed = subscription.take()
                chunks = []
                if not (read or missed):
                    for notice in notices:
                        if notice.message_id <= last_id:
                            continue  # sent already (read from the database, or a notice doubled)
                        if notice.previous_id != last_id:
                            read = True  # a message in between never reached this stream: ask the database
                            break
                        chunks.append(notice_event(notice, zone, user_id, may_prompt, booking_id))
                        last_id = notice.message_id
                if read or missed:
                    chunks += from_database()
                    read = False
                if chunks:
                    yield "".join(chunks)
                remaining = ends_at - time.monotonic()
                if remaining <= 0:
                    return
                if not subscription.wait(min(heartbeat, remaining)):
                    read = True  # the heartbeat's re-read, in case a notice was lost
                    yield ": ping\n\n"

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response
