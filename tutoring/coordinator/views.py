"""Views of the coordinators' area. Every route needs a signed-in coordinator (403 for anyone else).

Routes parse, call one service and render or redirect; the rules are in
``tutoring.services.coordinators.coordination``, ``reports`` and ``safeguarding``.
Nothing here reads a booking's private note: reports count columns, the
sessions list selects what it shows.
"""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from tutoring.coordinator.blueprint import bp
from tutoring.coordinator.display import CHART_TARGET, report_charts, week_label
from tutoring.htmx import is_fragment_request, render_page_or_fragment
from tutoring.calendar.text import N_
from tutoring.models import KINDS, Programme
from tutoring.i18n import current_language
from tutoring.errors import ServiceError
from tutoring.services.minors import clearance, guardians
from tutoring.services.coordinators import coordination, safeguarding
from tutoring.services.sessions import rooms
from tutoring.services.support import training, training_expiry
from tutoring.services.support import help as help_service
from tutoring.services.records.certificate import build_certificate
from tutoring.services.records.certificate_pdf import CertificateFontMissing, certificate_filename, certificate_pdf
from tutoring.services.coordinators.coordination import DECISIONS, CoordinationError, NotFound
from tutoring.services.records.exports import sessions_csv, volunteers_csv
from tutoring.services.records.reports import BOOKINGS_SHOWN, bookings_between, build_report, parse_report_args, report_csv
from tutoring.timeutil import utcnow
from tutoring.booking.browse import local_today


@bp.before_request
@login_required
def _coordinators_only() -> None:
    """Signed-out visitors go to the sign-in page; learners and volunteers get a 403."""
    if not current_user.is_coordinator:
        abort(403)


@bp.errorhandler(403)
@bp.errorhandler(404)
def _refused(error) -> Response:
    """A 403 or 404 here, as a page in the user's language (an htmx swap reloads the page instead)."""
    if is_fragment_request():
        response = make_response("", error.code)
        response.headers["HX-Refresh"] = "true"
        return response
    return make_response(render_template("coordinator/error.html", status=error.code), error.code)


def _today():
    return local_today(current_user.timezone, utcnow())


# --- vetting ------------------------------------------------------------------------------------


@bp.get("/")
def overview():
    """The vetting queue (pending, declined, paused volunteers) and the open safeguarding reports."""
    return render_template(
        "coordinator/overview.html",
        queue=coordination.vetting_queue(),
        open_reports=len(safeguarding.reports("open")),
        clearances_ending=clearance.ending_soon(),
        training_ending=len(training_expiry.expiring_soon()),  # reminders a month ahead (issue 18)
    )


def _volunteer_or_404(volunteer_id: int):
    volunteer = coordination.volunteer_or_none(volunteer_id)
    if volunteer is None:
        abort(404)
    return volunteer


def _volunteer_page(volunteer, *, error: CoordinationError | None = None, form=None, status: int = 200,
                    training_error: CoordinationError | None = None,
                    clearance_error: CoordinationError | None = None) -> Response:
    memberships = dict((programme.id, trained) for programme, trained in coordination.programmes_of(volunteer.id))
    return make_response(render_template(
        "coordinator/volunteer.html",
        volunteer=volunteer,
        programmes=Programme.all_by_name(),
        memberships=memberships,
        history=coordination.audit_log(subject_id=volunteer.id),
        decisions=DECISIONS,
        error=error,
        form=form or {},
        now=utcnow(),
        training=training.records_of(volunteer.id),
        needing_training=training.kinds_needing_training(),
        training_today=training.training_day(),
        training_error=training_error,
        clearance=clearance.clearance_of(volunteer.user_id),
        clearance_error=clearance_error,
    ), status)


@bp.get("/volunteers/<int:volunteer_id>")
def volunteer(volunteer_id: int):
    """One volunteer's profile for vetting: what they offer, their programmes, decisions so far, the decision form."""
    return _volunteer_page(_volunteer_or_404(volunteer_id))


