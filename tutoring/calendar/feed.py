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
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from icalendar import Calendar, vDuration

from tutoring.calendar.event import PRODID, session_event
from tutoring.calendar.model import CalendarSession, Person
from tutoring.calendar.text import N_, Translate, translations_for
from tutoring.calendar.vtimezone import add_timezones

# Hints for clients that honour them (Nextcloud, Thunderbird, Apple some of
# the time): look again hourly. Google ignores both.
REFRESH = timedelta(hours=1)

DEFAULT_CALNAME = N_("Tutoring sessions")

# For a feed with no sessions at all: Last-Modified still has to say something.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    translate = translate or translations_for(owner.language)
    ordered = sorted(sessions, key=lambda s: (s.start_at, s.uid))
    uids = [session.uid for session in ordered]
    if len(set(uids)) != len(uids):
        # Two VEVENTs with one UID and no RECURRENCE-ID: clients keep one at random.
        raise ValueError("each session in a feed needs its own UID")

    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    name = calname if calname is not None else translate(DEFAULT_CALNAME)
    # NAME is RFC 7986's, X-WR-CALNAME the one most clients read.
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for session in ordered:
        calendar.add_component(session_event(session, owner, translate))
    return add_timezones(calendar).to_ical()


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
