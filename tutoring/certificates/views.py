"""The volunteer's own certificate page (coordinators open anyone's from /coordinator)."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tutoring.certificates.blueprint import bp
from tutoring.services.records.certificate import build_certificate
from tutoring.services.records.certificate_pdf import CertificateFontMissing, certificate_filename, certificate_pdf
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
        pdf_endpoint=url_for("certificates.certificate_download"),
        issued_on=today,
    )


@bp.get("/certificate.pdf")
@login_required
def certificate_download():
    """The same certificate as a PDF file, with the organisation's name and a signature line; volunteers only."""
    if not current_user.is_volunteer:
        abort(403)
    today = local_today(current_user.timezone, utcnow())
    certificate = build_certificate(current_user.id, current_user.timezone, request.args, today)
    try:
        pdf = certificate_pdf(certificate, current_user, today)
    except CertificateFontMissing as error:
        flash(error.message, "error")
        return redirect(url_for("certificates.certificate", **certificate.raw))
    return pdf_response(pdf, certificate_filename(certificate))


def pdf_response(pdf: bytes, filename: str):
    """A PDF download; ``no-store``, since a certificate is personal."""
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
