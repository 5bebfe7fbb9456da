"""Shared helpers for the outbox, invite, worker and feed tests (no tests here).

``smtp_sink``: a real aiosmtpd server on 127.0.0.1 that keeps what it
receives and can refuse the first few messages (4xx) or answer slowly.
``booked_pair``: an approved volunteer and a learner with an offered slot.
Parsers: every calendar part is read by ``icalendar`` and by the two
independent parsers of the test extra (``ical`` and ``vobject``).
"""
from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import icalendar
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

from tutoring.extensions import db
from tutoring.models import OutboxMessage
from tutoring.worker import Worker

# Monday 7 January 2030, 08:00 UTC; the volunteer (Europe/London = UTC in
# winter) offers Tuesdays 10:00-12:00: slots at 10:00 and 11:00 on 8 January.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 11, 0, tzinfo=UTC)
TUESDAY_10_TO_12 = [(1, "10:00", "12:00")]
# What a learner might write; tests grep every byte that leaves the service for it.
SECRET_NOTE = "SECRET-NOTE-7731 my brother hurts me"
SUPPORT_WORDS = ("support", "Support", "دعم")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpSink:
    """What the test SMTP server received, and how it behaves."""

    refuse_first: int = 0
    delay_seconds: float = 0.0
    received: list = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        """Refuse (451) the first ``refuse_first`` messages, then keep each one after ``delay_seconds``."""
        with self.lock:
            if self.refused < self.refuse_first:
                self.refused += 1
                return "451 4.3.0 Try again later"
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        with self.lock:
            self.received.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        """Every received message, parsed."""
        with self.lock:
            contents = [envelope.content for envelope in self.received]
        return [email.message_from_bytes(content, policy=policy.default) for content in contents]

    def raw(self) -> list[bytes]:
        """Every received message's bytes, as they arrived."""
        with self.lock:
            return [envelope.original_content for envelope in self.received]

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Wait until at least ``count`` messages arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"only {len(self.received)} of {count} messages arrived")


@pytest.fixture
def smtp_sink():
    """A real SMTP server on loopback; yields (port, sink). Set ``sink.refuse_first``/``delay_seconds`` freely."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, sink
    controller.stop()


def run_worker(app, *, clock=None) -> int:
    """Run one worker in this process until nothing is due (``flask worker --once``); returns how many went out."""
    worker = Worker(app, clock=clock) if clock else Worker(app)
    return worker.run(once=True)


def outbox_rows(app) -> list[OutboxMessage]:
    """Every outbox row, oldest first (detached)."""
    with app.app_context():
        rows = list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    """The text/calendar and application/ics parts."""
    return [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]


def inline_calendar(message: EmailMessage) -> bytes:
    """The inline text/calendar part's bytes (the one clients act on)."""
    [inline] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return inline.get_payload(decode=True)


def decoded_text(message: EmailMessage) -> str:
    """Headers and every part's decoded content: all a person could ever see of the message."""
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        pieces += [f"{name}: {value}" for name, value in part.items()]
        content = part.get_content()
        pieces.append(content.decode("utf-8") if isinstance(content, bytes) else content)
    return "\n".join(pieces)


@dataclass(frozen=True)
class ParsedEvent:
    """One VEVENT as a parser read it, instants in UTC."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    status: str | None


def _utc(value) -> datetime:
    assert isinstance(value, datetime) and value.tzinfo is not None, value
    return value.astimezone(UTC)


def events_by_parser(data: bytes) -> dict[str, list[ParsedEvent]]:
    """The events of an iCalendar object as icalendar, ical and vobject read it, sorted by start."""
    text = data.decode("utf-8")
    by_icalendar = [
        ParsedEvent(str(e["UID"]), int(e.get("SEQUENCE", 0)), _utc(e.start), _utc(e.end), e.get("STATUS"))
        for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
    ]
    by_ical = [
        ParsedEvent(e.uid, e.sequence or 0, _utc(e.dtstart), _utc(e.dtend), e.status.value if e.status else None)
        for e in IcsCalendarStream.calendar_from_ics(text).events
    ]
    parsed = vobject.readOne(text)
    by_vobject = [
        ParsedEvent(
            e.uid.value,
            int(e.sequence.value) if hasattr(e, "sequence") else 0,
            _utc(e.dtstart.value),
            _utc(e.dtend.value),
            e.status.value if hasattr(e, "status") else None,
        )
        for e in parsed.contents.get("vevent", [])
    ]
    return {name: sorted(events, key=lambda e: (e.start, e.uid))
            for name, events in (("icalendar", by_icalendar), ("ical", by_ical), ("vobject", by_vobject))}


def method_by_parser(data: bytes) -> dict[str, str | None]:
    """METHOD as each parser reads it."""
    text = data.decode("utf-8")
    vobject_calendar = vobject.readOne(text)
    return {
        "icalendar": str(icalendar.Calendar.from_ical(data).get("METHOD")),
        "ical": IcsCalendarStream.from_ics(text).calendars[0].method,
        "vobject": vobject_calendar.method.value if hasattr(vobject_calendar, "method") else None,
    }


def the_same_events(data: bytes) -> list[ParsedEvent]:
    """The events, after checking that all three parsers read exactly the same ones."""
    parsed = events_by_parser(data)
    assert parsed["icalendar"] == parsed["ical"] == parsed["vobject"], parsed
    return parsed["icalendar"]


@pytest.fixture
def pair(make_user):
    """(volunteer, learner): Amira (London, reads Arabic) offering Tuesdays 10-12; Maya (New York, English)."""
    volunteer = make_user(
        "volunteer", name="Amira Hassan", email="amira@example.org", timezone="Europe/London", language="ar",
        rules=TUESDAY_10_TO_12, session_minutes=45, buffer_minutes=15,
    )
    learner = make_user("learner", name="Maya", email="maya@example.org", timezone="America/New_York", language="en")
    return volunteer, learner


def later(minutes: float) -> datetime:
    """NOW plus some minutes."""
    return NOW + timedelta(minutes=minutes)
