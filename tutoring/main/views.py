"""Views of the main blueprint."""
from __future__ import annotations

from flask import current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from tutoring.extensions import db, limiter
from tutoring.i18n import LANGUAGE_COOKIE, LANGUAGES
from tutoring.main.blueprint import bp
from tutoring.urls import safe_next
from tutoring.volunteers.views import home_page

ONE_YEAR = 365 * 24 * 3600


@bp.app_errorhandler(404)
def not_found(_error):
    """A page that doesn't exist, said in the user's language (the API and some areas answer their own way)."""
    return make_response(render_template("errors/not_found.html"), 404)


@bp.get("/")
def home():
    """Home page: a welcome and the approved volunteers with their next free times (the volunteers blueprint renders it)."""
    return home_page()


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Report whether the database answers (for load balancers and monitors)."""
    try:
        # Its own connection, so a failure can't leave the request's session half-used.
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any failure here means "not healthy", whatever the driver raised
        current_app.logger.exception("health check: database did not answer")
        return jsonify(status="error"), 503
    return jsonify(status="ok")


@bp.post("/language")
def set_language():
    """Remember the chosen UI language (cookie, and the account if signed in), then go back."""
    language = request.form.get("lang", "")
    back = safe_next(request.form.get("next"), url_for("main.home"))
    if language not in LANGUAGES:
        return redirect(back)
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language
        db.session.commit()
    response = redirect(back)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=ONE_YEAR,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return response
