"""Views of the auth blueprint: sign up, sign in, sign out, password reset."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_user, logout_user

from tutoring.auth.blueprint import bp
from tutoring.auth.errors import wants_json
from tutoring.auth.forms import LoginForm, NewPasswordForm, ResetRequestForm, SignupForm
from tutoring.auth.service import (
    authenticate,
    clear_failed_sign_ins,
    count_failed_sign_in,
    end_sessions,
    request_password_reset,
    set_new_password,
    sign_in_paused,
    sign_up,
    user_for_reset_token,
)
from tutoring.services.people.zones import canonical_zone, zone_choices
from tutoring.extensions import db, limiter, login_manager
from tutoring.htmx import is_fragment_request
from tutoring.i18n import LANGUAGE_COOKIE, TIMEZONE_COOKIE, current_language
from tutoring.models import KINDS
from tutoring.models.user import normalize_email
from tutoring.services.people.accounts import AccountError
from tutoring.services.people.onboarding import setup_complete
from tutoring.timeutil import is_valid_zone
from tutoring.urls import is_local_url, safe_next

ONE_YEAR = 365 * 24 * 3600


def _limit(name: str, default: str):
    """A rate limit read from config at request time (``TUTORING_<name>`` overrides ``default``)."""
    return lambda: current_app.config.get(name, default)


def _not_redirected(response) -> bool:
    # A failed sign-in shows the form again; a successful one redirects.
    return not 300 <= response.status_code < 400


def _redirected(response) -> bool:
    return 300 <= response.status_code < 400


def _reset_email_key() -> str:
    # Per address as well as per IP, so nobody can flood one inbox from many addresses.
    return "reset:" + normalize_email(request.form.get("email", ""))


def _home() -> str:
    return url_for("main.home")


def _landing(user) -> str:
    """Where sign-in leads without a ``next``: volunteers to their dashboard (or their setup checklist until
    it is done), everyone else home."""
    if user.is_volunteer:
        profile = user.volunteer_profile
        return url_for("account.dashboard" if profile is None or setup_complete(profile) else "account.setup")
    return _home()


def _start_session(user, *, remember: bool = False) -> None:
    """Sign ``user`` in on a fresh session, so nothing from before sign-in carries over (no fixation)."""
    session.clear()
    login_user(user, remember=remember)
    # From here on this request speaks the account's language (messages flashed next, for one).
    refresh_locale()


def _here() -> str:
    return request.full_path if request.query_string else request.path


def _page_behind_htmx_request() -> str | None:
    """The local page an HTMX request was made from (``HX-Current-URL``), if it is on this site."""
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    if parts.netloc != request.host:
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return target if is_local_url(target) else None


@login_manager.unauthorized_handler
def unauthorized():
    """Send a signed-out visitor to the sign-in page, and back afterwards.

    An HTMX swap would put the sign-in page inside a fragment, so it gets 401
    with ``HX-Redirect`` instead (htmx then loads the whole sign-in page);
    JSON clients get the API's error shape.
    """
    message = str(login_manager.login_message)
    if wants_json():
        return jsonify(error={"code": "unauthorized", "message": message}), 401
    flash(message, login_manager.login_message_category)
    if is_fragment_request():
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("auth.login", next=_page_behind_htmx_request())
        return response
    return redirect(url_for("auth.login", next=_here()))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("AUTH_SIGNUP_LIMIT", "30 per hour"), methods=["POST"])
def signup():
    """Create a volunteer or learner account; the answer never says whether the address had one.

    Every accepted form leads to the same "check your email" page: a new
    address gets its account and a welcome mail, an address that already has
    an account gets a notice mailed to its owner (issue 21). The rate limit
    counts every attempt.
    """
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), _home()))
    form = SignupForm()
    if request.method == "GET":
        form.language.data = current_language()
        form.timezone.data = _reported_zone()
        form.next.data = request.args.get("next", "")
        if request.args.get("role") == "volunteer":
            form.role.data = "volunteer"
        form.kinds.data = list(KINDS)  # a new volunteer offers everything unless they untick it
    elif form.validate_on_submit():
        volunteer = form.role.data == "volunteer"
        try:
            sign_up(
                form.email.data,
                role=form.role.data,
                display_name=form.display_name.data,
                timezone=form.timezone.data,
                password=form.password.data,
                language=form.language.data,
                kinds=form.kinds.data if volunteer else None,
                guardian_email=form.guardian_email.data if form.is_minor else None,
                address_form=form.address_form.data,
            )
        except AccountError:
            # The form checks everything create_user does; if they ever
            # disagree, say so in general terms rather than fail.
            db.session.rollback()
            current_app.logger.exception("sign-up refused by create_user after the form accepted it")
            flash(_("We could not create the account. Please check the form and try again."), "error")
        else:
            next_page = safe_next(form.next.data, "")
            return redirect(url_for("auth.signup_sent", next=next_page or None))
    return render_template("auth/signup.html", form=form, zones=zone_choices())


@bp.get("/signup/sent")
def signup_sent():
    """The one answer to every accepted sign-up: check your email, then sign in."""
    next_page = safe_next(request.args.get("next"), "")
    return render_template("auth/signup_sent.html", next_page=next_page or None)


def _reported_zone() -> str:
    """The zone a visitor's browser reported earlier (cookie), if any; the page script fills it otherwise."""
    reported = request.cookies.get(TIMEZONE_COOKIE, "")
    return canonical_zone(reported) if is_valid_zone(reported) else ""


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("AUTH_LOGIN_LIMIT", "10 per minute"), methods=["POST"], deduct_when=_not_redirected)
def login():
    """Sign in with email and password (SPEC §3), then go to a local ``next`` page."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next"), _home()))
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        if sign_in_paused(form.email.data):
            # Per address, from every IP; said the same way for any address, account or not.
            error = _("There have been too many failed sign-ins for this email address. Wait 15 minutes and "
                      "try again, or reset the password to sign in now.")
            return render_template("auth/login.html", form=form, error=error, paused=True), 429
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()  # check_password may have upgraded the hash
            clear_failed_sign_ins(form.email.data)
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data or request.args.get("next"), _landing(user)))
        count_failed_sign_in(form.email.data)
        # One message for an unknown address and a wrong password.
        error = _("The email or password is not right.")
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
def logout():
    """Sign out (POST only, CSRF-checked like every form) and go home.

    Sign-out is kept on the server too: the account's session generation
    moves on, so a copy of the session or remember-me cookie saved before
    no longer works, on this device or any other (issue 21).
    """
    language = current_language()
    message = _("You are signed out.")
    if current_user.is_authenticated:
        end_sessions(current_user)
        db.session.commit()
    # Clear first: logout_user then records that the remember-me cookie must go.
    session.clear()
    logout_user()
    flash(message, "info")
    response = redirect(_home())
    # Keep the pages in the language the account used.
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_limit("AUTH_RESET_LIMIT", "5 per minute"), methods=["POST"])
@limiter.limit(_limit("AUTH_RESET_EMAIL_LIMIT", "5 per hour"), methods=["POST"], key_func=_reset_email_key)
def reset_request():
    """Ask for a password reset link; the answer is the same whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        flash(_("If an account uses %(email)s, we have sent it a link to choose a new password. "
                "Check your inbox; the link works for one hour.", email=form.email.data), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through a reset link (signed, one hour, works once)."""
    user = user_for_reset_token(token)
    if user is None:
        response = make_response(render_template("auth/reset_invalid.html"), 400)
    else:
        form = NewPasswordForm()
        if form.validate_on_submit():
            set_new_password(user, form.password.data)
            db.session.commit()
            _start_session(user)
            flash(_("Your password has been changed and you are signed in."), "success")
            response = redirect(_home())
        else:
            response = make_response(render_template("auth/reset_password.html", form=form))
    # The token is in this page's address: keep it out of Referer headers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
