"""Learners report a session or a volunteer; volunteers block (and unblock) a learner of theirs.

Objects are fetched through the service's loaders, which only return the
caller's own booking (404 for anyone else's), so a volunteer can't reach
another volunteer's learners and a learner can't report someone else's session.
"""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.errors import NotFound as BaseNotFound
from tutoring.extensions import limiter
from tutoring.safeguarding.blueprint import bp
from tutoring.services.sessions import rooms
from tutoring.services.coordinators import safeguarding
from tutoring.services.coordinators.coordination import CoordinationError, NotFound


@bp.before_request
@login_required
def _signed_in_only() -> None:
    """Signed-out visitors go to the sign-in page first."""


def _target():
    """The booking or volunteer named in the URL (or form), checked; 404 when it isn't the learner's to report."""
    source = request.form if request.method == "POST" else request.args
    booking_id = source.get("booking", type=int)
    volunteer_id = source.get("volunteer", type=int)
    if booking_id is not None:
        booking = safeguarding.reportable_booking(current_user, booking_id)
        if booking is None:
            abort(404)
        return booking, booking.session.volunteer.user
    if volunteer_id is not None:
        volunteer = safeguarding.reportable_volunteer(volunteer_id)
        if volunteer is None:
            abort(404)
        return None, volunteer
    abort(404)


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("SAFETY_REPORT_LIMIT", "20 per hour"), methods=["POST"])
def report():
    """A learner tells coordinators about a concern with a session of theirs (``booking``) or a volunteer.

    With ``room=1`` either party reports the session room: the report carries its last messages.
    """
    source = request.form if request.method == "POST" else request.args
    if source.get("room") == "1":
        return _report_room(source.get("booking", type=int) or 0)
    if not current_user.is_learner:
        abort(403)
    booking, volunteer = _target()
    error = None
    if request.method == "POST":
        try:
            safeguarding.file_report(current_user, request.form.get("details", ""),
                                     booking_id=booking.id if booking else None, volunteer_id=volunteer.id)
        except NotFound:
            abort(404)
        except CoordinationError as caught:
            error = caught
        else:
            flash(_("Thank you. A coordinator will read your report."), "success")
            return redirect(url_for("booking.sessions"))
    response = make_response(render_template("safeguarding/report.html", booking=booking, volunteer=volunteer,
                                             error=error, details=request.form.get("details", "")))
    if error is not None:
        response.status_code = 422
    return response


def _report_room(booking_id: int):
    """The room's report form (learner or volunteer of the booking; 404 for anyone else)."""
    try:
        room = rooms.room_for(current_user, booking_id)
    except BaseNotFound:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            rooms.report_room(current_user, booking_id, request.form.get("details", ""))
        except CoordinationError as caught:
            error = caught
        else:
            flash(_("Thank you. A coordinator will read your report and the room's last messages."), "success")
            return redirect(url_for("rooms.room", booking_id=booking_id), code=303)
    response = make_response(render_template("safeguarding/report.html", booking=room.booking, room=room,
                                             volunteer=room.session.volunteer.user, error=error,
                                             details=request.form.get("details", ""),
                                             shared=rooms.REPORT_MESSAGES))
    if error is not None:
        response.status_code = 422
    return response


@bp.get("/blocks")
def blocks():
    """The learners this volunteer blocked, with a way to unblock each."""
    if not current_user.is_volunteer:
        abort(403)
    return render_template("safeguarding/blocks.html", blocks=safeguarding.blocks_of(current_user))


@bp.post("/bookings/<int:booking_id>/block")
def block(booking_id: int):
    """The volunteer blocks the learner of one of their bookings from booking them again."""
    if not current_user.is_volunteer:
        abort(403)
    try:
        safeguarding.block_learner(current_user, booking_id)
    except NotFound:
        abort(404)
    flash(_("This learner can't book you any more. Sessions already booked stay until you cancel them."), "success")
    return redirect(url_for("safeguarding.blocks"))


@bp.post("/blocks/<int:learner_id>/remove")
def unblock(learner_id: int):
    """Remove one of the volunteer's blocks."""
    if not current_user.is_volunteer:
        abort(403)
    try:
        safeguarding.unblock_learner(current_user, learner_id)
    except NotFound:
        abort(404)
    flash(_("The learner can book you again."), "success")
    return redirect(url_for("safeguarding.blocks"))


