"""Booking endpoints of the JSON API (SPEC §4): book, list, show, cancel, reschedule.

Thin views: read the JSON body strictly, call ``tutoring.booking.operations``
(which owns the transaction and every rule), render. A
:class:`~tutoring.booking.errors.BookingError` becomes the SPEC error shape
with its own status and code (``slot_unavailable`` 409, ``not_found`` 404, ...).
"""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import jsonify, url_for

from tutoring.api.blueprint import bp
from tutoring.api.auth import current_caller
from tutoring.api.errors import not_found
from tutoring.api.params import id_field, instant_field, json_body, kind_field, text_field
from tutoring.api.render import iso_in_zone
from tutoring.models import Booking, User
from tutoring.booking.engine import booking_for, bookings_for
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.booking.groups import cancel_session
from tutoring.contact_details import hide_contact_details
from tutoring.timeutil import utc_iso


@bp.post("/bookings")
def create_booking():
    """Book an offered slot for the caller: 201 with the booking, 409 ``slot_unavailable`` if it isn't offered."""
    body = json_body(required=True)
    booking = book_session(
        current_caller(),
        id_field(body, "volunteer_id"),
        instant_field(body, "start"),
        kind_field(body),
        text_field(body, "note") or "",
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
    body = json_body(required=False)
    caller = current_caller()
    booking = cancel_booking(caller, booking_id, text_field(body, "reason"))
    return jsonify(booking_json(booking, caller))


@bp.post("/sessions/<int:session_id>/cancel")
def cancel_whole_session(session_id: int):
    """The volunteer cancels a whole session (every seat of a group session), with an optional ``reason``."""
    body = json_body(required=False)
    caller = current_caller()
    session = cancel_session(caller, session_id, text_field(body, "reason"))
    return jsonify({"id": session.id, "status": session.status,
                    "bookings": [booking_json(booking, caller) for booking in session.bookings]})


@bp.post("/bookings/<int:booking_id>/reschedule")
def reschedule(booking_id: int):
    """Move a booking to another offered ``start``: same UID, higher SEQUENCE; 409 if that time isn't offered."""
    body = json_body(required=True)
    caller = current_caller()
    booking = reschedule_booking(caller, booking_id, instant_field(body, "start"))
    return jsonify(booking_json(booking, caller))


def booking_json(booking: Booking, viewer: User) -> dict[str, Any]:
    """A booking as its learner or volunteer sees it; times in the viewer's zone with offset, and in UTC.

    Only ever shown to the two people in it, so the private note is included: as written for its
    learner, with contact details hidden for the volunteer; a cancellation reason (either may have
    written it) with contact details hidden for both (SPEC §7).
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
        "start_utc": utc_iso(session.start_at),
        "end_utc": utc_iso(session.end_at),
        "volunteer": {"id": volunteer.id, "name": volunteer.display_name},
        "learner": {"id": booking.learner.id, "name": booking.learner.display_name},
        "note": booking.note if viewer.id == booking.learner_id else hide_contact_details(booking.note),
        "cancel_reason": None if booking.cancel_reason is None else hide_contact_details(booking.cancel_reason),
        "series_id": booking.series_id,
        # A seat of a group session shares its session with other learners (docs/GROUPS.md), never their names.
        "session_id": session.id,
        "capacity": session.capacity,
    }
