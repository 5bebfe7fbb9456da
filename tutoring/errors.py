"""The one base of the errors services raise for people: a rule refused the request and nothing was written.

Every service error carries an English ``msgid`` with named ``params``
(translated only when read, so the request's language applies), the
``field`` at fault when there is one, and the ``code`` and HTTP ``status``
the JSON API answers with. A page shows ``message`` beside ``field`` (or at
the top of the form); the API answers ``{"error": {"code", "message", "field"}}``.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext


class ServiceError(Exception):
    """A request a rule refused; nothing was written."""

    code = "invalid"
    status = 400

    def __init__(self, msgid: str, *, field: str | None = None, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        self.field = field
        super().__init__(msgid % params if params else msgid)

    @property
    def message(self) -> str:
        """The message in the current request's language (English outside a request)."""
        if has_request_context():
            return gettext(self.msgid, **self.params)
        return self.msgid % self.params if self.params else self.msgid


class NotFound(ServiceError):
    """No such thing, or not one the caller may see (the same answer, so nothing leaks): 404."""

    code = "not_found"
    status = 404
