"""Views of the account blueprint: dashboard, profile and settings, and the availability editor.

Every route needs a signed-in person; volunteer-only routes load the profile
with ``current_volunteer`` (403 for others) and objects with the ``own_*``
loaders (404 for anyone else's). Each change is one service call.

The editor speaks HTMX and plain HTML alike: a plain form post gets a
redirect back to the page (POST-redirect-GET); an HTMX request gets the
fragment it swaps, plus ``HX-Trigger: availability-changed`` after a change,
which makes the slot preview reload itself.
"""
from __future__ import annotations

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user, login_required

from tutoring.account.blueprint import bp
from tutoring.account.dashboard import (
    has_had_sessions,
    minutes_given_this_month,
    month_bounds,
    sessions_to_record,
    upcoming_sessions,
)
from tutoring.account.editor import (
    window_question,
    AVAILABILITY_CHANGED,
    AWAY_TARGET,
    EXTRA_TARGET,
    PREVIEW_TARGET,
    STATE_TARGET,
    WEEKLY_TARGET,
    Editor,
    add_target,
    rule_target,
)
from tutoring.account.forms import AwayForm, ExtraForm, ProfileForm, RuleForm
from tutoring.account.loaders import current_volunteer, own_away_or_404, own_extra_or_404, own_rule_or_404
from tutoring.formatting import language_name
from tutoring.htmx import is_fragment_request, render_page_or_fragment
from tutoring.i18n import current_language
from tutoring.services.support.training import missing_training, training_day
from tutoring.services.schedules.availability import (
    SETTING_RANGES,
    AvailabilityError,
    AvailabilityNotFound,
    add_away,
    add_extra,
    add_rule,
    change_rule,
    clock_text,
    remove_away,
    remove_extra,
    remove_rule,
    set_paused,
)
from tutoring.services.people.onboarding import setup_complete, setup_steps
from tutoring.services.people.profile import ProfileInvalid, update_profile
from tutoring.textsearch import subject_names
from tutoring.timeutil import utcnow

EDITOR_PAGE = "account/availability.html"


@bp.before_request
@login_required
def _signed_in_only() -> None:
    """Every page here is someone's own: signed-out visitors go to the sign-in page (and come back)."""


@bp.errorhandler(403)
@bp.errorhandler(404)
def _not_yours(error) -> Response:
    """A 403 or 404 here: a page in the user's language; an htmx swap reloads the page instead (there is nothing to swap)."""
    if is_fragment_request():
        # E.g. a window removed in another tab: show the page as it is now.
        response = make_response("", error.code)
        response.headers["HX-Refresh"] = "true"
        return response
    return make_response(render_template("account/error.html", status=error.code), error.code)


# --- dashboard and profile ----------------------------------------------------------------------


@bp.get("/")
def dashboard():
    """The signed-in person's next sessions; for volunteers also their state and the time given this month."""
    now = utcnow()
    upcoming = upcoming_sessions(current_user, now)
    context = {"upcoming": upcoming, "now": now, "minutes_given": None,
               "had_sessions": bool(upcoming) or has_had_sessions(current_user)}
    if current_user.is_volunteer and current_user.volunteer_profile is not None:
        context["minutes_given"] = minutes_given_this_month(current_user.id, current_user.timezone, now)
        context["to_record"] = sessions_to_record(current_user.id, now)
        context["month_first_day"] = month_bounds(current_user.timezone, now)[2]
        context["volunteer"] = current_user.volunteer_profile
        # Kinds they offer that learners can't book until a coordinator marks them trained (SPEC §7).
        context["missing_training"] = missing_training(current_user.id, current_user.volunteer_profile.kinds,
                                                       training_day(now))
        context["setup_steps"] = setup_steps(current_user.volunteer_profile)
    return render_template("account/dashboard.html", **context)


