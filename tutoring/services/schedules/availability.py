"""A volunteer's availability: read it, replace it whole, or change one piece, always validated.

Two doors, one set of rules:

* ``parse_availability`` + ``replace_availability``: the SPEC §4 document
  (``PUT /api/v1/me/availability``), read strictly; the first problem is an
  :class:`AvailabilityError` naming the field (``rules[1].end``), and nothing
  is written.
* ``add_rule``, ``change_rule``, ``remove_rule``, ``add_away``, ... : the
  editor's one-piece changes, from form text; errors name the piece's own
  field (``start``, ``to``) so a form can show them next to the input.

Every write runs in one transaction that first locks the volunteer's profile
row (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serializes
writers anyway), the same lock the booking service takes, so a booking never
sees half an availability, and checks against other windows see what is
committed now.

Refused (SPEC §1, and where the SPEC is silent, see docs/SCHEDULING.md):

* weekly windows that overlap in local wall-clock time, including a window
  that runs past midnight into the next day's (or, from Sunday, into
  Monday's); windows that only touch are fine (they merge);
* extra windows that overlap on the same dates the same way; away periods
  that overlap each other, or end before they begin;
* session settings outside their ranges; unknown IANA zones;
* times that are not ``HH:MM``, dates that are not ``YYYY-MM-DD`` (years
  2000-2199), weekdays outside 0 (Monday) .. 6 (Sunday).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tutoring.calendar.text import N_
from tutoring.extensions import db
from tutoring.services.errors import FieldError
from tutoring.models import AvailabilityRule, AwayPeriod, ExtraWindow, VolunteerProfile
from tutoring.models.availability import MAX_GROUP_CAPACITY
from tutoring.scheduling import SessionSettings, Slot, day_range_bounds, slots_between
from tutoring.booking.slots import busy_by_volunteer
from tutoring.timeutil import is_valid_zone, utcnow
from tutoring.models.types import MAX_ID

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

# SPEC §1 session settings: name -> (smallest, largest).
SETTING_RANGES: dict[str, tuple[int, int]] = {
    "session_minutes": (10, 240),
    "buffer_minutes": (0, 120),
    "min_notice_hours": (0, 336),
    "horizon_days": (1, 365),
    "max_sessions_per_week": (1, 100),
}
OPTIONAL_SETTINGS = frozenset({"max_sessions_per_week"})
DOCUMENT_KEYS = ("timezone", *SETTING_RANGES, "rules", "away", "extra")

# Enough for anyone's week; a bound keeps one request from writing thousands of rows.
MAX_RULES = 100
MAX_AWAY = 100
MAX_EXTRA = 200
# Dates people can mean; far years would also overflow the date arithmetic.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2199, 12, 31)
PREVIEW_DAYS = 14

_STRICT_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# Forms: browsers send HH:MM from <input type="time"> (HH:MM:SS with a seconds step); people type 9:30.
_FORM_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::00)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")



# --- errors ------------------------------------------------------------------


class AvailabilityError(FieldError):
    """Invalid availability input; nothing was saved.

    ``field`` names the input at fault: a document path such as
    ``rules[1].end`` from :func:`parse_availability`, or a plain name such as
    ``end`` from the one-piece editor functions. ``message`` is for people,
    in the current request's language.
    """

    def at(self, prefix: str) -> AvailabilityError:
        """The same error with its field placed under ``prefix`` (``end`` -> ``rules[1].end``)."""
        return AvailabilityError(f"{prefix}.{self.field}" if prefix else self.field, self.msgid, **self.params)


class AvailabilityNotFound(LookupError):
    """No such volunteer, or the window or period is not theirs (a 404)."""


# --- plain values ------------------------------------------------------------


@dataclass(frozen=True)
class RuleInput:
    """A weekly window to store: weekday 0=Monday, minutes after midnight; an end at or before the start is the next day."""

    weekday: int
    start_minute: int
    end_minute: int
    valid_from: date | None = None
    valid_until: date | None = None
    id: int | None = None
    capacity: int = 1  # learners per session: above 1 a group window (docs/GROUPS.md)

    @property
    def week_span(self) -> tuple[int, int]:
        """[start, end) in minutes after Monday 00:00; the end may pass the week's end."""
        start = self.weekday * MINUTES_PER_DAY + self.start_minute
        return start, start + _length(self.start_minute, self.end_minute)


