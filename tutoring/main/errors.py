"""App-wide error pages for what no area answers itself: 400, 403, 405 and 500, in the user's language.

One handler, registered for ``HTTPException`` by class: Flask tries every
handler registered for the error's code first (404 in views.py, CSRF and 429
in tutoring/auth/errors.py, 413 in tutoring/security.py, areas' own 403/404),
then class handlers, the blueprint's before the app's (the API's JSON errors),
so this one only takes what nobody else did. A client that prefers
JSON gets the SPEC §4 error shape instead of a page.
"""
from __future__ import annotations

from flask import current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from tutoring.auth.errors import wants_json
from tutoring.main.blueprint import bp

CODES = {400: "bad_request", 403: "forbidden", 405: "method_not_allowed", 500: "internal_error"}


def refusal(status: int, code: str, heading: str, explanation: str, headers: dict[str, str] | None = None):
    """The answer to a request refused with ``status``: the JSON error shape, or errors/refused.html with a home link."""
    if wants_json():
        return jsonify(error={"code": code, "message": explanation}), status, headers or {}
    page = render_template("errors/refused.html", heading=heading, explanation=explanation,
                           home_url=url_for("main.home"), home_text=_("Go to the home page"))
    return page, status, headers or {}


def _page(error: HTTPException, heading: str, explanation: str):
    status = error.code or 500
    allow = {name: value for name, value in error.get_headers() if name == "Allow"}  # a 405 keeps its Allow
    return refusal(status, CODES[status], heading, explanation, allow)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Any HTTP error no area or code-specific handler took (registered by class, so those all come first)."""
    if error.code == 500:
        return internal_error(error)
    words = _WORDS.get(error.code or 0)
    if words is None:
        return error  # Werkzeug's own response (e.g. 501), as before
    heading, explanation = words()
    return _page(error, heading, explanation)


_WORDS = {
    # A request the app couldn't read (a malformed form or link): nothing was changed.
    400: lambda: (_("This request could not be read"),
                  _("Something in the link or the form was not right, so nothing was changed. "
                    "Go back and try again.")),
    403: lambda: (_("Not allowed"), _("This page is not open to your account.")),
    # A page asked for in a way it doesn't answer (a GET to a form's address, say).
    405: lambda: (_("This page can't be opened that way"), _("Use the links and buttons on the site to get here.")),
}


def internal_error(error: HTTPException):
    """An unexpected failure: say so plainly, never a traceback; if even the page fails, a line of text."""
    explanation = _("Something went wrong on our side. Please try again in a moment.")
    try:
        return _page(error, _("Something went wrong"), explanation)
    except Exception:  # the page itself needs the database (the signed-in user), which may be what failed
        current_app.logger.exception("the error page could not be shown")
        return explanation, 500, {"Content-Type": "text/plain; charset=utf-8"}
