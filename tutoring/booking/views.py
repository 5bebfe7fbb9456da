"""Views of the booking blueprint: book a slot, a booking's page and .ics, "My sessions", cancel, move, record.

Thin: read the request, call ``tutoring.booking.operations`` (through the engine, which owns the
transaction and every rule), render or redirect. A booking is always loaded
through ``party_booking_or_404``: anyone but its learner and its volunteer
gets 404. Changes are POST forms with a CSRF token; on "My sessions" htmx
swaps the one row (``#booking-<id>``), and without JavaScript the same forms
post and redirect back.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tutoring.booking.blueprint import bp
from tutoring.booking.forms import BookForm, CancelForm, ConfirmForm
from tutoring.booking.ics import download_ics, google_calendar_link
from tutoring.booking.pages import (
    offered_slot,
    parse_instant,
    party_booking_or_404,
    my_sessions,
    session_view,
    slots_around,
)
from tutoring.calendar.text import format_when
from tutoring.extensions import login_manager
from tutoring.help_prompt import offer_help_if_crisis
from tutoring.htmx import is_fragment_request, render_page_or_fragment
from tutoring.i18n import current_language, current_timezone
from tutoring.scheduling import Busy
from tutoring.booking.errors import BookingError, SlotUnavailable
from tutoring.booking.operations import book_session, cancel_booking, mark_completed, mark_no_show, reschedule_booking
from tutoring.services.coordinators.coordination import bookable_kinds
from tutoring.models import Booking
from tutoring.timeutil import utc_iso, utcnow
from tutoring.booking.browse import local_today, parse_week, viewer_zone, visible_volunteer_or_404, week_of_slots

WEEK_TARGET = "week"


@bp.app_template_global()
def session_when(start_at: datetime, end_at: datetime, zone: str) -> str:
    """A session's day and times in ``zone`` for people: ``Tuesday, January 12, 2027, 9:45 PM – 10:15 PM``."""
    return format_when(start_at, end_at, zone, current_language())


def _row_target(booking_id: int) -> str:
    return f"booking-{booking_id}"


# --- booking a slot ----------------------------------------------------------------------------


@bp.route("/volunteers/<int:volunteer_id>/book", methods=["GET", "POST"])
def new(volunteer_id: int):
    """The chosen slot in both zones and, for a learner, the form that books it; POST books it.

    Visitors see the slot and can sign in or create a learner account
    without losing it (both come back here through ``next``).
    """
    volunteer = visible_volunteer_or_404(volunteer_id, current_user)
    if request.method == "POST" and not current_user.is_authenticated:
        return login_manager.unauthorized()
    now = utcnow()
    context = _book_context(volunteer, now)
    start_at, form = context["start_at"], context["form"]
    if start_at is None:
        # A link without a usable time: say so, and offer their next free times.
        return _book_page(context, volunteer, None, now, problem=_("This link doesn't name a time we can book."),
                          status=400)
    slot = offered_slot(volunteer, start_at, now, kind=context["wanted_kind"])
    if slot is None:
        status = 409 if request.method == "POST" else 200  # a POST lost the race; a GET followed an old link
        return _book_page(context, volunteer, start_at, now, problem=_gone_message(volunteer), status=status)
    context["slot"] = slot
    can_book = current_user.is_authenticated and current_user.is_learner and current_user.id != volunteer.id
    if request.method == "GET" or not can_book:
        return _book_page(context, volunteer, start_at, now, status=403 if request.method == "POST" else 200)

    offer_help_if_crisis(form.note.data)  # whatever happens to the booking, the writer sees where help is
    if not form.validate_on_submit():
        return _book_page(context, volunteer, start_at, now, status=400)
    try:
        booking = book_session(current_user.id, volunteer.id, slot.start_at, form.kind.data, form.note.data or "")
    except BookingError as error:  # the API's status and words: 409 taken or busy, 422 a bad field
        if isinstance(error, SlotUnavailable):
            context.pop("slot")  # gone: the page offers the next free times instead
        if error.field in ("kind", "note"):
            form.show_error(error)
            return _book_page(context, volunteer, start_at, now, status=error.status)
        return _book_page(context, volunteer, start_at, utcnow(), problem=error.message, status=error.status)
    flash(_("Your session is booked."), "success")
    return redirect(url_for("booking.detail", booking_id=booking.id), code=303)


