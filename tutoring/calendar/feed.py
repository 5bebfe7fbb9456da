"""The subscribed calendar feed (``GET /calendar/<token>.ics``, SPEC §5) and its HTTP validators.

A feed is a published calendar, not a message: it has no METHOD (a REQUEST
would make clients treat it as invitations), no ORGANIZER or ATTENDEEs (no
iTIP semantics, and nobody's address on a shared screen), and no
X-WR-TIMEZONE (non-standard, and strict parsers shift times by it). Events
are in UTC, like the invites (see ``event.py``).

The bytes depend only on the input: events are sorted, DTSTAMP is each
session's ``changed_at``, and nothing reads the clock. So an unchanged feed
has an unchanged strong ETag, and clients that poll (Google every 8-24 h,
Apple hourly to daily) get 304s until something changes.

A feed is written from parts: its header, the VTIMEZONEs its events need,
one block of bytes per event (``event_ics``), and ``END:VCALENDAR``; together they are
exactly the bytes of the whole ``Calendar`` written by icalendar (a test
compares the two). Each event's block is remembered (``event_blocks``) by
everything it depends on: the session's values, the owner and their
language; the configured addresses are in the session's URLs. So when one
booking changes, rendering the feed again writes that one event.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple

from icalendar import Calendar, vDuration

from tutoring.calendar.event import PRODID, event_ics
from tutoring.calendar.model import CalendarSession, Person
from tutoring.calendar.text import N_, Translate, translations_for
from tutoring.calendar.vtimezone import vtimezone_ics
from tutoring.lru import LRU

# Hints for clients that honour them (Nextcloud, Thunderbird, Apple some of
# the time): look again hourly. Google ignores both.
REFRESH = timedelta(hours=1)

DEFAULT_CALNAME = N_("Tutoring sessions")

# For a feed with no sessions at all: Last-Modified still has to say something.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

FOOTER = b"END:VCALENDAR\r\n"

# A remembered block takes about 2 KB with its key (the session and two
# people; measured: 2.1 KB for learners' ~50-event feeds): 10,000 are some
# 20 MB a process at most, and hold the feeds of a few hundred active people.
# Writing an event costs ~30 us, so a remembered one saves little each time;
# a feed re-rendered after one booking changed skips ~40% of its cost.
MAX_EVENT_BLOCKS = 10_000


class EventBlock(NamedTuple):
    """One VEVENT's bytes and the TZIDs it needs a VTIMEZONE for."""

    ics: bytes
    tzids: frozenset[str]


# Event blocks by (session, owner): the keys are the frozen dataclasses
# themselves, so any value of a session or a person that differs makes another
# key; nothing is ever stale, old entries only age out.
event_blocks: LRU[tuple, EventBlock] = LRU(MAX_EVENT_BLOCKS)


def feed_ics(
    owner: Person,
    sessions: Iterable[CalendarSession],
    calname: str | None = None,
    *,
    translate: Translate | None = None,
) -> bytes:
    """The feed of ``owner``'s sessions (bytes, CRLF lines): one VEVENT per session, as ``owner`` sees it.

    The caller picks the sessions (confirmed ones, and recently cancelled ones
    so that subscribed calendars drop them: they arrive as STATUS:CANCELLED).
    ``calname`` is the calendar's display name (default "Tutoring sessions"
    in ``owner``'s language); ``translate`` defaults to ``owner``'s catalogue.
    Raises ``ValueError`` if two sessions share a UID.
    """
    # Blocks are remembered by language only for the owner's own catalogue: a
    # ``translate`` passed in (Flask-Babel's follows the request) could differ.
    remember = translate is None
    translate = translate or translations_for(owner.language)
    ordered = sorted(sessions, key=lambda s: (s.start_at, s.uid))
    uids = [session.uid for session in ordered]
    if len(set(uids)) != len(uids):
        # Two VEVENTs with one UID and no RECURRENCE-ID: clients keep one at random.
        raise ValueError("each session in a feed needs its own UID")

    name = calname if calname is not None else translate(DEFAULT_CALNAME)
    blocks = [_event_block(session, owner, translate, remember) for session in ordered]
    # Each zone the events name gets its VTIMEZONE, sorted, before the events (as ``add_timezones`` does).
    zones = sorted(frozenset().union(*(block.tzids for block in blocks)))
    return b"".join((_header(name), *map(vtimezone_ics, zones), *(block.ics for block in blocks), FOOTER))