@dataclass(frozen=True)
class AwayInput:
    """Inclusive local dates with no slots."""

    first_on: date
    last_on: date
    id: int | None = None


@dataclass(frozen=True)
class ExtraInput:
    """A one-off window on one local date."""

    on: date
    start_minute: int
    end_minute: int
    id: int | None = None
    capacity: int = 1

    @property
    def span(self) -> tuple[int, int]:
        """[start, end) in minutes on a day-numbered axis, so windows of all dates compare."""
        start = self.on.toordinal() * MINUTES_PER_DAY + self.start_minute
        return start, start + _length(self.start_minute, self.end_minute)


@dataclass(frozen=True)
class AvailabilityInput:
    """A whole, validated availability: what ``replace_availability`` stores."""

    timezone: str
    settings: SessionSettings
    rules: tuple[RuleInput, ...]
    away: tuple[AwayInput, ...]
    extra: tuple[ExtraInput, ...]


def _length(start_minute: int, end_minute: int) -> int:
    """Minutes from start to end; an end at or before the start is on the next day (equal: 24 hours)."""
    return end_minute - start_minute if end_minute > start_minute else end_minute + MINUTES_PER_DAY - start_minute


def clock_text(minute: int) -> str:
    """``HH:MM`` for minutes after midnight (how the API writes times)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def ends_next_day(start_minute: int, end_minute: int) -> bool:
    """True when a window with these times ends on the day after it starts."""
    return end_minute <= start_minute


# --- reading values ----------------------------------------------------------


def parse_clock(value: Any, field: str, *, strict: bool = True) -> int:
    """``HH:MM`` (strict: exactly, as the API promises; else also ``9:30`` and ``HH:MM:00``) -> minutes after midnight."""
    match = None
    if isinstance(value, str):
        match = (_STRICT_CLOCK if strict else _FORM_CLOCK).fullmatch(value if strict else value.strip())
    if match is None:
        raise AvailabilityError(field, N_("Write the time as HH:MM, for example 18:30."))
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_date(value: Any, field: str, *, strict: bool = True) -> date:
    """``YYYY-MM-DD`` -> date, within the years people plan for."""
    text = value.strip() if isinstance(value, str) and not strict else value
    day = None
    if isinstance(text, str) and _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
    if day is None:
        raise AvailabilityError(field, N_("Write the date as YYYY-MM-DD, for example 2026-12-24."))
    if not FIRST_DATE <= day <= LAST_DATE:
        raise AvailabilityError(
            field, N_("Choose a date between %(first)s and %(last)s."), first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()
        )
    return day


def parse_weekday(value: Any, field: str, *, strict: bool = True) -> int:
    """0 (Monday) .. 6 (Sunday); forms send it as text."""
    if not strict and isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 6:
        raise AvailabilityError(field, N_("Choose a day of the week: 0 (Monday) to 6 (Sunday)."))
    return value


def parse_setting(name: str, value: Any, *, strict: bool = True) -> int | None:
    """A session setting within its SPEC §1 range; ``max_sessions_per_week`` may be empty (no cap).

    Strict (JSON): a whole number (or null for the cap). Forms: digits, or
    blank for the cap.
    """
    low, high = SETTING_RANGES[name]
    if not strict and isinstance(value, str):
        value = value.strip()
        if value == "" and name in OPTIONAL_SETTINGS:
            return None
        value = int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else value
    if value is None and name in OPTIONAL_SETTINGS:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        if name in OPTIONAL_SETTINGS:
            raise AvailabilityError(
                name, N_("Enter a whole number from %(low)d to %(high)d, or leave it empty for no limit."), low=low, high=high
            )
        raise AvailabilityError(name, N_("Enter a whole number from %(low)d to %(high)d."), low=low, high=high)
    return value


def parse_capacity(value: Any, field: str = "capacity", *, strict: bool = True) -> int:
    """Learners per session of a window: 1 (one at a time) or a group of 2..MAX_GROUP_CAPACITY; form text may be blank (1)."""
    if not strict and isinstance(value, str):
        value = value.strip() or "1"
        value = int(value) if value.isdigit() else value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_GROUP_CAPACITY:
        raise AvailabilityError(
            field, N_("Learners per session must be a whole number from 1 to %(max)d (1: one learner at a time)."),
            max=MAX_GROUP_CAPACITY,
        )
    return value


def parse_zone(value: Any, field: str = "timezone") -> str:
    """An IANA zone name that the shipped tzdata knows."""
    if not isinstance(value, str) or not is_valid_zone(value):
        raise AvailabilityError(field, N_("Choose a time zone from the list, such as Africa/Cairo."))
    return value


def parse_rule_fields(weekday: Any, start: Any, end: Any, *, strict: bool = True) -> RuleInput:
    """A weekly window from its three fields (errors name ``weekday``, ``start`` or ``end``)."""
    return RuleInput(
        parse_weekday(weekday, "weekday", strict=strict),
        parse_clock(start, "start", strict=strict),
        parse_clock(end, "end", strict=strict),
    )


def parse_away_fields(first: Any, last: Any, *, strict: bool = True) -> AwayInput:
    """An away period from its two dates (errors name ``from`` or ``to``)."""
    first_on = parse_date(first, "from", strict=strict)
    last_on = parse_date(last, "to", strict=strict)
    if last_on < first_on:
        raise AvailabilityError("to", N_("The last day must be on or after the first day."))
    return AwayInput(first_on, last_on)


def parse_extra_fields(on: Any, start: Any, end: Any, *, strict: bool = True) -> ExtraInput:
    """A one-off window from its date and times (errors name ``date``, ``start`` or ``end``)."""
    return ExtraInput(
        parse_date(on, "date", strict=strict),
        parse_clock(start, "start", strict=strict),
        parse_clock(end, "end", strict=strict),
    )


# --- the SPEC §4 document ----------------------------------------------------


def _object(value: Any, field: str, keys: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    """A JSON object with exactly ``keys`` (plus any of ``optional``); the first stray or missing key is named."""
    if not isinstance(value, dict):
        raise AvailabilityError(field or "body", N_("Send a JSON object."))
    prefix = f"{field}." if field else ""
    for key in value:
        if key not in keys and key not in optional:
            raise AvailabilityError(f"{prefix}{key}", N_("This field is not part of an availability."))
    for key in keys:
        if key not in value:
            raise AvailabilityError(f"{prefix}{key}", N_("This field is required."))
    return value


def _array(value: Any, field: str, most: int) -> list[Any]:
    if not isinstance(value, list):
        raise AvailabilityError(field, N_("Send a list (a JSON array)."))
    if len(value) > most:
        raise AvailabilityError(field, N_("At most %(max)d entries."), max=most)
    return value


def _optional_date(value: Any, field: str) -> date | None:
    return None if value is None else parse_date(value, field)


def parse_availability(document: Any) -> AvailabilityInput:
    """Read a SPEC §4 availability document strictly; raise the first problem as an AvailabilityError naming its field.

    Checks everything that doesn't need the database: shapes, formats,
    ranges, zones, and overlaps between the document's own windows.
    """
    body = _object(document, "", DOCUMENT_KEYS)
    zone = parse_zone(body["timezone"])
    settings = SessionSettings(**{name: parse_setting(name, body[name]) for name in SETTING_RANGES})

    rules = []
    for index, item in enumerate(_array(body["rules"], "rules", MAX_RULES)):
        field = f"rules[{index}]"
        raw = _object(item, field, ("weekday", "start", "end"), ("valid_from", "valid_until", "capacity"))
        try:
            rule = parse_rule_fields(raw["weekday"], raw["start"], raw["end"])
            valid_from = _optional_date(raw.get("valid_from"), "valid_from")
            valid_until = _optional_date(raw.get("valid_until"), "valid_until")
            capacity = parse_capacity(raw.get("capacity", 1))
        except AvailabilityError as error:
            raise error.at(field) from None
        if valid_from and valid_until and valid_until < valid_from:
            raise AvailabilityError(f"{field}.valid_until", N_("The last day must be on or after the first day."))
        rules.append(RuleInput(rule.weekday, rule.start_minute, rule.end_minute, valid_from, valid_until, capacity=capacity))
    check_rules(rules, field_of=lambda index, part: f"rules[{index}].{part}")

    away = []
    for index, item in enumerate(_array(body["away"], "away", MAX_AWAY)):
        field = f"away[{index}]"
        raw = _object(item, field, ("from", "to"))
        try:
            away.append(parse_away_fields(raw["from"], raw["to"]))
        except AvailabilityError as error:
            raise error.at(field) from None
    check_away(away, field_of=lambda index, part: f"away[{index}].{part}")

    extra = []
    for index, item in enumerate(_array(body["extra"], "extra", MAX_EXTRA)):
        field = f"extra[{index}]"
        raw = _object(item, field, ("date", "start", "end"), ("capacity",))
        try:
            window = parse_extra_fields(raw["date"], raw["start"], raw["end"])
            extra.append(ExtraInput(window.on, window.start_minute, window.end_minute,
                                    capacity=parse_capacity(raw.get("capacity", 1))))
        except AvailabilityError as error:
            raise error.at(field) from None
    check_extra(extra, field_of=lambda index, part: f"extra[{index}].{part}")

    return AvailabilityInput(zone, settings, tuple(rules), tuple(away), tuple(extra))


def availability_document(volunteer: VolunteerProfile) -> dict[str, Any]:
    """The volunteer's availability in the SPEC §4 shape (rules by weekday and start, periods and windows by date).

    A rule's ``valid_from``/``valid_until`` appear only when set, so the SPEC's
    own example reads back exactly as it was sent.
    """
    rules = []
    for rule in volunteer.rules:
        item: dict[str, Any] = {"weekday": rule.weekday, "start": clock_text(rule.start_minute), "end": clock_text(rule.end_minute)}
        if rule.valid_from_on is not None:
            item["valid_from"] = rule.valid_from_on.isoformat()
        if rule.valid_until_on is not None:
            item["valid_until"] = rule.valid_until_on.isoformat()
        if rule.capacity > 1:
            item["capacity"] = rule.capacity
        rules.append(item)
    return {
        "timezone": volunteer.user.timezone,
        **{name: getattr(volunteer, name) for name in SETTING_RANGES},
        "rules": rules,
        "away": [{"from": p.first_on.isoformat(), "to": p.last_on.isoformat()} for p in volunteer.away_periods],
        "extra": [
            {"date": w.day_on.isoformat(), "start": clock_text(w.start_minute), "end": clock_text(w.end_minute)}
            | ({"capacity": w.capacity} if w.capacity > 1 else {})
            for w in volunteer.extra_windows
        ],
    }


# --- overlaps ----------------------------------------------------------------


def _overlap_field(later: tuple[int, int], earlier: tuple[int, int]) -> str:
    """Which end of ``later`` reaches into ``earlier``: its start if that lies inside, else its end."""
    return "start" if earlier[0] <= later[0] < earlier[1] else "end"


def _validity_meets(a: RuleInput, b: RuleInput) -> bool:
    """True if two rules can be in force at the same time.

    Validity dates are compared with the date a window starts on, so a window
    that runs past midnight can meet one that only starts to apply the next
    day: one day of slack then.
    """
    first = max(a.valid_from or date.min, b.valid_from or date.min)
    last = min(a.valid_until or date.max, b.valid_until or date.max)
    if first <= last:
        return True
    crosses_midnight = ends_next_day(a.start_minute, a.end_minute) or ends_next_day(b.start_minute, b.end_minute)
    return crosses_midnight and first - last <= timedelta(days=1)


def _rule_clash(new: RuleInput, other: RuleInput) -> str | None:
    """The field of ``new`` that reaches into ``other`` on the weekly circle, or None if they don't overlap."""
    if not _validity_meets(new, other):
        return None
    start, end = new.week_span
    for shift in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK):
        other_start, other_end = other.week_span
        other_start, other_end = other_start + shift, other_end + shift
        if start < other_end and other_start < end:  # half-open: touching windows merge, they don't clash
            return _overlap_field((start, end), (other_start, other_end))
    return None


