"""The guardian's pages (SPEC §7 "Minors"): consent or decline from the emailed link, withdraw from a notice's link.

They are public (the guardian has no account); the signed token in the URL
is the authority, checked by ``guardians.consent_for_token`` (a bad or
expired link is a 404). Answers are POSTs with CSRF. A minor signed in asks
for the email again with ``POST /guardian/resend`` (rate-limited).
"""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.booking import minors
from tutoring.extensions import limiter
from tutoring.main.blueprint import bp
from tutoring.services.minors import guardians
from tutoring.services.minors.guardians import GuardianError
from tutoring.urls import safe_next


# templates/guardian/_waiting.html asks it: is this learner free to book as far as consent goes?
bp.add_app_template_global(guardians.has_consent, "guardian_ok")


def _guardian_limit() -> str:
    return current_app.config.get("GUARDIAN_ANSWER_LIMIT", "30 per hour")


def _consent_or_404(token: str, action: str):
    consent = guardians.consent_for_token(token[:500], action)
    if consent is None:
        abort(404)
    return consent


@bp.route("/guardian/consent/<token>", methods=["GET", "POST"])
@limiter.limit(_guardian_limit, methods=["POST"])
def guardian_consent(token: str):
    """A guardian reads what the service is and what we store, then consents or declines for their child."""
    consent = _consent_or_404(token, "consent")
    error = None
    if request.method == "POST":
        answer = request.form.get("answer")
        if answer not in ("consent", "decline"):
            abort(400)
        try:
            guardians.decide(consent, answer == "consent")
        except GuardianError as caught:
            error = caught
    response = make_response(render_template("guardian/consent.html", consent=consent, learner=consent.learner,
                                             token=token, error=error), 422 if error else 200)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@bp.route("/guardian/withdraw/<token>", methods=["GET", "POST"])
@limiter.limit(_guardian_limit, methods=["POST"])
def guardian_withdraw(token: str):
    """A guardian withdraws consent: the minor's future sessions are cancelled and everyone is told."""
    consent = _consent_or_404(token, "withdraw")
    learner = consent.learner
    error, cancelled = None, None
    if request.method == "POST":
        try:
            cancelled = minors.withdraw(consent)
        except GuardianError as caught:
            error = caught
    response = make_response(render_template("guardian/withdraw.html", consent=consent, learner=learner,
                                             token=token, error=error, cancelled=cancelled), 422 if error else 200)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/guardian/resend")
@login_required
@limiter.limit(lambda: current_app.config.get("GUARDIAN_RESEND_LIMIT", "5 per hour"))
def guardian_resend():
    """A minor asks for the consent email to be sent to their guardian again."""
    try:
        guardians.resend(current_user)
    except GuardianError as caught:
        flash(caught.message, "error")
    else:
        flash(_("We sent the email to your parent or guardian again."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))
