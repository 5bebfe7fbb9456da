"""Friendly pages for a failed CSRF check (400) and for too many attempts (429), app-wide."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from tutoring.auth.blueprint import bp


def wants_json() -> bool:
    """True for API paths and clients that prefer JSON: they get the SPEC §4 error shape, browsers a page."""
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.app_errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """Explain a refused form (missing or stale CSRF token) instead of a bare 400."""
    current_app.logger.info("CSRF check failed on %s %s: %s", request.method, request.path, error.description)
    message = _("This form could not be sent because it was too old or came from another site.")
    if wants_json():
        return jsonify(error={"code": "csrf_failed", "message": message}), 400
    return render_template("auth/csrf_error.html", message=message), 400


@bp.app_errorhandler(429)
def too_many_requests(_error):
    """Ask people to wait a little, in their language (Flask-Limiter adds Retry-After)."""
    message = _("Too many attempts. Please wait a minute, then try again.")
    if wants_json():
        return jsonify(error={"code": "rate_limited", "message": message}), 429
    return render_template("auth/too_many_requests.html", message=message), 429
