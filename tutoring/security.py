"""HTTP hardening for every response: security headers (Flask-Talisman), HSTS, and oversized requests.

* A Content-Security-Policy with no ``unsafe-inline`` anywhere: pages load
  scripts and styles from this site only (templates carry no inline
  ``<script>``, ``style=`` or ``on*=`` attributes; htmx is told not to inject
  its indicator ``<style>``), and no site may frame ours
  (``frame-ancestors 'none'``, plus ``X-Frame-Options: DENY`` for old browsers).
  Static scripts and stylesheets skip these document-only headers (browsers
  ignore them there; ~300 bytes each on a slow line); ``nosniff`` stays.
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``:
  pages and feed settings hold secret addresses, which must never reach
  another site in a Referer; same-origin still lets Flask-WTF check the
  Referer of HTTPS form posts.
* ``Strict-Transport-Security`` only on requests that really came over HTTPS.
  Flask-Talisman would also believe an ``X-Forwarded-Proto`` header from
  anyone; we decide with ``request.is_secure``, which honours that header only
  when ``TRUSTED_PROXIES`` installed ProxyFix (``tutoring.app``).
* ``MAX_CONTENT_LENGTH`` (1 MiB by default; ``TUTORING_MAX_CONTENT_LENGTH``)
  caps request bodies; a larger one gets a clear 413 page, or the API's
  JSON error shape.
* No form takes a file. A request carrying one anyway (never sent by our
  pages) gets a 400 before any view runs: Flask-WTF would hand the file to
  a text field, which expects a string.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_talisman import Talisman
from tutoring.api.errors import error_response, validation_error
from tutoring.auth.errors import wants_json
from tutoring.characters import ALLOWED_CONTROLS, has_refused_characters, is_refused_character  # noqa: F401
from tutoring.main.errors import refusal

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "same-origin"
HSTS_SECONDS = 365 * 24 * 3600
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024


class _Talisman(Talisman):
    """Flask-Talisman, except that a view's own stricter Referrer-Policy (the reset page's no-referrer) stays."""

    def _set_referrer_policy_headers(self, headers):
        headers.setdefault("Referrer-Policy", self.referrer_policy)


def init_security(app: Flask) -> None:
    """Attach the security headers, the HSTS rule and the 413 handler to ``app``."""
    app.config.setdefault("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH)
    # One Talisman per app: it keeps a reference to the app it was given.
    app.extensions["talisman"] = _Talisman(
        app,
        # Redirecting to HTTPS is the load balancer's or reverse proxy's job
        # (docs/DEPLOYMENT.md); the app itself also answers plain HTTP on 127.0.0.1.
        force_https=False,
        frame_options="DENY",
        strict_transport_security=False,  # see _hsts
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy=REFERRER_POLICY,
        # Talisman would otherwise overwrite the cookie settings config.py chose.
        session_cookie_secure=False,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        x_content_type_options=True,
    )
    app.after_request(_hsts)
    # After-request hooks run last-registered first: this one goes to the front so it runs after Talisman's.
    app.after_request_funcs.setdefault(None, []).insert(0, _only_document_headers_on_documents)
    app.register_error_handler(413, _too_large)
    app.before_request(_refuse_files)
    app.before_request(_refuse_control_characters)


def _hsts(response):
    """Tell browsers to use HTTPS only, when this request itself came over HTTPS (directly or via a trusted proxy)."""
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
    return response


# Headers that govern a document (what it may load, who may frame it). A script or stylesheet is not a
# document, so browsers ignore them there; sending them costs each asset ~300 bytes on a slow line.
DOCUMENT_ONLY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy")
SUBRESOURCE_TYPES = frozenset({"text/css", "text/javascript", "application/javascript"})


def _only_document_headers_on_documents(response):
    """Static scripts and stylesheets go without the document-only headers (``nosniff`` stays: it guards them)."""
    if request.endpoint == "static" and response.mimetype in SUBRESOURCE_TYPES:
        for name in DOCUMENT_ONLY_HEADERS:
            response.headers.pop(name, None)
    return response


def _too_large(_error):
    """A request body over MAX_CONTENT_LENGTH: say so plainly; nothing was read or saved."""
    limit_kib = int(request.max_content_length or 0) // 1024
    message = _("What you sent is too large (at most %(size)s KiB). Nothing was saved.", size=limit_kib)
    if wants_json():
        return jsonify(error={"code": "payload_too_large", "message": message}), 413
    return render_template("errors/too_large.html", message=message), 413


# The only views that read an uploaded file (each checks what it reads, within MAX_CONTENT_LENGTH).
FILE_ENDPOINTS = frozenset({"coordinator.import_help_resources"})


def _refuse_files():
    """A request with an uploaded file: refuse it plainly (400) before a view reads a file as text."""
    # Only multipart bodies carry files; anything else isn't parsed here at all.
    if request.endpoint in FILE_ENDPOINTS or request.mimetype != "multipart/form-data" or not request.files:
        return None
    return refusal(400, "bad_request", _("Files are not accepted"),
                   _("Forms on this site take no files. Nothing was saved."))


# Control characters in text people send (form and JSON bodies, names and
# values): one rule for every input that can be stored, decided here. Tab, line
# feed and carriage return are text (textareas send CRLF); every other C0
# control, DEL, the C1 controls and lone surrogates (JSON's "\ud800", which
# no database can store as UTF-8) are refused with a 400 before any view
# runs, so nothing is saved and no database sees them (PostgreSQL refuses NUL
# with an error; SQLite stored it as is). The API answers its usual 422
# naming the field. Query strings are read, never stored; each view
# already treats odd ones as unknown values. Bidirectional controls (U+202E...)
# are letters' business in Arabic text and are allowed in input; where they
# could spoof (email subjects, calendar titles and names) the output strips
# them (``tutoring.text.without_bidi_controls``). The characters themselves:
# ``tutoring.characters`` (pure, so the CSV import applies the same rule).


def _holds_refused_text(value) -> bool:
    """Whether a JSON value holds, in any string (keys included), a refused character."""
    if isinstance(value, str):
        return has_refused_characters(value)
    if isinstance(value, dict):
        return any(_holds_refused_text(key) or _holds_refused_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_refused_text(item) for item in value)
    return False


def _field_with_refused_text() -> str | None:
    """The first body field (form name, or top-level JSON member) holding a refused character, else None."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if has_refused_characters(key) or has_refused_characters(value):
                return key
    elif request.is_json:
        document = request.get_json(silent=True)
        if isinstance(document, dict):
            for key, value in document.items():
                if _holds_refused_text(key) or _holds_refused_text(value):
                    return key
        elif _holds_refused_text(document):
            return ""
    return None


def _refuse_control_characters():
    """Text with control characters: refuse the whole request plainly, in the person's language."""
    field = _field_with_refused_text()
    if field is None:
        return None
    message = _("Text may not contain control characters (such as the NUL character). "
                "Please type it again. Nothing was saved.")
    if request.path.startswith("/api/"):
        return error_response(validation_error(field, message))
    return refusal(400, "control_characters", _("This text could not be accepted"), message)
