"""The emails a booking causes: iMIP invites on every change, and reminders before the session.

This module turns database rows into the calendar core's plain data
(``Person``, ``CalendarSession``) and the core's output into outbox rows. It
reads only what a message may show: names, addresses, languages, zones,
times, UID/SEQUENCE, kind (for the title; support sessions are titled
neutrally by the core) and the meeting address. A booking's ``note`` is never
read here, so it can't reach an email. Its ``cancel_reason`` goes only into
the cancellation notice of the party who didn't cancel, with contact details
hidden by the core, and never for a support session (issue 22).

Every message is written in its recipient's language and zone, and queued
in the caller's transaction (``tutoring.services.notices.outbox``).

A group session (capacity above 1) is one event for its volunteer, with the
session's own UID (``session_uid``) and SEQUENCE: one REQUEST when its first
seat is booked, one CANCEL when it ends up cancelled, one reminder per offset,
and no learner named. Each learner still gets their own seat's messages
(docs/GROUPS.md).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app
from sqlalchemy import delete, func, select

from tutoring.calendar import CalendarSession, Person, invite_mail, mime, session_title, translations_for
from tutoring.calendar.body import html_body, text_body
from tutoring.calendar.text import N_, format_short, format_when, zone_label, zone_short
from tutoring.extensions import db
from tutoring.models import Booking, OutboxMessage, Session, User
from tutoring.services.notices import outbox
from tutoring.services.notices.meeting import meeting_url_for_uid, session_uid

log = logging.getLogger(__name__)

DEFAULT_ORGANIZER_NAME = "Tutoring"
CHANGES = ("booked", "rescheduled", "cancelled")



# --- people and sessions as the calendar core sees them ---------------------


def person_for(user: User) -> Person:
    """``user`` as the calendar core's ``Person``: display name, address, language, zone."""
    return Person(user.display_name, user.email, user.language, user.timezone)


def organizer() -> tuple[str, str]:
    """The service's sender as (address, display name), from ``MAIL_DEFAULT_SENDER`` (``Name <addr>`` or ``addr``)."""
    return _sender(current_app.config["MAIL_DEFAULT_SENDER"])


@lru_cache(maxsize=8)
def _sender(configured: str) -> tuple[str, str]:
    # Parsed once per setting rather than for every message (three times a booking).
    name, address = parseaddr(configured)
    return address, name or DEFAULT_ORGANIZER_NAME


def booking_url(booking_id: int) -> str:
    """The booking's page in the app (absolute, on ``BASE_URL``): where it is seen, moved or cancelled."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/bookings/{booking_id}"


def group_url(session_id: int) -> str:
    """A group session's page in the app (absolute): its volunteer sees the seats and can cancel it there."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/group-sessions/{session_id}"


def meeting_url_of(booking: Booking) -> str | None:
    """Where ``booking`` happens: the session's one room for a group session (everyone meets there), else the booking's."""
    session = booking.session
    return meeting_url_for_uid(session_uid(session.id) if session.is_group else booking.uid)


def changed_at(booking: Booking) -> datetime:
    """When the booking last changed as calendars see it: the later of the booking's and its session's updates."""
    return max(booking.updated_at, booking.session.updated_at)


def calendar_session(booking: Booking) -> CalendarSession:
    """``booking`` as the calendar core's ``CalendarSession`` (no note, no cancel reason: there is no field for them)."""
    session: Session = booking.session
    return CalendarSession(
        uid=booking.uid,
        sequence=booking.sequence,
        start_at=session.start_at,
        end_at=session.end_at,
        status="cancelled" if booking.status == "cancelled" else "confirmed",
        kind=session.kind,
        url=booking_url(booking.id),
        changed_at=changed_at(booking),
        volunteer=person_for(session.volunteer.user),
        learner=person_for(booking.learner),
        meeting_url=meeting_url_of(booking),
        series_id=booking.series_id,
        help_url=help_url_for(session.kind),
    )


