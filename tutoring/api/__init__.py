"""The JSON API under ``/api/v1`` (SPEC §4): bearer tokens only, JSON errors, an OpenAPI document.

Adding an endpoint: write the view in a module of this package (thin: parse
with ``tutoring.api.params``, load through a 404-ing loader, call a service,
render with ``tutoring.api.render``), raise ``tutoring.api.errors.ApiError``
(or its helpers) for anything that is not a success, and describe it in
``tutoring/api/openapi.py``.
"""
from flask import Blueprint, Response, current_app
from werkzeug.exceptions import HTTPException

from tutoring.api.auth import authenticate_request
from tutoring.api.errors import (
    ApiError,
    handle_api_error,
    handle_http_exception,
    handle_unexpected,
    routing_error_response,
)
from tutoring.extensions import csrf, limiter

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
bp.register_error_handler(HTTPException, handle_http_exception)
bp.register_error_handler(Exception, handle_unexpected)


@bp.after_request
def _no_store(response: Response) -> Response:
    # Answers are personal (feed addresses, who may book what): no shared caches.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


from tutoring.api import availability, bookings, series, views  # noqa: E402,F401  (attach the routes to bp)
