"""Errors about one input field, whose message is translated when it is shown."""
from __future__ import annotations

from typing import Any

from tutoring.errors import ServiceError


class FieldError(ServiceError, ValueError):
    """Input refused; nothing was saved. ``field`` names the input at fault, ``message`` is for people.

    ``msgid`` is an English message with named placeholders (``params``): it is
    translated only when read, so the request's language applies.
    """

    code = "validation_error"
    status = 422

    def __init__(self, field: str, msgid: str, **params: Any) -> None:
        super().__init__(msgid, field=field, **params)

    def __str__(self) -> str:
        return f"{self.field}: {self.msgid % self.params if self.params else self.msgid}"
