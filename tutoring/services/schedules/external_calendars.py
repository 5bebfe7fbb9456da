"""Volunteers' own calendars: connecting one, reading it (on a schedule or on demand), and its busy times.

A volunteer connects an ICS address or a CalDAV calendar. We read the events
from now to the end of their booking horizon, turn them into busy time
(``tutoring.calendar.busy``) and keep that in ``external_busy_times``,
replaced as a whole in one transaction on each successful read. A read that
fails changes nothing but the calendar's ``last_error``/``last_error_at``: the
last good copy keeps blocking slots, and the settings page says what went
wrong. Slot pages and bookings read the stored copy only
(:func:`external_busy`), never the network.

The address and sign-in details are stored only encrypted (Fernet, a key
derived with HKDF from ``TUTORING_CALENDAR_KEY`` or else ``SECRET_KEY``); they
are never logged and never shown back (pages show the host name only).

Network reads happen outside any database transaction: on SQLite every
transaction holds the write lock (BEGIN IMMEDIATE), and a slow calendar
server must not stall every other writer. Call these functions with no
unflushed work of your own; they commit.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_request_context
from flask_babel import gettext
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from tutoring.calendar.busy import TooBusy, UnreadableCalendar, busy_intervals
from tutoring.calendar.text import N_
from tutoring.config import parse_bool
from tutoring.extensions import db
from tutoring.services.errors import FieldError
from tutoring.models import VolunteerProfile
from tutoring.models.external_calendar import CALENDAR_KINDS, ExternalBusyTime, ExternalCalendar
from tutoring.scheduling import ExternalBusy
from tutoring.scheduling.slots import LONGEST_BUSY_SECONDS
from tutoring.services.schedules import calendar_fetch
from tutoring.services.schedules.calendar_fetch import FetchError, Limits, Source
from tutoring.timeutil import utcnow
from tutoring.urls import service_domain
from tutoring.models.types import MAX_ID

log = logging.getLogger(__name__)
# The caldav library logs addresses at DEBUG; an ICS address's path is often its secret.
logging.getLogger("caldav").setLevel(logging.WARNING)

USERNAME_MAX_LENGTH = 200
PASSWORD_MAX_LENGTH = 500

# Settings (``TUTORING_<NAME>`` in the environment) and their defaults.
DEFAULTS: dict[str, Any] = {
    "CALENDAR_KEY": None,               # key material for the credentials; default: derived from SECRET_KEY
    "CALENDAR_ALLOW_PRIVATE": False,    # may addresses resolve to loopback/private networks? (SSRF: keep False)
                                        # true/false, or a comma list of the internal addresses or networks allowed
    "CALENDAR_REFRESH_MINUTES": 15,     # how often the worker reads each calendar
    "CALENDAR_REFRESH_BATCH": 5,        # calendars one worker round reads at most
    "CALENDAR_TIMEOUT_SECONDS": 15,     # per network operation
    "CALENDAR_MAX_BYTES": 5 * 1024 * 1024,
    "CALENDAR_MAX_PER_VOLUNTEER": 3,
}

# Error codes stored in ``last_error`` beyond calendar_fetch's: the saved
# details can't be decrypted (the key changed), or something unexpected.
CREDENTIALS_UNREADABLE = "credentials_unreadable"
FAILED = "failed"



# What the settings page says for each error code (translated when shown).
ERROR_MESSAGES = {
    calendar_fetch.BAD_ADDRESS: N_("This is not a calendar address: it must start with https://, http:// or webcal://."),
    # One sentence for "refused by the address check" and "could not connect": two would tell
    # a prober which internal names exist and which ports are open (issue 21).
    calendar_fetch.BLOCKED_ADDRESS: N_("The calendar server could not be reached. This service reads only servers on the public internet."),
    calendar_fetch.UNREACHABLE: N_("The calendar server could not be reached. This service reads only servers on the public internet."),
    calendar_fetch.REFUSED: N_("The calendar server refused the user name or password."),
    calendar_fetch.NOT_FOUND: N_("The calendar server says there is no calendar at this address."),
    calendar_fetch.SERVER_ERROR: N_("The calendar server answered with an error."),
    calendar_fetch.TOO_LARGE: N_("The calendar is too large to read."),
    calendar_fetch.NOT_A_CALENDAR: N_("The address did not give a calendar we can read."),
    CREDENTIALS_UNREADABLE: N_("The saved details of this calendar can no longer be read. Please remove it and connect it again."),
    FAILED: N_("Something went wrong while reading the calendar."),
}


def setting(name: str) -> Any:
    """A calendar setting from the app's config, else its default."""
    value = current_app.config.get(name)
    return DEFAULTS[name] if value is None else value


