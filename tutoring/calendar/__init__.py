"""The calendar core: iCalendar invites (iMIP) and feeds for booked sessions.

Plain Python: no Flask and no SQLAlchemy here. Dataclasses in, bytes out:
calendars, and whole emails (``OutgoingMail``, or read back as
``email.message.EmailMessage``). See SPEC §5 and docs/CALENDAR.md.
"""
from tutoring.calendar.feed import etag_for, feed_ics, is_not_modified, last_modified_for
from tutoring.calendar.invite import change_method, invite_email, invite_ics, invite_mail, method_for
from tutoring.calendar.mime import OutgoingMail
from tutoring.calendar.model import CalendarSession, Person
from tutoring.calendar.text import session_title, translations_for
from tutoring.calendar.vtimezone import add_timezones, vtimezone_for

__all__ = [
    "CalendarSession",
    "OutgoingMail",
    "Person",
    "add_timezones",
    "change_method",
    "etag_for",
    "feed_ics",
    "invite_email",
    "invite_ics",
    "invite_mail",
    "is_not_modified",
    "last_modified_for",
    "method_for",
    "session_title",
    "translations_for",
    "vtimezone_for",
]
