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
cached in memory by a fingerprint of everything the bytes depend on: the
owner's fields, today, the settings and the feed's rows as text
(``feed_stamps``: the database joins each row's values into one text, so a
poll reads and converts no rows). A poll costs two small indexed queries;
only a miss reads the rows and renders. No change instant is trusted: a value
changed by hand, a renamed person or a deleted row changes the stamps too.
A miss after one booking changed writes only that event again: the calendar
core remembers each event's bytes (``tutoring.calendar.feed.event_blocks``).
The worker processes of a host share the validators of what they rendered
(files under ``FEED_VALIDATOR_DIR``), so a conditional poll reaching another
worker is a 304 without rendering again.
"""
from __future__ import annotations

import hashlib
import hmac
import operator
import os
import re
import secrets
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache, reduce
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import (
    ColumnElement, Integer, String, Text, and_, bindparam, cast, func, literal_column, or_, select, tuple_,
)

from tutoring.calendar import CalendarSession, Person, etag_for, feed_ics
from tutoring.calendar.feed import is_not_modified as etag_not_modified
from tutoring.calendar.text import TRANSLATIONS_DIR
from tutoring.extensions import db
from tutoring.lru import LRU
from tutoring.models import Booking, Session, User
from tutoring.models.types import UTCDateTime
from tutoring.services.notices.meeting import meeting_url_for_uid
from tutoring.services.notices.meeting import session_uid
from tutoring.services.notices.notifications import booking_url, group_url

DEFAULT_PAST_DAYS = 365
DEFAULT_CANCELLED_DAYS = 30
DEFAULT_CACHE_BYTES = 16 * 1024 * 1024
# Tokens are 43 URL-safe characters (256 bits); anything much longer is not one.
MAX_TOKEN_LENGTH = 64
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Feed:
    """A feed's validators and bytes; ``body`` is None when only the validators are known (``render_feed``)."""

    body: bytes | None
    etag: str
    last_modified: datetime
    sessions: int


class Owner(NamedTuple):
    """Whose feed it is: the fields of their ``User`` row that the feed uses."""

    id: int
    calendar_token: str
    display_name: str
    email: str
    language: str
    timezone: str


_OWNER = select(*(User.__table__.c[name] for name in Owner._fields)).where(
    User.__table__.c.calendar_token == bindparam("token", type_=String),
    User.__table__.c.is_active.is_(True),
)


def owner_for_token(token: str) -> Owner | None:
    """The active user whose feed token is ``token``; None for unknown, rotated or malformed tokens (a 404).

    Found by its unique index, then compared in constant time, so the answer
    never depends on how much of a token was right. (Only the fields a feed
    needs, without an ORM object: this runs on every poll.)
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not _TOKEN_CHARACTERS.fullmatch(token):
        return None  # not a token we could have made (and no NUL or odd bytes reach the database)
    row = db.session.connection().execute(_OWNER, {"token": token}).first()
    if row is None or not hmac.compare_digest(row.calendar_token.encode(), token.encode()):
        return None
    return Owner(*row)


def day_start(now: datetime) -> datetime:
    """00:00 UTC of ``now``'s day: the feed's windows and Last-Modified move on at that instant only."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def _setting(name: str, default: Any) -> Any:
    value = current_app.config.get(name)
    return default if value is None else value


# Plain tables, not the ORM: a poll reads a few values and needs no objects.
_BOOKINGS = Booking.__table__
_SESSIONS = Session.__table__
_USERS = User.__table__
# The other person of a booking; the owner's own fields come from their row (``Owner``).
_OTHER = _USERS.alias("other_party")
_PERSON = ("display_name", "email", "language", "timezone")

_BOOKED_COLUMNS = (
    *(_BOOKINGS.c[name] for name in ("id", "uid", "sequence", "status", "updated_at", "series_id")),
    *(_SESSIONS.c[name] for name in ("start_at", "end_at", "kind", "updated_at", "id", "capacity")),
    *(_OTHER.c[name] for name in _PERSON),
)
_GROUP_COLUMNS = tuple(
    _SESSIONS.c[name] for name in ("id", "sequence", "status", "start_at", "end_at", "kind", "updated_at")
)
# Row tags: a learner's (or one-to-one) booking, or a volunteer's whole group session.
BOOKING, GROUP = "booking", "group"