def limits() -> Limits:
    """Network limits from the settings."""
    return Limits(
        timeout_seconds=float(setting("CALENDAR_TIMEOUT_SECONDS")),
        max_bytes=int(setting("CALENDAR_MAX_BYTES")),
        allow_private=_allow_private(setting("CALENDAR_ALLOW_PRIVATE")),
        private_networks=_private_networks(setting("CALENDAR_ALLOW_PRIVATE")),
    )


def _networks_in(value: Any) -> tuple[str, ...] | None:
    """``"10.0.0.5, 192.168.1.0/24"`` as networks, or None when ``value`` is no such list."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = [str(item).strip() for item in value]
    else:
        return None
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in items) or None
    except ValueError:
        return None


def _allow_private(value: Any) -> bool:
    """Every internal address allowed? A list of networks allows only those (``_private_networks``)."""
    return False if _networks_in(value) is not None else _flag(value)


def _private_networks(value: Any) -> tuple[str, ...]:
    return _networks_in(value) or ()


def _flag(value: Any) -> bool:
    """A true/false setting; from the environment it may arrive as text (``TUTORING_CALENDAR_ALLOW_PRIVATE=no``)."""
    return parse_bool(value, False) if isinstance(value, str) else bool(value)


# --- errors -------------------------------------------------------------------------------------


class CalendarError(FieldError):
    """A calendar can't be connected as asked; nothing was saved. ``field`` names the input at fault."""


class CalendarNotFound(LookupError):
    """No such calendar, or not this volunteer's (a 404)."""


def error_message(code: str | None) -> str:
    """The sentence for a stored error code, in the current language."""
    msgid = ERROR_MESSAGES.get(code or "", ERROR_MESSAGES[FAILED])
    return gettext(msgid) if has_request_context() else msgid


# --- secrets ------------------------------------------------------------------------------------


def _fernet() -> Fernet:
    """The Fernet key: HKDF-SHA256 of ``CALENDAR_KEY`` (or else ``SECRET_KEY``), for this purpose only."""
    material = setting("CALENDAR_KEY") or current_app.config["SECRET_KEY"]
    if isinstance(material, str):
        material = material.encode("utf-8")
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tutoring", info=b"external calendar credentials v1"
    ).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(source: Source) -> bytes:
    """``source`` encrypted for storage."""
    plain = json.dumps({"kind": source.kind, "url": source.url, "username": source.username, "password": source.password})
    return _fernet().encrypt(plain.encode("utf-8"))


def unseal(token: bytes) -> Source:
    """The stored ``source``; raises ``FetchError(CREDENTIALS_UNREADABLE)`` if the key changed."""
    try:
        data = json.loads(_fernet().decrypt(bytes(token)))
        return Source(kind=data["kind"], url=data["url"], username=data["username"], password=data["password"])
    except (InvalidToken, ValueError, KeyError, TypeError) as error:
        raise FetchError(CREDENTIALS_UNREADABLE) from error


# --- reading the stored copy --------------------------------------------------------------------


def calendars_of(volunteer_id: int) -> list[ExternalCalendar]:
    """The volunteer's connected calendars, oldest first."""
    return list(
        db.session.scalars(
            select(ExternalCalendar).where(ExternalCalendar.volunteer_id == volunteer_id).order_by(ExternalCalendar.id)
        )
    )


