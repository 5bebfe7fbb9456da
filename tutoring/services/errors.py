"""Errors about one input field, whose message is translated when it is shown."""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext


class FieldError(ValueError):
    """Input refused; nothing was saved. ``field`` names the input at fault, ``message`` is for people.

    ``msgid`` is an English message with named placeholders (``params``): it is
    translated only when read, so the request's language applies.
    """

    def __init__(self, field: str, msgid: str, **params: Any) -> None:
        self.field = field
        self.msgid = msgid
        self.params = params
        super().__init__(f"{field}: {msgid % params if params else msgid}")

    @property
    def message(self) -> str:
        """The message in the current request's language (English outside a request)."""
        if has_request_context():
            return gettext(self.msgid, **self.params)
        return self.msgid % self.params if self.params else self.msgid
