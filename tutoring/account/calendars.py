"""A volunteer's own calendars on the settings page: connect one, read it now, remove it.

The panel (``account/_external_calendar.html``) is part of the profile and
settings page and also a page of its own (``/me/calendars``), where a form
with errors comes back. Every change is one service call
(``tutoring.services.schedules.external_calendars``); a plain form post gets a
redirect, an HTMX request the panel alone. The address, user name and
password are never shown back: the panel names the server only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, StringField

from tutoring.account.blueprint import bp
from tutoring.account.loaders import current_volunteer
from tutoring.forms import ServiceErrors
from tutoring.extensions import limiter
from tutoring.htmx import is_fragment_request, render_page_or_fragment
from tutoring.models import ExternalCalendar
from tutoring.services.schedules.external_calendars import (
    CalendarError,
    CalendarNotFound,
    busy_counts,
    calendars_of,
    connect_calendar,
    disconnect_calendar,
    error_message,
    refresh_own_calendar,
    setting,
)

PAGE = "account/external_calendars.html"
PANEL = "account/_external_calendar.html"
TARGET = "own-calendars"
# Each read makes this server fetch an address a user chose: keep it rare.
READ_LIMIT = "20 per hour"


class CalendarForm(ServiceErrors, FlaskForm):
    """An ICS address or a CalDAV calendar, with optional sign-in details."""

    kind = RadioField(
        _l("Kind of calendar"),
        choices=[
            SelectChoice("ics", _l("A subscription address (ICS), e.g. Google's secret address")),
            SelectChoice("caldav", _l("A CalDAV calendar, e.g. Nextcloud or Fastmail")),
        ],
        default="ics",
        validate_choice=False,
    )
    url = StringField(
        _l("Calendar address"),
        # Its hint is in the panel's template: the address examples there are <bdi> for Arabic.
        render_kw={"dir": "ltr", "spellcheck": "false", "autocomplete": "off", "inputmode": "url", "maxlength": 2000},
    )
    username = StringField(
        _l("User name"),
        description=_l("Only if the calendar server asks for one."),
        render_kw={"dir": "ltr", "autocomplete": "off", "maxlength": 200},
    )
    password = PasswordField(
        _l("Password"),
        description=_l("Use an app password if your provider offers one. It is stored encrypted."),
        render_kw={"autocomplete": "new-password", "maxlength": 500},
    )


@dataclass(frozen=True)
class CalendarRow:
    """One connected calendar as the panel shows it."""

    calendar: ExternalCalendar
    upcoming_busy: int
    warning: str | None


@dataclass(frozen=True)
class Panel:
    """Everything the panel shows."""

    rows: list[CalendarRow]
    form: CalendarForm
    message: str | None = None
    can_add: bool = True

    @property
    def any_warning(self) -> bool:
        """Whether some calendar could not be read the last time."""
        return any(row.warning for row in self.rows)


def build_panel(volunteer_id: int, form: CalendarForm | None = None, message: str | None = None,
                now: datetime | None = None) -> Panel:
    """The panel of ``volunteer_id``'s calendars."""
    calendars = calendars_of(volunteer_id)
    counts = busy_counts([calendar.id for calendar in calendars], now)
    rows = [
        CalendarRow(calendar, counts.get(calendar.id, 0), error_message(calendar.last_error) if calendar.last_error else None)
        for calendar in calendars
    ]
    return Panel(
        rows=rows,
        form=form or CalendarForm(formdata=None),
        message=message,
        can_add=len(calendars) < int(setting("CALENDAR_MAX_PER_VOLUNTEER")),
    )


@bp.context_processor
def _calendar_panel() -> dict:
    # The settings page includes the panel; it asks for its data only when it is rendered.
    def external_calendar_panel() -> Panel | None:
        if not current_user.is_authenticated or not current_user.is_volunteer or current_user.volunteer_profile is None:
            return None
        return build_panel(current_user.id)

    return {"external_calendar_panel": external_calendar_panel}


@bp.get("/calendars")
def external_calendars():
    """The volunteer's own calendars: connected ones with how reading them went, and a form to connect another."""
    volunteer = current_volunteer()
    return render_page_or_fragment(PAGE, PANEL, hx_target=TARGET, panel=build_panel(volunteer.id))


@bp.post("/calendars")
@limiter.limit(READ_LIMIT, key_func=lambda: f"calendar-read:{current_user.get_id()}")
def connect_external_calendar():
    """Connect a calendar: it is read once right away, and saved only if that works."""
    volunteer = current_volunteer()
    form = CalendarForm()
    try:
        connect_calendar(volunteer.id, form.kind.data or "", form.url.data or "", form.username.data or "",
                         form.password.data or "")
    except CalendarNotFound:
        abort(404)
    except CalendarError as error:
        form.show_error(error)
        form.password.data = ""  # never sent back
        return render_page_or_fragment(PAGE, PANEL, hx_target=TARGET, panel=build_panel(volunteer.id, form))
    return _changed(volunteer.id, _("Calendar connected. Times it shows as busy are no longer offered."))


@bp.post("/calendars/<int:calendar_id>/refresh")
@limiter.limit(READ_LIMIT, key_func=lambda: f"calendar-read:{current_user.get_id()}")
def refresh_external_calendar(calendar_id: int):
    """Read one of the volunteer's calendars now."""
    volunteer = current_volunteer()
    try:
        calendar = refresh_own_calendar(volunteer.id, calendar_id)
    except CalendarNotFound:
        abort(404)
    if calendar.last_error:
        message = _("The calendar could not be read. The busy times read before are still used.")
    else:
        message = _("Calendar read just now.")
    return _changed(volunteer.id, message)


@bp.post("/calendars/<int:calendar_id>/delete")
def delete_external_calendar(calendar_id: int):
    """Disconnect a calendar: its address, sign-in details and busy times are deleted."""
    volunteer = current_volunteer()
    try:
        disconnect_calendar(volunteer.id, calendar_id)
    except CalendarNotFound:
        abort(404)
    return _changed(volunteer.id, _("Calendar removed."))


def _changed(volunteer_id: int, message: str) -> Response:
    """HTMX gets the panel again with ``message``; a plain post goes back to the settings page (POST-redirect-GET)."""
    if is_fragment_request():
        return render_page_or_fragment(PAGE, PANEL, hx_target=None, panel=build_panel(volunteer_id, message=message))
    flash(message, "success")
    return redirect(url_for("account.profile") + "#" + TARGET)
