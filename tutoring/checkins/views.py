"""Check-in pages: by a signed link from the email (no sign-in) or from the booking page; escalate; debrief.

A check-in is reached only through its signed link or as one of the
booking's two people (``party_booking_or_404``); anyone else gets 404.
The comment someone writes is shown back to nobody; words of crisis in it
show the writer the help of their country (``offer_help_if_crisis``).
"""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.booking.pages import party_booking_or_404
from tutoring.checkins.blueprint import bp
from tutoring.extensions import db, limiter
from tutoring.help_prompt import offer_help_if_crisis
from tutoring.models import Booking, User
from tutoring.services.support import checkins
from tutoring.services.coordinators.coordination import CoordinationError, NotFound
from tutoring.timeutil import utcnow


@bp.app_template_global()
def check_in_panel(booking: Booking) -> dict | None:
    """What the booking page offers its viewer after the session: their check-in, escalate, debrief; or None."""
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    is_volunteer = booking.session.volunteer_id == current_user.id
    panel = {
        "check_in": checkins.check_in_for(current_user, booking, now),
        "escalate": is_volunteer and checkins.may_escalate(booking, now),
        "debrief": is_volunteer and checkins.may_ask_debrief(booking, now),
    }
    return panel if any(panel.values()) else None


def _form_page(check_in, booking: Booking, user: User, action: str, *, error=None, status: int = 200):
    response = make_response(render_template(
        "checkins/check_in.html", check_in=check_in, booking=booking, person=user, action=action, error=error,
        is_volunteer=booking.session.volunteer_id == user.id, is_support=booking.session.kind == "support",
        values=request.form if request.method == "POST" else {},
    ))
    response.status_code = status
    return response


def _answer(check_in, booking: Booking, user: User, action: str):
    if request.method == "POST":
        offer_help_if_crisis(request.form.get("comment"))
        try:
            checkins.answer(check_in, request.form.to_dict())
        except CoordinationError as error:
            status = 409 if check_in.answered_at is not None else 422
            return _form_page(check_in, booking, user, action, error=error, status=status)
        return _form_page(check_in, booking, user, action)
    return _form_page(check_in, booking, user, action)


@bp.route("/check-ins/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("CHECK_IN_LIMIT", "30 per hour"), methods=["POST"])
def by_link(token: str):
    """The check-in from its email link: works without signing in; a forged or old link is a 404."""
    check_in = checkins.check_in_from_token(token)
    if check_in is None:
        abort(404)
    booking = db.session.get(Booking, check_in.booking_id)
    user = db.session.get(User, check_in.user_id)
    return _answer(check_in, booking, user, url_for("checkins.by_link", token=token))


@bp.route("/bookings/<int:booking_id>/check-in", methods=["GET", "POST"])
@login_required
def on_site(booking_id: int):
    """The signed-in party's check-in about a session that ended (404 for anyone else, 409 before the end)."""
    booking = party_booking_or_404(booking_id)
    check_in = checkins.check_in_for(current_user, booking)
    if check_in is None:
        flash(_("You can check in once the session has ended."), "error")
        return redirect(url_for("booking.detail", booking_id=booking_id), code=303)
    return _answer(check_in, booking, current_user, url_for("checkins.on_site", booking_id=booking_id))


def _volunteer_action(booking_id: int, act, done: str):
    party_booking_or_404(booking_id)
    offer_help_if_crisis(request.form.get("comment"))
    try:
        act(current_user, booking_id, request.form.get("comment"))
    except NotFound:
        abort(404)
    except CoordinationError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("booking.detail", booking_id=booking_id), code=303)


@bp.post("/bookings/<int:booking_id>/escalate")
@login_required
@limiter.limit(lambda: current_app.config.get("CHECK_IN_LIMIT", "30 per hour"))
def escalate(booking_id: int):
    """The volunteer of a support session raises an urgent safety concern now (the on-duty coordinators are emailed)."""
    return _volunteer_action(booking_id, checkins.escalate,
                             _("A coordinator on duty has been told at once. Thank you for raising it."))


@bp.post("/bookings/<int:booking_id>/debrief")
@login_required
@limiter.limit(lambda: current_app.config.get("CHECK_IN_LIMIT", "30 per hour"))
def debrief(booking_id: int):
    """The volunteer of a support session asks a coordinator for a debrief."""
    return _volunteer_action(booking_id, checkins.ask_debrief,
                             _("Thank you for asking. A coordinator will get in touch with you."))