def _weekday_name(weekday: int) -> str:
    from babel.dates import get_day_names

    locale = get_locale() if has_request_context() else None
    return get_day_names("wide", locale=locale or "en")[weekday]


def _clash_error(field: str, day: str, start_minute: int, end_minute: int) -> AvailabilityError:
    return AvailabilityError(
        field,
        N_("This window overlaps another one on %(day)s (%(start)s–%(end)s)."),
        day=day,
        start=clock_text(start_minute),
        end=clock_text(end_minute),
    )


def check_rule_against(new: RuleInput, others: Sequence[RuleInput], field_of=lambda part: part) -> None:
    """Refuse ``new`` if it overlaps any of ``others`` in wall-clock time (the error names ``start`` or ``end``)."""
    for other in others:
        part = _rule_clash(new, other)
        if part is not None:
            raise _clash_error(field_of(part), _weekday_name(other.weekday), other.start_minute, other.end_minute)


def check_rules(rules: Sequence[RuleInput], field_of) -> None:
    """Refuse the first rule that overlaps an earlier one; ``field_of(index, part)`` names the field."""
    for index, rule in enumerate(rules):
        check_rule_against(rule, rules[:index], lambda part, index=index: field_of(index, part))


def check_extra_against(new: ExtraInput, others: Sequence[ExtraInput], field_of=lambda part: part) -> None:
    """Refuse ``new`` if it overlaps another extra window (windows past midnight included)."""
    start, end = new.span
    for other in others:
        other_start, other_end = other.span
        if start < other_end and other_start < end:
            raise AvailabilityError(
                field_of(_overlap_field((start, end), (other_start, other_end))),
                N_("This window overlaps another one on %(day)s (%(start)s–%(end)s)."),
                day=other.on.isoformat(),
                start=clock_text(other.start_minute),
                end=clock_text(other.end_minute),
            )


