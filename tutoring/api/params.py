"""Reading query parameters strictly: anything unexpected is a 422 naming the parameter.

Listing filters (``text_arg``, ``choice_arg``) treat a blank value as absent,
so a client can send ``?subject=&language=&kind=`` and fill in only some.
Typed values (choices, dates, zones, numbers) must be exactly right when present.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from flask import request
from flask_babel import gettext as _

from tutoring.api.errors import validation_error
from tutoring.models import KINDS
from tutoring.models.types import MAX_ID
from tutoring.timeutil import is_valid_zone

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGITS = re.compile(r"[0-9]{1,10}")


def text_arg(name: str) -> str | None:
    """The trimmed value of query parameter ``name``, or None when absent or blank."""
    value = request.args.get(name, "").strip()
    return value or None


def _typed_arg(name: str) -> str | None:
    """The exact value of query parameter ``name``, or None when absent (blank is a value, and wrong)."""
    return request.args.get(name)


def date_arg(name: str) -> date | None:
    """Query parameter ``name`` as a calendar date written ``YYYY-MM-DD``."""
    value = _typed_arg(name)
    if value is None:
        return None
    # date.fromisoformat alone would also take "20261231" and week dates; we promise one format.
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise validation_error(name, _("%(field)s must be a date written YYYY-MM-DD, such as 2026-12-31.", field=name))


def zone_arg(name: str) -> str | None:
    """Query parameter ``name`` as an IANA time zone name."""
    value = _typed_arg(name)
    if value is None:
        return None
    if not is_valid_zone(value):
        raise validation_error(
            name, _("%(field)s must be an IANA time zone name, such as Africa/Cairo.", field=name)
        )
    return value


def int_arg(name: str, *, default: int, minimum: int, maximum: int) -> int:
    """Query parameter ``name`` as a whole number in [minimum, maximum]."""
    value = _typed_arg(name)
    if value is None:
        return default
    # ASCII digits only: int() would also accept "٣" or "1_000".
    number = int(value) if _DIGITS.fullmatch(value) else None
    if number is None or not minimum <= number <= maximum:
        raise validation_error(
            name,
            _(
                "%(field)s must be a whole number from %(minimum)d to %(maximum)d.",
                field=name,
                minimum=minimum,
                maximum=maximum,
            ),
        )
    return number


def choice_arg(name: str, choices: Sequence[str]) -> str | None:
    """Query parameter ``name`` as one of ``choices``, ignoring ASCII case; blank means absent."""
    value = request.args.get(name, "")
    if value == "":
        return None
    # ASCII only: str.casefold() would turn "ſupport" (long s) into "support".
    lowered = value.lower() if value.isascii() else None
    if lowered not in choices:
        raise validation_error(
            name, _("%(field)s must be one of: %(choices)s.", field=name, choices=", ".join(choices))
        )
    return lowered


# --- the JSON body ---------------------------------------------------------------


def json_body(*, required: bool) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}`` when nothing is required.

    A body that is not JSON is a 415 or 400 (Werkzeug's, turned into our shape).
    """
    if not required and not request.get_data(cache=True):
        return {}
    body = request.get_json()
    if not isinstance(body, dict):
        raise validation_error("body", _("Send a JSON object."))
    return body


def id_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    # bool is an int in Python; true is not a volunteer.
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise validation_error(name, _("%(field)s must be a whole number (an id).", field=name))
    return value


def instant_field(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    instant = None
    if isinstance(value, str) and len(value) <= 64:
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            instant = None
    if instant is None or instant.tzinfo is None or instant.utcoffset() is None:
        raise validation_error(
            name,
            _("%(field)s must be a date and time with its UTC offset, such as 2026-05-04T18:00:00+02:00.", field=name),
        )
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00
        raise validation_error(
            name,
            _("%(field)s must be a date and time with its UTC offset, such as 2026-05-04T18:00:00+02:00.", field=name),
        ) from None


def kind_field(body: dict[str, Any]) -> str:
    value = body.get("kind")
    if value not in KINDS:
        raise validation_error("kind", _("%(field)s must be one of: %(choices)s.", field="kind", choices=", ".join(KINDS)))
    return value


def text_field(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise validation_error(name, _("%(field)s must be text.", field=name))
    return value
