"""One way to show a service's refusal on a form (``tutoring.errors.ServiceError``; the API has its own, one too)."""
from __future__ import annotations

from collections.abc import Mapping

from tutoring.errors import ServiceError


class ServiceErrors:
    """Form mixin: put a service's message next to the field it names, or at the top of the form."""

    # The service's field names that differ from the form's (``from`` is a Python keyword).
    SERVICE_FIELDS: dict[str, str] = {}

    def show_error(self, error: ServiceError) -> None:
        """Attach ``error.message`` to the field it names (or to the form as a whole)."""
        self.show_errors({error.field or "": [error.message]})

    def show_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Attach several messages by field name (a service that checks many fields at once)."""
        for name, messages in errors.items():
            field = getattr(self, self.SERVICE_FIELDS.get(name, name), None) if name else None
            if field is None or not hasattr(field, "errors"):
                self.form_errors.extend(messages)
            else:
                field.errors = [*field.errors, *messages]