def check_extra(windows: Sequence[ExtraInput], field_of) -> None:
    """Refuse the first extra window that overlaps an earlier one."""
    for index, window in enumerate(windows):
        check_extra_against(window, windows[:index], lambda part, index=index: field_of(index, part))


def check_away_against(new: AwayInput, others: Sequence[AwayInput], field_of=lambda part: part) -> None:
    """Refuse ``new`` if it shares a day with another away period."""
    for other in others:
        if new.first_on <= other.last_on and other.first_on <= new.last_on:
            raise AvailabilityError(
                field_of("from" if other.first_on <= new.first_on <= other.last_on else "to"),
                N_("You are already away from %(first)s to %(last)s."),
                first=other.first_on.isoformat(),
                last=other.last_on.isoformat(),
            )


def check_away(periods: Sequence[AwayInput], field_of) -> None:
    """Refuse the first away period that overlaps an earlier one."""
    for index, period in enumerate(periods):
        check_away_against(period, periods[:index], lambda part, index=index: field_of(index, part))


# --- writing -----------------------------------------------------------------


@contextmanager
def _write_transaction() -> Iterator[None]:
    """Run the body in the session's transaction and commit; roll back on any error."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _locked_profile(volunteer_id: int) -> VolunteerProfile:
    """The volunteer's profile with their availability, re-read under the row lock the booking service also takes."""
    profile = None
    if 1 <= volunteer_id <= MAX_ID:
        profile = db.session.scalar(
            select(VolunteerProfile)
            .where(VolunteerProfile.user_id == volunteer_id)
            .options(
                selectinload(VolunteerProfile.user),
                selectinload(VolunteerProfile.rules),
                selectinload(VolunteerProfile.away_periods),
                selectinload(VolunteerProfile.extra_windows),
            )
            .with_for_update(of=VolunteerProfile)
            .execution_options(populate_existing=True)
        )
    if profile is None:
        raise AvailabilityNotFound(volunteer_id)
    return profile