def own_calendar(volunteer_id: int, calendar_id: int) -> ExternalCalendar:
    """The volunteer's calendar ``calendar_id``; :class:`CalendarNotFound` for anyone else's or a missing one."""
    if not 1 <= calendar_id <= MAX_ID:
        raise CalendarNotFound()
    found = db.session.scalar(
        select(ExternalCalendar).where(ExternalCalendar.id == calendar_id, ExternalCalendar.volunteer_id == volunteer_id)
    )
    if found is None:
        raise CalendarNotFound()
    return found


def busy_counts(calendar_ids: Sequence[int], now: datetime | None = None) -> dict[int, int]:
    """How many stored busy times of each calendar are still to come (for the settings page)."""
    if not calendar_ids:
        return {}
    now = now or utcnow()
    rows = db.session.execute(
        select(ExternalBusyTime.calendar_id, func.count())
        .where(ExternalBusyTime.calendar_id.in_(list(calendar_ids)), ExternalBusyTime.end_at > now)
        .group_by(ExternalBusyTime.calendar_id)
    )
    return {calendar_id: count for calendar_id, count in rows}


def external_busy(volunteer_ids: Sequence[int], start_at: datetime, end_at: datetime) -> dict[int, list[ExternalBusy]]:
    """Stored busy times of each volunteer that can overlap [start_at, end_at), sorted, as ``ExternalBusy``."""
    if not volunteer_ids:
        return {}
    # Each stored piece lasts at most a day, so one day back finds all that reach in.
    query = (
        select(ExternalBusyTime.volunteer_id, ExternalBusyTime.start_at, ExternalBusyTime.end_at)
        .where(
            ExternalBusyTime.volunteer_id.in_(list(volunteer_ids)),
            ExternalBusyTime.start_at >= start_at - timedelta(seconds=LONGEST_BUSY_SECONDS),
            ExternalBusyTime.start_at < end_at,
        )
        .order_by(ExternalBusyTime.volunteer_id, ExternalBusyTime.start_at)
    )
    busy: dict[int, list[ExternalBusy]] = defaultdict(list)
    for volunteer_id, busy_start, busy_end in db.session.execute(query):
        busy[volunteer_id].append(ExternalBusy(busy_start, busy_end))
    return busy


# --- connecting and removing --------------------------------------------------------------------


def connect_calendar(
    volunteer_id: int, kind: str, address: str, username: str = "", password: str = "", now: datetime | None = None
) -> ExternalCalendar:
    """Connect a calendar after reading it once successfully; commits. Raises :class:`CalendarError` (nothing saved)."""
    now = now or utcnow()
    if kind not in CALENDAR_KINDS:
        raise CalendarError("kind", N_("Choose the kind of calendar: an ICS address or CalDAV."))
    username = _short_text(username, "username", USERNAME_MAX_LENGTH)
    password = _short_text(password, "password", PASSWORD_MAX_LENGTH, strip=False)
    try:
        url, url_username, url_password = calendar_fetch.normalize_address(address)
    except FetchError as error:
        raise CalendarError("url", ERROR_MESSAGES[error.code]) from None
    source = Source(kind=kind, url=url, username=username or url_username, password=password or url_password)
    volunteer = db.session.get(VolunteerProfile, volunteer_id)
    if volunteer is None:
        raise CalendarNotFound()
    if len(calendars_of(volunteer_id)) >= int(setting("CALENDAR_MAX_PER_VOLUNTEER")):
        raise CalendarError(
            "url", N_("You can connect at most %(count)d calendars."), count=int(setting("CALENDAR_MAX_PER_VOLUNTEER"))
        )
    plan = _plan(volunteer, now)
    db.session.commit()  # no transaction (and on SQLite no write lock) while we wait for the network
    try:
        intervals = _read(source, plan)
    except FetchError as error:
        log.info("calendar for volunteer %s: first read failed (%s)", volunteer_id, error.code)
        field = "password" if error.code == calendar_fetch.REFUSED else "url"
        raise CalendarError(field, ERROR_MESSAGES.get(error.code, ERROR_MESSAGES[FAILED])) from None

    calendar = ExternalCalendar(
        volunteer_id=volunteer_id,
        kind=kind,
        host=calendar_fetch.host_of(url),
        secret=seal(source),
        created_at=now,
        next_refresh_at=now + _refresh_interval(),
        last_attempt_at=now,
        last_success_at=now,
    )
    db.session.add(calendar)
    db.session.flush()
    _insert_busy(calendar, intervals)
    db.session.commit()
    log.info("calendar %s connected for volunteer %s (%s, %d busy times)", calendar.id, volunteer_id, kind, len(intervals))
    return calendar


