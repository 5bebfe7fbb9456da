"""The OpenAPI 3.1 description of ``/api/v1``, served at ``GET /api/v1/openapi.json``.

Built as plain Python data. When you add an endpoint, add its path item to
``PATHS`` (and any new schema to ``SCHEMAS``): ``tests/api/test_openapi.py``
fails while a ``/api/v1`` route and this document disagree, and the
schemathesis test checks every documented operation against the app.

Conventions: every operation lists its error responses with ``_errors(...)``
(all errors share the ``Error`` schema), instants are ``format: date-time``
strings with an offset, and operations need the bearer token unless they
say ``"security": []``.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from tutoring.api.volunteers import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, MAX_SLOT_SPAN_DAYS
from tutoring.models import BOOKING_STATUSES, KINDS, LANGUAGES, MAX_MESSAGE_LENGTH, ROLES
from tutoring.services.schedules.availability import DOCUMENT_KEYS as AVAILABILITY_KEYS
from tutoring.services.schedules.availability import (
    FIRST_DATE,
    LAST_DATE,
    MAX_AWAY,
    MAX_EXTRA,
    MAX_RULES,
    OPTIONAL_SETTINGS,
    SETTING_RANGES,
)
from tutoring.booking.engine import MAX_ID, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from tutoring.booking.series import REASONS as SKIP_REASONS
from tutoring.models.availability import MAX_GROUP_CAPACITY

API_VERSION = "1.0.0"
PREFIX = "/api/v1"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


_ERROR_RESPONSES = {
    400: "The request could not be read (e.g. a body that is not JSON).",
    401: "No valid bearer token: missing, malformed, unknown or revoked.",
    403: "The caller may not do this.",
    404: "Not found (or not visible to the caller).",
    409: "The request conflicts with the current state.",
    415: "The body is not JSON.",
    422: "A parameter or field is invalid; `error.field` names it.",
    429: "Too many requests; `Retry-After` says when to try again.",
}


def _errors(*statuses: int) -> dict[str, Any]:
    """Response entries for the given error statuses, all with the ``Error`` schema."""
    responses: dict[str, Any] = {}
    for status in statuses:
        response: dict[str, Any] = {"description": _ERROR_RESPONSES[status], "content": _json(_ref("Error"))}
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": 'The challenge, e.g. `Bearer realm="tutoring", error="invalid_token"`.',
                    "schema": {"type": "string"},
                }
            }
        responses[str(status)] = response
    return responses


def _any_case_choice(choices) -> str:
    """A regex for one of ``choices`` in any ASCII letter case, or blank (JSON Schema has no case-insensitive enum)."""
    spelled = ("".join(f"[{ch.lower()}{ch.upper()}]" if ch.isalpha() else re.escape(ch) for ch in c) for c in choices)
    return "^(" + "|".join(spelled) + ")?$"


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SCHEMAS: dict[str, Any] = {
    "Help": {
        "type": "object",
        "required": ["country", "resources"],
        "properties": {
            "country": {"type": ["string", "null"], "description": "The country asked for; null: all."},
            "resources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "phone", "text", "url", "languages", "hours"],
                    "properties": {
                        "name": {"type": "string"},
                        "phone": {"type": ["string", "null"]},
                        "text": {"type": ["string", "null"], "description": "Text/SMS number."},
                        "url": {"type": ["string", "null"]},
                        "languages": {"type": "array", "items": {"type": "string"}},
                        "hours": {"type": ["string", "null"]},
                        "example": {"type": "boolean", "description": "Demo data, not a real service."},
                    },
                },
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable machine-readable code, e.g. `validation_error`, `not_found`, "
                        "`invalid_token`, `slot_unavailable`.",
                    },
                    "message": {"type": "string", "description": "Explanation in the caller's language."},
                    "field": {"type": "string", "description": "The parameter or field at fault (422 only)."},
                },
            }
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "role", "name", "timezone", "language", "feed_url"],
        "properties": {
            "id": {"type": "integer", "description": "For a volunteer, the same id the volunteer listing shows."},
            "role": {"type": "string", "enum": list(ROLES)},
            "name": {"type": "string"},
            "timezone": {"type": "string", "description": "IANA zone, e.g. `Africa/Cairo`."},
            "language": {"type": "string", "enum": list(LANGUAGES)},
            "feed_url": {
                "type": "string",
                "format": "uri",
                "description": "Secret address of the caller's calendar feed (`/calendar/<token>.ics`).",
            },
        },
    },
    "Volunteer": {
        "type": "object",
        "required": ["id", "name", "timezone", "languages", "subjects", "kinds"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "timezone": {"type": "string", "description": "The volunteer's IANA zone."},
            "languages": {"type": "array", "items": {"type": "string"}, "description": "Languages spoken in sessions."},
            "subjects": {"type": "array", "items": {"type": "string"}},
            "kinds": {"type": "array", "items": {"type": "string", "enum": list(KINDS)}},
        },
    },
    "Slot": {
        "type": "object",
        "required": ["start", "end", "start_utc"],
        "properties": {
            "start": {
                "type": "string",
                "format": "date-time",
                "description": "Start as wall-clock time in `tz` with that instant's offset, "
                "e.g. `2026-03-02T23:45:00+05:45`.",
            },
            "end": {"type": "string", "format": "date-time", "description": "End, written like `start`."},
            "start_utc": {
                "type": "string",
                "format": "date-time",
                "pattern": "Z$",
                "description": "Start in UTC, e.g. `2026-03-02T18:00:00Z`.",
            },
            "capacity": {
                "type": "integer",
                "minimum": 2,
                "maximum": 100,
                "description": "Only on group slots (docs/GROUPS.md): how many learners the group session holds. "
                "Booking it takes one seat; the slot stays offered until every seat is taken.",
            },
            "seats_left": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "description": "Only on group slots: seats still free.",
            },
        },
    },
    "SlotList": {
        "type": "object",
        "required": ["tz", "slots"],
        "properties": {
            "tz": {"type": "string", "description": "The zone the dates and `start`/`end` are read in."},
            "slots": {"type": "array", "items": _ref("Slot")},
        },
    },
}

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_ZONE = {"type": "string", "minLength": 1, "examples": ["Asia/Kathmandu"]}

PATHS: dict[str, Any] = {
    f"{PREFIX}/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {"description": "The OpenAPI document.", "content": _json({"type": "object"})},
                **_errors(429),
            },
        }
    },
    f"{PREFIX}/help": {
        "get": {
            "operationId": "getHelp",
            "summary": "Crisis and emergency resources for a country (SPEC §7; no token needed)",
            "security": [],
            "parameters": [
                _query("country", "ISO 3166 alpha-2 code, any case; without it every resource is listed.",
                       {"type": "string", "pattern": "^[A-Za-z]{2}$"}),
            ],
            "responses": {
                "200": {"description": "The resources (a country with none gets the default ones).",
                        "content": _json(_ref("Help"))},
                **_errors(422, 429),
            },
        }
    },
    f"{PREFIX}/me": {
        "get": {
            "operationId": "getMe",
            "summary": "The caller's account",
            "responses": {
                "200": {"description": "The caller.", "content": _json(_ref("Me"))},
                **_errors(401, 429),
            },
        }
    },
    f"{PREFIX}/volunteers": {
        "get": {
            "operationId": "listVolunteers",
            "summary": "Approved volunteers",
            "description": "Approved volunteers by name (the search page ranks by the viewer's language and "
            "free time; the API keeps name order, so paging is stable). `subject` finds volunteers with a subject "
            "beginning with the text at a word start, in any case, with Arabic spelling variants joined (alef "
            "forms, ta marbuta, ya, harakat, tatweel, the article ال), and across English and Arabic through the "
            "shared subject vocabulary (`رياضيات` finds `Mathematics`, `chem` finds `Chemistry`). `language` and "
            "`kind` keep volunteers whose list contains the value (whole entries, case-insensitive). Spaces around "
            "`subject` and `language` are ignored; a blank filter is ignored. Paginated with `limit` and `offset`; `X-Total-Count` gives the number of "
            "matches and `Link` the next/previous pages.",
            "parameters": [
                _query("subject", "A subject the volunteer offers, or its start, in English or Arabic, e.g. `math` or "
                       "`رياضيات`.", {"type": "string"}),
                _query("language", "A language spoken in sessions, e.g. `ar`.", {"type": "string"}),
                _query(
                    "kind",
                    f"A kind of session offered: {', '.join(KINDS)} (any letter case).",
                    {"type": "string", "pattern": _any_case_choice(KINDS)},
                ),
                _query(
                    "programme",
                    "Only members of this programme, by its slug (e.g. `maths-for-remote-schools`, as in the "
                    "search page's `?programme=`); an unknown slug is a 422 naming `programme`.",
                    {"type": "string"},
                ),
                _query(
                    "limit",
                    f"Page size, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
                ),
                _query(
                    "offset",
                    "Matches to skip (default 0).",
                    {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                ),
            ],
            "responses": {
                "200": {
                    "description": "A page of volunteers.",
                    "headers": {
                        "X-Total-Count": {
                            "description": "Number of volunteers matching the filters.",
                            "schema": {"type": "string"},
                        },
                        "Link": {
                            "description": 'RFC 8288 links to the `rel="next"` and `rel="prev"` pages, when any.',
                            "schema": {"type": "string"},
                        },
                    },
                    "content": _json({"type": "array", "items": _ref("Volunteer")}),
                },
                **_errors(401, 422, 429),
            },
        }
    },
    f"{PREFIX}/volunteers/{{volunteer_id}}/slots": {
        "get": {
            "operationId": "listVolunteerSlots",
            "summary": "A volunteer's offered slots",
            "description": "Offered slots whose start falls on the local dates `from`..`to` (inclusive) in "
            f"zone `tz`, at most {MAX_SLOT_SPAN_DAYS} days apart. Unknown, pending and paused volunteers are 404.",
            "parameters": [
                {
                    "name": "volunteer_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                _query("from", "First local date, `YYYY-MM-DD` (default: today in `tz`).", _DATE),
                _query("to", "Last local date, inclusive (default: `from` + 6 days).", _DATE),
                _query("tz", "IANA zone the dates and times are in (default: the caller's zone).", _ZONE),
                _query(
                    "kind",
                    f"Only slots of this kind of session: {', '.join(KINDS)} (any letter case; default: any kind "
                    "the volunteer offers). Past the support weekly cap, `support` slots are not offered.",
                    {"type": "string", "pattern": _any_case_choice(KINDS)},
                ),
            ],
            "responses": {
                "200": {"description": "The slots, sorted by start.", "content": _json(_ref("SlotList"))},
                **_errors(401, 404, 422, 429),
            },
        }
    },
}


# --- bookings (tutoring/api/bookings.py) ---
_PERSON = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
SCHEMAS.update({
    "Booking": {
        "type": "object",
        "required": ["id", "uid", "sequence", "status", "kind", "start", "end", "start_utc", "end_utc",
                     "volunteer", "learner", "note", "cancel_reason", "series_id", "session_id", "capacity"],
        "properties": {
            "id": {"type": "integer"},
            "uid": {"type": "string", "description": "The iCalendar UID; never changes."},
            "sequence": {"type": "integer", "minimum": 0, "description": "iCalendar SEQUENCE; grows with each change."},
            "status": {"type": "string", "enum": list(BOOKING_STATUSES)},
            "kind": {"type": "string", "enum": list(KINDS)},
            "start": {"type": "string", "format": "date-time", "description": "Start in the caller's zone, with offset."},
            "end": {"type": "string", "format": "date-time", "description": "End, written like `start`."},
            "start_utc": {"type": "string", "format": "date-time", "pattern": "Z$"},
            "end_utc": {"type": "string", "format": "date-time", "pattern": "Z$"},
            "volunteer": _PERSON,
            "learner": _PERSON,
            "note": {"type": "string", "description": "The learner's private note (only the two parties see it)."},
            "cancel_reason": {"type": ["string", "null"]},
            "series_id": {"type": ["integer", "null"], "description": "The weekly series it belongs to, if any."},
            "session_id": {"type": "integer", "description": "The volunteer's session this booking is a seat in; "
                           "the seats of one group session share it (docs/GROUPS.md)."},
            "capacity": {"type": "integer", "minimum": 1, "maximum": 100,
                         "description": "Seats of that session: 1 for a one-to-one session, more for a group session."},
        },
    },
    "NewBooking": {
        "type": "object",
        "required": ["volunteer_id", "start", "kind"],
        "properties": {
            "volunteer_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "start": {"type": "string", "format": "date-time",
                      "description": "Start of an offered slot, with offset, e.g. `2026-05-04T18:00:00+02:00`."},
            "kind": {"type": "string", "enum": list(KINDS)},
            "note": {"type": ["string", "null"], "maxLength": NOTE_MAX_LENGTH,
                     "description": "Private to the learner and the volunteer; never in mail or feeds."},
        },
    },
    "CancelRequest": {
        "type": "object",
        "properties": {"reason": {"type": ["string", "null"], "maxLength": REASON_MAX_LENGTH}},
    },
    "RescheduleRequest": {
        "type": "object",
        "required": ["start"],
        "properties": {"start": {"type": "string", "format": "date-time",
                                 "description": "Start of another offered slot, with offset."}},
    },
})

_BOOKING_ID = {"name": "booking_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
PATHS.update({
    f"{PREFIX}/bookings": {
        "get": {
            "operationId": "listBookings",
            "summary": "The caller's bookings",
            "description": "Bookings the caller is part of, as learner or as volunteer, by start; cancelled ones too.",
            "responses": {
                "200": {"description": "The bookings.", "content": _json({"type": "array", "items": _ref("Booking")})},
                **_errors(401, 429),
            },
        },
        "post": {
            "operationId": "createBooking",
            "summary": "Book an offered slot",
            "description": "Books the slot of `volunteer_id` starting at `start` for the caller (a learner). "
            "409 `slot_unavailable` when that slot is not (or no longer) offered, or the caller already has a "
            "session then; 409 `busy` (with `Retry-After`) when the volunteer is being booked by many at once. "
            "A group slot (one with `capacity`, docs/GROUPS.md): the first booking creates the group session, later "
            "ones take a seat in it until it is full (then 409 `slot_unavailable`); joining needs the session's "
            "`kind` (else 422 naming `kind`).",
            "requestBody": {"required": True, "content": _json(_ref("NewBooking"))},
            "responses": {
                "201": {
                    "description": "Booked.",
                    "headers": {"Location": {"description": "The booking's address.", "schema": {"type": "string"}}},
                    "content": _json(_ref("Booking")),
                },
                **_errors(400, 401, 403, 409, 415, 422, 429),
            },
        },
    },
    f"{PREFIX}/bookings/{{booking_id}}": {
        "get": {
            "operationId": "getBooking",
            "summary": "One of the caller's bookings",
            "description": "404 for anyone who is not its learner or its volunteer.",
            "parameters": [_BOOKING_ID],
            "responses": {
                "200": {"description": "The booking.", "content": _json(_ref("Booking"))},
                **_errors(401, 404, 429),
            },
        }
    },
    f"{PREFIX}/bookings/{{booking_id}}/cancel": {
        "post": {
            "operationId": "cancelBooking",
            "summary": "Cancel a booking",
            "description": "Either party may cancel a confirmed booking that has not ended; the body is optional. "
            "SEQUENCE grows; the time is offered again. 409 `invalid_state` if it is already cancelled or over.",
            "parameters": [_BOOKING_ID],
            "requestBody": {"required": False, "content": _json(_ref("CancelRequest"))},
            "responses": {
                "200": {"description": "The cancelled booking.", "content": _json(_ref("Booking"))},
                **_errors(400, 401, 404, 409, 415, 422, 429),
            },
        }
    },
    f"{PREFIX}/bookings/{{booking_id}}/reschedule": {
        "post": {
            "operationId": "rescheduleBooking",
            "summary": "Move a booking to another offered slot",
            "description": "Either party may move a confirmed booking that has not started. Same `id` and `uid`, "
            "higher `sequence`. 409 `slot_unavailable` if the new time is not offered (the booking's own time "
            "does not count against it); 409 `invalid_state` if the booking can't be moved.",
            "parameters": [_BOOKING_ID],
            "requestBody": {"required": True, "content": _json(_ref("RescheduleRequest"))},
            "responses": {
                "200": {"description": "The moved booking.", "content": _json(_ref("Booking"))},
                **_errors(400, 401, 404, 409, 415, 422, 429),
            },
        }
    },
    f"{PREFIX}/sessions/{{session_id}}/cancel": {
        "post": {
            "operationId": "cancelSession",
            "summary": "Cancel a whole session (the volunteer)",
            "description": "The session's volunteer cancels it with every seat in it (a group session's learners "
            "each get their own cancellation, docs/GROUPS.md); the body is optional. 404 for anyone but the "
            "session's volunteer; 409 `invalid_state` if it is already cancelled or over.",
            "parameters": [{"name": "session_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "requestBody": {"required": False, "content": _json(_ref("CancelRequest"))},
            "responses": {
                "200": {"description": "The cancelled session and its seats.", "content": _json({
                    "type": "object",
                    "required": ["id", "status", "bookings"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"type": "string", "enum": ["cancelled"]},
                        "bookings": {"type": "array", "items": _ref("Booking")},
                    },
                })},
                **_errors(400, 401, 404, 409, 415, 422, 429),
            },
        }
    },
})



# --- weekly series (tutoring/api/series.py, docs/SERIES.md) ---
SCHEMAS.update({
    "NewSeries": {
        "type": "object",
        "required": ["volunteer_id", "start", "weeks", "kind"],
        "properties": {
            "volunteer_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "start": {"type": "string", "format": "date-time",
                      "description": "Start of the first week: an offered slot, with offset."},
            "weeks": {"type": "integer", "minimum": 2, "maximum": 26},
            "kind": {"type": "string", "enum": list(KINDS)},
            "note": {"type": ["string", "null"], "maxLength": NOTE_MAX_LENGTH,
                     "description": "Private to the learner and the volunteer; copied to every week."},
        },
    },
    "Series": {
        "type": "object",
        "required": ["id", "volunteer_id", "learner_id", "kind", "weeks", "first_start", "bookings"],
        "properties": {
            "id": {"type": "integer"},
            "volunteer_id": {"type": "integer"},
            "learner_id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "weeks": {"type": "integer", "minimum": 2, "maximum": 26, "description": "How many weeks were asked for."},
            "first_start": {"type": "string", "format": "date-time"},
            "bookings": {"type": "array", "items": _ref("Booking"),
                         "description": "Its bookings by start (moved weeks at their new time, cancelled ones too)."},
            "skipped": {
                "type": "array",
                "description": "Only in the answer to booking it: the weeks not booked, and why.",
                "items": {
                    "type": "object",
                    "required": ["start", "start_utc", "reason", "message"],
                    "properties": {
                        "start": {"type": "string", "format": "date-time"},
                        "start_utc": {"type": "string", "format": "date-time", "pattern": "Z$"},
                        "reason": {"type": "string", "enum": list(SKIP_REASONS)},
                        "message": {"type": "string", "description": "The reason in the caller's language."},
                    },
                },
            },
            "cancelled": {"type": "array", "items": {"type": "integer"},
                          "description": "Only in the answer to a cancel: ids of the bookings it cancelled."},
        },
    },
    "SeriesCancelRequest": {
        "type": "object",
        "required": ["from"],
        "properties": {
            "from": {**_DATE, "description": "Cancel the weeks starting on or after this date (the caller's zone)."},
            "reason": {"type": ["string", "null"], "maxLength": REASON_MAX_LENGTH},
        },
    },
})

_SERIES_ID = {"name": "series_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
PATHS.update({
    f"{PREFIX}/series": {
        "post": {
            "operationId": "createSeries",
            "summary": "Book the same time every week",
            "description": "Books `weeks` weekly sessions at the same local time in the volunteer's zone, in one "
            "transaction. Each week is an ordinary booking with its own `uid` and `series_id`. Weeks that are not "
            "free (taken, away, week full, too far ahead, the learner busy) are skipped and listed with a reason. "
            "409 `slot_unavailable` when the first week itself is not offered. One week is cancelled or moved with "
            "the booking endpoints.",
            "requestBody": {"required": True, "content": _json(_ref("NewSeries"))},
            "responses": {
                "201": {
                    "description": "Booked (maybe with skipped weeks).",
                    "headers": {"Location": {"description": "The series' address.", "schema": {"type": "string"}}},
                    "content": _json(_ref("Series")),
                },
                **_errors(400, 401, 403, 409, 415, 422, 429),
            },
        }
    },
    f"{PREFIX}/series/{{series_id}}": {
        "get": {
            "operationId": "getSeries",
            "summary": "One of the caller's series",
            "description": "404 for anyone who is not its learner or its volunteer.",
            "parameters": [_SERIES_ID],
            "responses": {
                "200": {"description": "The series.", "content": _json(_ref("Series"))},
                **_errors(401, 404, 429),
            },
        }
    },
    f"{PREFIX}/series/{{series_id}}/cancel": {
        "post": {
            "operationId": "cancelSeries",
            "summary": "Cancel a series from a date on",
            "description": "Either party cancels every confirmed week that starts on or after `from` (a date in the "
            "caller's zone) and has not ended, in one transaction; each person gets a CANCEL per week. "
            "409 `invalid_state` when there is none.",
            "parameters": [_SERIES_ID],
            "requestBody": {"required": True, "content": _json(_ref("SeriesCancelRequest"))},
            "responses": {
                "200": {"description": "The series after the change.", "content": _json(_ref("Series"))},
                **_errors(400, 401, 404, 409, 415, 422, 429),
            },
        }
    },
})

# --- the caller's availability (tutoring/api/availability.py) ---
_CLOCK = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["18:00"]}
_CAPACITY = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_GROUP_CAPACITY,
    "default": 1,
    "description": "Optional learners per session: 1 (the default) for one learner at a time, 2 to "
    f"{MAX_GROUP_CAPACITY} for a group window whose slots are group sessions (docs/GROUPS.md). GET shows it only "
    "when above 1.",
}
_AVAILABILITY_DATE = {**_DATE, "description": f"`YYYY-MM-DD`, {FIRST_DATE.year} to {LAST_DATE.year}."}
SCHEMAS.update({
    "Availability": {
        "type": "object",
        "description": "A volunteer's whole availability. Wall-clock times and dates are in `timezone`; an `end` at or "
        "before its `start` ends on the next day. Refused with 422 naming the field: windows that overlap in "
        "wall-clock time (a window past midnight included; touching is fine), extra windows that overlap, away "
        "periods that overlap or end before they start, values out of range, unknown zones, unknown fields.",
        "required": list(AVAILABILITY_KEYS),
        "additionalProperties": False,
        "properties": {
            "timezone": {**_ZONE, "description": "IANA zone of the volunteer (also their account's zone)."},
            **{
                name: {"type": ["integer", "null"] if name in OPTIONAL_SETTINGS else "integer",
                       "minimum": low, "maximum": high}
                for name, (low, high) in SETTING_RANGES.items()
            },
            "rules": {
                "type": "array",
                "maxItems": MAX_RULES,
                "description": "Weekly windows; GET lists them by weekday and start.",
                "items": {
                    "type": "object",
                    "required": ["weekday", "start", "end"],
                    "additionalProperties": False,
                    "properties": {
                        "weekday": {"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday."},
                        "start": _CLOCK,
                        "end": _CLOCK,
                        "capacity": _CAPACITY,
                        "valid_from": {**_AVAILABILITY_DATE, "description": "Optional first local date the rule "
                                       "applies on (compared with the date a window starts on); GET shows it only when set."},
                        "valid_until": {**_AVAILABILITY_DATE, "description": "Optional last local date, inclusive."},
                    },
                },
            },
            "away": {
                "type": "array",
                "maxItems": MAX_AWAY,
                "description": "Inclusive local date ranges with no slots.",
                "items": {
                    "type": "object",
                    "required": ["from", "to"],
                    "additionalProperties": False,
                    "properties": {"from": _AVAILABILITY_DATE, "to": _AVAILABILITY_DATE},
                },
            },
            "extra": {
                "type": "array",
                "maxItems": MAX_EXTRA,
                "description": "One-off windows on one local date each.",
                "items": {
                    "type": "object",
                    "required": ["date", "start", "end"],
                    "additionalProperties": False,
                    "properties": {"date": _AVAILABILITY_DATE, "start": _CLOCK, "end": _CLOCK, "capacity": _CAPACITY},
                },
            },
        },
    },
})
PATHS.update({
    f"{PREFIX}/me/availability": {
        "get": {
            "operationId": "getMyAvailability",
            "summary": "The caller's availability (volunteers)",
            "description": "The same document `PUT` takes. 403 for learners and coordinators.",
            "responses": {
                "200": {"description": "The availability.", "content": _json(_ref("Availability"))},
                **_errors(401, 403, 429),
            },
        },
        "put": {
            "operationId": "replaceMyAvailability",
            "summary": "Replace the caller's availability (volunteers)",
            "description": "Replaces zone, session settings, rules, away periods and extra windows in one "
            "transaction. Any invalid part: 422 with `error.field` naming it (e.g. `rules[1].end`), and nothing "
            "is saved. 403 for learners and coordinators.",
            "requestBody": {"required": True, "content": _json(_ref("Availability"))},
            "responses": {
                "200": {"description": "The availability as saved.", "content": _json(_ref("Availability"))},
                **_errors(400, 401, 403, 415, 422, 429),
            },
        },
    },
})

# --- session rooms (tutoring/api/messages.py, SPEC §7 Messages) ---
SCHEMAS.update({
    "Message": {
        "type": "object",
        "required": ["id", "author", "text", "masked", "at"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "author": {
                "description": "The writer by display name only; null once their account is deleted.",
                "oneOf": [
                    {"type": "object", "required": ["id", "name"],
                     "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                    {"type": "null"},
                ],
            },
            "text": {"type": "string", "description": "As stored: phone numbers, email addresses, social handles "
                     "and outside chat or meeting links replaced by `[•••]`."},
            "masked": {"type": "boolean", "description": "Whether anything was replaced."},
            "at": {"type": "string", "format": "date-time"},
        },
    },
    "NewMessage": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE_LENGTH}},
    },
})
PATHS.update({
    f"{PREFIX}/bookings/{{booking_id}}/messages": {
        "get": {
            "operationId": "listRoomMessages",
            "summary": "The messages of a booking's session room",
            "description": "Oldest first, those with an id above `after`, at most 200 per answer. A group session's "
            "volunteer and seat holders share one room. 404 for anyone who is not a party.",
            "parameters": [_BOOKING_ID, {"name": "after", "in": "query", "required": False,
                                         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}],
            "responses": {
                "200": {"description": "The messages.", "content": _json({"type": "array", "items": _ref("Message")})},
                **_errors(401, 404, 422, 429),
            },
        },
        "post": {
            "operationId": "postRoomMessage",
            "summary": "Write in a booking's session room",
            "description": "Parties only (404 for anyone else), from booking until 30 minutes after the end; later, "
            "or once cancelled, 409 `room_closed`. Contact details are masked before the text is stored. "
            "Rate limited per person (429).",
            "parameters": [_BOOKING_ID],
            "requestBody": {"required": True, "content": _json(_ref("NewMessage"))},
            "responses": {
                "201": {
                    "description": "Stored (masked).",
                    "headers": {"Location": {"description": "Where to read it.", "schema": {"type": "string"}}},
                    "content": _json(_ref("Message")),
                },
                **_errors(400, 401, 404, 409, 415, 422, 429),
            },
        },
    },
})

def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document (a fresh copy, safe to modify)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "tutoring API",
                "version": API_VERSION,
                "description": "Volunteers, their offered slots, bookings and the caller's account. Authenticate with "
                "`Authorization: Bearer <token>` (create one with `flask --app wsgi tokens create EMAIL`). "
                "Errors are `{\"error\": {\"code\", \"message\"}}` in the caller's language. Instants carry "
                "an offset or `Z`.",
            },
            "security": [{"bearerAuth": []}],
            "paths": PATHS,
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal API token; session cookies are not accepted here.",
                    }
                },
                "schemas": SCHEMAS,
            },
        }
    )