def _rule_input(rule: AvailabilityRule) -> RuleInput:
    return RuleInput(rule.weekday, rule.start_minute, rule.end_minute, rule.valid_from_on, rule.valid_until_on, rule.id)


def _extra_input(window: ExtraWindow) -> ExtraInput:
    return ExtraInput(window.day_on, window.start_minute, window.end_minute, window.id)


def _away_input(period: AwayPeriod) -> AwayInput:
    return AwayInput(period.first_on, period.last_on, period.id)


def _room_for(count: int, most: int, field: str) -> None:
    if count >= most:
        raise AvailabilityError(field, N_("At most %(max)d entries."), max=most)


def replace_availability(volunteer_id: int, data: AvailabilityInput) -> VolunteerProfile:
    """Make ``data`` the volunteer's whole availability (zone, settings, rules, away periods, extra windows); commits.

    The zone is the account's zone: the volunteer's pages show times in it too.
    """
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        profile.user.timezone = data.timezone
        for name in SETTING_RANGES:
            setattr(profile, name, getattr(data.settings, name))
        profile.rules = [
            AvailabilityRule(
                weekday=rule.weekday,
                start_minute=rule.start_minute,
                end_minute=rule.end_minute,
                valid_from_on=rule.valid_from,
                valid_until_on=rule.valid_until,
                capacity=rule.capacity,
            )
            for rule in data.rules
        ]
        profile.away_periods = [AwayPeriod(first_on=p.first_on, last_on=p.last_on) for p in data.away]
        profile.extra_windows = [
            ExtraWindow(day_on=w.on, start_minute=w.start_minute, end_minute=w.end_minute, capacity=w.capacity)
            for w in data.extra
        ]
        db.session.flush()
    return profile


