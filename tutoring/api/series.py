"""Weekly series in the JSON API (SPEC §4): book a series, read one, cancel it from a date.

One week is cancelled or moved like any booking (``/bookings/<id>/cancel``,
``/bookings/<id>/reschedule``); its ``series_id`` says which series it is in.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, url_for
from flask_babel import gettext as _

from tutoring.api.blueprint import bp
from tutoring.api.auth import current_caller
from tutoring.api.bookings import booking_json
from tutoring.api.params import id_field, instant_field, json_body, kind_field, text_field
from tutoring.api.errors import not_found, validation_error
from tutoring.api.render import iso_in_zone
from tutoring.models import Series, User
from tutoring.booking.series import (
    MAX_WEEKS,
    MIN_WEEKS,
    Occurrence,
    book_series,
    cancel_series_from,
    occurrences,
    series_for,
)
from tutoring.timeutil import utc_iso


@bp.post("/series")
def create_series():
    """Book the same local time (volunteer's zone) for 2-26 weeks: 201 with the bookings and the weeks skipped."""
    body = json_body(required=True)
    caller = current_caller()
    result = book_series(
        caller,
        id_field(body, "volunteer_id"),
        instant_field(body, "start"),
        _weeks_field(body),
        kind_field(body),
        text_field(body, "note") or "",
    )
    document = series_json(result.series, caller)
    document["skipped"] = [skipped_json(occurrence, caller) for occurrence in result.skipped]
    response = jsonify(document)
    response.status_code = 201
    response.headers["Location"] = url_for("api.show_series", series_id=result.series.id)
    return response


@bp.get("/series/<int:series_id>")
def show_series(series_id: int):
    """One of the caller's series with all its weeks (cancelled and moved ones too); 404 for anyone else."""
    caller = current_caller()
    series = series_for(caller, series_id)
    if series is None:
        raise not_found()
    return jsonify(series_json(series, caller))


@bp.post("/series/<int:series_id>/cancel")
def cancel_series(series_id: int):
    """Cancel every upcoming week of the series from the date ``from`` (the caller's zone) on; 200 with the series."""
    body = json_body(required=True)
    caller = current_caller()
    cancelled = cancel_series_from(caller, series_id, _date_field(body, "from"), caller.timezone,
                                   text_field(body, "reason"))
    document = series_json(series_for(caller, series_id), caller)
    document["cancelled"] = [booking.id for booking in cancelled]
    return jsonify(document)


def series_json(series: Series, viewer: User) -> dict[str, Any]:
    """A series as its learner or volunteer sees it: what was asked for and every booking it holds."""
    return {
        "id": series.id,
        "volunteer_id": series.volunteer_id,
        "learner_id": series.learner_id,
        "kind": series.kind,
        "weeks": series.weeks,
        "first_start": iso_in_zone(series.first_start_at, ZoneInfo(viewer.timezone)),
        "bookings": [booking_json(booking, viewer) for booking in occurrences(series)],
    }


def skipped_json(occurrence: Occurrence, viewer: User) -> dict[str, Any]:
    """A week not booked: its start (caller's zone and UTC), the reason code and the reason in words."""
    return {
        "start": iso_in_zone(occurrence.start_at, ZoneInfo(viewer.timezone)),
        "start_utc": utc_iso(occurrence.start_at),
        "reason": occurrence.reason,
        "message": occurrence.reason_text,
    }


def _weeks_field(body: dict[str, Any]) -> int:
    value = body.get("weeks")
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_WEEKS <= value <= MAX_WEEKS:
        raise validation_error(
            "weeks", _("%(field)s must be a whole number from %(min)d to %(max)d.", field="weeks", min=MIN_WEEKS,
                       max=MAX_WEEKS)
        )
    return value


def _date_field(body: dict[str, Any], name: str) -> date:
    value = body.get(name)
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise validation_error(name, _("%(field)s must be a date written YYYY-MM-DD, such as 2026-12-31.", field=name))
