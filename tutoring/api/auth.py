"""Bearer-token authentication for the JSON API (SPEC §4).

API calls are authenticated by ``Authorization: Bearer <token>`` and nothing
else: a browser's session cookie never counts here. That is what makes the
API safe without CSRF tokens: a cross-site page can make a browser send
cookies, but it cannot make it send our bearer token.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_babel import refresh as refresh_babel

from tutoring.api.errors import ApiError
from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.people.accounts import user_for_api_token

REALM = "tutoring"
# RFC 6750 §2.1 b64token; ours are URL-safe base64 of 32 bytes (43 characters).
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_MAX_TOKEN_LENGTH = 256

View = TypeVar("View", bound=Callable)


def public(view: View) -> View:
    """Mark an API view as needing no token (e.g. the OpenAPI document)."""
    view.api_public = True  # type: ignore[attr-defined]
    return view


def bearer_token() -> str | None:
    """The raw token of an ``Authorization: Bearer`` header; None without one, "" if malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, token = header.strip().partition(" ")
    token = token.strip()
    # The scheme is case-insensitive (RFC 7235 §2.1); anything else is not a bearer token.
    if scheme.lower() != "bearer" or len(token) > _MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
        return ""
    return token


def _unauthorized(code: str, message: str, error: str | None = None) -> ApiError:
    challenge = f'Bearer realm="{REALM}"'
    if error is not None:
        challenge += f', error="{error}"'
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


def _act_as(user: User | None) -> None:
    """Make ``user`` (or nobody) this request's ``current_user``, without touching the session.

    ``login_user`` would write the session cookie; we only want Flask-Login's
    per-request user set, so that the locale and zone selectors (which read
    ``current_user``) follow the token's owner and a session cookie the
    request may carry is never consulted.
    """
    g.api_user = user
    current_app.login_manager._update_request_context_with_user(user)
    refresh_babel()  # drop a locale/zone computed before we knew the caller


def identify_caller(*, required: bool) -> User | None:
    """Resolve the bearer token to its user and make them the request's user.

    ``required``: raise a 401 for a missing, malformed, unknown or revoked
    token; otherwise such requests simply have no caller.
    """
    raw = bearer_token()
    user = user_for_api_token(raw) if raw else None
    if user is not None and db.session.dirty:
        # user_for_api_token noted the use (at most every few minutes); save it now,
        # so the view's own transaction starts clean.
        db.session.commit()
    _act_as(user)
    if user is None and required:
        if raw is None:
            raise _unauthorized("authentication_required", _("Send an API token as “Authorization: Bearer <token>”."))
        raise _unauthorized(
            "invalid_token", _("This API token is not valid: it is unknown, revoked or malformed."), "invalid_token"
        )
    return user


def current_caller() -> User:
    """The authenticated user of this API request (views behind the token check only)."""
    user = g.get("api_user")
    if user is None:  # pragma: no cover - the before_request hook guarantees a caller
        raise _unauthorized("authentication_required", _("Send an API token as “Authorization: Bearer <token>”."))
    return user


def authenticate_request() -> None:
    """Blueprint hook: every API view needs a valid token unless marked :func:`public`."""
    if request.method == "OPTIONS":
        # Flask answers OPTIONS itself (the Allow header) without running the view: nothing to protect.
        identify_caller(required=False)
        return
    view = current_app.view_functions.get(request.endpoint or "")
    identify_caller(required=not getattr(view, "api_public", False))

