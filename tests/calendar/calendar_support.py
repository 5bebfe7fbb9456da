"""Shared test data and the three parsers every produced calendar is read back with.

``icalendar`` wrote the bytes, so it alone proves little; ``ical``
(allenporter/ical, pydantic) and ``vobject`` share no code with it and parse
strictly enough to catch what clients would trip on.

(No ``__init__.py`` in this folder, unlike tests/scheduling: a package named
``calendar`` would shadow the standard library's ``calendar`` module under
pytest's default import mode. Module names here are therefore unique.)
"""
from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import icalendar
import vobject
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream

from tutoring.calendar import CalendarSession, Person

ORGANIZER_EMAIL = "tutoring@example.org"
ORGANIZER_NAME = "Tutoring"

AMIRA = Person("Amira Hassan", "amira.hassan@example.org", "ar", "Africa/Cairo")
MAYA = Person("Maya", "maya@example.org", "en", "America/New_York")
SAMI = Person("سامي", "sami@example.org", "ar", "Asia/Riyadh")
PRIYA = Person("Priya Shrestha", "priya.shrestha@example.org", "en", "Asia/Kathmandu")

# Something a learner might write in a note or a support topic. The core has
# no field for it; tests smuggle it in where a careless writer would print it.
SECRET = "SECRET-NOTE grief after my father died"


def make_session(**changes) -> CalendarSession:
    """A confirmed tutoring session of Amira with Maya; ``changes`` override any field."""
    base = CalendarSession(
        uid="6f1c2b1e-5d0c-4f57-9a43-2f9cf0f4a001",
        sequence=0,
        start_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
        end_at=datetime(2026, 12, 1, 17, 45, tzinfo=UTC),
        status="confirmed",
        kind="tutoring",
        url="https://tutoring.example.org/bookings/42",
        changed_at=datetime(2026, 11, 20, 9, 30, 15, tzinfo=UTC),
        volunteer=AMIRA,
        learner=MAYA,
        meeting_url="https://meet.example.org/amira-maya",
    )
    return replace(base, **changes)


def cancelled(session: CalendarSession, minutes_later: int = 5) -> CalendarSession:
    """``session`` after a cancellation: same UID, next SEQUENCE, a later change instant."""
    return replace(
        session,
        status="cancelled",
        sequence=session.sequence + 1,
        changed_at=session.changed_at + timedelta(minutes=minutes_later),
    )


# --- Parsers -----------------------------------------------------------------


def parse_icalendar(data: bytes) -> icalendar.Calendar:
    """Read with icalendar (the writer's own library)."""
    return icalendar.Calendar.from_ical(data)


def parse_ical(data: bytes) -> IcalCalendar:
    """Read with allenporter/ical; METHOD is only kept on the stream, see ``ical_method``."""
    return IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))


def ical_method(data: bytes) -> str | None:
    """METHOD as allenporter/ical reads it."""
    return IcsCalendarStream.from_ics(data.decode("utf-8")).calendars[0].method


def parse_vobject(data: bytes):
    """Read with vobject (resolves TZIDs through the file's own VTIMEZONEs)."""
    return vobject.readOne(data.decode("utf-8"))


def vobject_events(data: bytes) -> list:
    """The VEVENTs vobject found (an empty list when there are none)."""
    return list(parse_vobject(data).contents.get("vevent", []))


def instants_by_parser(data: bytes) -> dict[str, list[tuple[datetime, datetime]]]:
    """(DTSTART, DTEND) of every event in UTC, per parser, sorted by start."""
    def utc(value: datetime) -> datetime:
        assert isinstance(value, datetime) and value.tzinfo is not None, value
        return value.astimezone(UTC)

    return {
        "icalendar": sorted((utc(e.start), utc(e.end)) for e in parse_icalendar(data).events),
        "ical": sorted((utc(e.dtstart), utc(e.dtend)) for e in parse_ical(data).events),
        "vobject": sorted((utc(e.dtstart.value), utc(e.dtend.value)) for e in vobject_events(data)),
    }


# --- Email -------------------------------------------------------------------


def reparse(message: EmailMessage) -> EmailMessage:
    """The message as a receiving client sees it: serialized to bytes and parsed back."""
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def decoded_text(message: EmailMessage) -> str:
    """Headers and every part's decoded content, joined: what a person could ever see of the message."""
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        pieces += [f"{name}: {value}" for name, value in part.items()]
        content = part.get_content()
        pieces.append(content.decode("utf-8") if isinstance(content, bytes) else content)
    return "\n".join(pieces)


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    """The text/calendar and application/ics parts."""
    return [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]


# --- Hypothesis strategies for generated sessions (the byte-comparison tests) ---------


def people_from(names, emails: list[str]):
    """People with these names and addresses, in the two languages and a third, and three zones."""
    from hypothesis import strategies as st

    return st.builds(
        Person,
        name=names.filter(str.strip),
        email=st.sampled_from(emails),
        language=st.sampled_from(["ar", "en", "fr"]),
        timezone=st.sampled_from(["Asia/Kathmandu", "Australia/Lord_Howe", "UTC"]),
    )


def sessions_of(people):
    """Sessions of any length, status, kind and links between those people (the learner may be absent: a group)."""
    from hypothesis import strategies as st

    links = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1,
                    max_size=120).filter(lambda text: not any(char.isspace() for char in text))
    instants = st.integers(0, 4_000_000_000).map(lambda seconds: datetime.fromtimestamp(seconds, UTC))
    return st.builds(
        lambda start, minutes, changed, **values: make_session(
            start_at=start, end_at=start + timedelta(minutes=minutes), changed_at=changed, **values),
        instants, st.integers(1, 600), instants,
        uid=links, sequence=st.integers(0, 10**6), status=st.sampled_from(["confirmed", "cancelled"]),
        kind=st.sampled_from(["tutoring", "mentoring", "support", "other"]), url=links,
        meeting_url=st.none() | links, volunteer=people, learner=st.none() | people,
    )
