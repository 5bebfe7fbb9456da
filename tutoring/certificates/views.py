"""The volunteer's own certificate page (coordinators open anyone's from /coordinator)."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required

from tutoring.certificates.blueprint import bp
from tutoring.services.certificate import build_certificate
from tutoring.timeutil import utcnow
from tutoring.booking.browse import local_today


@bp.get("/")
@login_required
def certificate():
    """Completed sessions and total hours for a period (default: this year), ready to print; volunteers only."""
    if not current_user.is_volunteer:
        abort(403)
    today = local_today(current_user.timezone, utcnow())
    return render_template(
        "certificates/certificate.html",
        person=current_user,
        certificate=build_certificate(current_user.id, current_user.timezone, request.args, today),
        action=url_for("certificates.certificate"),
        issued_on=today,
    )