def _book_context(volunteer, now: datetime) -> dict:
    """What the booking page shows before any decision: the asked-for time in the viewer's zone and the form."""
    start_at = parse_instant(request.args.get("start"), now)
    zone = current_timezone()
    # The kinds book_session would accept are offered; the volunteer's other kinds get the engine's refusal.
    form = BookForm(bookable_kinds(volunteer.id, volunteer.kinds), accepted=list(volunteer.kinds))
    wanted_kind = request.args.get("kind")
    if request.method == "GET" and wanted_kind in form.offered:
        form.kind.data = wanted_kind  # the kind chosen in the search (issue 22)
    else:
        wanted_kind = None
    return {
        "volunteer": volunteer,
        "start_at": start_at,
        "zone": zone,
        "now": now,
        "form": form,
        "here": url_for("booking.new", volunteer_id=volunteer.id, start=request.args.get("start"), kind=wanted_kind),
        "start_day": start_at.astimezone(ZoneInfo(zone)).date() if start_at is not None else None,
        "wanted_kind": wanted_kind,
    }


def _gone_message(volunteer) -> str:
    if not volunteer.is_bookable:
        return _("This volunteer is not taking new bookings at the moment.")
    return _("This time is not available any more. Please choose another time.")


def _book_page(context: dict, volunteer, start_at, now, *, problem: str | None = None, status: int = 200) -> Response:
    """The booking page; when there is a problem, with fresh slots of the volunteer near the time asked for."""
    alternatives = slots_around(volunteer, start_at, now, kind=context.get("wanted_kind")) if problem else []
    body = render_template("booking/book.html", problem=problem, alternatives=alternatives, **context)
    return Response(body, status=status)


# --- one booking -------------------------------------------------------------------------------


def _detail_context(booking_id: int) -> dict:
    booking = party_booking_or_404(booking_id)
    view = session_view(booking, current_user.id, utcnow())
    language = current_language()
    return {
        "view": view,
        "booking": booking,
        "zone": current_timezone(),
        "now": view.now,
        "google_link": google_calendar_link(booking, current_user, language),
    }


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    """A booking's own page (also where booking leads): the time in both zones, add-to-calendar, the actions.

    An htmx request aimed at the booking's row on "My sessions" gets that row (the "keep it" of a cancel form).
    """
    context = _detail_context(booking_id)
    return render_page_or_fragment(
        "booking/detail.html", "booking/_session_row.html", hx_target=_row_target(booking_id), **context
    )


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def download(booking_id: int):
    """The booking as an .ics file for the viewer's own calendar (its two people only; same UID as the invites)."""
    booking = party_booking_or_404(booking_id)
    body = download_ics(booking, current_user, current_language())
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="session-{booking.id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


# --- my sessions -------------------------------------------------------------------------------


@bp.get("/sessions")
@login_required
def sessions():
    """The signed-in person's sessions, upcoming and past, in their zone, with what they can do to each."""
    return render_template(
        "booking/sessions.html", mine=my_sessions(current_user, utcnow()), zone=current_timezone(), now=utcnow()
    )


def _row_or_redirect(booking_id: int, message: str, *, error: bool = False, status: int = 200):
    """After a change: the updated row for an htmx swap of it, else a flash and back to "My sessions"."""
    if is_fragment_request(_row_target(booking_id)):
        context = _detail_context(booking_id)
        response = render_page_or_fragment(
            "booking/detail.html", "booking/_session_row.html", hx_target=_row_target(booking_id),
            row_message=message, row_error=error, **context,
        )
        # htmx swaps only 2xx answers: a refusal is still shown in the row.
        return response
    flash(message, "error" if error else "success")
    return redirect(url_for("booking.sessions"), code=303)


def _htmx_page_path() -> str:
    """The path of the page an htmx request came from (its ``HX-Current-URL``), or ""."""
    return urlsplit(request.headers.get("HX-Current-URL", "")).path


