"""Views of one's own data under /me: the "Your data" page, the JSON download and account deletion.

The download is a GET: it changes nothing. Deleting is a POST with the CSRF
token and the password; the logic is ``tutoring.services.people.privacy``.
"""
from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from tutoring.account.blueprint import bp
from tutoring.extensions import db, limiter
from tutoring.models import User
from tutoring.services.people.privacy import delete_account, export_data, note_retention_days, upcoming_bookings
from tutoring.timeutil import utcnow

PAGE = "account/privacy.html"


class DeleteAccountForm(FlaskForm):
    """Deleting needs the password and a ticked box: it can't be undone."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(message=_l("Enter your password."))])
    confirm = BooleanField(
        _l("I understand that my account and my future sessions will be deleted, and that this can't be undone."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


def _failed_deletion(response) -> bool:
    # A wrong password shows the page again (200/400); a deletion redirects.
    return not 300 <= response.status_code < 400


def _page(form: DeleteAccountForm, status: int = 200):
    user = db.session.get(User, current_user.id)
    return render_template(
        PAGE,
        form=form,
        upcoming=len(upcoming_bookings(user)),
        retention_days=note_retention_days(),
    ), status


@bp.get("/privacy")
def privacy():
    """What we keep about the signed-in person, the download link and the delete form."""
    return _page(DeleteAccountForm())


@bp.get("/data")
def data_export():
    """Download everything stored about the signed-in person as JSON (changes nothing)."""
    user = db.session.get(User, current_user.id)
    body = json.dumps(export_data(user), ensure_ascii=False, indent=2, sort_keys=True)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="tutoring-data-{user.id}.json"'
    # Personal data: no shared cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/privacy/delete")
@limiter.limit(lambda: current_app.config.get("ACCOUNT_DELETE_LIMIT", "10 per hour"), deduct_when=_failed_deletion)
def delete_account_view():
    """Delete the signed-in person's account after checking the password; then sign out."""
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    user = db.session.get(User, current_user.id)
    if not user.check_password(form.password.data):
        form.password.errors.append(_("That password is not right."))
        return _page(form, 400)
    result = delete_account(user.id, now=utcnow())
    logout_user()
    session.clear()
    if result.cancelled:
        flash(ngettext("Your account was deleted. We cancelled your upcoming session and told the other person.",
                       "Your account was deleted. We cancelled your %(num)d upcoming sessions and told the other person.",
                       result.cancelled), "success")
    else:
        flash(_("Your account was deleted."), "success")
    return redirect(url_for("main.home"))