@bp.get("/setup")
def setup():
    """A new volunteer's checklist: profile, availability, calendar, and what happens next; volunteers only."""
    volunteer = current_volunteer()
    return render_template("account/setup.html", volunteer=volunteer, steps=setup_steps(volunteer),
                           complete=setup_complete(volunteer))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Name, time zone and language; for volunteers also what they offer and their session settings."""
    form = ProfileForm()
    if request.method == "GET":
        _fill_profile_form(form)
    else:
        try:
            update_profile(current_user.id, form.data)
        except ProfileInvalid as invalid:
            form.show_errors(invalid.errors)
        else:
            refresh_locale()  # the language may have just changed: say it in the new one
            flash(_("Your profile is saved."), "success")
            return redirect(url_for(".profile"))
    return render_template("account/profile.html", form=form, subject_suggestions=_subject_suggestions())


def _subject_suggestions() -> list[str]:
    """The shared subject vocabulary's names, the page's language first (either is found by both)."""
    language = current_language()
    other = "en" if language == "ar" else "ar"
    return subject_names(language) + subject_names(other)


def _fill_profile_form(form: ProfileForm) -> None:
    """Show the account as it is now."""
    user = current_user
    form.display_name.data, form.timezone.data, form.language.data = user.display_name, user.timezone, user.language
    form.address_form.data = user.address_form
    volunteer = user.volunteer_profile
    if volunteer is not None:
        form.subjects.data = ", ".join(volunteer.subjects)
        form.languages.data = _(", ").join(language_name(code) for code in volunteer.languages)
        form.kinds.data = list(volunteer.kinds)
        form.bio.data = volunteer.bio
        for name in SETTING_RANGES:
            value = getattr(volunteer, name)
            getattr(form, name).data = "" if value is None else str(value)


# --- the availability editor --------------------------------------------------------------------


@bp.get("/availability")
def availability():
    """The availability editor: weekly windows, away periods, extra windows, pause/resume and a preview of slots."""
    volunteer = current_volunteer()
    return render_template(EDITOR_PAGE, editor=Editor(volunteer, preview_zone=request.args.get("tz")))


@bp.get("/availability/preview")
def preview():
    """The next 14 days of slots, in the volunteer's zone or in ``?tz=`` (the zone a learner might be in)."""
    volunteer = current_volunteer()
    editor = Editor(volunteer, preview_zone=request.args.get("tz"))
    return render_page_or_fragment(EDITOR_PAGE, "account/_preview.html", hx_target=PREVIEW_TARGET, editor=editor)


@bp.get("/availability/rules/new")
def new_rule():
    """The "add a window" form of one day (``?weekday=0..6``); ``closed=1`` gives back the button."""
    volunteer = current_volunteer()
    weekday = _weekday_arg()
    editor = Editor(volunteer, adding=None if request.args.get("closed") else weekday)
    return render_page_or_fragment(
        EDITOR_PAGE, "account/_add_rule.html", hx_target=add_target(weekday), editor=editor, day=editor.days[weekday]
    )


@bp.post("/availability/rules")
def create_rule():
    """Add a weekly window."""
    volunteer = current_volunteer()
    form = RuleForm()
    form.question = window_question(form, volunteer)  # overnight or long: asked first, saved once confirmed
    saved = False
    try:
        if form.question is None:
            add_rule(volunteer.id, form.weekday.data, form.start.data, form.end.data, form.capacity.data)
            saved = True
    except AvailabilityError as error:
        form.show_error(error)
    if not saved:
        weekday = _weekday_of(form)
        editor = Editor(volunteer, adding=weekday, add_form=form)
        return render_page_or_fragment(
            EDITOR_PAGE, "account/_add_rule.html", hx_target=add_target(weekday), editor=editor, day=editor.days[weekday]
        )
    return _rules_changed(volunteer, _("Window added."), f"day-{_weekday_of(form)}")


@bp.get("/availability/rules/<int:rule_id>")
def show_rule(rule_id: int):
    """One weekly window as text with its edit and remove buttons (what "cancel" brings back)."""
    volunteer = current_volunteer()
    rule = own_rule_or_404(volunteer, rule_id)
    return render_page_or_fragment(
        EDITOR_PAGE, "account/_rule.html", hx_target=rule_target(rule.id), editor=Editor(volunteer), rule=rule
    )


@bp.get("/availability/rules/<int:rule_id>/edit")
def edit_rule(rule_id: int):
    """One weekly window as a form, in place (the whole editor with that window open, without JavaScript)."""
    volunteer = current_volunteer()
    rule = own_rule_or_404(volunteer, rule_id)
    form = RuleForm(
        formdata=None, weekday=str(rule.weekday), start=clock_text(rule.start_minute), end=clock_text(rule.end_minute),
        capacity=str(rule.capacity),
    )
    editor = Editor(volunteer, editing=rule.id, edit_form=form)
    return render_page_or_fragment(EDITOR_PAGE, "account/_rule_form.html", hx_target=rule_target(rule.id),
                                   editor=editor, rule=rule)


@bp.post("/availability/rules/<int:rule_id>")
def update_rule(rule_id: int):
    """Change a weekly window's day and times."""
    volunteer = current_volunteer()
    rule = own_rule_or_404(volunteer, rule_id)
    form = RuleForm()
    form.question = window_question(form, volunteer, rule)  # overnight or long: asked first, saved once confirmed
    saved = False
    try:
        if form.question is None:
            change_rule(volunteer.id, rule.id, form.weekday.data, form.start.data, form.end.data, form.capacity.data)
            saved = True
    except AvailabilityNotFound:
        abort(404)
    except AvailabilityError as error:
        form.show_error(error)
    if not saved:
        editor = Editor(volunteer, editing=rule.id, edit_form=form)
        return render_page_or_fragment(EDITOR_PAGE, "account/_rule_form.html", hx_target=rule_target(rule.id),
                                       editor=editor, rule=rule)
    return _rules_changed(volunteer, _("Window saved."), f"day-{_weekday_of(form)}")


