"""What goes into a person's calendar feed, and the validators that let clients skip unchanged feeds.

A feed holds the owner's sessions as volunteer and as learner: confirmed ones
(also completed and no-show: they took place) that ended within the past
``FEED_PAST_DAYS`` (default 365), and those cancelled within the last
``FEED_CANCELLED_DAYS`` (default 30), as ``STATUS:CANCELLED`` so subscribed
calendars remove them. Windows are counted from 00:00 UTC of today, so the
set of sessions only ages out once a day.

A group session is one event in its volunteer's feed (the session's UID and
SEQUENCE, no learner named), live or cancelled as the session is; each learner
sees their own seat (docs/GROUPS.md).

Validators (RFC 9110 §8.8, §13):

* ``ETag``: strong, from the bytes (the calendar core reads no clock, so
  unchanged data gives unchanged bytes).
* ``Last-Modified``: the later of the newest change of any session in it and
  today's 00:00 UTC. Sessions ageing out of the window and renamed people
  change the bytes without a change instant of their own; counting today's
  start makes sure a client that sends only ``If-Modified-Since`` never keeps
  a stale copy past a day (netbox-notices #67: a feed that always answered
  304 froze its subscribers).

Rendering 500 sessions takes tens of milliseconds, so finished feeds are
cached in memory by a fingerprint of everything the bytes depend on; a
conditional request then costs two indexed queries.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from tutoring.calendar import CalendarSession, Person, etag_for, feed_ics
from tutoring.calendar.feed import is_not_modified as etag_not_modified
from tutoring.extensions import db
from tutoring.models import Booking, Session, User
from tutoring.services.meeting import meeting_url_for_uid
from tutoring.services.notifications import booking_url, group_url, session_uid

DEFAULT_PAST_DAYS = 365
DEFAULT_CANCELLED_DAYS = 30
DEFAULT_CACHE_BYTES = 16 * 1024 * 1024
# Tokens are 43 URL-safe characters (256 bits); anything much longer is not one.
MAX_TOKEN_LENGTH = 64
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Feed:
    """A rendered feed with its validators."""

    body: bytes
    etag: str
    last_modified: datetime
    sessions: int


def owner_for_token(token: str) -> User | None:
    """The active user whose feed token is ``token``; None for unknown, rotated or malformed tokens (a 404).

    Found by its unique index, then compared in constant time, so the answer
    never depends on how much of a token was right.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not _TOKEN_CHARACTERS.fullmatch(token):
        return None  # not a token we could have made (and no NUL or odd bytes reach the database)
    user = User.by_calendar_token(token)
    if user is None or not hmac.compare_digest(user.calendar_token.encode(), token.encode()):
        return None
    return user


def day_start(now: datetime) -> datetime:
    """00:00 UTC of ``now``'s day: the feed's windows and Last-Modified move on at that instant only."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def _setting(name: str, default: Any) -> Any:
    value = current_app.config.get(name)
    return default if value is None else value


_Volunteer = aliased(User, name="volunteer_user")
_Learner = aliased(User, name="learner_user")

_COLUMNS = (
    Booking.id, Booking.uid, Booking.sequence, Booking.status, Booking.updated_at, Booking.series_id,
    Session.start_at, Session.end_at, Session.kind, Session.updated_at, Session.id, Session.capacity,
    _Volunteer.display_name, _Volunteer.email, _Volunteer.language, _Volunteer.timezone,
    _Learner.display_name, _Learner.email, _Learner.language, _Learner.timezone,
)
_GROUP_COLUMNS = (
    Session.id, Session.sequence, Session.status, Session.start_at, Session.end_at, Session.kind,
    Session.updated_at,
)
# Row tags: a learner's (or one-to-one) booking, or a volunteer's whole group session.
BOOKING, GROUP = "booking", "group"


def feed_rows(owner_id: int, now: datetime) -> list[tuple]:
    """The plain values of every event in ``owner_id``'s feed: bookings by id, then group sessions by id.

    Each row starts with its tag (``BOOKING`` or ``GROUP``). Three indexed
    queries (one-to-one sessions as volunteer, seats as learner, group
    sessions as volunteer) instead of one with an OR across tables, which no
    index serves. No note, no cancel reason, no learner of a group session.
    """
    today = day_start(now)
    past_days = int(_setting("FEED_PAST_DAYS", DEFAULT_PAST_DAYS))
    cancelled_days = int(_setting("FEED_CANCELLED_DAYS", DEFAULT_CANCELLED_DAYS))
    shown = or_(
        and_(Booking.status != "cancelled", Session.end_at >= today - timedelta(days=past_days)),
        and_(Booking.status == "cancelled", Booking.updated_at >= today - timedelta(days=cancelled_days)),
    )
    base = (
        select(*_COLUMNS)
        .select_from(Booking)
        .join(Session, Booking.session_id == Session.id)
        .join(_Volunteer, _Volunteer.id == Session.volunteer_id)
        .join(_Learner, _Learner.id == Booking.learner_id)
        .where(shown)
    )
    rows: dict[int, tuple] = {}
    as_volunteer = base.where(Session.volunteer_id == owner_id, Session.capacity == 1)
    for query in (as_volunteer, base.where(Booking.learner_id == owner_id)):
        for row in db.session.execute(query):
            rows[row[0]] = (BOOKING, *row)
    groups = (
        select(*_GROUP_COLUMNS)
        .where(
            Session.volunteer_id == owner_id,
            Session.capacity > 1,
            or_(
                and_(Session.status != "cancelled", Session.end_at >= today - timedelta(days=past_days)),
                and_(Session.status == "cancelled", Session.updated_at >= today - timedelta(days=cancelled_days)),
            ),
        )
        .order_by(Session.id)
    )
    group_rows = [(GROUP, *row) for row in db.session.execute(groups)]
    return [rows[key] for key in sorted(rows)] + group_rows


def _session_from_row(row: tuple, owner: Person) -> CalendarSession:
    if row[0] == GROUP:
        return _group_from_row(row, owner)
    (_tag, booking_id, uid, sequence, status, booking_updated, series_id, start_at, end_at, kind, session_updated,
     session_id, capacity, v_name, v_email, v_language, v_zone, l_name, l_email, l_language, l_zone) = row
    return CalendarSession(
        uid=uid,
        sequence=sequence,
        start_at=start_at,
        end_at=end_at,
        status="cancelled" if status == "cancelled" else "confirmed",
        kind=kind,
        url=booking_url(booking_id),
        changed_at=max(booking_updated, session_updated),
        volunteer=Person(v_name, v_email, v_language, v_zone),
        learner=Person(l_name, l_email, l_language, l_zone),
        # A group session's seats all meet in the session's one room.
        meeting_url=meeting_url_for_uid(session_uid(session_id) if capacity > 1 else uid),
        series_id=series_id,
    )


def _group_from_row(row: tuple, owner: Person) -> CalendarSession:
    """The volunteer's one event for a group session: no learner, so only the volunteer is named."""
    _tag, session_id, sequence, status, start_at, end_at, kind, updated_at = row
    uid = session_uid(session_id)
    return CalendarSession(
        uid=uid,
        sequence=sequence,
        start_at=start_at,
        end_at=end_at,
        status="cancelled" if status == "cancelled" else "confirmed",
        kind=kind,
        url=group_url(session_id),
        changed_at=updated_at,
        volunteer=owner,
        learner=None,
        meeting_url=meeting_url_for_uid(uid),
    )