def add_rule(volunteer_id: int, weekday: Any, start: Any, end: Any, capacity: Any = 1) -> AvailabilityRule:
    """Add a weekly window from form text; refuses overlaps with the volunteer's other windows; commits."""
    new = parse_rule_fields(weekday, start, end, strict=False)
    seats = parse_capacity(capacity, strict=False)
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        _room_for(len(profile.rules), MAX_RULES, "weekday")
        check_rule_against(new, [_rule_input(rule) for rule in profile.rules])
        rule = AvailabilityRule(weekday=new.weekday, start_minute=new.start_minute, end_minute=new.end_minute,
                                capacity=seats)
        profile.rules.append(rule)
        db.session.flush()
    return rule


def change_rule(volunteer_id: int, rule_id: int, weekday: Any, start: Any, end: Any, capacity: Any = None) -> AvailabilityRule:
    """Change the day, times (and, when given, learners per session) of one weekly window (its validity dates stay); commits."""
    new = parse_rule_fields(weekday, start, end, strict=False)
    seats = None if capacity is None else parse_capacity(capacity, strict=False)
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        rule = next((rule for rule in profile.rules if rule.id == rule_id), None)
        if rule is None:
            raise AvailabilityNotFound(rule_id)
        new = RuleInput(new.weekday, new.start_minute, new.end_minute, rule.valid_from_on, rule.valid_until_on)
        check_rule_against(new, [_rule_input(other) for other in profile.rules if other.id != rule_id])
        rule.weekday, rule.start_minute, rule.end_minute = new.weekday, new.start_minute, new.end_minute
        if seats is not None:
            rule.capacity = seats
        db.session.flush()
    return rule


def remove_rule(volunteer_id: int, rule_id: int) -> None:
    """Delete one of the volunteer's weekly windows; commits."""
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        rule = next((rule for rule in profile.rules if rule.id == rule_id), None)
        if rule is None:
            raise AvailabilityNotFound(rule_id)
        profile.rules.remove(rule)


