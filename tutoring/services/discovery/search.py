"""Searching volunteers: filters read from the URL, matched in SQL first, then by free time.

The subject, language and kind filters run in the database, so only
matching volunteers are loaded: the subject through the ``subject_terms``
index (forgiving and bilingual: ``tutoring.textsearch``, docs/SEARCH.md),
language and kind by JSON list containment (``@>`` on PostgreSQL's JSONB,
``json_each`` on SQLite). Their ids come in the list's order (the viewer's
language first, then name) only as far as a page may look
(``matching_window``). "Free in this date range / time of
day" needs the scheduling core, so it runs on those candidates, a chunk at a
time, only until one page of results is full: slots are computed for the
volunteers a page shows (and those it skipped), never for everyone. A chunk
costs two queries: the volunteers, then their availability and sessions
(one UNION, ``slot_inputs``).

Kept apart from the views so the rules are reachable without HTTP.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from time import monotonic
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from babel import Locale, UnknownLocaleError
from sqlalchemy import (
    ColumnElement, Integer, Select, String, Text, and_, any_, bindparam, case, exists, false, func, literal, or_,
    select, type_coerce, union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import contains_eager

from tutoring.extensions import db
from tutoring.formatting import language_name
from tutoring.models import KINDS, Programme, ProgrammeMember, SubjectTerm, User, VolunteerProfile
from tutoring.scheduling import Slot, day_range_bounds, slots_between
from tutoring.textsearch import query_key, query_tags
from tutoring.services.coordinators.coordination import bookable_kinds_of, untrained_for_support
from tutoring.services.minors.clearance import cleared_ids
from tutoring.services.support.training import needs_training, trained_ids, training_day
from tutoring.booking.slots import dialect_name, ids_param, slot_inputs
from tutoring.booking.browse import first_slots

PER_PAGE = 20
SLOTS_SHOWN = 3
DEFAULT_RANGE_DAYS = 14
MAX_RANGE_DAYS = 62  # as the API's slots endpoint (SPEC §4)
MAX_DAYS_AHEAD = 366  # no horizon is longer than 365 days
MAX_TEXT = 100
# Free-time search: volunteers are loaded and checked at most this many at a
# time (fewer when the page is nearly full), and one request looks at no
# more than SCAN_LIMIT of them, so its cost is bounded
# however broad the filters are; the page then offers to search further.
CHUNK = 40
SCAN_LIMIT = 400
# The largest position in the list SQL is asked for (its OFFSET is a 32-bit integer here).
MAX_OFFSET = 2**31 - 1
# How long the form's suggestions (subjects and languages on offer) are reused.
VOCABULARY_SECONDS = 60
_VOCABULARY_KEY = "tutoring.search_vocabulary"
MINUTES_PER_DAY = 24 * 60

FILTER_KEYS = ("subject", "language", "kind", "programme", "from", "to", "time_from", "time_to")


# --- reading the filters -----------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """What the viewer asked for, cleaned; ``errors`` maps a field to a message (that filter is then ignored)."""

    subject: str = ""
    language: str = ""
    kind: str = ""
    programme: Programme | None = None  # from its slug in ``?programme=`` (issue 7)
    first_day: date | None = None  # local dates in the viewer's zone, inclusive
    last_day: date | None = None
    time_from: int | None = None  # minutes after local midnight, in the viewer's zone
    time_to: int | None = None  # 1440 means midnight at the end of the day
    raw: Mapping[str, str] = field(default_factory=dict)  # the text as typed, shown back in the form
    errors: Mapping[str, str] = field(default_factory=dict)
    minor: bool = False  # the viewer is a minor: only volunteers cleared for minors (SPEC §7), set by the view
    # Not a filter: the language the viewer reads ("ar", "en"); volunteers who speak it come first.
    rank_language: str = ""

    @property
    def wants_free_time(self) -> bool:
        """True when only volunteers free in a date range or at a time of day are wanted."""
        return self.first_day is not None or self.time_from is not None

    @property
    def is_empty(self) -> bool:
        """True when nothing narrows the list."""
        return not (self.subject or self.language or self.kind or self.programme or self.wants_free_time)

    @property
    def hours(self) -> tuple[str, str] | None:
        """The time-of-day window as ``HH:MM`` texts (``24:00`` for the end of the day), if one is asked for."""
        if self.time_from is None or self.time_to is None:
            return None
        return _clock_text(self.time_from), _clock_text(self.time_to)

    def query_args(self) -> dict[str, str]:
        """The filters as URL parameters, blanks left out: what a shared link or a next page carries."""
        return {key: self.raw[key] for key in FILTER_KEYS if self.raw.get(key) and key not in self.errors}


def _text(value: str | None) -> str:
    return " ".join((value or "").split())[:MAX_TEXT]


def _clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_clock(value: str) -> int | None:
    """``HH:MM`` (``24:00`` allowed) as minutes after midnight, else None."""
    if value == "24:00":
        return MINUTES_PER_DAY
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        return None
    if len(value) != 5 or parsed.second or parsed.microsecond or parsed.tzinfo is not None:
        return None
    return parsed.hour * 60 + parsed.minute


def parse_filters(args: Mapping[str, str], today: date, rank_language: str = "") -> SearchFilters:
    """The filters in ``args`` (request.args), with a message for each one that can't be used.

    Dates are the viewer's local dates: only ``from`` means two weeks from
    it, only ``to`` means from today; days before today are dropped (nothing
    is offered in the past). Only ``time_from`` runs to midnight, only
    ``time_to`` from midnight; an end at or before the start means the
    window runs past midnight (22:00-02:00). ``rank_language`` (the viewer's
    language) orders the results: see ``search_volunteers``.
    """
    raw = {key: _text(args.get(key)) for key in FILTER_KEYS}
    errors: dict[str, str] = {}

    kind = raw["kind"]
    if kind and kind not in KINDS:
        errors["kind"] = _("Choose a kind of session from the list.")
        kind = ""

    programme = Programme.by_slug(raw["programme"]) if raw["programme"] else None
    if raw["programme"] and programme is None:
        errors["programme"] = _("Choose a programme from the list.")

    days: dict[str, date | None] = {}
    for key in ("from", "to"):
        days[key] = None
        if raw[key]:
            try:
                days[key] = date.fromisoformat(raw[key])
            except ValueError:
                errors[key] = _("Enter a date like %(example)s.", example=today.isoformat())
    first_day, last_day = days["from"], days["to"]
    if first_day is not None or last_day is not None:
        if first_day is None:
            first_day = today
        if last_day is None:
            # Capped at the last date there is, so 9999-12-31 gets "too far ahead" below, not an OverflowError.
            span = timedelta(days=DEFAULT_RANGE_DAYS - 1)
            last_day = min(first_day, date.max - span) + span
        if last_day < today:
            errors["to"] = _("These days are over. Choose today or a later day.")
        elif last_day < first_day:
            errors["to"] = _("The last day is before the first day.")
        elif (last_day - first_day).days >= MAX_RANGE_DAYS:
            errors["to"] = _("Choose at most %(days)d days.", days=MAX_RANGE_DAYS)
        elif (first_day - today).days > MAX_DAYS_AHEAD:
            errors["from"] = _("That is too far ahead: volunteers offer times up to a year ahead.")
        first_day = max(first_day, today)
    if "from" in errors or "to" in errors:
        first_day = last_day = None

    clocks: dict[str, int | None] = {}
    for key in ("time_from", "time_to"):
        clocks[key] = None
        if raw[key]:
            clocks[key] = _parse_clock(raw[key])
            if clocks[key] is None:
                errors[key] = _("Enter a time like 16:00.")
    time_from, time_to = clocks["time_from"], clocks["time_to"]
    if time_from is not None or time_to is not None:
        time_from = 0 if time_from is None else time_from % MINUTES_PER_DAY
        time_to = MINUTES_PER_DAY if time_to is None else time_to
        if time_from == time_to % MINUTES_PER_DAY and not (time_from == 0 and time_to == MINUTES_PER_DAY):
            errors["time_to"] = _("The end time is the same as the start time.")
    if "time_from" in errors or "time_to" in errors:
        time_from = time_to = None

    return SearchFilters(
        subject=raw["subject"],
        language=raw["language"],
        kind=kind,
        programme=programme,
        first_day=first_day,
        last_day=last_day,
        time_from=time_from,
        time_to=time_to,
        raw=raw,
        errors=errors,
        rank_language=rank_language,
    )


# --- what volunteers offer (the choices in the form) --------------------------------------------


def _listed_values(column) -> list[str]:
    """Every distinct value in one JSON list column over bookable volunteers, sorted case-insensitively."""
    if db.session.get_bind().dialect.name == "postgresql":
        elements = func.jsonb_array_elements_text(column).table_valued("value")
    else:
        elements = func.json_each(column).table_valued("value")
    query = (
        select(elements.c.value)
        .select_from(VolunteerProfile)
        .join(VolunteerProfile.user)
        .join(elements, elements.c.value.is_not(None))  # a lateral join: each profile's own list
        .where(*_bookable())
        .distinct()
    )
    return sorted((str(value) for value in db.session.scalars(query)), key=lambda value: (value.casefold(), value))


@dataclass(frozen=True)
class Vocabulary:
    """The subjects and languages bookable volunteers list: the choices the search form suggests."""

    subjects: list[str]
    languages: list[str]


def language_choices(words: Vocabulary, selected: str) -> list[str]:
    """The language filter's options: listed languages by their name in the viewer's language, plus ``selected``."""
    codes = list(words.languages)
    if selected and selected not in codes:
        codes.insert(0, selected)
    return sorted(codes, key=lambda code: (language_name(code).casefold(), code))


def vocabulary() -> Vocabulary:
    """What bookable volunteers offer, remembered for ``SEARCH_VOCABULARY_SECONDS`` (default 60) per app.

    Reading every volunteer's lists takes tens of milliseconds at 10,000
    volunteers, and the answer only feeds suggestions (the filters
    themselves always run on current data), so a minute-old list is fine.
    """
    lifetime = current_app.config.get("SEARCH_VOCABULARY_SECONDS", VOCABULARY_SECONDS)
    cached = current_app.extensions.get(_VOCABULARY_KEY)
    now = monotonic()
    if cached is not None and now - cached[0] < lifetime:
        return cached[1]
    words = Vocabulary(_listed_values(VolunteerProfile.subjects), _listed_values(VolunteerProfile.languages))
    current_app.extensions[_VOCABULARY_KEY] = (now, words)
    return words


def spellings(typed: str) -> list[str]:
    """``typed`` as volunteers may have written it: as typed, lower case, Capitalized, Title Case, UPPER case."""
    return list(dict.fromkeys((typed, typed.lower(), typed.capitalize(), typed.title(), typed.upper())))


# --- the SQL part ------------------------------------------------------------------------------


def _bookable() -> tuple[ColumnElement[bool], ...]:
    return VolunteerProfile.state == "approved", User.is_active.is_(True), User.role == "volunteer"


def _lists_any(column, values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """The JSON list in ``column`` holds at least one of ``values`` (exact strings)."""
    # No entry holds a NUL (JSONB can't store one), and PostgreSQL refuses to even compare with it.
    values = [value for value in values if "\x00" not in value]
    if not values:
        return false()
    if dialect == "postgresql":
        # JSONB containment, which the GIN index on the column can serve. The
        # ``?|`` (any of these strings is an element) says the same of a list
        # of strings and costs a third as much when rows are read one by one,
        # and with it the planner expects few rows and joins their users by
        # primary key instead of reading all of them: 2.5 times less CPU in
        # PostgreSQL either way.
        jsonb = type_coerce(column, JSONB)
        return and_(
            jsonb.has_any(bindparam(None, list(values), type_=ARRAY(Text))),
            or_(*(jsonb.contains([value]) for value in values)),
        )
    # SQLite keeps the list as JSON text. A LIKE on the quoted value (ASCII
    # case-insensitive, no JSON parsing) lets only likely rows reach
    # json_each, which then checks for an exact entry: half the time at
    # 10,000 volunteers.
    text = type_coerce(column, String)
    likely = or_(*(text.like(f"%{_like_escape(json.dumps(value))}%", escape="\\") for value in values))
    elements = func.json_each(column).table_valued("value")
    return and_(likely, exists(select(1).select_from(elements).where(elements.c.value.in_(list(values)))))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _list_conditions(
    dialect: str, subject: str, language: str, kind: str, programme_id: int | None, trained_only: bool = False,
    minor: bool = False,
) -> list[ColumnElement[bool]]:
    """The subject, language and kind filters on ``volunteer_profiles``.

    Subject is forgiving (``subject_condition``). Language matches a whole
    entry of the volunteer's list, in any of the usual capitalisations; the
    form offers the exact entries.
    """
    conditions = []
    if subject:
        conditions.append(subject_condition(subject, dialect))
    if language:
        conditions.append(_lists_any(VolunteerProfile.languages, spellings(language), dialect))
    if kind:
        conditions.append(_lists_any(VolunteerProfile.kinds, [kind], dialect))
    if kind == "support":
        # A programme may require training first (issue 7); booking would refuse them.
        conditions.append(VolunteerProfile.user_id.not_in(untrained_for_support()))
    if kind and trained_only:
        # The kind needs training (SPEC §7): only volunteers trained for it on the day bound as ``training_day``.
        conditions.append(VolunteerProfile.user_id.in_(trained_ids(kind)))
    if programme_id is not None:
        members = select(ProgrammeMember.volunteer_id).where(ProgrammeMember.programme_id == programme_id)
        conditions.append(VolunteerProfile.user_id.in_(members))
    if minor:
        # SPEC §7: a minor is shown only volunteers cleared for minors on the day bound as ``training_day``.
        conditions.append(VolunteerProfile.user_id.in_(cleared_ids()))
    return conditions


def subject_terms_matching(typed: str) -> Select:
    """Ids of the volunteers with a subject term beginning with ``typed`` (normalised) or a vocabulary tag it names.

    ``tutoring.textsearch`` says what matches (``matches`` is the same rule
    in Python); here it is two index reads of ``subject_terms``: the range of
    terms beginning with the key, and the tags.
    """
    key, tags = query_key(typed), query_tags(typed)
    term = SubjectTerm.term
    if not key:  # punctuation only: nothing to look for
        return select(SubjectTerm.volunteer_id).where(false())
    begins = and_(term >= key, term < _after_prefix(key))
    return select(SubjectTerm.volunteer_id).where(or_(begins, term.in_(tags)) if tags else begins)


def rebuild_subject_terms() -> int:
    """Rebuild every volunteer's ``subject_terms`` from their subjects (after the vocabulary or normaliser changed);
    returns how many profiles were rebuilt. Commits."""
    count = 0
    for profile in db.session.scalars(select(VolunteerProfile)):
        profile.subjects = list(profile.subjects)  # the model's validator writes the terms
        count += 1
    db.session.commit()
    return count


def subject_condition(typed: str, dialect: str | None = None) -> ColumnElement[bool]:
    """The profile's subjects match ``typed``: part of a word (its start), any case, Arabic normalised, and across
    languages through the shared vocabulary ("رياضيات" finds "Mathematics")."""
    ids = subject_terms_matching(typed)
    if (dialect or dialect_name()) == "postgresql":
        # The ids as an array, then each profile by primary key: with ``IN (subquery)`` PostgreSQL hashed every
        # profile the language filter kept (thousands) against the terms, 4 times slower at 10,000 volunteers.
        return VolunteerProfile.user_id == any_(func.array(ids.scalar_subquery()))
    return VolunteerProfile.user_id.in_(ids)


def _after_prefix(key: str) -> str:
    """The least string greater than every string beginning with ``key`` (codepoint order, as UTF-8 bytes sort)."""
    following = ord(key[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates can't be stored: the next character is U+E000
        following = 0xE000
    return key[:-1] + chr(following)


@lru_cache(maxsize=64)
def language_spellings(code: str) -> tuple[str, ...]:
    """How a volunteer may have written language ``code`` in their list: the code and its English and own names,
    in the usual capitalisations ("ar", "Arabic", "العربية")."""
    names = [code]
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        locale = None
    if locale is not None:
        names += [name for name in (locale.get_display_name("en"), locale.get_display_name(code)) if name]
    return tuple(dict.fromkeys(spelling for name in names for spelling in spellings(name)))


def matching_ids(filters: SearchFilters) -> list[int]:
    """Ids of bookable volunteers passing the subject, language and kind filters, by name (no free-time test)."""
    return list(db.session.scalars(_matching_query(dialect_name(), *_filter_key(filters)), _training_params()))


def matching_window(filters: SearchFilters, offset: int, limit: int) -> list[int]:
    """``matching_ids(filters)[offset:offset + limit]``, reading only those rows.

    With few filters thousands of volunteers match; a page needs a few dozen.
    """
    query = _window_query(dialect_name(), *_filter_key(filters))
    params = {"window_offset": offset, "window_limit": limit, "window_end": offset + limit, **_training_params()}
    return list(db.session.scalars(query, params))


def matching_page(filters: SearchFilters, offset: int, limit: int) -> tuple[list[int], int]:
    """``matching_ids(filters)[offset:offset + limit]`` and how many match in all (a plain listing's page and total).

    Without list filters every bookable volunteer matches: they are counted,
    and only the page is read, in name order by index. With them the
    database finds and sorts the matches anyway, so they are read in one
    statement: counting apart filtered twice, and ``count(*) OVER ()`` made
    PostgreSQL 15 walk the name index through every volunteer.
    """
    if filters.subject or filters.language or filters.kind or filters.programme is not None or filters.minor:  # _list_conditions
        ids = matching_ids(filters)
        return ids[offset : offset + limit], len(ids)
    key = _filter_key(filters)
    total = db.session.scalar(_count_query(dialect_name(), *key))
    return (matching_window(filters, offset, limit) if offset < total else []), total


def _filter_key(filters: SearchFilters) -> tuple[str, str, str, int | None, bool, bool, str]:
    programme_id = filters.programme.id if filters.programme is not None else None
    # Whether the kind needs training is part of the key: apps (and tests) may set KINDS_NEEDING_TRAINING apart.
    trained_only = bool(filters.kind) and needs_training(filters.kind)
    return (filters.subject, filters.language, filters.kind, programme_id, trained_only, filters.minor,
            filters.rank_language)


def _training_params() -> dict[str, object]:
    """The day training is judged on, bound in every matching statement (unused when no kind needs it)."""
    return {"training_day": training_day()}


@lru_cache(maxsize=256)
def _matching_query(
    dialect: str, subject: str, language: str, kind: str, programme_id: int | None, trained_only: bool,
    minor: bool = False, rank_language: str = "", capped: bool = False,
):
    """The statement ``matching_ids`` runs for these filters, built once per process.

    Keyed by every value it holds (they are bound parameters inside), so it
    never answers for other filters, and the rows are read afresh on every
    execution. Building it and computing its cache key cost more than
    running it.

    With list filters, the profiles are filtered on their own table first
    (one scan, or a GIN index on PostgreSQL), and only their users are then
    read by primary key for the name order: joining every user first made
    the database scan both tables. Without them, the users are read in name
    order (``ix_users_display_name_id``), so a window of the list stops early.

    With ``rank_language``, those who speak it come first, then by name.
    Filtered matches are sorted anyway, so that is one more sort key. A
    window of the unfiltered list (``capped``) is two statements instead,
    speakers then the others, each read in name order only up to
    ``window_end`` (offset + limit), one after the other (UNION ALL):
    sorting every volunteer by "speaks it" for each page cost PostgreSQL 6
    times the plain listing's time at 10,000 volunteers.
    """
    conditions = _list_conditions(dialect, subject, language, kind, programme_id, trained_only, minor)
    if not rank_language:
        return _by_name(conditions)
    speaks = _lists_any(VolunteerProfile.languages, language_spellings(rank_language), dialect)
    if conditions or not capped:
        # The matches are filtered and sorted anyway: "speaks it" is one more sort key, evaluated once.
        listed = _by_name(conditions)
        if conditions:  # the profile, for its languages (the filters read it in a subquery)
            listed = listed.join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        return listed.order_by(None).order_by(case((speaks, 0), else_=1), User.display_name, User.id)
    parts = []
    for tier, condition in enumerate((speaks, ~speaks)):
        # The cap is written into the statement (a few distinct values: the pages), so PostgreSQL plans each
        # with its number; as a parameter its generic plan guessed a tenth of the list and sorted all of it.
        part = (
            _by_name([*conditions, condition])
            .add_columns(literal(tier).label("tier"), User.display_name)
            .limit(bindparam("window_end", type_=Integer, literal_execute=True))
        )
        parts.append(select(part.subquery()))  # SQLite takes ORDER BY and LIMIT only in a subquery of a UNION
    ranked = union_all(*parts).subquery()
    return select(ranked.c.id).order_by(ranked.c.tier, ranked.c.display_name, ranked.c.id)


def _by_name(conditions: list[ColumnElement[bool]]) -> Select:
    """Ids of bookable volunteers whose profile passes ``conditions``, by name."""
    by_name = (
        select(User.id)
        .where(User.is_active.is_(True), User.role == "volunteer")
        .order_by(User.display_name, User.id)
    )
    if not conditions:
        return by_name.join(VolunteerProfile, VolunteerProfile.user_id == User.id).where(
            VolunteerProfile.state == "approved"
        )
    wanted = select(VolunteerProfile.user_id).where(VolunteerProfile.state == "approved", *conditions)
    return by_name.where(User.id.in_(wanted))


@lru_cache(maxsize=256)
def _window_query(
    dialect: str, subject: str, language: str, kind: str, programme_id: int | None, trained_only: bool,
    minor: bool = False, rank_language: str = "",
):
    """``_matching_query`` cut to the rows from ``window_offset``, at most ``window_limit`` (bound at execution)."""
    return (
        _matching_query(dialect, subject, language, kind, programme_id, trained_only, minor, rank_language, capped=True)
        .limit(bindparam("window_limit", type_=Integer))
        .offset(bindparam("window_offset", type_=Integer))
    )


@lru_cache(maxsize=256)
def _count_query(
    dialect: str, subject: str, language: str, kind: str, programme_id: int | None, trained_only: bool,
    minor: bool = False, rank_language: str = "",
):
    """How many rows ``_matching_query`` gives: the same filters, unordered."""
    # The order doesn't change the count: the statement without the language ranking.
    matching = _matching_query(dialect, subject, language, kind, programme_id, trained_only, minor).order_by(None).subquery()
    return select(func.count()).select_from(matching)


def load_volunteers(ids: Sequence[int]) -> list[VolunteerProfile]:
    """The volunteers with these ids (and their users), in this order, in one query."""
    if not ids:
        return []
    by_id = {
        volunteer.id: volunteer
        for volunteer in db.session.scalars(_volunteers_query(dialect_name()), {"ids": list(ids)})
    }
    return [by_id[volunteer_id] for volunteer_id in ids if volunteer_id in by_id]


@cache
def _volunteers_query(dialect: str):
    return (
        select(VolunteerProfile)
        .join(VolunteerProfile.user)
        .where(ids_param(VolunteerProfile.user_id, dialect))
        .options(contains_eager(VolunteerProfile.user))
    )


# --- free time ---------------------------------------------------------------------------------


class TimeOfDay:
    """Does a slot lie inside the viewer's wall-clock window (e.g. 16:00-20:00 in their zone) on some day?

    The window's instants are worked out once per local day (``zoneinfo``,
    fold=0 as SPEC §2 reads local times), so a clock change that day is
    handled like everywhere else. A window ending at or before its start
    runs into the next day, so a slot may also sit in the previous day's window.
    """

    def __init__(self, zone: str, start_minute: int, end_minute: int) -> None:
        self.zone = ZoneInfo(zone)
        self.start = start_minute
        self.end = end_minute if end_minute > start_minute else end_minute + MINUTES_PER_DAY
        self._windows: dict[date, tuple[datetime, datetime]] = {}

    def _window(self, day: date) -> tuple[datetime, datetime]:
        window = self._windows.get(day)
        if window is None:
            window = self._windows[day] = (self._instant(day, self.start), self._instant(day, self.end))
        return window

    def _instant(self, day: date, minute: int) -> datetime:
        day += timedelta(days=minute // MINUTES_PER_DAY)
        minute %= MINUTES_PER_DAY
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone).astimezone(UTC)

    def holds(self, slot: Slot) -> bool:
        """True if the slot starts and ends inside one day's window."""
        day = slot.start_at.astimezone(self.zone).date()
        for candidate in (day, day - timedelta(days=1)):
            start_at, end_at = self._window(candidate)
            if start_at <= slot.start_at and slot.end_at <= end_at:
                return True
        return False