@bp.post("/volunteers/<int:volunteer_id>/decision")
def decide(volunteer_id: int):
    """Approve, decline or pause the volunteer with a reason (emailed to them); back to the queue."""
    volunteer = _volunteer_or_404(volunteer_id)
    decision = request.form.get("decision", "")
    try:
        coordination.decide_volunteer(current_user, volunteer.id, decision, request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except CoordinationError as error:
        return _volunteer_page(_volunteer_or_404(volunteer_id), error=error, form=request.form, status=422)
    flash({
        "approve": _("%(name)s is approved and was told by email.", name=volunteer.user.display_name),
        "decline": _("%(name)s was declined and told why by email.", name=volunteer.user.display_name),
        "pause": _("%(name)s is paused and was told why by email.", name=volunteer.user.display_name),
    }[decision], "success")
    return redirect(url_for("coordinator.overview"))


@bp.post("/volunteers/<int:volunteer_id>/programmes")
def volunteer_programmes(volunteer_id: int):
    """Add the volunteer to a programme, remove them, or mark them trained there (or not)."""
    volunteer = _volunteer_or_404(volunteer_id)
    action = request.form.get("action", "")
    programme_id = request.form.get("programme_id", type=int)
    if programme_id is None or action not in ("add", "remove", "train", "untrain"):
        abort(400)
    try:
        coordination.set_membership(
            current_user, programme_id, volunteer.id, member=action != "remove",
            trained={"train": True, "untrain": False}.get(action),
        )
    except NotFound:
        abort(404)
    flash(_("Programmes saved."), "success")
    return redirect(url_for("coordinator.volunteer", volunteer_id=volunteer.id) + "#programmes")


def date_field(name: str, *, required: bool) -> date | None:
    """A ``YYYY-MM-DD`` form field as a date (None when empty and not required); a CoordinationError naming it otherwise."""
    text = request.form.get(name, "").strip()
    if not text and not required:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise CoordinationError(N_("Give a date such as 2026-12-31."), field=name) from None
    if not 2000 <= value.year <= 2200:
        raise CoordinationError(N_("Give a date such as 2026-12-31."), field=name)
    return value


@bp.post("/volunteers/<int:volunteer_id>/training")
def volunteer_training(volunteer_id: int):
    """Mark the volunteer trained for a kind (date, optional last day, note), or remove a kind's training; logged."""
    volunteer = _volunteer_or_404(volunteer_id)
    kind = request.form.get("kind", "")
    try:
        if request.form.get("action") == "remove":
            coordination.remove_training(current_user, volunteer.id, kind)
            flash(_("Training removed."), "success")
        else:
            coordination.mark_trained(
                current_user, volunteer.id, kind,
                trained_on=date_field("trained_on", required=True),
                expires_on=date_field("expires_on", required=False),
                note=request.form.get("note", ""),
            )
            flash(_("Training saved."), "success")
    except NotFound:
        abort(404)
    except CoordinationError as error:
        return _volunteer_page(_volunteer_or_404(volunteer_id), training_error=error, form=request.form, status=422)
    return redirect(url_for("coordinator.volunteer", volunteer_id=volunteer.id) + "#training")


@bp.post("/volunteers/<int:volunteer_id>/clearance")
def volunteer_clearance(volunteer_id: int):
    """Record the volunteer cleared for minors (check's date, optional last day, note), or remove it; logged."""
    volunteer = _volunteer_or_404(volunteer_id)
    try:
        if request.form.get("action") == "remove":
            coordination.remove_clearance(current_user, volunteer.user_id)
            flash(_("Clearance removed."), "success")
        else:
            coordination.mark_cleared(
                current_user, volunteer.user_id,
                checked_on=date_field("checked_on", required=True),
                expires_on=date_field("expires_on", required=False),
                note=request.form.get("note", ""),
            )
            flash(_("Clearance saved."), "success")
    except NotFound:
        abort(404)
    except CoordinationError as error:
        return _volunteer_page(_volunteer_or_404(volunteer_id), clearance_error=error, form=request.form, status=422)
    return redirect(url_for("coordinator.volunteer", volunteer_id=volunteer.user_id) + "#clearance")


@bp.get("/volunteers/<int:volunteer_id>/certificate")
def volunteer_certificate(volunteer_id: int):
    """A volunteer's hours certificate, as they would print it (in the volunteer's language)."""
    volunteer = _volunteer_or_404(volunteer_id)
    today = local_today(volunteer.user.timezone, utcnow())
    certificate = build_certificate(volunteer.id, volunteer.user.timezone, request.args, today)
    # In the volunteer's language: the certificate is theirs to hand on.
    with force_locale(volunteer.user.language):
        return render_template("certificates/certificate.html", person=volunteer.user, certificate=certificate,
                               action=url_for("coordinator.volunteer_certificate", volunteer_id=volunteer.id),
                               pdf_endpoint=url_for("coordinator.volunteer_certificate_download",
                                                    volunteer_id=volunteer.id),
                               issued_on=today)


@bp.get("/volunteers/<int:volunteer_id>/certificate.pdf")
def volunteer_certificate_download(volunteer_id: int):
    """A volunteer's hours certificate as a PDF (their language), to hand on or sign."""
    volunteer = _volunteer_or_404(volunteer_id)
    today = local_today(volunteer.user.timezone, utcnow())
    certificate = build_certificate(volunteer.id, volunteer.user.timezone, request.args, today)
    try:
        pdf = certificate_pdf(certificate, volunteer.user, today)
    except CertificateFontMissing as error:
        flash(error.message, "error")
        return redirect(url_for("coordinator.volunteer_certificate", volunteer_id=volunteer.id, **certificate.raw))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate_filename(certificate)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- minors (SPEC §7 "Minors") -------------------------------------------------------------------


@bp.get("/minors")
def minors():
    """Minor learners with their guardian's address and consent status (coordinators may see contact details)."""
    return render_template("coordinator/minors.html", rows=guardians.minors_for_coordinators())


@bp.post("/minors/<int:learner_id>/resend")
def minor_resend(learner_id: int):
    """Send the guardian's consent email again (logged with the coordinator as the actor)."""
    learner = guardians.minor_or_none(learner_id)
    if learner is None:
        abort(404)
    try:
        guardians.resend(learner, coordinator=current_user)
        flash(_("The consent email was sent again."), "success")
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("coordinator.minors") + f"#minor-{learner.id}")