def _stamp(columns, dialect: str) -> ColumnElement[str]:
    """One row's values as one text that equals another row's only when every value is equal.

    PostgreSQL: the row's own text form, ``(1,abc,"a b",)`` (quoted and escaped
    where needed, NULL as nothing). SQLite: each value as ``<length>:<text>``
    (NULL as ``-:``) joined by ``|``; the lengths keep a ``|`` in a name from
    passing for two values.
    """
    if dialect == "postgresql":
        return cast(tuple_(*columns), Text)
    fields = []
    for column in columns:
        text = cast(column, String)
        fields.append(func.coalesce(cast(func.length(text), String), literal_column("'-'")))
        fields.append(literal_column("':'"))
        fields.append(func.coalesce(text, literal_column("''")))
        fields.append(literal_column("'|'"))
    return reduce(operator.add, fields[:-1])


def _shown(status, end_at, updated_at) -> ColumnElement[bool]:
    """In the feed: not cancelled and ended after ``:past``, or cancelled after ``:cancelled``."""
    return or_(
        and_(status != "cancelled", end_at >= bindparam("past", type_=UTCDateTime)),
        and_(status == "cancelled", updated_at >= bindparam("cancelled", type_=UTCDateTime)),
    )


def _parts() -> tuple:
    """The feed's three parts, each (key, columns, FROM, WHERE for the owner ``:owner``).

    One-to-one sessions as volunteer, seats as learner, group sessions as
    volunteer: three indexed queries instead of one with an OR across tables,
    which no index serves. No note, no cancel reason, no learner of a group session.
    """
    owner = bindparam("owner", type_=Integer)
    booked = _BOOKINGS.join(_SESSIONS, _BOOKINGS.c.session_id == _SESSIONS.c.id)
    shown = _shown(_BOOKINGS.c.status, _SESSIONS.c.end_at, _BOOKINGS.c.updated_at)
    return (
        (_BOOKINGS.c.id, _BOOKED_COLUMNS, booked.join(_OTHER, _OTHER.c.id == _BOOKINGS.c.learner_id),
         and_(_SESSIONS.c.volunteer_id == owner, _SESSIONS.c.capacity == 1, shown)),
        (_BOOKINGS.c.id, _BOOKED_COLUMNS, booked.join(_OTHER, _OTHER.c.id == _SESSIONS.c.volunteer_id),
         and_(_BOOKINGS.c.learner_id == owner, shown)),
        (_SESSIONS.c.id, _GROUP_COLUMNS, _SESSIONS,
         and_(_SESSIONS.c.volunteer_id == owner, _SESSIONS.c.capacity > 1,
              _shown(_SESSIONS.c.status, _SESSIONS.c.end_at, _SESSIONS.c.updated_at))),
    )


@dataclass(frozen=True)
class _Statements:
    """The feed's statements, built once per dialect: a request only binds its owner and cut-offs."""

    rows: tuple  # per part: its rows, each with its stamp last, by key
    stamps: Any  # one row: per part, its rows' stamps joined by "," in key order


_statements: dict[str, _Statements] = {}


def _statements_for(dialect: str) -> _Statements:
    found = _statements.get(dialect)
    if found is not None:
        return found
    rows, aggregates = [], []
    for key, columns, source, where in _parts():
        stamp = _stamp(columns, dialect)
        rows.append(select(*columns, stamp).select_from(source).where(where).order_by(key))
        ordered = select(key.label("key"), stamp.label("stamp")).select_from(source).where(where)
        ordered = ordered.order_by(key).subquery()
        # PostgreSQL is told the order; SQLite (no ORDER BY in aggregates before 3.44) keeps the subquery's.
        if dialect == "postgresql":
            joined = func.string_agg(ordered.c.stamp, literal_column("','")).aggregate_order_by(ordered.c.key)
        else:
            joined = func.group_concat(ordered.c.stamp, literal_column("','"))
        aggregates.append(select(joined).scalar_subquery())
    found = _statements[dialect] = _Statements(rows=tuple(rows), stamps=select(*aggregates))
    return found


