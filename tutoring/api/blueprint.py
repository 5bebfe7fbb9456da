"""The api blueprint; its view modules attach their routes to ``bp`` (``routes`` imports them)."""
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from tutoring.api.auth import authenticate_request, identify_caller
from tutoring.api.errors import (
    ApiError,
    error_response,
    handle_api_error,
    handle_http_exception,
    handle_service_error,
    handle_unexpected,
    http_error,
    is_api_path,
)
from tutoring.errors import ServiceError
from tutoring.extensions import csrf, limiter

def routing_error_response() -> Response | None:
    """JSON for an unknown URL or a wrong method under ``/api/v1`` (run before routing errors are raised).

    Flask raises routing errors after the ``before_request`` hooks, outside
    any blueprint, so a blueprint error handler never sees them; an app-level
    hook limited to our prefix answers instead, leaving other pages' 404s alone.
    """
    exc = request.routing_exception
    if exc is None or not is_api_path(request.path) or not isinstance(exc, HTTPException):
        return None
    # RequestRedirect (e.g. a missing trailing slash) is a 308, not an error.
    if exc.code is not None and 300 <= exc.code < 400:
        return None
    identify_caller(required=False)  # only to answer in the caller's language
    return error_response(http_error(exc))


DEFAULT_RATELIMIT = "300 per minute"

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Safe because a session cookie never authenticates an API call (see auth.py):
# a forged cross-site request carries no bearer token and gets a 401.
csrf.exempt(bp)
# One budget per client address for the whole API; TUTORING_API_RATELIMIT changes it.
limiter.limit(lambda: current_app.config.get("API_RATELIMIT", DEFAULT_RATELIMIT))(bp)

bp.before_request(authenticate_request)
bp.before_app_request(routing_error_response)
bp.register_error_handler(ApiError, handle_api_error)
bp.register_error_handler(ServiceError, handle_service_error)
bp.register_error_handler(HTTPException, handle_http_exception)
bp.register_error_handler(Exception, handle_unexpected)


@bp.after_request
def _no_store(response: Response) -> Response:
    # Answers are personal (feed addresses, who may book what): no shared caches.
    response.headers.setdefault("Cache-Control", "no-store")
    return response
