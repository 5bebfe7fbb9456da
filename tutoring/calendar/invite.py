"""iMIP invites (RFC 5546 / RFC 6047): the .ics and the email that carries it (SPEC §5).

One UID per booking for its whole life, SEQUENCE from the booking (it grows
with every change), METHOD:REQUEST for new and moved sessions, METHOD:CANCEL
with STATUS:CANCELLED for cancelled ones. The ORGANIZER is the service's
sender address and the recipient is the one ATTENDEE of their own copy, who
has already accepted; nobody is asked to RSVP, because changes are made in
the app (the email links to it), not by calendar replies.

Contact details never cross (SPEC §5, §7): the other person appears by
display name only, in the SUMMARY ("Tutoring with Amira"), never by address,
not even as a relay ATTENDEE (docs/CALENDAR.md says why). Each recipient gets
their own message, written in their language with times in their zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from icalendar import vCalAddress
from icalendar.parser import Contentline

from tutoring.calendar import mime
from tutoring.calendar.body import direction_of, html_body, text_body
from tutoring.calendar.event import PRODID, attendee, event_ics, fold, organizer_address
from tutoring.calendar.model import CalendarSession, Person
from tutoring.calendar.text import (
    N_,
    Translate,
    format_short,
    format_when,
    session_title,
    translations_for,
    zone_label,
    zone_short,
)
from tutoring.contact_details import hide_contact_details
from tutoring.timeutil import utcnow

Method = Literal["REQUEST", "CANCEL"]
Change = Literal["booked", "rescheduled", "cancelled"]

ATTACHMENT_NAME = "invite.ics"

_SUBJECTS = {
    "booked": N_("Booked: %(title)s, %(when)s"),
    "rescheduled": N_("Moved: %(title)s, %(when)s"),
    "cancelled": N_("Cancelled: %(title)s, %(when)s"),
}
_HEADLINES = {
    "booked": N_("This session is booked."),
    "rescheduled": N_("This session has moved to a new time."),
    "cancelled": N_("This session is cancelled."),
}
_GREETING = N_("Hello %(name)s,")
_WHEN = N_("When: %(when)s")
_ZONE = N_("Time zone: %(zone)s")
_JOIN = N_("Join: %(link)s")
_OPEN = N_("See, change or cancel the booking: %(link)s")
_OPEN_CANCELLED = N_("See the booking: %(link)s")
_CALENDAR_ADD = N_("The attached invite.ics puts this session in your calendar.")
_CALENDAR_REMOVE = N_("The attached invite.ics takes this session out of your calendar.")
_AUTOMATIC = N_("This email was sent automatically; replies are not read.")
_HELP = N_("Need help now? %(link)s")
_REASON = N_("Reason given: %(reason)s")
_REASON_ON_SITE = N_("A reason was given: it is on the booking's page.")
_SUBJECT_WHEN = N_("%(when)s (%(zone)s)")
# Contact details in a cancellation reason never cross by email (SPEC §7): tutoring.contact_details hides
# addresses, links, handles and phone numbers, as the pages do.
REASON_MAX_SHOWN = 500
_TITLE_LINE = "%(title)s"


def method_for(session: CalendarSession) -> Method:
    """``CANCEL`` for a cancelled session, else ``REQUEST`` (new or moved)."""
    return "CANCEL" if session.is_cancelled else "REQUEST"


def change_method(change: Change) -> Method:
    """The iTIP method that announces ``change``."""
    return "CANCEL" if change == "cancelled" else "REQUEST"


def invite_ics(
    session: CalendarSession,
    method: Method,
    organizer_email: str,
    organizer_name: str | None = None,
    *,
    recipient: Person,
    translate: Translate | None = None,
) -> bytes:
    """The iCalendar object (bytes, CRLF lines) announcing ``session`` to ``recipient``.

    ``translate`` defaults to the recipient's catalogue
    (``translations_for(recipient.language)``). Raises ``ValueError`` when
    ``method`` doesn't match the session's status, or when ``recipient`` is not
    one of its two people or is the organizer (Outlook won't treat such a
    message as an invitation).
    """
    _check(session, method, organizer_email, recipient)
    translate = translate or translations_for(recipient.language)
    # The VEVENT as event_ics writes it (the bytes session_event's Event
    # writes), with the people added where icalendar puts them: properties
    # after the canonical ones go by name, so ATTENDEE comes right before
    # DESCRIPTION and ORGANIZER right before STATUS, which every event has. A
    # line start can't be faked: text is escaped, folded lines start with a space.
    # The recipient is the only ATTENDEE: the other party's address never
    # goes into this copy (SPEC §7), only their name in the title.
    event = event_ics(session, recipient, translate)
    before, _, after = event.partition(b"\r\nDESCRIPTION:")
    event = before + b"\r\n" + _attendee_line(recipient) + b"DESCRIPTION:" + after
    before, _, after = event.partition(b"\r\nSTATUS:")
    event = before + b"\r\n" + _organizer_line(organizer_email, organizer_name) + b"STATUS:" + after
    # All times are UTC (no TZID), so no VTIMEZONE is needed: add_timezones would add none.
    return _CALENDAR_HEAD % method.encode("ascii") + event + b"END:VCALENDAR\r\n"


_CALENDAR_HEAD = b"".join(fold(line) for line in (
    "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
)) + b"METHOD:%s\r\n"


def _address_line(name: str, address: vCalAddress) -> bytes:
    """An ATTENDEE or ORGANIZER line as icalendar writes it (its parameter quoting, folded as it folds)."""
    return fold(Contentline.from_parts(name, address.params, address))


# A person gets several invites and every invite has the same organizer:
# each line is written once (a few hundred people are remembered).
@lru_cache(maxsize=512)
def _attendee_line(person: Person) -> bytes:
    return _address_line("ATTENDEE", attendee(person))


@lru_cache(maxsize=8)
def _organizer_line(email: str, name: str | None) -> bytes:
    return _address_line("ORGANIZER", organizer_address(email, name))


def invite_mail(
    session: CalendarSession,
    recipient: Person,
    change: Change,
    *,
    organizer_email: str,
    organizer_name: str | None = None,
    translate: Translate | None = None,
    sent_at: datetime | None = None,
    reason: str | None = None,
) -> mime.OutgoingMail:
    """The email telling ``recipient`` about ``change``, with the invite inline and attached, as wire bytes.

    Shape (CalConnect's iMIP practice): ``multipart/mixed`` holding a
    ``multipart/alternative`` of text/plain, text/html and ``text/calendar;
    method=...; charset=UTF-8``, then the same .ics as ``invite.ics``. From is
    the organizer's address; subject, body and times are in the recipient's
    language and zone. ``sent_at`` is the Date header (default: now). ``reason``: why a cancelled
    session was cancelled, for the other party (contact details hidden; a support session's reason stays
    on the site, the email only says there is one).
    """
    if change not in _SUBJECTS:
        raise ValueError(f"change must be one of {sorted(_SUBJECTS)}, not {change!r}")
    method = change_method(change)
    translate = translate or translations_for(recipient.language)
    ics = invite_ics(session, method, organizer_email, organizer_name, recipient=recipient, translate=translate)
    words = _Words.build(session, recipient, change, translate, reason=reason)
    subject = words.subject

    # Quoted-printable text: 7-bit safe through any relay, unlike 8bit, and
    # still readable as source. The inline calendar part is what clients act
    # on: its method= must equal the METHOD inside (RFC 5545 §3.7.2; Gmail
    # ignored a cancel without it); base64 keeps the CRLF line ends and
    # folded lines byte for byte. Some clients offer only attachments for
    # import, hence the same .ics again as a file.
    alternative = mime.multipart_part("alternative", [
        mime.text_part("plain", words.text()),
        mime.text_part("html", words.html()),
        mime.base64_part(f'text/calendar; method="{method}"; charset="UTF-8"', ics),
    ])
    attachment = mime.base64_part(
        "application/ics", ics, [("Content-Disposition", f'attachment; filename="{ATTACHMENT_NAME}"')]
    )
    content_type, body = mime.multipart("mixed", [alternative, attachment])
    head = mime.headers([
        ("From", mime.address("From", organizer_name or "", organizer_email)),
        ("To", mime.address("To", recipient.name, recipient.email)),
        ("Subject", mime.unstructured(subject, "Subject")),
        ("Date", format_datetime((sent_at or utcnow()).astimezone(UTC))),
        ("Message-ID", make_msgid(domain=organizer_email.rpartition("@")[2] or "localhost")),
        ("Auto-Submitted", "auto-generated"),  # RFC 3834: no vacation replies to the service
        ("Content-Language", recipient.language),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
    ])
    return mime.OutgoingMail(sender=organizer_email, subject=subject, data=head + b"\r\n" + body)


def invite_email(
    session: CalendarSession,
    recipient: Person,
    change: Change,
    *,
    organizer_email: str,
    organizer_name: str | None = None,
    translate: Translate | None = None,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """``invite_mail``'s bytes read back as an ``EmailMessage``, as a client reads them (with Unix line ends)."""
    mail = invite_mail(
        session, recipient, change, organizer_email=organizer_email, organizer_name=organizer_name,
        translate=translate, sent_at=sent_at,
    )
    # Parsed with "\n" line ends, like a message built in Python: text parts
    # then read without "\r"; the base64 calendar keeps its CRLFs either way.
    return message_from_bytes(mail.data.replace(b"\r\n", b"\n"), policy=policy.default)  # type: ignore[return-value]


def _check(session: CalendarSession, method: str, organizer_email: str, recipient: Person) -> None:
    """Refuse a message that some client would misread, rather than send it."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    if method != method_for(session):
        raise ValueError(f"a {session.status} session is announced with {method_for(session)}, not {method}")
    people = [session.volunteer, session.learner]
    if not any(person is not None and _same_address(person.email, recipient.email) for person in people):
        raise ValueError("the recipient must be the session's volunteer or learner")
    if _same_address(organizer_email, recipient.email):
        raise ValueError("the recipient must not be the organizer")


def _same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def masked_reason(reason: str | None) -> str:
    """A cancellation reason as an email may show it: one line, contact details hidden, at most 500 characters."""
    text = hide_contact_details(" ".join((reason or "").split()))
    return text if len(text) <= REASON_MAX_SHOWN else text[: REASON_MAX_SHOWN - 1] + "…"



@dataclass(frozen=True)
class _Words:
    """The texts of one email, already in the recipient's language and zone."""

    translate: Translate
    language: str
    change: Change
    session: CalendarSession
    values: dict[str, str]
    reason: str = ""

    @classmethod
    def build(cls, session: CalendarSession, recipient: Person, change: Change, translate: Translate, *,
              reason: str | None = None) -> _Words:
        """Work out every value once: title, times and zone as the recipient reads them."""
        zone, language = recipient.timezone, recipient.language
        values = {
            "name": recipient.name,
            "title": session_title(session, recipient, translate),
            "when": format_when(session.start_at, session.end_at, zone, language),
            # The offset in force at the session, not today's: on the other
            # side of a DST change they differ.
            "zone": zone_label(zone, session.start_at, language, translate, until=session.end_at),
            "subject_when": translate(_SUBJECT_WHEN) % {
                "when": format_short(session.start_at, zone, language),
                "zone": zone_short(zone, session.start_at, language, translate),
            },
        }
        shown_reason = masked_reason(reason) if change == "cancelled" else ""
        return cls(translate, language, change, session, values, shown_reason)

    @property
    def subject(self) -> str:
        """The subject line: what happened, to which session, when."""
        return self.translate(_SUBJECTS[self.change]) % {
            "title": self.values["title"], "when": self.values["subject_when"]
        }

    @property
    def direction(self) -> str:
        """``rtl`` for Arabic, else ``ltr``."""
        return direction_of(self.language)

    def _paragraphs(self) -> list[list[tuple[str, dict[str, str]]]]:
        """The body as paragraphs of lines, each line a (message id, placeholders) pair."""
        cancelled = self.change == "cancelled"
        values, session = self.values, self.session
        details = [(_TITLE_LINE, {"title": values["title"]}), (_WHEN, {"when": values["when"]}),
                   (_ZONE, {"zone": values["zone"]})]
        if session.meeting_url and not cancelled:
            details.append((_JOIN, {"link": session.meeting_url}))
        headline = [(_HEADLINES[self.change], {})]
        if self.reason:
            # Support sessions are described neutrally by email (SPEC §5): their reason stays on the site.
            headline.append((_REASON_ON_SITE, {}) if session.kind == "support" else (_REASON, {"reason": self.reason}))
        return [
            [(_GREETING, {"name": values["name"]})],
            headline,
            details,
            [(_OPEN_CANCELLED if cancelled else _OPEN, {"link": session.url})],
            *([[(_HELP, {"link": session.help_url})]] if session.help_url else []),
            [(_CALENDAR_REMOVE if cancelled else _CALENDAR_ADD, {}), (_AUTOMATIC, {})],
        ]

    def _message(self, msgid: str) -> str:
        # The title line is layout, not a sentence to translate.
        return msgid if msgid == _TITLE_LINE else self.translate(msgid)

    def text(self) -> str:
        """The text/plain body."""
        return text_body(self._paragraphs(), self._message)

    def html(self) -> str:
        """The text/html body: the same words, values isolated with <bdi>, links clickable."""
        return html_body(self._paragraphs(), self._message, language=self.language, subject=self.subject)
