"""Views of a group session for its volunteer: who holds the seats, and cancelling the whole session.

Only the session's volunteer sees this page (anyone else: 404); learners see
their own seat on their booking page, never the other learners.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.booking.forms import CancelForm
from tutoring.groups.blueprint import bp
from tutoring.i18n import current_timezone
from tutoring.models import Session
from tutoring.booking.errors import BookingError
from tutoring.booking.groups import cancel_session, learners_of, session_for_volunteer
from tutoring.timeutil import utcnow


def _own_session_or_404(session_id: int) -> Session:
    session = session_for_volunteer(current_user.id, session_id)
    if session is None:
        abort(404)
    return session


@bp.get("/group-sessions/<int:session_id>")
@login_required
def show(session_id: int):
    """A group session as its volunteer sees it: time, seats taken, the learners' names, and "cancel the session"."""
    session = _own_session_or_404(session_id)
    return render_template("groups/session.html", session=session, learners=learners_of(session),
                           form=CancelForm(), zone=current_timezone(), now=utcnow())


@bp.post("/group-sessions/<int:session_id>/cancel")
@login_required
def cancel(session_id: int):
    """Cancel the whole session: every learner holding a seat gets their own cancellation."""
    session = _own_session_or_404(session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_template("groups/session.html", session=session, learners=learners_of(session), form=form,
                               zone=current_timezone(), now=utcnow()), 400
    try:
        cancel_session(current_user.id, session.id, form.reason.data)
    except BookingError as error:
        flash(error.message, "error")
        return redirect(url_for("groups.show", session_id=session_id), code=303)
    flash(_("The group session is cancelled; every learner in it has been told."), "success")
    return redirect(url_for("booking.sessions"), code=303)
