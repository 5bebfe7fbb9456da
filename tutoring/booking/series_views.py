"""Weekly series, notices and the waitlist in the browser (issue 9).

* ``/volunteers/<id>/series?start=&weeks=``: the preview of a weekly series
  from a slot (each week in both zones, the weeks that are not free and
  why); POST books the free ones.
* ``/series/<id>``: a series' weeks, each linking to its booking (cancel or
  move one there), and "cancel every week from ..." (POST ``/series/<id>/cancel``).
* ``/notices/<id>/dismiss`` (POST): close an in-app notice; the list itself is
  ``templates/notices/_list.html``, included by My sessions and the dashboard.
* ``/volunteers/<id>/waitlist`` (POST) and ``/waitlist/<id>/withdraw`` (POST).

Thin, like ``views``: every rule lives in tutoring.booking.series / waitlist.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from tutoring.booking.blueprint import bp
from tutoring.booking.forms import BookForm, ConfirmForm
from tutoring.booking.pages import parse_instant, status_label
from tutoring.calendar.text import translations_for
from tutoring.extensions import db, login_manager
from tutoring.help_prompt import offer_help_if_crisis
from tutoring.i18n import current_language, current_timezone
from tutoring.models import Notice, VolunteerProfile
from tutoring.booking.errors import BookingBusy, BookingError, InvalidBooking, SlotUnavailable
from tutoring.services.notices.clock_notices import clock_lines
from tutoring.services.coordinators.coordination import bookable_kinds
from tutoring.booking.series import MAX_WEEKS, MIN_WEEKS, book_series, cancel_series_from, occurrences, preview_series, series_for
from tutoring.booking.waitlist import ask, range_text, run_pending_checks, waiting_request, withdraw
from tutoring.timeutil import utcnow
from tutoring.booking.browse import visible_volunteer_or_404
from tutoring.models import User

DEFAULT_WEEKS = 6
WEEK_CHOICES = tuple(range(MIN_WEEKS, MAX_WEEKS + 1))


@bp.after_app_request
def _check_waitlists_after_changes(response: Response) -> Response:
    """A request that cancelled a session or changed availability may have opened a slot someone waits for."""
    run_pending_checks()
    return response


# --- booking a series -----------------------------------------------------------------


def _weeks_arg(value: str | None) -> int | None:
    try:
        weeks = int(value or DEFAULT_WEEKS)
    except ValueError:
        return None
    return weeks if MIN_WEEKS <= weeks <= MAX_WEEKS else None


@bp.route("/volunteers/<int:volunteer_id>/series", methods=["GET", "POST"])
def series_new(volunteer_id: int):
    """Every week at this time for N weeks: which weeks are free (and why not), then the POST books them."""
    volunteer = visible_volunteer_or_404(volunteer_id, current_user)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    now = utcnow()
    start_at = parse_instant(request.args.get("start"), now)
    weeks = _weeks_arg(request.args.get("weeks"))
    form = BookForm(bookable_kinds(volunteer.id, volunteer.kinds))
    context = {"volunteer": volunteer, "zone": current_timezone(), "now": now, "form": form, "weeks": weeks,
               "start_at": start_at, "week_choices": WEEK_CHOICES, "plan": [], "problem": None}
    if start_at is None or weeks is None:
        context["problem"] = _("Choose a time and between %(min)d and %(max)d weeks.", min=MIN_WEEKS, max=MAX_WEEKS)
        return _page(context, 400)
    if not current_user.is_learner or current_user.id == volunteer.id:
        context["problem"] = _("Only learners book sessions.")
        return _page(context, 403)

    if request.method == "POST":
        offer_help_if_crisis(form.note.data)
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = book_series(current_user.id, volunteer.id, start_at, weeks, form.kind.data, form.note.data or "")
        except BookingBusy as error:
            context["problem"] = error.message
            return _page(context, 503, plan=True)
        except InvalidBooking as error:
            field = getattr(form, error.field or "", None)
            if field is not None and error.field in ("kind", "note"):
                field.errors = [*field.errors, error.message]
            else:
                context["problem"] = error.message
            return _page(context, 422, plan=True)
        except BookingError as error:
            context["problem"] = error.message
            return _page(context, error.status, plan=True)
        booked = len(result.bookings)
        flash(ngettext("%(num)d weekly session is booked.", "%(num)d weekly sessions are booked.", booked)
              + (" " + ngettext("%(num)d week was not free.", "%(num)d weeks were not free.", len(result.skipped))
                 if result.skipped else ""), "success")
        return redirect(url_for("booking.series_detail", series_id=result.series.id), code=303)
    return _page(context, 400 if request.method == "POST" else 200, plan=True)


def _page(context: dict, status: int, *, plan: bool = False) -> Response:
    if plan and context["start_at"] is not None and context["weeks"] is not None:
        try:
            context["plan"] = preview_series(current_user.id, context["volunteer"].id, context["start_at"],
                                             context["weeks"], utcnow())
        except SlotUnavailable as error:  # the volunteer takes no bookings now
            context["problem"] = context["problem"] or error.message
            status = 409 if status == 200 else status
        if context["plan"] and not context["plan"][0].is_free and status == 200:
            status = 409
            context["problem"] = context["problem"] or _(
                "The first week is not free, so this series can't be booked. Please choose another time.")
    return Response(render_template("booking/series_new.html", **context), status=status)


# --- one series -----------------------------------------------------------------------------


def _series_or_404(series_id: int):
    series = series_for(current_user.id, series_id)
    if series is None:
        abort(404)
    return series


@bp.get("/series/<int:series_id>")
@login_required
def series_detail(series_id: int):
    """A series' weeks in the viewer's zone; each links to its booking, where one week is cancelled or moved."""
    series = _series_or_404(series_id)
    return _series_page(series, 200)


def _series_page(series, status: int, problem: str | None = None) -> Response:
    now = utcnow()
    weeks = occurrences(series)
    other_id = series.volunteer_id if current_user.id == series.learner_id else series.learner_id
    other = db.session.get(User, other_id)
    zone = current_timezone()
    upcoming_days = []
    for booking in weeks:
        if booking.status == "confirmed" and booking.session.end_at > now:
            day = booking.session.start_at.astimezone(ZoneInfo(zone)).date()
            if day not in upcoming_days:
                upcoming_days.append(day)
    body = render_template("booking/series.html", series=series, weeks=weeks, other=other, zone=zone, now=now,
                           upcoming_days=upcoming_days, problem=problem, form=ConfirmForm(),
                           status_label=status_label)
    return Response(body, status=status)


@bp.post("/series/<int:series_id>/cancel")
@login_required
def series_cancel(series_id: int):
    """Cancel every upcoming week of the series from the chosen date (the viewer's zone) on."""
    series = _series_or_404(series_id)
    offer_help_if_crisis(request.form.get("reason"))
    if not ConfirmForm().validate_on_submit():
        return _series_page(series, 400, _("The form has expired. Please try again."))
    try:
        from_day = date.fromisoformat(request.form.get("from", ""))
    except ValueError:
        return _series_page(series, 400, _("Choose the first week to cancel."))
    try:
        cancelled = cancel_series_from(current_user.id, series_id, from_day, current_timezone(),
                                       (request.form.get("reason") or "").strip() or None)
    except BookingError as error:
        return _series_page(_series_or_404(series_id), error.status, error.message)
    flash(ngettext("%(num)d session is cancelled. We let the other person know.",
                   "%(num)d sessions are cancelled. We let the other person know.", len(cancelled)), "success")
    return redirect(url_for("booking.series_detail", series_id=series_id), code=303)


# --- notices ----------------------------------------------------------------------------------


@bp.app_template_global()
def my_notices() -> list[dict]:
    """The signed-in person's notices not yet dismissed, newest first, as words in their language and zone."""
    if not current_user.is_authenticated:
        return []
    rows = db.session.scalars(
        select(Notice).where(Notice.user_id == current_user.id, Notice.dismissed_at.is_(None))
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(20)
    ).all()
    return [_notice_view(row) for row in rows]


def _notice_view(notice: Notice) -> dict:
    zone, language = current_timezone(), current_language()
    if notice.kind == "clock_change":
        why, lines = clock_lines(notice.data, zone, language, translations_for(language))
        link = url_for("booking.detail", booking_id=notice.booking_id) if notice.booking_id else None
        return {"id": notice.id, "title": _("Clocks change"), "text": why, "lines": lines, "link": link,
                "link_text": _("See the session")}
    if notice.kind == "coordinators":  # a coordinator's words to a learner about their report
        return {"id": notice.id, "title": _("A message from the coordinators"), "text": notice.data.get("text", ""),
                "lines": [], "link": url_for("safeguarding.report"), "link_text": _("Write back with a new report")}
    data = notice.data
    starts = [datetime.fromisoformat(value.replace("Z", "+00:00")) for value in data.get("starts", [])]
    return {"id": notice.id, "title": _("%(name)s has free times you asked about", name=data.get("volunteer_name", "")),
            "text": "", "starts": starts, "lines": [],
            "link": url_for("volunteers.profile", volunteer_id=data.get("volunteer_id")), "link_text": _("See the times and book")}


@bp.post("/notices/<int:notice_id>/dismiss")
@login_required
def dismiss_notice(notice_id: int):
    """Close one of the signed-in person's notices (404 for anyone else's); back where they were."""
    ConfirmForm().validate_on_submit()  # the CSRF check (a failure is answered by the 400 handler)
    notice = db.session.get(Notice, notice_id) if 1 <= notice_id <= 2**31 - 1 else None
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    if notice.dismissed_at is None:
        notice.dismissed_at = utcnow()
        db.session.commit()
    if request.headers.get("HX-Request") == "true":
        return Response("", status=200)
    target = request.form.get("back", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("booking.sessions")
    return redirect(target, code=303)


# --- the waitlist ----------------------------------------------------------------------------


@bp.app_template_global()
def my_waitlist_request(volunteer_id: int):
    """The signed-in learner's open waitlist request for this volunteer, if any."""
    if not current_user.is_authenticated or not current_user.is_learner:
        return None
    return waiting_request(current_user.id, volunteer_id)


@bp.app_template_global()
def waitlist_range(request_row) -> str:
    """``18:00–21:00``."""
    return range_text(request_row)


def _minute(value: str | None) -> int | None:
    try:
        hours, minutes = (value or "").split(":")
        hour, minute = int(hours), int(minutes)
    except ValueError:
        return None
    return hour * 60 + minute if 0 <= hour < 24 and 0 <= minute < 60 else None


@bp.post("/volunteers/<int:volunteer_id>/waitlist")
@login_required
def waitlist_ask(volunteer_id: int):
    """Ask to be told when this volunteer has a free slot between two times of the learner's day."""
    volunteer: VolunteerProfile = visible_volunteer_or_404(volunteer_id, current_user)
    ConfirmForm().validate_on_submit()
    back = url_for("volunteers.profile", volunteer_id=volunteer.id) + "#waitlist"
    start, end = _minute(request.form.get("start")), _minute(request.form.get("end"))
    if start is None or end is None:
        flash(_("Give two times of day, such as 18:00 and 21:00."), "error")
        return redirect(back, code=303)
    try:
        ask(current_user, volunteer.id, start, end)
    except BookingError as error:
        flash(error.message, "error")
        return redirect(back, code=303)
    flash(_("We will tell you when %(name)s has a free time in that range.", name=volunteer.user.display_name), "success")
    return redirect(back, code=303)


@bp.post("/waitlist/<int:request_id>/withdraw")
@login_required
def waitlist_withdraw(request_id: int):
    """Stop waiting (the learner's own request only)."""
    ConfirmForm().validate_on_submit()
    try:
        row = withdraw(current_user.id, request_id)
    except BookingError:
        abort(404)
    flash(_("You are no longer on the waitlist."), "success")
    return redirect(url_for("volunteers.profile", volunteer_id=row.volunteer_id) + "#waitlist", code=303)
