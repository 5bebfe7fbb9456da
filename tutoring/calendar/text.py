"""Words and times for people: titles, zone names and dates in the recipient's language and zone.

No Flask here: invites are written by a worker for recipients who are not the
current request's user, so every function takes the language, the zone and a
``translate`` callable explicitly. ``translations_for(language)`` loads the
project's compiled catalogue with plain Babel; inside a request, Flask-Babel's
``gettext`` under ``force_locale`` works just as well as ``translate``.

Strings are marked with ``N_`` (a no-op that ``pybabel extract`` picks up by
default) and translated when used, because the language is only known then.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_skeleton, format_time
from babel.support import NullTranslations, Translations

from tutoring.calendar.model import CalendarSession, Person

Translate = Callable[[str], str]

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "translations"
DEFAULT_LANGUAGE = "en"

# Zones that are UTC under another name: shown as UTC, not as a place.
UTC_ZONES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0",
     "Etc/Greenwich", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "UCT", "Universal", "Zulu"}
)


def N_(message: str) -> str:  # noqa: N802  (the conventional gettext_noop name pybabel extracts)
    """Mark ``message`` for the catalogue without translating it (the language is chosen later)."""
    return message


def identity(message: str) -> str:
    """A ``translate`` that keeps the English text."""
    return message


@cache
def _translations(language: str) -> NullTranslations:
    # Translations.load falls back to NullTranslations (English) when the
    # catalogue is missing or not compiled, so mail still goes out.
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def translations_for(language: str | None) -> Translate:
    """A ``translate`` callable for ``language`` from ``<repo>/translations`` (English when unknown)."""
    return _translations(language or DEFAULT_LANGUAGE).gettext


def locale_for(language: str | None) -> Locale:
    """The Babel locale for a UI language, English when unknown."""
    try:
        return Locale.parse(language or DEFAULT_LANGUAGE)
    except (ValueError, TypeError, LookupError):
        return Locale.parse(DEFAULT_LANGUAGE)


# --- Titles -----------------------------------------------------------------

# A support session's title says only that there is a session, with whom:
# a calendar is seen by family, colleagues and lock screens (SPEC §5).
_TITLE_WITH = {
    "tutoring": N_("Tutoring with %(name)s"),
    "mentoring": N_("Mentoring with %(name)s"),
}
_TITLE_ALONE = {
    "tutoring": N_("Tutoring session"),
    "mentoring": N_("Mentoring session"),
}
_NEUTRAL_WITH = N_("Session with %(name)s")
_NEUTRAL_ALONE = N_("Session")


def session_title(session: CalendarSession, viewer: Person, translate: Translate = identity) -> str:
    """The event's title as ``viewer`` sees it: ``Tutoring with Amira``; support sessions get ``Session with Amira``.

    Unknown kinds are titled neutrally too, so a new kind can never leak by
    default.
    """
    other = session.other_party(viewer)
    if other is None:
        return translate(_TITLE_ALONE.get(session.kind, _NEUTRAL_ALONE))
    return translate(_TITLE_WITH.get(session.kind, _NEUTRAL_WITH)) % {"name": other.name}


# --- Zones --------------------------------------------------------------------


def format_offset(offset: timedelta | None) -> str:
    """``UTC+05:45``, ``UTC-04:00``: the same in every language."""
    minutes = int((offset or timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


@cache
def _cldr_keys() -> dict[str, tuple[str, ...]]:
    """IANA name -> the other names CLDR may file it under (Asia/Kathmandu is Asia/Katmandu there)."""
    keys: dict[str, list[str]] = {}
    for old, new in get_global("zone_aliases").items():
        keys.setdefault(new, []).append(old)
        keys.setdefault(old, []).append(new)
    return {name: tuple(others) for name, others in keys.items()}


def zone_city(zone: str, language: str | None) -> str:
    """The zone's city in the language (``Kathmandu``, ``القاهرة``), else the last part of its name."""
    locale = locale_for(language)
    for key in (zone, *_cldr_keys().get(zone, ())):
        city = locale.time_zones.get(key, {}).get("city")
        if city:
            return city
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def zone_label(
    zone: str, at: datetime, language: str | None, translate: Translate = identity, until: datetime | None = None
) -> str:
    """The zone with its offset at ``at``: ``New York time (UTC-04:00)``, like the pages show it.

    Given ``until`` (the session's end) and a clock change in between, both
    offsets are named: on such a day "1:30 AM – 1:15 AM" is right, and
    should not look like a mistake.
    """
    tzinfo = ZoneInfo(zone)
    offset = at.astimezone(tzinfo).utcoffset()
    later = until.astimezone(tzinfo).utcoffset() if until is not None else offset
    if later != offset and zone not in UTC_ZONES and not zone.startswith("Etc/"):
        return translate(N_("%(city)s time (%(offset)s, then %(later)s after the clocks change)")) % {
            "city": zone_city(zone, language), "offset": format_offset(offset), "later": format_offset(later)
        }
    return zone_label_at_offset(zone, offset, language, translate)


