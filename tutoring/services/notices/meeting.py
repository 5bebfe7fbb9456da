"""Where a session happens: one meeting address per booking, from a template setting.

``TUTORING_MEETING_URL_TEMPLATE`` (default ``https://meet.jit.si/tutoring-{token}``)
gets ``{token}``: an HMAC-SHA256 of the booking's UID keyed with
``SECRET_KEY``, 160 bits in URL-safe base64. Nobody can guess a room from
another one or from the UID alone (meeting links get scanned and indexed:
Cal.com #21667), and the address needs no column: the same booking always
gets the same room, in the app, in every email and in every feed.

The room follows ``SECRET_KEY``: keep that key stable in production (rotating
it moves every future session to a new room, without a new invite).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from tutoring.urls import service_domain

DEFAULT_MEETING_URL_TEMPLATE = "https://meet.jit.si/tutoring-{token}"
# 20 bytes = 160 bits, comfortably above the 128 the feeds' tokens need too.
TOKEN_BYTES = 20
_CONTEXT = b"tutoring.meeting-room\x00"


def meeting_token(uid: str, secret: str | bytes) -> str:
    """The unguessable, URL-safe room token for the booking with ``uid`` (27 characters)."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, _CONTEXT + uid.encode(), hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def meeting_url_for_uid(uid: str, template: str | None = None, secret: str | bytes | None = None) -> str | None:
    """The meeting address for ``uid``; ``None`` when the template is set empty (no online rooms).

    ``template`` and ``secret`` default to the app's ``MEETING_URL_TEMPLATE``
    and ``SECRET_KEY``. Only ``{token}`` is replaced (plain text replacement,
    so other braces in a URL stay as they are).
    """
    if template is None:
        template = current_app.config.get("MEETING_URL_TEMPLATE", DEFAULT_MEETING_URL_TEMPLATE)
    if not template:
        return None
    if secret is None:
        secret = current_app.config["SECRET_KEY"]
    return template.replace("{token}", meeting_token(uid, secret))


def meeting_url_for(booking) -> str | None:
    """The meeting address of ``booking`` (anything with a ``uid``): for pages, emails and calendar events.

    A seat of a group session meets in the session's one room (its UID is the
    session's, ``session_uid``), so learners and volunteer meet.
    """
    session = getattr(booking, "session", None)
    if session is not None and getattr(session, "capacity", 1) > 1:
        return meeting_url_for_uid(session_uid(session.id))
    return meeting_url_for_uid(booking.uid)


def session_uid(session_id: int) -> str:
    """The UID of a group session's one event in its volunteer's calendar: ``session-<id>@<host of BASE_URL>``.

    Derived, not stored: a session's id never changes, and the host is the
    one the bookings' UIDs use. (Changing ``BASE_URL``'s host would give
    live group sessions new UIDs; keep it stable, as for meeting rooms.)
    """
    return f"session-{session_id}@{service_domain()}"
