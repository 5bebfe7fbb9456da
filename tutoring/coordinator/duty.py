"""The coordinators' duty page (issue 18): the on-duty rota, who is on duty now, attendance and no-show rates."""
from __future__ import annotations

from babel.dates import get_day_names
from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tutoring.coordinator.blueprint import bp
from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.support import checkins
from tutoring.services.coordinators.coordination import CoordinationError, NotFound
from tutoring.services.people.zones import zone_choices
from tutoring.timeutil import utcnow


def _page(*, error: CoordinationError | None = None, values=None, status: int = 200) -> Response:
    now = utcnow()
    coordinators = list(db.session.scalars(select(User).where(User.role == "coordinator", User.is_active.is_(True))
                                           .order_by(User.display_name, User.id)))
    return make_response(render_template(
        "coordinator/duty.html", active_tab="coordinator.duty", shifts=checkins.shifts(),
        on_duty=checkins.coordinators_on_duty(now), has_rota_now=bool(checkins.on_duty_by_rota(now)),
        coordinators=coordinators, attendance=checkins.attendance(now), near_cap=checkins.near_support_cap(now), error=error, values=values or {},
        weekday_name=get_day_names("wide", locale=get_locale() or "en").__getitem__, zones=zone_choices(),
    ), status)


@bp.get("/duty")
def duty():
    """The rota (who is on duty which weekday and hours, in a zone), who is on duty now, and attendance."""
    return _page()


@bp.post("/duty/shifts")
def add_shift():
    """Add a shift to the rota; logged."""
    try:
        checkins.add_shift(current_user, request.form.to_dict())
    except CoordinationError as error:
        return _page(error=error, values=request.form, status=422)
    flash(_("The shift is on the rota."), "success")
    return redirect(url_for("coordinator.duty"), code=303)


@bp.post("/duty/shifts/<int:shift_id>/remove")
def remove_shift(shift_id: int):
    """Remove a shift from the rota; logged."""
    try:
        checkins.remove_shift(current_user, shift_id)
    except NotFound:
        abort(404)
    flash(_("The shift is removed."), "success")
    return redirect(url_for("coordinator.duty"), code=303)
