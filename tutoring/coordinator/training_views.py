"""The coordinators' training page (issue 18): training ending within a month, training that ended, bulk marking."""
from __future__ import annotations


from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tutoring.coordinator.blueprint import bp
from tutoring.coordinator.views import date_field
from tutoring.services.support import training_expiry
from tutoring.services.coordinators.coordination import CoordinationError, NotFound
from tutoring.services.support.training import kinds_needing_training, training_day


def _page(*, error: CoordinationError | None = None, status: int = 200) -> Response:
    day = training_day()
    return make_response(render_template(
        "coordinator/training.html", active_tab="coordinator.training", soon=training_expiry.expiring_soon(day),
        expired=training_expiry.recently_expired(day), volunteers=training_expiry.volunteers_for_training(),
        kinds=kinds_needing_training(), today=day, error=error,
        chosen={int(v) for v in request.form.getlist("volunteers") if v.isdigit()},
    ), status)


@bp.get("/training")
def training():
    """Training ending within a month (a reminder), training that ended, and marking several volunteers trained."""
    return _page()


@bp.post("/training/bulk")
def training_bulk():
    """Mark the chosen volunteers trained for one kind (each one logged)."""
    try:
        count = training_expiry.mark_trained_many(
            current_user, request.form.getlist("volunteers"), request.form.get("kind", ""),
            trained_on=date_field("trained_on", required=True), expires_on=date_field("expires_on", required=False),
            note=request.form.get("note", ""))
    except NotFound:
        abort(404)
    except CoordinationError as error:
        return _page(error=error, status=422)
    flash(_("%(num)d volunteers are marked trained.", num=count), "success")
    return redirect(url_for("coordinator.training"), code=303)