@bp.post("/availability/rules/<int:rule_id>/delete")
def delete_rule(rule_id: int):
    """Remove a weekly window."""
    volunteer = current_volunteer()
    rule = own_rule_or_404(volunteer, rule_id)
    weekday = rule.weekday
    try:
        remove_rule(volunteer.id, rule.id)
    except AvailabilityNotFound:
        abort(404)
    return _rules_changed(volunteer, _("Window removed."), f"day-{weekday}")


@bp.post("/availability/away")
def create_away():
    """Add an away period (first and last day)."""
    volunteer = current_volunteer()
    form = AwayForm()
    try:
        add_away(volunteer.id, form.first_on.data, form.last_on.data)
    except AvailabilityError as error:
        form.show_error(error)
        return render_page_or_fragment(EDITOR_PAGE, "account/_away.html", hx_target=AWAY_TARGET,
                                       editor=Editor(volunteer, away_form=form))
    return _section_changed(volunteer, "account/_away.html", _("Away period added."), AWAY_TARGET)


@bp.post("/availability/away/<int:away_id>/delete")
def delete_away(away_id: int):
    """Remove an away period."""
    volunteer = current_volunteer()
    period = own_away_or_404(volunteer, away_id)
    try:
        remove_away(volunteer.id, period.id)
    except AvailabilityNotFound:
        abort(404)
    return _section_changed(volunteer, "account/_away.html", _("Away period removed."), AWAY_TARGET)


@bp.post("/availability/extra")
def create_extra():
    """Add a one-off window on one date."""
    volunteer = current_volunteer()
    form = ExtraForm()
    try:
        add_extra(volunteer.id, form.day_on.data, form.start.data, form.end.data, form.capacity.data)
    except AvailabilityError as error:
        form.show_error(error)
        return render_page_or_fragment(EDITOR_PAGE, "account/_extra.html", hx_target=EXTRA_TARGET,
                                       editor=Editor(volunteer, extra_form=form))
    return _section_changed(volunteer, "account/_extra.html", _("Extra time added."), EXTRA_TARGET)


@bp.post("/availability/extra/<int:extra_id>/delete")
def delete_extra(extra_id: int):
    """Remove a one-off window."""
    volunteer = current_volunteer()
    window = own_extra_or_404(volunteer, extra_id)
    try:
        remove_extra(volunteer.id, window.id)
    except AvailabilityNotFound:
        abort(404)
    return _section_changed(volunteer, "account/_extra.html", _("Extra time removed."), EXTRA_TARGET)


@bp.post("/availability/pause")
def pause():
    """Stop taking new bookings (booked sessions stay)."""
    return _set_state(paused=True)


@bp.post("/availability/resume")
def resume():
    """Take new bookings again."""
    return _set_state(paused=False)


def _set_state(*, paused: bool) -> Response:
    volunteer = current_volunteer()
    try:
        set_paused(volunteer.id, paused)
    except AvailabilityError as error:
        # Only a pending volunteer gets here: nothing to pause or resume yet.
        if is_fragment_request():
            return _fragment("account/_state.html", editor=Editor(volunteer, message=error.message))
        flash(error.message, "error")
        return redirect(url_for(".availability") + "#" + STATE_TARGET)
    message = _("Paused: learners can't book new sessions with you.") if paused else _("Welcome back: learners can book you again.")
    return _section_changed(volunteer, "account/_state.html", message, STATE_TARGET)


# --- helpers ------------------------------------------------------------------------------------


def _weekday_arg() -> int:
    """``?weekday=`` as 0..6; anything else is a 404 (no such day)."""
    weekday = request.args.get("weekday", type=int)
    if weekday is None or not 0 <= weekday <= 6:
        abort(404)
    return weekday


def _weekday_of(form: RuleForm) -> int:
    """The day a submitted window form was about, for re-showing it (Monday when it is no day)."""
    value = (form.weekday.data or "").strip()
    return int(value) if value in {"0", "1", "2", "3", "4", "5", "6"} else 0


def _fragment(template: str, **context) -> Response:
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


def _changed(response: Response) -> Response:
    """Tell the page that the availability changed: the preview listens for this event and reloads."""
    response.headers["HX-Trigger"] = AVAILABILITY_CHANGED
    return response


def _rules_changed(volunteer, message: str, anchor: str) -> Response:
    """After a weekly window changed: HTMX gets the whole week (order and days may have changed), else PRG."""
    if is_fragment_request():
        response = _changed(_fragment("account/_weekly.html", editor=Editor(volunteer, message=message)))
        # The request aimed at one window or one day's form; the week is what must be redrawn.
        response.headers["HX-Retarget"] = "#" + WEEKLY_TARGET
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(message, "success")
    return redirect(url_for(".availability") + "#" + anchor)


def _section_changed(volunteer, template: str, message: str, anchor: str) -> Response:
    """After an away period, extra window or the state changed: HTMX gets the section again, else PRG."""
    if is_fragment_request():
        return _changed(_fragment(template, editor=Editor(volunteer, message=message)))
    flash(message, "success")
    return redirect(url_for(".availability") + "#" + anchor)