def cancelled_days() -> int:
    """How many days a cancelled session stays in feeds, as ``STATUS:CANCELLED`` (``FEED_CANCELLED_DAYS``)."""
    return int(_setting("FEED_CANCELLED_DAYS", DEFAULT_CANCELLED_DAYS))


def _bounds(owner_id: int, today: datetime) -> dict[str, Any]:
    past_days = int(_setting("FEED_PAST_DAYS", DEFAULT_PAST_DAYS))
    kept_days = cancelled_days()
    return {
        "owner": owner_id,
        "past": today - timedelta(days=past_days),
        "cancelled": today - timedelta(days=kept_days),
    }


def feed_stamps(owner_id: int, now: datetime) -> tuple[str, str, str]:
    """The feed's rows as three texts, from one small query: no rows to read or convert.

    Each part is its rows' ``_stamp`` joined by "," in key order, just as
    ``_load`` joins them from the rows it reads: equal stamps, equal rows.
    """
    connection = db.session.connection()
    statement = _statements_for(connection.dialect.name).stamps
    return tuple(part or "" for part in connection.execute(statement, _bounds(owner_id, day_start(now))).one())


def _load(owner: Owner, today: datetime) -> tuple[list[tuple], tuple[str, str, str]]:
    """The feed's rows (see ``feed_rows``) and their stamps (see ``feed_stamps``), read together."""
    connection = db.session.connection()
    bounds = _bounds(owner.id, today)
    as_volunteer, as_learner, groups = _statements_for(connection.dialect.name).rows
    me = (owner.display_name, owner.email, owner.language, owner.timezone)
    booked: dict[int, tuple] = {}
    stamps = []
    for statement, owner_is_volunteer in ((as_volunteer, True), (as_learner, False)):
        part = []
        for *values, stamp in connection.execute(statement, bounds):
            booking, other = values[:-len(_PERSON)], values[-len(_PERSON):]
            people = (*me, *other) if owner_is_volunteer else (*other, *me)
            booked[values[0]] = (BOOKING, *booking, *people)
            part.append(stamp)
        stamps.append(",".join(part))
    group_rows, part = [], []
    for *values, stamp in connection.execute(groups, bounds):
        group_rows.append((GROUP, *values))
        part.append(stamp)
    stamps.append(",".join(part))
    return [booked[key] for key in sorted(booked)] + group_rows, tuple(stamps)


def feed_rows(owner_id: int, now: datetime) -> list[tuple]:
    """The plain values of every event in ``owner_id``'s feed: bookings by id, then group sessions by id.

    Each row starts with its tag (``BOOKING`` or ``GROUP``); a booking's row
    ends with its volunteer's and its learner's name, email, language and zone.
    """
    row = db.session.connection().execute(
        select(*(_USERS.c[name] for name in Owner._fields)).where(_USERS.c.id == owner_id)
    ).one()
    return _load(Owner(*row), day_start(now))[0]


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
        volunteer=_person(owner, v_name, v_email, v_language, v_zone),
        learner=_person(owner, l_name, l_email, l_language, l_zone),
        # A group session's seats all meet in the session's one room.
        meeting_url=meeting_url_for_uid(session_uid(session_id) if capacity > 1 else uid),
        series_id=series_id,
    )


def _person(owner: Person, *fields: str) -> Person:
    """The person with these fields; the owner's own object when it is them (one object for the whole feed)."""
    return owner if fields == (owner.name, owner.email, owner.language, owner.timezone) else Person(*fields)


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


# Rendered feeds by fingerprint, bounded in bytes (FEED_CACHE_BYTES, read per request).
feed_cache: LRU[str, Feed] = LRU(DEFAULT_CACHE_BYTES, weigh=lambda feed: len(feed.body))


