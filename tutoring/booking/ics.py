"""A booking for people's own calendars: the "Add to calendar" .ics download and the Google Calendar link.

Built with the calendar core (``tutoring.calendar``), from the same booking
fields as the emailed invites, so the UID and SEQUENCE match and a calendar
that already holds the invite updates that event instead of adding another.
A download is a copy, not an invitation: no METHOD (a ``METHOD:PUBLISH``
without ORGANIZER is invalid iTIP, which libical flags; RFC 5545 files
need no METHOD), no ORGANIZER or ATTENDEEs. Like every calendar we write, it carries no note and
no support topic: the description is only the link to the booking.
"""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from icalendar import Calendar

from tutoring.calendar import Person, add_timezones, session_title, translations_for
from tutoring.calendar.event import PRODID, session_event
from tutoring.models import Booking, User
from tutoring.services.notices.notifications import calendar_session, group_calendar_session


def _calendar_session(booking: Booking, viewer: User):
    """The event as ``viewer``'s calendar holds it: a group session's volunteer has one event for the whole session."""
    if booking.session.is_group and viewer.id == booking.session.volunteer_id:
        return group_calendar_session(booking.session)
    return calendar_session(booking)

GOOGLE_TEMPLATE_URL = "https://calendar.google.com/calendar/render"


def person(user: User, language: str | None = None) -> Person:
    """``user`` as the calendar core names people (``language`` overrides the account's, e.g. the page's)."""
    return Person(name=user.display_name, email=user.email, language=language or user.language, timezone=user.timezone)


def download_ics(booking: Booking, viewer: User, language: str) -> bytes:
    """The .ics "Add to calendar" file for ``viewer`` (one of the booking's two people), in ``language``."""
    # The invites' own conversion: same UID, SEQUENCE, link and meeting room.
    session = _calendar_session(booking, viewer)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add_component(session_event(session, person(viewer, language), translations_for(language)))
    return add_timezones(calendar).to_ical()


def _google_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_link(booking: Booking, viewer: User, language: str) -> str:
    """A Google Calendar "add event" link: the neutral title, UTC times, and only the app link as details."""
    session = _calendar_session(booking, viewer)
    translate = translations_for(language)
    query = {
        "action": "TEMPLATE",
        "text": session_title(session, person(viewer, language), translate),
        "dates": f"{_google_time(session.start_at)}/{_google_time(session.end_at)}",
        "details": session.url,
    }
    if session.meeting_url:
        # Where the session happens, like the invite's LOCATION (issue 21).
        query["location"] = session.meeting_url
    return f"{GOOGLE_TEMPLATE_URL}?{urlencode(query)}"