@bp.get("/audit")
def audit():
    """The audit log: who decided what about whom, and when (newest first)."""
    return render_template("coordinator/audit.html", entries=coordination.audit_log(limit=500), now=utcnow())


# --- programmes ---------------------------------------------------------------------------------


def _programme_form() -> dict:
    return {
        "name": request.form.get("name", ""),
        "description": request.form.get("description", ""),
        "kinds": [kind for kind in request.form.getlist("kinds") if kind in KINDS],
        "support_needs_training": request.form.get("support_needs_training") == "on",
    }


@bp.get("/programmes")
def programmes():
    """Every programme with its member count, and the form for a new one."""
    return render_template("coordinator/programmes.html", programmes=Programme.all_by_name(),
                           counts=coordination.member_counts(), kinds=KINDS, form=None, error=None)


@bp.post("/programmes")
def create_programme():
    """Create a programme; back to the list (errors next to the form, nothing saved)."""
    form = _programme_form()
    try:
        programme = coordination.create_programme(current_user, **form)
    except CoordinationError as error:
        return make_response(render_template(
            "coordinator/programmes.html", programmes=Programme.all_by_name(), counts=coordination.member_counts(),
            kinds=KINDS, form=form, error=error), 422)
    flash(_("Programme %(name)s created.", name=programme.name), "success")
    return redirect(url_for("coordinator.programme", programme_id=programme.id))


def _programme_or_404(programme_id: int) -> Programme:
    programme = coordination.programme_or_none(programme_id)
    if programme is None:
        abort(404)
    return programme


@bp.get("/programmes/<int:programme_id>")
def programme(programme_id: int):
    """One programme: its settings form and its volunteers (with trained marks)."""
    return render_template("coordinator/programme.html", programme=_programme_or_404(programme_id), kinds=KINDS,
                           form=None, error=None)