def help_url_for(kind: str) -> str | None:
    """``/help`` (absolute) for a support session's messages, else None (SPEC §7: every support email links to it)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/help" if kind == "support" else None


def group_calendar_session(session: Session) -> CalendarSession:
    """A group session as its volunteer's one event: the session's UID and SEQUENCE, no learner, its page as link.

    With no learner the core titles it "Tutoring session" / "Mentoring
    session" / "Session" (support stays neutral) and lists only the volunteer
    as ATTENDEE: the learners are on the session's page, not in the calendar.
    """
    uid = session_uid(session.id)
    return CalendarSession(
        uid=uid,
        sequence=session.sequence,
        start_at=session.start_at,
        end_at=session.end_at,
        status="cancelled" if session.status == "cancelled" else "confirmed",
        kind=session.kind,
        url=group_url(session.id),
        changed_at=session.updated_at,
        volunteer=person_for(session.volunteer.user),
        learner=None,
        meeting_url=meeting_url_for_uid(uid),
        help_url=help_url_for(session.kind),
    )


def parties(booking: Booking) -> list[User]:
    """Who hears about ``booking``: its volunteer and its learner (closed accounts get no mail).

    A seat of a group session is the learner's alone: its volunteer hears about
    the session as a whole (``queue_group_messages``).
    """
    people = (booking.learner,) if booking.session.is_group else (booking.session.volunteer.user, booking.learner)
    return [user for user in people if user.is_active]


# --- invites -----------------------------------------------------------------


def queue_booking_messages(booking: Booking, change: str, *, now: datetime | None = None,
                           cancelled_by: int | None = None) -> int:
    """Queue one iMIP message per party for ``change`` in the current transaction; returns how many.

    ``REQUEST`` for booked and rescheduled, ``CANCEL`` for cancelled, with the
    booking's UID and (already bumped) SEQUENCE. A move or a cancellation also
    drops reminders queued for the old time that haven't gone out yet. A
    cancellation's reason is told to everyone but ``cancelled_by``.
    """
    if change not in CHANGES:
        raise ValueError(f"change must be one of {CHANGES}, not {change!r}")
    session = calendar_session(booking)
    organizer_email = organizer()[0]
    if change != "booked":
        outbox.drop_unsent_reminders(booking.id)
    queued = queue_group_messages(booking.session, change) if booking.session.is_group else 0
    invites = []
    for user in parties(booking):
        if _same_address(user.email, organizer_email):
            # Outlook won't treat a message to the organizer as an invitation, and
            # the core refuses to write one; the service's own mailbox needs none.
            log.warning("booking %s: user %s has the sender's address; no invite queued", booking.id, user.id)
            continue
        reason = booking.cancel_reason if change == "cancelled" and user.id != cancelled_by else None
        invites.append(_invite_row(session, user, change, f"{change}:{booking.uid}:{booking.sequence}:{user.id}",
                                   booking_id=booking.id, now=now, reason=reason))
    return queued + outbox.queue_rows(invites, now=now)


def _invite_row(
    event: CalendarSession, user: User, change: str, dedupe_key: str, *, booking_id: int | None = None,
    now: datetime | None = None, reason: str | None = None,
) -> tuple[mime.OutgoingMail, str, str, str, int | None]:
    """The iMIP email telling ``user`` of ``change`` to ``event`` (their language and zone), for ``outbox.queue_rows``."""
    organizer_email, organizer_name = organizer()
    message = invite_mail(
        event,
        person_for(user),
        change,  # type: ignore[arg-type]
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        sent_at=now or event.changed_at,
        reason=reason,
    )
    return message, change, user.email, dedupe_key, booking_id


def queue_group_messages(session: Session, change: str, *, now: datetime | None = None) -> int:
    """The volunteer's messages about their group ``session`` after a seat's ``change``; returns how many (0 or 1).

    * the first seat booked: a REQUEST (SEQUENCE 0) puts the session in their calendar;
    * later seats booked or cancelled: nothing (the event doesn't change; the
      session's page lists the learners);
    * the session cancelled (by the volunteer, or its last seat cancelled):
      SEQUENCE + 1 and one CANCEL, however many seats it had; its unsent
      reminders are dropped.

    Called once per seat, so it reads the session's state, not the call count:
    the CANCEL goes out while SEQUENCE is still 0, the only change after the
    REQUEST. A rescheduled seat can't happen (seats are not moved).
    """
    if change == "booked":
        seats = db.session.scalar(select(func.count(Booking.id)).where(Booking.session_id == session.id))
        if seats != 1:
            return 0
    elif change == "cancelled":
        if session.status != "cancelled" or session.sequence != 0:
            return 0
        session.bump_sequence()
        db.session.flush()
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.kind == "reminder",
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.dedupe_key.like(f"reminder:{session_uid(session.id)}:%"),
            )
        )
    else:
        return 0
    volunteer = session.volunteer.user
    organizer_email = organizer()[0]
    if not volunteer.is_active or _same_address(volunteer.email, organizer_email):
        return 0
    event = group_calendar_session(session)
    key = f"{change}:{event.uid}:{event.sequence}:{volunteer.id}"
    return outbox.queue_rows([_invite_row(event, volunteer, change, key, now=now)], now=now)


# --- reminders ---------------------------------------------------------------

_REMINDER_SUBJECT = N_("Reminder: %(title)s, %(when)s")
_REMINDER_HEADLINE = N_("A reminder: this session starts soon.")
_GREETING = N_("Hello %(name)s,")
_WHEN = N_("When: %(when)s")
_ZONE = N_("Time zone: %(zone)s")
_JOIN = N_("Join: %(link)s")
_OPEN = N_("See, change or cancel the booking: %(link)s")
_AUTOMATIC = N_("This email was sent automatically; replies are not read.")
_HELP = N_("Need help now? %(link)s")
_SUBJECT_WHEN = N_("%(when)s (%(zone)s)")
_TITLE_LINE = "%(title)s"


@dataclass(frozen=True)
class _Lines:
    """An email body as paragraphs of (message id, placeholders) lines, in one language."""

    language: str
    subject: str
    paragraphs: list[list[tuple[str, dict[str, str]]]]

    def _message(self, msgid: str) -> str:
        # The title line is layout, not a sentence to translate.
        return msgid if msgid == _TITLE_LINE else translations_for(self.language)(msgid)

    def text(self) -> str:
        """The text/plain body."""
        return text_body(self.paragraphs, self._message)

    def html(self) -> str:
        """The text/html body: the same words, values isolated with <bdi>, links clickable."""
        return html_body(self.paragraphs, self._message, language=self.language, subject=self.subject)


def reminder_email(session: CalendarSession, recipient: Person, *, sent_at: datetime) -> EmailMessage:
    """The reminder ``recipient`` gets before ``session``: title, time in their zone, join and booking links.

    No calendar part: the invite already put the event in their calendar,
    and a second REQUEST would only make clients ask again.
    """
    translate = translations_for(recipient.language)
    zone, language = recipient.timezone, recipient.language
    title = session_title(session, recipient, translate)
    subject = translate(_REMINDER_SUBJECT) % {
        "title": title,
        "when": translate(_SUBJECT_WHEN) % {
            "when": format_short(session.start_at, zone, language),
            "zone": zone_short(zone, session.start_at, language, translate),
        },
    }
    details = [
        (_TITLE_LINE, {"title": title}),
        (_WHEN, {"when": format_when(session.start_at, session.end_at, zone, language)}),
        (_ZONE, {"zone": zone_label(zone, session.start_at, language, translate, until=session.end_at)}),
    ]
    if session.meeting_url:
        details.append((_JOIN, {"link": session.meeting_url}))
    lines = _Lines(
        language,
        subject,
        [
            [(_GREETING, {"name": recipient.name})],
            [(_REMINDER_HEADLINE, {})],
            details,
            [(_OPEN, {"link": session.url})],
            *([[(_HELP, {"link": session.help_url})]] if session.help_url else []),
            [(_AUTOMATIC, {})],
        ],
    )
    organizer_email, organizer_name = organizer()
    message = EmailMessage()
    message["From"] = Address(organizer_name, addr_spec=organizer_email)
    message["To"] = Address(recipient.name, addr_spec=recipient.email)
    message["Subject"] = subject
    message["Date"] = format_datetime(sent_at.astimezone(UTC))
    message["Message-ID"] = make_msgid(domain=organizer_email.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(lines.text(), cte="quoted-printable")
    message.add_alternative(lines.html(), subtype="html", cte="quoted-printable")
    message["Content-Language"] = language
    return message


def queue_group_reminder(session: Session, hours: float, *, now: datetime) -> bool:
    """Queue the volunteer's one ``hours``-before reminder of their group ``session``, unless already queued; True if new."""
    volunteer = session.volunteer.user
    event = group_calendar_session(session)
    message = reminder_email(event, person_for(volunteer), sent_at=now)
    return outbox.queue_unique(
        message,
        kind="reminder",
        recipient=volunteer.email,
        dedupe_key=reminder_key(event.uid, event.sequence, hours, volunteer.id),
        now=now,
    )


def hours_key(hours: float) -> str:
    """``24h``, ``1h``, ``0.5h``: how an offset appears in a reminder's dedupe key."""
    return f"{hours:g}h"


def queue_reminder(booking: Booking, user: User, hours: float, *, now: datetime) -> bool:
    """Queue the ``hours``-before reminder of ``booking`` for ``user`` unless it is already queued; True if new.

    The dedupe key holds the booking's UID, SEQUENCE and the offset, so a
    moved booking (new SEQUENCE) gets reminders for its new time, and two
    workers writing the same reminder at once leave one row.
    """
    session = calendar_session(booking)
    message = reminder_email(session, person_for(user), sent_at=now)
    return outbox.queue_unique(
        message,
        kind="reminder",
        recipient=user.email,
        dedupe_key=reminder_key(booking.uid, booking.sequence, hours, user.id),
        booking_id=booking.id,
        now=now,
    )


def reminder_key(uid: str, sequence: int, hours: float, user_id: int) -> str:
    """The dedupe key of one reminder."""
    return f"reminder:{uid}:{sequence}:{hours_key(hours)}:{user_id}"


def _same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()