def add_away(volunteer_id: int, first: Any, last: Any) -> AwayPeriod:
    """Add an away period from form dates (errors name ``from`` or ``to``); commits."""
    new = parse_away_fields(first, last, strict=False)
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        _room_for(len(profile.away_periods), MAX_AWAY, "from")
        check_away_against(new, [_away_input(period) for period in profile.away_periods])
        period = AwayPeriod(first_on=new.first_on, last_on=new.last_on)
        profile.away_periods.append(period)
        db.session.flush()
    return period


def remove_away(volunteer_id: int, away_id: int) -> None:
    """Delete one of the volunteer's away periods; commits."""
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        period = next((period for period in profile.away_periods if period.id == away_id), None)
        if period is None:
            raise AvailabilityNotFound(away_id)
        profile.away_periods.remove(period)


def add_extra(volunteer_id: int, on: Any, start: Any, end: Any, capacity: Any = 1) -> ExtraWindow:
    """Add a one-off window from form text (errors name ``date``, ``start``, ``end`` or ``capacity``); commits."""
    new = parse_extra_fields(on, start, end, strict=False)
    seats = parse_capacity(capacity, strict=False)
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        _room_for(len(profile.extra_windows), MAX_EXTRA, "date")
        check_extra_against(new, [_extra_input(window) for window in profile.extra_windows])
        window = ExtraWindow(day_on=new.on, start_minute=new.start_minute, end_minute=new.end_minute, capacity=seats)
        profile.extra_windows.append(window)
        db.session.flush()
    return window


def remove_extra(volunteer_id: int, extra_id: int) -> None:
    """Delete one of the volunteer's one-off windows; commits."""
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        window = next((window for window in profile.extra_windows if window.id == extra_id), None)
        if window is None:
            raise AvailabilityNotFound(extra_id)
        profile.extra_windows.remove(window)


def set_paused(volunteer_id: int, paused: bool) -> VolunteerProfile:
    """Pause (approved -> paused: bookings kept, no new ones) or resume (paused -> approved); commits.

    A pending volunteer can't do either: only a coordinator's approval makes
    them bookable. Asking for the state one already has changes nothing.
    """
    with _write_transaction():
        profile = _locked_profile(volunteer_id)
        if profile.state == "pending":
            raise AvailabilityError("state", N_("Your profile is still waiting for a coordinator's approval."))
        profile.state = "paused" if paused else "approved"
    return profile


# --- preview -----------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    """One local day of the preview and the slots that start on it."""

    on: date
    slots: list[Slot]


@dataclass(frozen=True)
class Preview:
    """The slots learners would be offered in the next days, grouped by local day in ``zone``."""

    zone: str
    days: list[PreviewDay]
    now: datetime

    @property
    def count(self) -> int:
        """How many slots in all."""
        return sum(len(day.slots) for day in self.days)

    @property
    def days_with_slots(self) -> list[PreviewDay]:
        """Only the days that have at least one slot."""
        return [day for day in self.days if day.slots]


def preview(volunteer: VolunteerProfile, zone: str, now: datetime | None = None, days: int = PREVIEW_DAYS) -> Preview:
    """The slots of today and the next ``days - 1`` local days in ``zone``, as a learner there would see them.

    Computed from the availability whatever the volunteer's state, so a
    pending or paused volunteer sees what learners will be offered once they
    are bookable (the page says so).
    """
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(zone)).date()
    last = today + timedelta(days=days - 1)
    start_at, end_at = day_range_bounds(zone, today, last)
    busy = busy_by_volunteer([volunteer], start_at, end_at).get(volunteer.id, [])
    slots = slots_between(volunteer.availability(), busy, start_at, end_at, now)
    tzinfo = ZoneInfo(zone)
    by_day: dict[date, list[Slot]] = {today + timedelta(days=n): [] for n in range(days)}
    for slot in slots:
        by_day.setdefault(slot.start_at.astimezone(tzinfo).date(), []).append(slot)
    return Preview(zone, [PreviewDay(day, by_day[day]) for day in sorted(by_day)], now)

