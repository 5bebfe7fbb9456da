"""Messages of a session room (SPEC §7): post and list, for the booking's parties only.

Thin: the rules (who, when, masking) are ``tutoring.services.sessions.rooms``'s; a
:class:`~tutoring.errors.ServiceError` from it becomes the SPEC error shape
(404 ``not_found``, 409 ``room_closed``, 422 ``validation_error``).
"""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for

from tutoring.api.auth import current_caller
from tutoring.api.blueprint import bp
from tutoring.api.params import int_arg, json_body
from tutoring.extensions import limiter
from tutoring.models import Message
from tutoring.models.types import MAX_ID
from tutoring.services.sessions.rooms import PAGE, messages_after, post_message, room_for
from tutoring.timeutil import utc_iso

DEFAULT_MESSAGE_LIMIT = "20 per minute"


def message_limit() -> str:
    """``ROOM_MESSAGE_LIMIT`` (``TUTORING_ROOM_MESSAGE_LIMIT``): messages one person may post, pages and API together."""
    return current_app.config.get("ROOM_MESSAGE_LIMIT", DEFAULT_MESSAGE_LIMIT)


def message_json(message: Message) -> dict[str, Any]:
    """A message as the room's parties see it (its text already masked; the author by display name only)."""
    author = message.author
    return {
        "id": message.id,
        "author": {"id": author.id, "name": author.display_name} if author is not None else None,
        "text": message.text,
        "masked": message.masked,
        "at": utc_iso(message.created_at),
    }


@bp.post("/bookings/<int:booking_id>/messages")
@limiter.limit(message_limit, key_func=lambda: f"room-post:{current_caller().id}")
def post_room_message(booking_id: int):
    """Post ``{"text"}`` to the booking's room: 201 with the stored (masked) message; 409 ``room_closed`` after the window."""
    body = json_body(required=True)
    posted = post_message(current_caller(), booking_id, body.get("text"))
    response = jsonify(message_json(posted.message))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_room_messages", booking_id=booking_id, after=posted.message.id - 1)
    return response


@bp.get("/bookings/<int:booking_id>/messages")
def list_room_messages(booking_id: int):
    """The room's messages after ``after`` (an id; default 0), oldest first, at most 200 per answer.

    Only what people wrote: room notices ("has joined") are the pages' own, so every item keeps SPEC §7's shape.
    """
    after = int_arg("after", default=0, minimum=0, maximum=MAX_ID)
    room = room_for(current_caller(), booking_id)
    return jsonify([message_json(m) for m in messages_after(room, after, PAGE, text_only=True)])
