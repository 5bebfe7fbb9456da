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
from typing import Any

from tutoring.api.volunteers import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, MAX_SLOT_SPAN_DAYS
from tutoring.models import KINDS, LANGUAGES, ROLES

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


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


SCHEMAS: dict[str, Any] = {
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
            "description": "Approved volunteers by name. Each filter keeps volunteers whose list contains the "
            "value (exact match, case-insensitive, surrounding spaces ignored); a blank filter is ignored. Paginated with `limit` and "
            "`offset`; `X-Total-Count` gives the number of matches and `Link` the next/previous pages.",
            "parameters": [
                _query("subject", "A subject the volunteer offers, e.g. `math`.", {"type": "string"}),
                _query("language", "A language spoken in sessions, e.g. `ar`.", {"type": "string"}),
                _query(
                    "kind",
                    "A kind of session offered (case-insensitive).",
                    {"type": "string", "enum": [*KINDS, ""]},
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
            ],
            "responses": {
                "200": {"description": "The slots, sorted by start.", "content": _json(_ref("SlotList"))},
                **_errors(401, 404, 422, 429),
            },
        }
    },
}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI document (a fresh copy, safe to modify)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "tutoring API",
                "version": API_VERSION,
                "description": "Volunteers, their offered slots and the caller's account. Authenticate with "
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
