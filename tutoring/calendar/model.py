"""Plain data that goes into the calendar core: people and one booked session.

The service layer copies what it needs from the database into these frozen
dataclasses, so the core can be tested (and reasoned about) without an app.
Deliberately, nothing here can hold a learner's note or a support topic: the
core cannot leak what it is never given (SPEC §5).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Status = Literal["confirmed", "cancelled"]
Kind = Literal["tutoring", "mentoring", "support"]

STATUSES: frozenset[str] = frozenset({"confirmed", "cancelled"})

_WHITESPACE_RUN = re.compile(r"\s+")
# One regular expression each instead of a Python test per character: feeds
# build two people and a session per row. Each class is exactly the test it
# replaces, checked over every code point (tests/calendar/test_calendar_model.py):
# control characters (Cc), surrogates (Cs), the two Unicode line breaks and
# the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069: a name holding U+202E would turn the rest of a subject line
# or calendar title around, issue 21)...
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NOT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# ...and whitespace (``str.isspace``) or control characters (Cc).
_NOT_IN_URLS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def clean_name(text: str) -> str:
    """``text`` on one line without control characters (bidirectional controls included).

    RFC 5545 allows no control characters in text or parameter values (strict
    parsers reject the whole calendar, and Google drops a feed that doesn't
    parse), and email headers allow no line breaks: a display name has no use
    for either.
    """
    return _WHITESPACE_RUN.sub(" ", _NOT_IN_NAMES.sub(" ", text)).strip()


def _check_url(name: str, value: str | None) -> None:
    if value is not None and (not value or _NOT_IN_URLS.search(value)):
        raise ValueError(f"{name} must be a URL without spaces or control characters")


@dataclass(frozen=True)
class Person:
    """Someone who appears in a calendar: display name, email, UI language (``ar``/``en``) and IANA zone."""

    name: str
    email: str
    language: str
    timezone: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", clean_name(self.name))


@dataclass(frozen=True)
class CalendarSession:
    """One booking as calendars see it: an event with a UID that never changes.

    ``uid`` and ``sequence`` come from the booking (SPEC §1). ``status`` is
    ``confirmed`` or ``cancelled`` (a completed or no-show booking is still a
    session that took place: pass ``confirmed``). ``url`` links to the
    booking in the app; ``meeting_url`` is where the session happens, if
    known. ``changed_at`` is the instant of the booking's last change: it is
    written as DTSTAMP and LAST-MODIFIED, so a feed's bytes stay the same
    while nothing changes. ``learner`` is None when there is no one person to
    name (a group session seen by its volunteer).
    """

    uid: str
    sequence: int
    start_at: datetime
    end_at: datetime
    status: Status
    kind: str
    url: str
    changed_at: datetime
    volunteer: Person
    learner: Person | None = None
    meeting_url: str | None = None
    series_id: int | str | None = None
    # Where crisis help is (``/help``): every email about a support session carries it (SPEC §7 "Help").
    help_url: str | None = None

    def __post_init__(self) -> None:
        # Refuse bad input here rather than write a calendar that some client
        # would silently misplace or drop.
        for name in ("start_at", "end_at", "changed_at"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
            # Normalized to UTC once, so every writer sees the same instant.
            object.__setattr__(self, name, value.astimezone(UTC))
        # iCalendar times have whole seconds. A session's start and end must
        # then be exact (slots are whole seconds), while the change instant
        # is only a stamp and may drop its fraction.
        if self.start_at.microsecond or self.end_at.microsecond:
            raise ValueError("start_at and end_at must be whole seconds")
        object.__setattr__(self, "changed_at", self.changed_at.replace(microsecond=0))
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, not {self.status!r}")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if not self.uid or _NOT_IN_URLS.search(self.uid):
            raise ValueError("uid must be non-empty, without spaces or control characters")
        _check_url("url", self.url)
        _check_url("meeting_url", self.meeting_url)

    @property
    def is_cancelled(self) -> bool:
        """True once the booking is cancelled."""
        return self.status == "cancelled"

    def other_party(self, viewer: Person) -> Person | None:
        """The person ``viewer`` meets: the learner for the volunteer, the volunteer for anyone else."""
        if _same_person(viewer, self.volunteer):
            return self.learner
        return self.volunteer


def _same_person(a: Person, b: Person) -> bool:
    # Emails identify accounts (unique, stored lower-case); names may repeat.
    return a.email.strip().lower() == b.email.strip().lower()