def disconnect_calendar(volunteer_id: int, calendar_id: int) -> None:
    """Forget a calendar, its secrets and its busy times; commits."""
    calendar = own_calendar(volunteer_id, calendar_id)
    db.session.execute(delete(ExternalBusyTime).where(ExternalBusyTime.calendar_id == calendar.id))
    db.session.delete(calendar)
    db.session.commit()
    log.info("calendar %s removed by volunteer %s", calendar_id, volunteer_id)


# --- refreshing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ReadPlan:
    """What a read needs to know about the volunteer, taken before the transaction ends."""

    zone: str
    start_at: datetime
    end_at: datetime


def _plan(volunteer: VolunteerProfile, now: datetime) -> _ReadPlan:
    """Read from now (to the minute) to the end of the volunteer's horizon, plus a day for slots reaching past it."""
    start_at = now.replace(second=0, microsecond=0)
    return _ReadPlan(volunteer.user.timezone, start_at, start_at + timedelta(days=volunteer.horizon_days + 1))


def _read(source: Source, plan: _ReadPlan) -> list:
    """Fetch and interpret; every failure is a FetchError with a code."""
    texts = calendar_fetch.fetch_texts(source, plan.start_at, plan.end_at, limits())
    try:
        return busy_intervals(texts, plan.start_at, plan.end_at, plan.zone, own_uid_domain=_own_uid_domain())
    except UnreadableCalendar as error:
        raise FetchError(calendar_fetch.NOT_A_CALENDAR, str(error)) from None
    except TooBusy as error:
        raise FetchError(calendar_fetch.TOO_LARGE, str(error)) from None


def refresh_calendar(calendar_id: int, now: datetime | None = None) -> ExternalCalendar | None:
    """Read one calendar now and store the outcome; commits. None if the calendar is gone.

    Success replaces its busy times in one transaction; failure keeps them
    and records ``last_error``. The next scheduled read is one interval later.
    """
    now = now or utcnow()
    calendar = db.session.scalar(
        select(ExternalCalendar)
        .where(ExternalCalendar.id == calendar_id)
        .options(selectinload(ExternalCalendar.volunteer).selectinload(VolunteerProfile.user))
    )
    if calendar is None:
        db.session.commit()
        return None
    volunteer_id = calendar.volunteer_id
    try:
        source = unseal(calendar.secret)
        plan = _plan(calendar.volunteer, now)
    except FetchError as error:
        source, plan, failure = None, None, error.code
    else:
        failure = None
    db.session.commit()  # end the transaction before the network

    intervals: list = []
    if failure is None:
        try:
            intervals = _read(source, plan)
        except FetchError as error:
            failure = error.code
        except Exception as error:  # noqa: BLE001  (a bug must not stop the worker; no address in the log)
            log.error("calendar %s: unexpected %s while reading", calendar_id, type(error).__name__)
            failure = FAILED

    calendar = _lock_calendar(calendar_id)
    if calendar is None:  # removed while we were reading
        db.session.commit()
        return None
    calendar.last_attempt_at = now
    calendar.next_refresh_at = now + _refresh_interval()
    if failure is None:
        db.session.execute(delete(ExternalBusyTime).where(ExternalBusyTime.calendar_id == calendar.id))
        _insert_busy(calendar, intervals)
        calendar.last_success_at = now
        calendar.last_error = None
        calendar.last_error_at = None
        log.info("calendar %s of volunteer %s: %d busy times", calendar_id, volunteer_id, len(intervals))
    else:
        calendar.last_error = failure
        calendar.last_error_at = now
        log.warning("calendar %s of volunteer %s: read failed (%s); keeping the last good copy",
                    calendar_id, volunteer_id, failure)
    db.session.commit()
    return calendar