def free_time_days(filters: SearchFilters, today: date) -> tuple[date, date]:
    """The local days searched for free time: the chosen ones, else two weeks from today."""
    first_day = filters.first_day or today
    return first_day, filters.last_day or first_day + timedelta(days=DEFAULT_RANGE_DAYS - 1)


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One volunteer in the results, with the free times shown on their card."""

    volunteer: VolunteerProfile
    slots: list[Slot]
    kinds: list[str] = field(default_factory=list)  # the badges: only kinds a learner may book (bookable_kinds)


@dataclass(frozen=True)
class Pages:
    """Where a plain listing's page stands among all matching volunteers (the total is known)."""

    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """True after the first page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True before the last page."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1


@dataclass(frozen=True)
class SearchResults:
    """One page of results.

    Without a free-time filter the page is one of ``pagination`` (the total
    is known). With one, volunteers are checked in name order from
    ``start``; ``next_start`` is where the next page carries on (None at the
    end), and ``filled`` is False when this page stopped early because it
    had checked ``SCAN_LIMIT`` volunteers.
    """

    results: list[Result]
    pagination: Pages | None = None
    first_day: date | None = None  # the local days searched for free time
    last_day: date | None = None
    start: int = 0
    next_start: int | None = None
    scanned: int = 0
    filled: bool = True

    @property
    def is_free_time_search(self) -> bool:
        """True when volunteers were checked for free time (cursor paging, no total)."""
        return self.pagination is None


def search_volunteers(
    filters: SearchFilters, zone: str, now: datetime, today: date, *, page: int = 1, start: int = 0
) -> SearchResults:
    """The volunteers matching ``filters`` as the viewer in ``zone`` sees them, one page of them.

    ``page`` pages plain listings, ``start`` free-time searches.

    The order (docs/SEARCH.md): volunteers who speak ``filters.rank_language``
    first, then by name, decides which volunteers each page holds (in SQL,
    so paging is stable); within a page they are shown by that language,
    then their soonest free time, then name. The soonest time comes from the
    slots the cards show anyway: ordering the whole list by it would compute
    every match's slots (10,000 volunteers without filters) on each request.
    """
    if not filters.wants_free_time:
        # No list holds 2**31 volunteers: a bigger page number is past the end all the same.
        ids, total = matching_page(filters, min((page - 1) * PER_PAGE, MAX_OFFSET), PER_PAGE)
        volunteers = load_volunteers(ids)
        upcoming = first_slots(volunteers, now, now + timedelta(days=DEFAULT_RANGE_DAYS), SLOTS_SHOWN, now,
                               kind=filters.kind or None)
        results = [Result(volunteer, upcoming.get(volunteer.id, [])) for volunteer in volunteers]
        ranked = rank_results(results, filters.rank_language)
        return SearchResults(_with_bookable_kinds(ranked), pagination=Pages(page, total))
    found = _free_time_page(filters, _Window(filters, start), zone, now, today, start)
    return replace(found, results=_with_bookable_kinds(rank_results(found.results, filters.rank_language)))


def rank_results(results: list[Result], language: str) -> list[Result]:
    """``results`` (in the list's order) by: speaks ``language``, then soonest free slot (none last), then as given."""
    spoken = set(language_spellings(language)) if language else set()
    never = datetime.max.replace(tzinfo=UTC)

    def key(position_result: tuple[int, Result]) -> tuple[bool, datetime, int]:
        position, result = position_result
        speaks = not spoken or not spoken.isdisjoint(result.volunteer.languages)
        return not speaks, result.slots[0].start_at if result.slots else never, position

    return [result for _, result in sorted(enumerate(results), key=key)]


def _with_bookable_kinds(results: list[Result]) -> list[Result]:
    """Each card's kinds as the booking page will offer them (one query for the page)."""
    kinds = bookable_kinds_of({result.volunteer.id: list(result.volunteer.kinds) for result in results})
    return [replace(result, kinds=kinds[result.volunteer.id]) for result in results]


class _Window:
    """The ids a free-time search may check, from ``start`` on: at most ``SCAN_LIMIT + 1`` (one more than the
    scan may check, to know whether anyone is left after it), read only as far as the scan gets.

    Most pages fill from the first chunk, so only enough for it is read
    first (reading all 401 ids cost a quarter of a millisecond more); the
    rest comes in one more read if needed.
    """

    FIRST_READ = CHUNK + 1

    def __init__(self, filters: SearchFilters, start: int) -> None:
        self.filters = filters
        self.start = start
        self.ids: list[int] = []
        self.complete = False  # True once every id up to the limit (or the list's end) has been read

    def has(self, count: int) -> bool:
        """True if the window holds at least ``count`` ids (reading more as needed)."""
        if len(self.ids) < count and not self.complete:
            limit = SCAN_LIMIT + 1
            wanted = limit - len(self.ids) if self.ids else min(self.FIRST_READ, limit)
            more = matching_window(self.filters, self.start + len(self.ids), wanted)
            self.ids.extend(more)
            self.complete = len(more) < wanted or len(self.ids) >= limit
        return len(self.ids) >= count

    def take(self, begin: int, end: int) -> list[int]:
        """The ids at positions ``begin`` to ``end`` (exclusive), as far as there are any."""
        self.has(end)
        return self.ids[begin:end]


def _free_time_page(
    filters: SearchFilters, window: _Window, zone: str, now: datetime, today: date, start: int
) -> SearchResults:
    """Check ``window`` (the ids from ``start`` on) a chunk at a time until a page is full or SCAN_LIMIT is hit."""
    first_day, last_day = free_time_days(filters, today)
    range_start, range_end = day_range_bounds(zone, first_day, last_day)
    time_of_day = (
        TimeOfDay(zone, filters.time_from, filters.time_to) if filters.time_from is not None else None
    )
    position = 0  # in ``window``; ``start + position`` in the whole list
    results: list[Result] = []
    while window.has(position + 1) and len(results) < PER_PAGE and position < SCAN_LIMIT:
        # Enough for the rest of the page and a few that may not fit, never more than CHUNK.
        wanted = min(CHUNK, (PER_PAGE - len(results)) * 5 // 4 + 1)
        ids = window.take(position, min(position + wanted, SCAN_LIMIT))
        volunteers = load_volunteers(ids)
        known, busy = slot_inputs(volunteers, range_start, range_end, kind=filters.kind or None)
        consumed = min(wanted, SCAN_LIMIT - position)
        for volunteer in volunteers:
            slots = slots_between(known[volunteer.id], busy.get(volunteer.id, []), range_start, range_end, now)
            if time_of_day is not None:
                slots = [slot for slot in slots if time_of_day.holds(slot)]
            if slots:
                results.append(Result(volunteer, slots[:SLOTS_SHOWN]))
                if len(results) == PER_PAGE:
                    consumed = ids.index(volunteer.id) + 1
                    break
        position += consumed
    more = window.has(position + 1)
    return SearchResults(
        results,
        first_day=first_day,
        last_day=last_day,
        start=start,
        next_start=start + position if more else None,
        scanned=position,
        filled=len(results) == PER_PAGE or not more,
    )
