"""API errors: always ``{"error": {"code": ..., "message": ...}}`` (SPEC §4), in the caller's language.

Views raise :class:`ApiError` (or one of its helpers) and never build error
responses themselves, so every endpoint answers the same shape. Werkzeug's
HTTP exceptions (a malformed JSON body, a rate limit) and routing failures
under ``/api/v1`` (unknown URL, wrong method) are turned into the same shape.
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from tutoring.errors import ServiceError
from tutoring.extensions import db

API_PREFIX = "/api/v1"


class ApiError(Exception):
    """An error answered as JSON: HTTP ``status``, machine-readable ``code``, human ``message``.

    ``field`` names the offending parameter or body field (422s); ``headers``
    are added to the response (e.g. ``WWW-Authenticate``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def validation_error(field: str, message: str) -> ApiError:
    """A 422 naming ``field`` (a query parameter or JSON body field)."""
    return ApiError(422, "validation_error", message, field=field)


def not_found(message: str | None = None) -> ApiError:
    """A 404 that says nothing about whether the thing exists for someone else."""
    return ApiError(404, "not_found", message or _("Not found."))


def conflict(code: str, message: str) -> ApiError:
    """A 409 with a specific code (e.g. ``slot_unavailable``)."""
    return ApiError(409, code, message)


def forbidden(message: str | None = None) -> ApiError:
    """A 403: the caller is known but may not do this."""
    return ApiError(403, "forbidden", message or _("You are not allowed to do this."))


def error_response(error: ApiError) -> Response:
    """The JSON response for ``error``."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.field is not None:
        body["field"] = error.field
    response = jsonify(error=body)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def http_error(exc: HTTPException) -> ApiError:
    """The API form of a Werkzeug HTTP exception, with our own translated message."""
    status = exc.code or 500
    headers = {name: value for name, value in exc.get_headers() if name.lower() not in {"content-type"}}
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return ApiError(
            405,
            "method_not_allowed",
            _("This address does not accept %(method)s; it accepts %(allowed)s.", method=request.method, allowed=allowed),
            headers=headers,
        )
    known = {
        400: ("bad_request", _("The request could not be read.")),
        401: ("authentication_required", _("Send an API token as “Authorization: Bearer <token>”.")),
        403: ("forbidden", _("You are not allowed to do this.")),
        404: ("not_found", _("Not found.")),
        409: ("conflict", _("The request conflicts with the current state.")),
        413: ("payload_too_large", _("The request is too large.")),
        415: ("unsupported_media_type", _("Send the request body as JSON (Content-Type: application/json).")),
        422: ("validation_error", _("The request could not be processed.")),
        429: ("rate_limited", _("Too many requests; wait a moment and try again.")),
    }
    code, message = known.get(status, (_snake(exc.name), _("The request could not be processed.")))
    return ApiError(status, code, message, headers=headers)


def _snake(name: str) -> str:
    return "_".join(name.lower().replace("'", "").split()) or "error"


def handle_api_error(error: ApiError) -> Response:
    """Blueprint handler for :class:`ApiError`."""
    if error.status >= 500:
        db.session.rollback()
    return error_response(error)


def handle_http_exception(exc: HTTPException) -> Response:
    """Blueprint handler for Werkzeug HTTP exceptions (400, 405, 415, 429, ...)."""
    return error_response(http_error(exc))


def handle_unexpected(exc: Exception) -> Response:
    """A bug: log it, undo the transaction, and still answer in the SPEC shape."""
    current_app.logger.exception("unexpected error in %s %s", request.method, request.path)
    db.session.rollback()
    return error_response(ApiError(500, "internal_error", _("Something went wrong on our side; please try again later.")))


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def handle_service_error(error: ServiceError) -> Response:
    """Any service's refusal (a booking, a field, a coordinator's request) in the SPEC error shape:
    its own status and code, the message in the caller's language, the field at fault."""
    db.session.rollback()  # nothing of the refused change is kept
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return error_response(ApiError(error.status, error.code, error.message, field=error.field, headers=headers))
