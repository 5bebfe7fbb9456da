"""The room page: its messages, the post form (works without JavaScript), and the polling fragment.

Thin: ``tutoring.services.sessions.rooms`` decides who, when and what is stored. A
room is reached by the id of the viewer's booking; anyone else gets 404. The
form posts and redirects back (303) without JavaScript; with htmx it gets
the cleared form, what was hidden and why, and the new message out of band.
"""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.booking.pages import session_view
from tutoring.errors import NotFound
from tutoring.extensions import limiter
from tutoring.htmx import is_fragment_request
from tutoring.i18n import current_timezone
from tutoring.models import MAX_MESSAGE_LENGTH
from tutoring.rooms.blueprint import bp
from tutoring.services.notices.meeting import meeting_url_for
from tutoring.services.sessions import room_presence
from tutoring.services.sessions.rooms import (
    PAGE,
    Room,
    RoomError,
    escalation_prompts,
    may_prompt_escalation,
    messages_after,
    post_message,
    recent_messages,
    room_for,
)

FORM_TARGET = "room-form"
DEFAULT_MESSAGE_LIMIT = "20 per minute"


def room_or_404(booking_id: int) -> Room:
    """The room for the signed-in party of the booking; 404 for anyone else."""
    try:
        return room_for(current_user, booking_id)
    except NotFound:
        abort(404)


def hidden_reasons(reasons: tuple[str, ...]) -> list[str]:
    """What was hidden from a message, said to its writer in their language."""
    texts = {
        "phone": _("A phone number was hidden."),
        "email": _("An email address was hidden."),
        "handle": _("A social media name was hidden."),
        "link": _("A link to another chat or meeting service was hidden."),
    }
    return [texts[reason] for reason in reasons if reason in texts]


def audio_only_url(url: str | None) -> str | None:
    """The video room's address opening with the camera off (Jitsi reads its settings after ``#``)."""
    if not url:
        return None
    return url + ("&" if "#" in url else "#") + "config.startAudioOnly=true&config.startWithVideoMuted=true"


def prompts(room: Room, messages: list) -> dict:
    """What the messages' template needs to show the support volunteer the escalate prompt."""
    return {"escalate_ids": escalation_prompts(messages, room.viewer_id, may_prompt_escalation(room)),
            "escalate_booking_id": room.booking.id}


def _context(room: Room, **extra) -> dict:
    meeting = meeting_url_for(room.booking) if room.state != "closed" else None
    return {
        "room": room,
        "view": session_view(room.booking, current_user.id, room.now),
        "zone": current_timezone(),
        "meeting_url": meeting,
        "audio_url": audio_only_url(meeting),
        "max_length": MAX_MESSAGE_LENGTH,
        "text": "",
        **extra,
    }


@bp.get("/sessions/<int:booking_id>/room")
@login_required
def room(booking_id: int):
    """The session's room: a short thread before the session, live text from 15 minutes before, closed 30 after."""
    room = room_or_404(booking_id)
    room_presence.seen(room)  # before reading: the viewer's own "joined" entry is in the page, not sent again
    messages = recent_messages(room, PAGE)
    context = _context(room, crisis=request.args.get("help") == "1", here=room_presence.here_now(room),
                       **prompts(room, messages))
    response = make_response(render_template("rooms/room.html", messages=messages, **context))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/sessions/<int:booking_id>/room/messages")
@login_required
def new_messages(booking_id: int):
    """The messages after ``after`` as list items (htmx polling while the live stream is down), and who is here now
    (out of band)."""
    room = room_or_404(booking_id)
    room_presence.seen(room)
    after = request.args.get("after", "0")
    after_id = int(after) if after.isascii() and after.isdigit() and len(after) < 12 else 0
    messages = messages_after(room, after_id)
    response = make_response(render_template("rooms/_messages.html", messages=messages, zone=current_timezone(),
                                             viewer_id=current_user.id, room=room, here=room_presence.here_now(room),
                                             here_oob=True, **prompts(room, messages)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/sessions/<int:booking_id>/room/here")
@login_required
def here(booking_id: int):
    """Who is here now (display names only): the page refreshes it every 30 seconds and when someone joins."""
    room = room_or_404(booking_id)
    room_presence.seen(room)
    response = make_response(render_template("rooms/_here.html", room=room, here=room_presence.here_now(room)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _message_limit() -> str:
    return current_app.config.get("ROOM_MESSAGE_LIMIT", DEFAULT_MESSAGE_LIMIT)


@bp.post("/sessions/<int:booking_id>/room")
@login_required
@limiter.limit(_message_limit, key_func=lambda: f"room-post:{current_user.get_id()}")
def post(booking_id: int):
    """Write in the room: masked before it is stored; the writer is told what was hidden and, if needed, where help is."""
    room = room_or_404(booking_id)
    fragment = is_fragment_request(FORM_TARGET)
    try:
        posted = post_message(current_user, booking_id, request.form.get("text"), room=room)
    except RoomError as error:
        context = _context(room, error=error.message, text=request.form.get("text", "")[:MAX_MESSAGE_LENGTH + 100])
        if fragment:  # htmx swaps only 2xx answers: the refusal is shown in the form
            return render_template("rooms/_form.html", **context)
        messages = recent_messages(room, PAGE)
        return make_response(render_template("rooms/room.html", messages=messages, **context, **prompts(room, messages)),
                             error.status)
    hidden = hidden_reasons(posted.reasons)
    if fragment:
        return render_template("rooms/_posted.html", message=posted.message, hidden=hidden, crisis=posted.crisis,
                               **_context(room))
    for text in hidden:
        flash(text, "warning")
    if hidden:
        flash(_("Contact details are not shared in the room, to keep everyone safe."), "warning")
    # The page shows where help is (a link, which a flash can't hold) when asked with ?help=1.
    extra = {"help": 1} if posted.crisis else {}
    return redirect(url_for("rooms.room", booking_id=booking_id, _anchor=f"message-{posted.message.id}", **extra),
                    code=303)