def refresh_own_calendar(volunteer_id: int, calendar_id: int, now: datetime | None = None) -> ExternalCalendar:
    """The "Refresh now" button: read the volunteer's own calendar ``calendar_id`` now; commits."""
    own_calendar(volunteer_id, calendar_id)
    refreshed = refresh_calendar(calendar_id, now)
    if refreshed is None:
        raise CalendarNotFound()
    return refreshed


def refresh_due_calendars(now: datetime | None = None, limit: int | None = None) -> int:
    """Read the calendars whose time has come (the worker calls this each round); returns how many were read.

    Each calendar is claimed first by moving its ``next_refresh_at`` forward
    with a conditional UPDATE, so several workers never read the same one twice.
    """
    now = now or utcnow()
    limit = int(setting("CALENDAR_REFRESH_BATCH")) if limit is None else limit
    due = list(
        db.session.scalars(
            select(ExternalCalendar.id)
            .where(ExternalCalendar.next_refresh_at <= now)
            .order_by(ExternalCalendar.next_refresh_at)
            .limit(limit)
        )
    )
    db.session.commit()
    read = 0
    for calendar_id in due:
        claimed = db.session.execute(
            update(ExternalCalendar)
            .where(ExternalCalendar.id == calendar_id, ExternalCalendar.next_refresh_at <= now)
            .values(next_refresh_at=now + _refresh_interval())
        ).rowcount
        db.session.commit()
        if claimed:
            refresh_calendar(calendar_id, now)
            read += 1
    return read


def refresh_all_calendars(now: datetime | None = None) -> tuple[int, int]:
    """Read every connected calendar now (``flask calendars refresh``); returns (read, failed)."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(ExternalCalendar.id).order_by(ExternalCalendar.id)))
    db.session.commit()
    failed = 0
    for calendar_id in ids:
        calendar = refresh_calendar(calendar_id, now)
        if calendar is not None and calendar.last_error is not None:
            failed += 1
    return len(ids), failed


# --- internals ----------------------------------------------------------------------------------


def _own_uid_domain() -> str:
    """The domain of our sessions' UIDs (``tutoring.booking.engine.new_booking_uid``): their copies in a
    volunteer's calendar (subscribed to our feed) are not read as busy time."""
    return service_domain()


def _refresh_interval() -> timedelta:
    return timedelta(minutes=float(setting("CALENDAR_REFRESH_MINUTES")))


def _lock_calendar(calendar_id: int) -> ExternalCalendar | None:
    """The calendar re-read under ``FOR UPDATE`` (on SQLite the transaction already holds the write lock)."""
    return db.session.scalar(
        select(ExternalCalendar)
        .where(ExternalCalendar.id == calendar_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _insert_busy(calendar: ExternalCalendar, intervals: list) -> None:
    if intervals:
        db.session.execute(
            insert(ExternalBusyTime),
            [
                {"calendar_id": calendar.id, "volunteer_id": calendar.volunteer_id, "start_at": start, "end_at": end}
                for start, end in intervals
            ],
        )


def _short_text(value: str | None, field: str, max_length: int, strip: bool = True) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise CalendarError(field, N_("This text contains a character that is not allowed."))
    value = value.strip() if strip else value
    if len(value) > max_length:
        raise CalendarError(field, N_("This text is too long (at most %(max)d characters)."), max=max_length)
    return value


__all__ = [
    "DEFAULTS",
    "ERROR_MESSAGES",
    "CalendarError",
    "CalendarNotFound",
    "busy_counts",
    "calendars_of",
    "connect_calendar",
    "disconnect_calendar",
    "error_message",
    "external_busy",
    "own_calendar",
    "refresh_all_calendars",
    "refresh_calendar",
    "refresh_due_calendars",
    "refresh_own_calendar",
    "seal",
    "unseal",
]
