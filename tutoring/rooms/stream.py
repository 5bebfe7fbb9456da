"""The room's live stream: Server-Sent Events that htmx's ``sse`` extension swaps into the page.

Each event is one message (``id:`` its message id, ``event: message``, the
rendered list item as data). On (re)connect the stream starts after
``Last-Event-ID`` (the browser sends it when it reconnects by itself) or
``?after=`` (js/room.js puts the last id it shows there when the extension
opens a new connection), so no message is lost across a break. Between
messages the stream waits on :mod:`tutoring.services.sessions.room_events` without a
database connection; a comment every ``HEARTBEAT`` seconds keeps proxies from
closing it and re-reads the database in case a notice was missed. A stream
ends after ``MAX_STREAM_SECONDS`` (the browser reconnects at once) so a
worker never holds a stream forever.
"""
from __future__ import annotations

import time

from flask import Response, current_app, render_template, request, stream_with_context
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

    def events():
        nonlocal last_id
        yield f"retry: {RETRY_MS}\n\n"
        ends_at = time.monotonic() + lifetime
        with room_events.subscribe(session_id) as subscription:
            while True:
                try:
                    presence.touch()  # may store and announce the viewer's "joined" entry: read after it
                    # The party was checked when the stream opened; a stream lives MAX_STREAM_SECONDS at most.
                    messages = messages_after(session_id, last_id)
                    flagged = escalation_prompts(messages, user_id, may_prompt)
                    chunks = [sse_event(m.id, render_template("rooms/_message.html", message=m, zone=zone,
                                                              viewer_id=user_id, escalate_ids=flagged,
                                                              escalate_booking_id=booking_id)) for m in messages]
                    if messages:
                        last_id = messages[-1].id
                finally:
                    db.session.remove()
                if chunks:
                    yield "".join(chunks)
                remaining = ends_at - time.monotonic()
                if remaining <= 0:
                    return
                if not subscription.wait(min(heartbeat, remaining)):
                    yield ": ping\n\n"

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return response