class _FeedCache:
    """A small LRU of rendered feeds by fingerprint, bounded in bytes; safe across threads."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Feed] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Feed | None:
        with self._lock:
            feed = self._items.get(key)
            if feed is not None:
                self._items.move_to_end(key)
            return feed

    def put(self, key: str, feed: Feed, budget: int) -> None:
        if len(feed.body) > budget:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = feed
            self._bytes += len(feed.body)
            while self._bytes > budget and self._items:
                _old, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


feed_cache = _FeedCache()


def _fingerprint(owner: User, rows: list[tuple], today: datetime) -> str:
    """Everything the feed's bytes and validators depend on, hashed."""
    config = current_app.config
    parts = (
        owner.id, owner.display_name, owner.email, owner.language, owner.timezone, today.isoformat(),
        config.get("BASE_URL"), config.get("MEETING_URL_TEMPLATE"),
        hashlib.sha256(str(config["SECRET_KEY"]).encode()).hexdigest(),
        rows,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def feed_for(owner: User, now: datetime) -> Feed:
    """``owner``'s feed as of ``now`` (from the cache when nothing it depends on changed)."""
    rows = feed_rows(owner.id, now)
    today = day_start(now)
    key = _fingerprint(owner, rows, today)
    cached = feed_cache.get(key)
    if cached is not None:
        return cached
    person = Person(owner.display_name, owner.email, owner.language, owner.timezone)
    sessions = [_session_from_row(row, person) for row in rows]
    body = feed_ics(person, sessions)
    latest_change = max((session.changed_at for session in sessions), default=today)
    feed = Feed(body, etag_for(body), max(latest_change, today).replace(microsecond=0), len(sessions))
    feed_cache.put(key, feed, int(_setting("FEED_CACHE_BYTES", DEFAULT_CACHE_BYTES)))
    return feed


def is_not_modified(feed: Feed, if_none_match: str | None, if_modified_since: datetime | None, now: datetime) -> bool:
    """True when the client's copy is current: a 304 (RFC 9110 §13.2.2).

    ``If-None-Match`` decides whenever it is sent. Only without it,
    ``If-Modified-Since`` counts: a 304 when it is not older than our
    Last-Modified (a date in the future is ignored, as no copy can be from then).
    """
    if if_none_match is not None:
        return etag_not_modified(feed.etag, feed.last_modified, if_none_match, None)
    if if_modified_since is None:
        return False
    since = if_modified_since if if_modified_since.tzinfo else if_modified_since.replace(tzinfo=UTC)
    if since > now:
        return False
    return since >= feed.last_modified


def feed_path(user: User) -> str:
    """The feed's path: ``/calendar/<token>.ics``."""
    return f"/calendar/{user.calendar_token}.ics"


def feed_urls(user: User, base_url: str) -> tuple[str, str]:
    """The feed's address as (``https://…``, ``webcal://…``); ``base_url`` is the service's public address.

    The first is what the page shows for copying (it uses ``BASE_URL``'s
    scheme); ``webcal://`` makes a click open the calendar app to subscribe.
    """
    address = base_url.rstrip("/") + feed_path(user)
    _scheme, _sep, rest = address.partition("://")
    return address, f"webcal://{rest}"
