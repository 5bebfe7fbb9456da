"""Reading query parameters strictly: anything unexpected is a 422 naming the parameter.

Listing filters (``text_arg``, ``choice_arg``) treat a blank value as absent,
so a client can send ``?subject=&language=&kind=`` and fill in only some.
Typed values (choices, dates, zones, numbers) must be exactly right when present.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from flask import request
from flask_babel import gettext as _

from tutoring.api.errors import validation_error
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
