"""Booking endpoints of the JSON API (SPEC §4): book, list, show, cancel, reschedule.

Thin views: read the JSON body strictly, call ``tutoring.services.booking``
(which owns the transaction and every rule), render. A
:class:`~tutoring.services.booking.BookingError` becomes the SPEC error shape
with its own status and code (``slot_unavailable`` 409, ``not_found`` 404, ...).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _

from tutoring.api import bp
from tutoring.api.auth import current_caller
from tutoring.api.errors import ApiError, error_response, not_found, validation_error
from tutoring.api.render import iso_in_zone, iso_utc
from tutoring.models import KINDS, Booking, User
from tutoring.services.booking import (
    MAX_ID,
    BookingBusy,
    BookingError,
    book_session,
    booking_for,
    bookings_for,
    cancel_booking,
    reschedule_booking,
)
from tutoring.services.groups import cancel_session

RETRY_AFTER_SECONDS = 1


@bp.errorhandler(BookingError)
def _booking_error(error: BookingError) -> Response:
    """A refused booking change, in the SPEC error shape and the caller's language."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(error, BookingBusy) else None
    return error_response(ApiError(error.status, error.code, error.message, field=error.field, headers=headers))


@bp.post("/bookings")
def create_booking():
    """Book an offered slot for the caller: 201 with the booking, 409 ``slot_unavailable`` if it isn't offered."""
    body = _json_body(required=True)
    booking = book_session(
        current_caller(),
        _id_field(body, "volunteer_id"),
        _instant_field(body, "start"),
        _kind_field(body),
        _text_field(body, "note") or "",
    )
    response = jsonify(booking_json(booking, current_caller()))
    response.status_code = 201
    response.headers["Location"] = url_for("api.show_booking", booking_id=booking.id)
    return response


@bp.get("/bookings")
def list_bookings():
    """The caller's bookings, as learner or as volunteer, by start time (cancelled ones too)."""
    caller = current_caller()
    return jsonify([booking_json(booking, caller) for booking in bookings_for(caller)])


@bp.get("/bookings/<int:booking_id>")
def show_booking(booking_id: int):
    """One booking of the caller's; 404 for anyone who is not part of it."""
    caller = current_caller()
    booking = booking_for(caller, booking_id)
    if booking is None:
        raise not_found()
    return jsonify(booking_json(booking, caller))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel(booking_id: int):
    """Cancel a booking (either party), with an optional ``reason``; 200 with the cancelled booking."""
    body = _json_body(required=False)
    caller = current_caller()
    booking = cancel_booking(caller, booking_id, _text_field(body, "reason"))
    return jsonify(booking_json(booking, caller))


@bp.post("/sessions/<int:session_id>/cancel")
def cancel_whole_session(session_id: int):
    """The volunteer cancels a whole session (every seat of a group session), with an optional ``reason``."""
    body = _json_body(required=False)
    caller = current_caller()
    session = cancel_session(caller, session_id, _text_field(body, "reason"))
    return jsonify({"id": session.id, "status": session.status,
                    "bookings": [booking_json(booking, caller) for booking in session.bookings]})


@bp.post("/bookings/<int:booking_id>/reschedule")
def reschedule(booking_id: int):
    """Move a booking to another offered ``start``: same UID, higher SEQUENCE; 409 if that time isn't offered."""
    body = _json_body(required=True)
    caller = current_caller()
    booking = reschedule_booking(caller, booking_id, _instant_field(body, "start"))
    return jsonify(booking_json(booking, caller))


def booking_json(booking: Booking, viewer: User) -> dict[str, Any]:
    """A booking as its learner or volunteer sees it; times in the viewer's zone with offset, and in UTC.

    Only ever shown to the two people in it, so the private note is included.
    """
    session = booking.session
    zone = ZoneInfo(viewer.timezone)
    volunteer = session.volunteer.user
    return {
        "id": booking.id,
        "uid": booking.uid,
        "sequence": booking.sequence,
        "status": booking.status,
        "kind": session.kind,
        "start": iso_in_zone(session.start_at, zone),
        "end": iso_in_zone(session.end_at, zone),
        "start_utc": iso_utc(session.start_at),
        "end_utc": iso_utc(session.end_at),
        "volunteer": {"id": volunteer.id, "name": volunteer.display_name},
        "learner": {"id": booking.learner.id, "name": booking.learner.display_name},
        "note": booking.note,
        "cancel_reason": booking.cancel_reason,
        "series_id": booking.series_id,
        # A seat of a group session shares its session with other learners (docs/GROUPS.md), never their names.
        "session_id": session.id,
        "capacity": session.capacity,
    }


# --- reading the JSON body ---------------------------------------------------


def _json_body(*, required: bool) -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}`` when nothing is required.

    A body that is not JSON is a 415 or 400 (Werkzeug's, turned into our shape).
    """
    if not required and not request.get_data(cache=True):
        return {}
    body = request.get_json()
    if not isinstance(body, dict):
        raise validation_error("body", _("Send a JSON object."))
    return body


def _id_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    # bool is an int in Python; true is not a volunteer.
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise validation_error(name, _("%(field)s must be a whole number (an id).", field=name))
    return value


def _instant_field(body: dict[str, Any], name: str) -> datetime:
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


def _kind_field(body: dict[str, Any]) -> str:
    value = body.get("kind")
    if value not in KINDS:
        raise validation_error("kind", _("%(field)s must be one of: %(choices)s.", field="kind", choices=", ".join(KINDS)))
    return value


def _text_field(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise validation_error(name, _("%(field)s must be text.", field=name))
    return value