@bp.post("/programmes/<int:programme_id>")
def update_programme(programme_id: int):
    """Save a programme's name, description, kinds and training rule."""
    programme = _programme_or_404(programme_id)
    form = _programme_form()
    try:
        coordination.update_programme(current_user, programme.id, **form)
    except CoordinationError as error:
        return make_response(render_template("coordinator/programme.html", programme=programme, kinds=KINDS,
                                              form=form, error=error), 422)
    flash(_("Programme saved."), "success")
    return redirect(url_for("coordinator.programme", programme_id=programme.id))


# --- reports ------------------------------------------------------------------------------------


def _report():
    return build_report(parse_report_args(request.args, _today(), current_user.timezone))


@bp.get("/reports")
def reports():
    """Sessions per week, volunteer hours, learners served and busiest hours, with SVG charts and data tables."""
    report = _report()
    return render_page_or_fragment(
        "coordinator/reports.html", "coordinator/_report.html", hx_target=CHART_TARGET,
        report=report, charts=report_charts(report), programmes=Programme.all_by_name(), week_label=week_label,
    )


@bp.get("/reports.csv")
def reports_csv():
    """The same numbers as CSV (one number per line: section, label, measure, value)."""
    report = _report()
    response = make_response(report_csv(report))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"report-{report.query.first_day.isoformat()}-{report.query.last_day.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _spreadsheet(text: str, what: str, query) -> Response:
    response = make_response(text)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"{what}-{query.first_day.isoformat()}-{query.last_day.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/reports/sessions.csv")
def sessions_spreadsheet():
    """One row per booking of the range, for a spreadsheet (UTF-8 with BOM, headers in the user's language)."""
    query = parse_report_args(request.args, _today(), current_user.timezone)
    return _spreadsheet(sessions_csv(query), "sessions", query)


@bp.get("/reports/volunteers.csv")
def volunteers_spreadsheet():
    """One row per volunteer with the range's figures, for a spreadsheet (UTF-8 with BOM)."""
    query = parse_report_args(request.args, _today(), current_user.timezone)
    return _spreadsheet(volunteers_csv(query), "volunteers", query)


@bp.get("/sessions")
def sessions():
    """Programme-wide bookings for a range of days: times, people, kinds and statuses (never notes)."""
    query = parse_report_args(request.args, _today(), current_user.timezone)
    return render_template("coordinator/sessions.html", query=query, lines=bookings_between(query),
                           limit=BOOKINGS_SHOWN, programmes=Programme.all_by_name(), now=utcnow())


# --- safeguarding -------------------------------------------------------------------------------


@bp.get("/safeguarding")
def safeguarding_reports():
    """Learners' reports, open ones first."""
    return _safeguarding_page()


def _safeguarding_page(error: CoordinationError | None = None, error_id: int | None = None):
    """The reports, each with the room messages its reporter chose to share (the only messages a coordinator sees)."""
    reports = safeguarding.reports()
    return render_template("coordinator/safeguarding.html", reports=reports, error=error, error_id=error_id,
                           carried=rooms.reported_messages_for([report.id for report in reports]), now=utcnow())


@bp.post("/safeguarding/<int:report_id>/resolve")
def resolve(report_id: int):
    """Resolve a report with what was done; logged."""
    try:
        safeguarding.resolve_report(current_user, report_id, request.form.get("resolution", ""))
    except NotFound:
        abort(404)
    except CoordinationError as error:
        return make_response(_safeguarding_page(error, report_id), 422)
    flash(_("The report is resolved."), "success")
    return redirect(url_for("coordinator.safeguarding_reports"))


def _report_action(report_id: int, action, success: str) -> Response:
    """Run one safeguarding action on a report; its error is shown beside that report (422), a 404 is a 404."""
    try:
        action()
    except NotFound:
        abort(404)
    except CoordinationError as error:
        return make_response(_safeguarding_page(error, report_id), 422)
    flash(success, "success")
    return redirect(url_for("coordinator.safeguarding_reports", _anchor=f"report-{report_id}"))