@lru_cache(maxsize=256)
def _header(name: str) -> bytes:
    """The calendar's lines before its components: the calendar written by icalendar, less its last line."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    # NAME is RFC 7986's, X-WR-CALNAME the one most clients read.
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    written = calendar.to_ical()
    if not written.endswith(FOOTER):
        raise AssertionError("icalendar ended a calendar unexpectedly")
    return written[: -len(FOOTER)]


def _event_block(session: CalendarSession, owner: Person, translate: Translate, remember: bool) -> EventBlock:
    key = (session, owner)
    if remember and (block := event_blocks.get(key)) is not None:
        return block
    ics = event_ics(session, owner, translate)
    block = EventBlock(ics, tzids_in(ics))
    if remember:
        event_blocks.put(key, block)
    return block


# A TZID parameter: after a ";" (so never inside a value, which starts after
# the first ":" outside quotes), its value quoted or up to the next ";" or ":".
_TZID = re.compile(r'^[^:"]*(?:"[^"]*"[^:"]*)*;TZID=(?:"([^"]*)"|([^;:]*))', re.IGNORECASE | re.MULTILINE)


def tzids_in(ics: bytes) -> frozenset[str]:
    """The zones whose VTIMEZONE the lines of ``ics`` need: each TZID parameter but UTC (``add_timezones``' rule).

    Events are written in UTC today, so this finds none; it is the guard that
    a local time written later still brings its VTIMEZONE.
    """
    if b"TZID" not in ics.upper():
        return frozenset()
    lines = ics.decode().replace("\r\n ", "").replace("\r\n\t", "")
    return frozenset(quoted or bare for quoted, bare in _TZID.findall(lines)) - {"UTC"}


def etag_for(ics: bytes) -> str:
    """A strong ETag for the feed's bytes (quoted, as the header carries it): the same bytes, the same tag."""
    return '"' + hashlib.sha256(ics).hexdigest()[:32] + '"'


def last_modified_for(sessions: Iterable[CalendarSession], empty: datetime = EPOCH) -> datetime:
    """The feed's Last-Modified: the latest ``changed_at``, to the whole second (HTTP dates have no fractions).

    ``empty`` is returned when there are no sessions. This is not monotonic:
    when a cancelled session ages out of the feed the value can go back, so
    compare it for equality (``is_not_modified`` does), never with ``<=``.
    """
    latest = max((session.changed_at for session in sessions), default=empty)
    return latest.astimezone(UTC).replace(microsecond=0)


def is_not_modified(
    etag: str,
    last_modified: datetime,
    if_none_match: str | None,
    if_modified_since: str | None,
) -> bool:
    """True when a conditional GET may be answered 304 Not Modified (RFC 9110 §13.2.2).

    ``If-None-Match`` decides whenever it is sent (a 304 only when one of its
    tags is ours, or ``*``). Only without it is ``If-Modified-Since`` used,
    and then only an *exact* match of the date counts: our Last-Modified can
    move backwards (see ``last_modified_for``), and answering 304 to a feed
    that changed would freeze subscribers (netbox-notices #67).
    """
    if if_none_match is not None:
        return _etag_matches(etag, if_none_match)
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored (RFC 9110 §13.1.3)
    if since is None or since.tzinfo is None:
        return False
    return since.astimezone(UTC) == last_modified.astimezone(UTC).replace(microsecond=0)


def _etag_matches(etag: str, header: str) -> bool:
    """Weak comparison, as If-None-Match requires: ``W/"x"`` matches ``"x"``."""
    if header.strip() == "*":
        return True
    ours = _opaque(etag)
    return any(_opaque(tag) == ours for tag in _split_tags(header))


def _split_tags(header: str) -> Sequence[str]:
    # Entity tags can't contain commas inside their quotes... except they can
    # (etagc allows it). Split on commas outside quotes.
    tags, current, quoted = [], [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tags.append("".join(current).strip())
    return [tag for tag in tags if tag]


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag
