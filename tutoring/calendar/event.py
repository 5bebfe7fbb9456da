"""One session as a VEVENT, shared by invites and feeds.

Times are written in UTC (``DTSTART:20261201T130000Z``), not as local time
with a TZID, because:

* a booking *is* a UTC instant in our database; UTC in the file is that
  instant exactly, with no second copy of the zone rules in between. A client
  that resolves a TZID with its own (possibly older or newer) zone data could
  move the event away from the booking (FIELD-NOTES, Cal.com #30104);
* slots are laid in real elapsed time (SPEC §2), so on a fall-back night a
  session can start at the *second* 01:30. A local time with a TZID always
  means the first one (RFC 5545 §3.3.5), so it cannot say that;
* each booking is its own event (no RRULE), so there is no recurrence that
  would need to follow the volunteer's wall clock across a DST change.

Every client shows UTC events in its user's own zone, and the email body
names the time in the recipient's zone and language.
"""
from __future__ import annotations

import re
from datetime import datetime

from icalendar import Event, vCalAddress, vText

from tutoring.calendar.model import CalendarSession, Person
from tutoring.calendar.text import N_, Translate, identity, session_title

PRODID = "-//tutoring//tutoring calendar 1.0//EN"

_DESCRIPTION = N_("Booking details: %(link)s")


def session_event(
    session: CalendarSession,
    viewer: Person,
    translate: Translate = identity,
    *,
    organizer: vCalAddress | None = None,
    attendees: list[vCalAddress] | None = None,
) -> Event:
    """The VEVENT for ``session`` as ``viewer`` sees it, in ``viewer``'s language via ``translate``.

    The title is neutral for support sessions and the description holds only
    the link to the booking in the app: nothing private is ever written.
    """
    return Event.new(
        uid=session.uid,
        sequence=session.sequence,
        # In a feed DTSTAMP means "last changed", and in an invite the change
        # is what the message is about: either way it is ``changed_at``, which
        # keeps the bytes identical while nothing changes.
        stamp=session.changed_at,
        last_modified=session.changed_at,
        start=session.start_at,
        end=session.end_at,
        **_said(session, viewer, translate),
        organizer=organizer,
        attendees=attendees,
    )


def _said(session: CalendarSession, viewer: Person, translate: Translate) -> dict[str, str | None]:
    """What the event says beyond the session's own values (one place for ``session_event`` and ``event_ics``)."""
    return {
        "summary": session_title(session, viewer, translate),
        "description": translate(_DESCRIPTION) % {"link": session.url},
        "status": "CANCELLED" if session.is_cancelled else "CONFIRMED",
        # Where the session happens, else the booking page: a client's
        # "open link" should lead somewhere useful either way.
        "url": session.meeting_url or session.url,
        "location": session.meeting_url,
        "transparency": "TRANSPARENT" if session.is_cancelled else "OPAQUE",
    }


def event_ics(session: CalendarSession, viewer: Person, translate: Translate = identity) -> bytes:
    """``session_event(session, viewer, translate).to_ical()``, the same bytes, written without building an ``Event``.

    A feed writes dozens of events, and icalendar's components cost some
    0.25 ms each to build and write. Text is escaped by icalendar's own
    ``vText``; the other values are written as its types write them (a URL
    and a number as they are: the model allows no line breaks in a URL); the
    lines come in icalendar's order (its canonical order, then by name) and
    are folded as it folds. Tests compare the bytes with ``session_event``'s
    over generated sessions (test_calendar_feed_blocks.py).
    """
    said = _said(session, viewer, translate)
    stamp = _utc(session.changed_at)
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _text(said["summary"]),
        "DTSTART:" + _utc(session.start_at),
        "DTEND:" + _utc(session.end_at),
        "DTSTAMP:" + stamp,
        "UID:" + _text(session.uid),
        f"SEQUENCE:{int(session.sequence)}",
        "DESCRIPTION:" + _text(said["description"]),
        "LAST-MODIFIED:" + stamp,
        *(() if said["location"] is None else ("LOCATION:" + _text(said["location"]),)),
        "STATUS:" + said["status"],  # CONFIRMED or CANCELLED: nothing to escape
        "TRANSP:" + said["transparency"],  # OPAQUE or TRANSPARENT
        "URL:" + said["url"],
        "END:VEVENT",
    ]
    return b"".join(map(fold, lines))


# vText's escaping changes only these characters (RFC 5545 §3.3.11; its ``\N`` starts with a backslash).
_ESCAPED = re.compile(r"[\\;,\r\n]")


def _text(value: str) -> str:
    # Most values have nothing to escape, and building a vText costs more than looking.
    return vText(value).to_ical().decode() if _ESCAPED.search(value) else value


def _utc(instant: datetime) -> str:
    """As ``vDatetime`` writes a UTC instant (a ``CalendarSession``'s are all in UTC)."""
    return (f"{instant.year:04}{instant.month:02}{instant.day:02}"
            f"T{instant.hour:02}{instant.minute:02}{instant.second:02}Z")


def attendee(person: Person, *, partstat: str = "ACCEPTED") -> vCalAddress:
    """``person`` as an ATTENDEE: a required participant who has accepted; no RSVP is asked for.

    There is no reply flow (nothing reads replies to the service's mailbox);
    changes happen in the app, linked from the description and the email.
    """
    return vCalAddress.new(
        person.email,
        cn=person.name,
        cutype="INDIVIDUAL",
        role="REQ-PARTICIPANT",
        partstat=partstat,
        rsvp=False,
        language=person.language,
    )


def organizer_address(email: str, name: str | None) -> vCalAddress:
    """The ORGANIZER: a bare ``mailto:`` of the service's sender (Gmail shows "Unknown organizer" without it)."""
    return vCalAddress.new(email, cn=name or None)


# RFC 5545 §3.1: lines of at most 75 octets. icalendar folds before the octet
# that would reach 75, so its lines have at most 74; ours must be the same bytes.
_FOLD_AT = 75


def fold(line: str) -> bytes:
    """One content line as icalendar writes it (``Contentline.to_ical``), with its CRLF.

    Long lines break before the character that would make 75 octets, and a
    trailing ``\\`` or ``^`` moves to the next line with what it escapes
    (icalendar #1501).
    """
    data = line.encode()
    if len(data) < _FOLD_AT:
        return data + b"\r\n"
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = 1 if char < "\x80" else 2 if char < "\u0800" else 3 if char < "\U00010000" else 4
        if current and count + size >= _FOLD_AT:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                pieces.append("".join(current))
                current, count = [carried], 1
            else:
                pieces.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    pieces.append("".join(current))
    return "\r\n ".join(pieces).encode() + b"\r\n"