@bp.post("/safeguarding/<int:report_id>/severity")
def report_severity(report_id: int):
    """Grade a report (low to urgent); logged. The queue lists the most serious first."""
    return _report_action(report_id, lambda: safeguarding.set_severity(
        current_user, report_id, request.form.get("severity", "")), _("Severity saved."))


@bp.post("/safeguarding/<int:report_id>/pause")
def report_pause(report_id: int):
    """Pause the volunteer a report is about (kept bookings, no new ones); logged, the volunteer is emailed."""
    return _report_action(report_id, lambda: safeguarding.pause_reported_volunteer(
        current_user, report_id, request.form.get("reason", "")), _("The volunteer is paused."))


@bp.post("/safeguarding/<int:report_id>/message")
def report_message(report_id: int):
    """Write to the learner who reported, through the service (a notice on their page and an email)."""
    return _report_action(report_id, lambda: safeguarding.message_reporter(
        current_user, report_id, request.form.get("message", "")), _("Your message was sent to the learner."))


# --- help lines (issue 18) ----------------------------------------------------------------------


def _help_page(*, error: CoordinationError | None = None, values=None, import_error: CoordinationError | None = None,
               status: int = 200) -> Response:
    language = current_language()
    return make_response(render_template(
        "coordinator/help.html", resources=help_service.resources_for(None).resources, error=error,
        values=values or {}, countries=help_service.country_choices(language), country_name=help_service.country_name,
        import_error=import_error, csv_columns=help_service.CSV_COLUMNS,
    ), status)


def _help_form() -> dict:
    return {field: request.form.get(field, "") for field in ("country", "name", "phone", "text", "url", "languages",
                                                              "hours", "notes", "is_example", "whatsapp")}


@bp.get("/help")
def help_resources():
    """The help lines the public help page lists, and a form to add one."""
    return _help_page()


@bp.post("/help")
def add_help_resource():
    form = _help_form()
    try:
        help_service.add_resource(current_user, form)
    except CoordinationError as error:
        return _help_page(error=error, values=form, status=422)
    flash(_("Help line added."), "success")
    return redirect(url_for("coordinator.help_resources"))


@bp.post("/help/import")
def import_help_resources():
    """Add every line of an uploaded CSV file, or none."""
    upload = request.files.get("file")
    data = upload.stream.read(help_service.MAX_IMPORT_BYTES + 1) if upload else b""
    try:
        count = help_service.import_resources(current_user, data)
    except CoordinationError as error:
        return _help_page(import_error=error, status=422)
    flash(ngettext("%(num)d help line imported.", "%(num)d help lines imported.", count), "success")
    return redirect(url_for("coordinator.help_resources"))


@bp.route("/help/<int:resource_id>", methods=["GET", "POST"])
def help_resource(resource_id: int):
    """Change one help line."""
    resource = help_service.resource_or_none(resource_id)
    if resource is None:
        abort(404)
    error, status = None, 200
    values = {"country": resource.country, "name": resource.name, "phone": resource.phone, "text": resource.text,
              "whatsapp": resource.whatsapp,
              "url": resource.url, "languages": ", ".join(resource.languages or []), "hours": resource.hours,
              "notes": resource.notes, "is_example": resource.is_example}
    if request.method == "POST":
        values = _help_form()
        try:
            help_service.update_resource(current_user, resource.id, values)
        except NotFound:
            abort(404)
        except CoordinationError as caught:
            error, status = caught, 422
        else:
            flash(_("Help line saved."), "success")
            return redirect(url_for("coordinator.help_resources"))
    return make_response(render_template(
        "coordinator/help_resource.html", resource=resource, error=error, values=values,
        countries=help_service.country_choices(current_language()),
    ), status)


@bp.post("/help/<int:resource_id>/remove")
def remove_help_resource(resource_id: int):
    try:
        help_service.remove_resource(current_user, resource_id)
    except NotFound:
        abort(404)
    flash(_("Help line removed."), "success")
    return redirect(url_for("coordinator.help_resources"))