def _session_lists_after_cancel(booking_id: int, message: str) -> Response:
    """On "My sessions", both lists again (the cancelled session now under "Past and cancelled"), swapped in
    place of the row's target; the message stays on the cancelled session."""
    now = utcnow()
    response = make_response(render_template(
        "booking/_session_lists.html", mine=my_sessions(current_user, now), zone=current_timezone(), now=now,
        row_message=message, row_error=False, row_message_for=booking_id,
    ))
    response.headers["HX-Retarget"] = "#session-lists"
    response.headers["HX-Reswap"] = "outerHTML"
    response.vary.add("HX-Request")
    return response


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """Cancel a booking (either person), with an optional reason: a confirmation form, then the POST."""
    context = _detail_context(booking_id)
    form = CancelForm()
    if request.method == "POST":
        offer_help_if_crisis(form.reason.data)
    if form.validate_on_submit():
        try:
            cancel_booking(current_user.id, booking_id, form.reason.data or None)
        except BookingError as error:
            return _row_or_redirect(booking_id, error.message, error=True)
        message = _("The session is cancelled. We let the other person know.")
        if is_fragment_request(_row_target(booking_id)) and _htmx_page_path() == url_for("booking.sessions"):
            return _session_lists_after_cancel(booking_id, message)
        return _row_or_redirect(booking_id, message)
    status = 400 if request.method == "POST" else 200
    response = render_page_or_fragment(
        "booking/cancel.html", "booking/_cancel_form.html", hx_target=_row_target(booking_id), form=form, **context
    )
    response.status_code = status
    return response


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(booking_id: int):
    """Move a booking to another offered slot of the same volunteer: pick one in a week, confirm, POST.

    The week is the volunteer's week page (``volunteers/_week.html``) with
    the booking's own session treated as free, its slots leading here with
    ``?start=``; htmx swaps the week alone, as on the volunteer's page.
    """
    context = _detail_context(booking_id)
    booking, now = context["booking"], context["now"]
    zone = viewer_zone(request.args.get("tz"))
    today = local_today(zone.name, now)
    chosen = parse_instant(request.args.get("start"), now)
    problem, status = None, 200
    if request.args.get("start") and chosen is None:
        problem, status = _("This link doesn't name a time we can book."), 400

    if chosen is not None and chosen == booking.session.start_at:
        problem, status, chosen = _("That is the session's time now: choose another time."), 409, None

    form = ConfirmForm()
    if chosen is not None and context["view"].can_reschedule and form.validate_on_submit():
        try:
            reschedule_booking(current_user.id, booking_id, chosen)
        except BookingError as error:
            problem, status, chosen = error.message, error.status, None
        else:
            flash(_("The session has moved to its new time. We let the other person know."), "success")
            return redirect(url_for("booking.detail", booking_id=booking_id), code=303)

    week = _reschedule_week(booking, zone, chosen, today, now)
    if chosen is not None and week["chosen"] is None:
        problem, status = _("This time is not available any more. Please choose another time."), 409
    context.update(zone=zone, now=now)
    response = render_page_or_fragment("booking/reschedule.html", "volunteers/_week.html", hx_target=WEEK_TARGET,
                                       form=form, problem=problem, **week, **context)
    response.status_code = status
    return response


def _reschedule_week(booking: Booking, zone, chosen: datetime | None, today, now: datetime) -> dict:
    """The volunteer's week to move to (``?week=``, else the chosen time's week, else this one), with the
    booking's own session treated as free and each slot leading back to the reschedule page."""
    week_arg = request.args.get("week")
    if not week_arg and chosen is not None:
        week_arg = chosen.astimezone(ZoneInfo(zone.name)).date().isoformat()
    monday, week_error = parse_week(week_arg, today)
    volunteer = visible_volunteer_or_404(booking.session.volunteer_id, current_user)
    own = Busy(booking.session.start_at, booking.session.end_at)
    week = week_of_slots(volunteer, monday, zone.name, now, ignoring=own, kind=booking.session.kind)

    def move_href(_volunteer_id: int, slot_start: datetime) -> str:
        return url_for("booking.reschedule", booking_id=booking.id, start=utc_iso(slot_start), tz=zone.override)

    def week_href(week_monday) -> str:
        return url_for("booking.reschedule", booking_id=booking.id, week=week_monday.isoformat(), tz=zone.override)

    def slot_action(day: str, time: str) -> str:
        return _("Move to %(day)s at %(time)s", day=day, time=time)

    return {
        "volunteer": volunteer, "week": week, "week_error": week_error, "booking_href": move_href,
        "week_href": week_href, "slot_action": slot_action, "current_start": booking.session.start_at,
        "chosen": next((slot for day in week.days for slot in day.slots if slot.start_at == chosen), None),
    }


def _record(booking_id: int, mark) -> Response:
    """Record how a past session went with ``mark`` (a service function), then show the row or go back."""
    party_booking_or_404(booking_id)  # 404 for strangers before anything else
    ConfirmForm().validate_on_submit()  # the CSRF check (a failure is answered by the 400 handler)
    try:
        mark(current_user.id, booking_id)
    except BookingError as error:
        return _row_or_redirect(booking_id, error.message, error=True)
    return _row_or_redirect(booking_id, _("Thank you, it is recorded."))


@bp.post("/bookings/<int:booking_id>/completed")
@login_required
def completed(booking_id: int):
    """The volunteer records that the session took place (after it ended)."""
    return _record(booking_id, mark_completed)


@bp.post("/bookings/<int:booking_id>/no-show")
@login_required
def no_show(booking_id: int):
    """The volunteer records that the learner didn't come (after the session ended)."""
    return _record(booking_id, mark_no_show)