def zone_label_at_offset(zone: str, offset: timedelta | None, language: str | None, translate: Translate = identity) -> str:
    """The zone's name with a given UTC offset: ``Kathmandu time (UTC+05:45)``; UTC and ``Etc/`` zones by offset only."""
    if zone in UTC_ZONES:
        return translate(N_("Coordinated Universal Time (UTC)"))
    if zone.startswith("Etc/"):
        return format_offset(offset)  # Etc/GMT+5 and friends name no place, and never change
    return translate(N_("%(city)s time (%(offset)s)")) % {"city": zone_city(zone, language), "offset": format_offset(offset)}


def zone_short(zone: str, at: datetime, language: str | None, translate: Translate = identity) -> str:
    """A short zone name for subject lines: ``New York time``, ``UTC``, ``UTC+03:00``."""
    if zone in UTC_ZONES:
        return "UTC"
    if zone.startswith("Etc/"):
        return format_offset(at.astimezone(ZoneInfo(zone)).utcoffset())
    return translate(N_("%(city)s time")) % {"city": zone_city(zone, language)}


# --- Dates and times ---------------------------------------------------------


def _join(locale: Locale, day: str, clock: str, width: str) -> str:
    """Date and time joined the locale's way (``{1}, {0}`` in English, ``{1}، {0}`` in Arabic)."""
    pattern = str(locale.datetime_formats[width]).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", clock)


def format_when(start_at: datetime, end_at: datetime, zone: str, language: str | None) -> str:
    """The session's date and times in ``zone``: ``Sunday, March 8, 2026, 3:30 AM – 4:15 AM``.

    The end carries its own date when the session crosses local midnight.
    """
    locale, tzinfo = locale_for(language), ZoneInfo(zone)
    start, end = start_at.astimezone(tzinfo), end_at.astimezone(tzinfo)
    first = _join(locale, format_date(start.date(), "full", locale=locale),
                  format_time(start, "short", tzinfo=tzinfo, locale=locale), "full")
    end_clock = format_time(end, "short", tzinfo=tzinfo, locale=locale)
    if end.date() != start.date():
        end_clock = _join(locale, format_date(end.date(), "full", locale=locale), end_clock, "full")
    return f"{first} – {end_clock}"


def format_short(instant: datetime, zone: str, language: str | None) -> str:
    """A short date and time in ``zone`` for subject lines: ``Sun, Mar 8, 3:30 AM``."""
    locale, tzinfo = locale_for(language), ZoneInfo(zone)
    day = format_skeleton("MMMEd", instant.astimezone(tzinfo), tzinfo=tzinfo, locale=locale)
    return _join(locale, day, format_time(instant, "short", tzinfo=tzinfo, locale=locale), "short")