def _fingerprint(owner: Owner, stamps: tuple[str, str, str], today: datetime) -> str:
    """Everything the feed's bytes and validators depend on, hashed: the owner, the day, settings and rows."""
    config = current_app.config
    parts = (
        owner.id, owner.display_name, owner.email, owner.language, owner.timezone, today.isoformat(),
        config.get("BASE_URL"), config.get("MEETING_URL_TEMPLATE"),
        hashlib.sha256(str(config["SECRET_KEY"]).encode()).hexdigest(),
        stamps,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@cache
def _code_version() -> str:
    """A digest of what renders the bytes besides data and settings: this app's code, its translations, icalendar.

    Workers of two deploys may share a host for a while; one must not answer
    304 for bytes the other's code renders differently.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    try:
        for path in sorted(package.rglob("*.py")) + sorted(TRANSLATIONS_DIR.rglob("*.mo")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return secrets.token_hex(8)  # unreadable: this process shares with no other
    for distribution in ("icalendar", "tzdata"):
        try:
            digest.update(f"{distribution}={metadata.version(distribution)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return digest.hexdigest()[:16]


_code_version()  # now, while the files are the ones this process loaded (a deploy may replace them later)


class _SharedValidators:
    """Rendered feeds' validators on disk, for every worker process of this host (no Redis needed).

    Each worker caches feeds in its own memory, so a feed one worker rendered
    would be rendered again by each other worker a poll reaches. The worker
    that renders also writes the ETag, Last-Modified and number of sessions
    (no names, no bytes of the feed) to a file named by the feed's key; the
    others answer a matching conditional request from it. Keys hold today's
    date, so each day (and version of the code) has a directory and the
    others are removed. Errors only cost a render: it is a cache.
    """

    @staticmethod
    def _day(directory: str, today: datetime) -> Path:
        return Path(directory) / f"{today.date().isoformat()}-{_code_version()}"

    def get(self, directory: str, key: str, today: datetime) -> Feed | None:
        try:
            etag, modified, sessions = (self._day(directory, today) / key).read_text("ascii").split()
            return Feed(None, etag, datetime.fromisoformat(modified), int(sessions))
        except (OSError, ValueError):
            return None

    def put(self, directory: str, key: str, feed: Feed, today: datetime) -> None:
        day = self._day(directory, today)
        try:
            if not day.is_dir():
                day.mkdir(parents=True, exist_ok=True)
                for other in Path(directory).iterdir():
                    if other.name != day.name:
                        shutil.rmtree(other, ignore_errors=True)
            # Written whole, then renamed: a reader sees all of it or nothing.
            partial = day / f".{key}.{os.getpid()}.{threading.get_ident()}"
            partial.write_text(f"{feed.etag} {feed.last_modified.isoformat()} {feed.sessions}", "ascii")
            os.replace(partial, day / key)
        except OSError:
            return


shared_validators = _SharedValidators()


def _validator_dir() -> str:
    """Where the workers share validators (``FEED_VALIDATOR_DIR``; empty: not shared)."""
    configured = current_app.config.get("FEED_VALIDATOR_DIR")
    return os.path.join(current_app.instance_path, "feed-validators") if configured is None else configured


def feed_for(owner: Owner, now: datetime) -> Feed:
    """``owner``'s feed as of ``now``, from a cache when nothing it depends on changed.

    The caches are asked with the stamps alone; only a miss reads the rows and
    renders. From another worker's validators the feed has no ``body``: enough
    for a 304, and ``render_feed`` gives the bytes.
    """
    today = day_start(now)
    key = _fingerprint(owner, feed_stamps(owner.id, now), today)
    cached = feed_cache.get(key)
    if cached is None and (directory := _validator_dir()):
        cached = shared_validators.get(directory, key, today)
    return cached if cached is not None else render_feed(owner, now)


def render_feed(owner: Owner, now: datetime) -> Feed:
    """Read ``owner``'s rows and render their feed; cached under the stamps read with those rows.

    So what a cache holds always matches its key, even when the data changed
    since the stamps were asked for.
    """
    today = day_start(now)
    rows, stamps = _load(owner, today)
    person = Person(owner.display_name, owner.email, owner.language, owner.timezone)
    sessions = [_session_from_row(row, person) for row in rows]
    body = feed_ics(person, sessions)
    latest_change = max((session.changed_at for session in sessions), default=today)
    feed = Feed(body, etag_for(body), max(latest_change, today).replace(microsecond=0), len(sessions))
    key = _fingerprint(owner, stamps, today)
    feed_cache.put(key, feed, limit=int(_setting("FEED_CACHE_BYTES", DEFAULT_CACHE_BYTES)))
    if directory := _validator_dir():
        shared_validators.put(directory, key, feed, today)
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
