"""Dates, times and zone names for people: Babel, wrapped once (SPEC §2 rule 5, §6).

Every function takes the zone and locale explicitly and falls back to the
current request's (Flask-Babel's selectors) only when they are left out, so
mail and feeds can format for a recipient outside any request.

Zones are always turned into ``zoneinfo.ZoneInfo`` here: Babel would otherwise
reach for pytz, a second copy of the zone rules that can disagree with the
``tzdata`` the slot core uses (FIELD-NOTES, Cal.com #30104).
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_interval as babel_format_interval
from babel.dates import format_skeleton as babel_format_skeleton
from babel.dates import format_time as babel_format_time
from flask import request
from babel.numbers import format_decimal
from flask_babel import force_locale, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from flask_login import current_user
from hijridate import Gregorian
from markupsafe import Markup

from tutoring.calendar.text import format_offset, zone_label_at_offset
from tutoring.calendar.text import zone_city as calendar_zone_city
from tutoring.contact_details import hide_contact_details
from tutoring.i18n import TIMEZONE_COOKIE, current_timezone
from tutoring.timeutil import is_valid_zone, utc_iso, utcnow

if TYPE_CHECKING:
    from flask import Flask

STANDARD_FORMATS = frozenset({"short", "medium", "long", "full"})

# Pages in these languages show the Hijri (Umm al-Qura) date beside the Gregorian one (issue 6).
HIJRI_LANGUAGES = frozenset({"ar"})
# Session kinds (SPEC §1) as people read them.
KIND_LABELS = {"tutoring": _l("Tutoring"), "mentoring": _l("Mentoring"), "support": _l("Listening and support")}


def _locale(locale: Locale | str | None) -> Locale:
    if locale is None:
        locale = get_locale() or "en"
    return locale if isinstance(locale, Locale) else Locale.parse(locale)


def _zone(zone: ZoneInfo | str | None) -> ZoneInfo:
    if zone is None:
        zone = current_timezone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def _format(value: date | datetime, locale: Locale, format: str, standard, zone: ZoneInfo | None) -> str:
    """A CLDR skeleton (``MMMEd``) picks the locale's own pattern; anything else is a standard name or a pattern."""
    extra = {} if zone is None else {"tzinfo": zone}
    if format not in STANDARD_FORMATS and format in locale.datetime_skeletons:
        return babel_format_skeleton(format, value, locale=locale, **extra)
    return standard(value, format, locale=locale, **extra)


def local_datetime(instant: datetime, zone: ZoneInfo | str | None = None) -> datetime:
    """``instant`` (aware) as wall-clock time in ``zone``."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(_zone(zone))


def format_instant(
    instant: datetime, zone: ZoneInfo | str | None = None, locale: Locale | str | None = None, format: str = "MMMEd"
) -> str:
    """Date and time of an aware instant in ``zone``: ``Tue, Dec 1, 7:00 PM`` / ``الثلاثاء، 1 ديسمبر، 7:00 م``.

    ``format`` is a CLDR date skeleton (``MMMEd``, ``yMMMEd``...), joined to
    the locale's short time the locale's way; or ``short``/``medium``/
    ``long``/``full``; or a Babel pattern.
    """
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    loc, tzinfo = _locale(locale), _zone(zone)
    if format not in STANDARD_FORMATS and format in loc.datetime_skeletons and not any(c in format for c in "hHkKjm"):
        day = babel_format_skeleton(format, instant, tzinfo=tzinfo, locale=loc)
        clock = babel_format_time(instant, "short", tzinfo=tzinfo, locale=loc)
        return str(loc.datetime_formats["short"]).replace("{1}", day).replace("{0}", clock).replace("'", "")
    return _format(instant, loc, format, babel_format_datetime, tzinfo)


def format_day(
    day: date | datetime, zone: ZoneInfo | str | None = None, locale: Locale | str | None = None, format: str = "MMMEd"
) -> str:
    """A day, e.g. ``Tue, Dec 1`` / ``الثلاثاء، 1 ديسمبر``; an instant is first placed in ``zone``."""
    if isinstance(day, datetime):
        day = local_datetime(day, zone).date()
    return _day_text(day, _locale(locale), format)


# Pages repeat the same few days, ranges and zones in each language (a week
# page names seven days twice, every search its date range), so their texts
# are remembered, keyed by everything they depend on: the day(s), the locale
# and the format; a zone's label by its name and the offset shown.


@lru_cache(maxsize=4096)
def _day_text(day: date, locale: Locale, format: str) -> str:
    return _format(day, locale, format, babel_format_date, None)


def format_time(
    instant: datetime, zone: ZoneInfo | str | None = None, locale: Locale | str | None = None, format: str = "short"
) -> str:
    """Time of day of an aware instant in ``zone``, in the locale's clock (``7:00 PM``, ``19:00``, ``7:00 م``)."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return _format(instant, _locale(locale), format, babel_format_time, _zone(zone))


def format_day_range(first: date, last: date, locale: Locale | str | None = None) -> str:
    """Two days as one range in the locale's way, e.g. ``Nov 30 – Dec 6, 2026``."""
    return _day_range_text(first, last, _locale(locale))


@lru_cache(maxsize=1024)
def _day_range_text(first: date, last: date, locale: Locale) -> str:
    return babel_format_interval(first, last, "yMMMd", locale=locale)


def format_duration(minutes: int, locale: Locale | str | None = None) -> str:
    """``45 minutes``, ``1 hour``, ``2 hours and 30 minutes``, in the locale's plural forms (Arabic has six)."""
    with force_locale(str(_locale(locale))) if locale is not None else nullcontext():
        hours, rest = divmod(max(int(minutes), 0), 60)
        hours_text = ngettext("%(num)d hour", "%(num)d hours", hours)
        if not rest:
            return hours_text
        minutes_text = ngettext("%(num)d minute", "%(num)d minutes", rest)
        if not hours:
            return minutes_text
        return gettext("%(hours)s and %(minutes)s", hours=hours_text, minutes=minutes_text)


def format_hijri(
    day: date | datetime, zone: ZoneInfo | str | None = None, locale: Locale | str | None = None, with_year: bool = True
) -> str:
    """The Umm al-Qura (Hijri) date of a day: ``16 جمادى الآخرة 1448 هـ`` / ``16 Jumada al-Akhirah 1448 AH``.

    An instant is first placed in ``zone`` (the day depends on where one is).
    The Umm al-Qura tables (``hijridate``) cover 1343-1500 AH (1924-2077);
    outside them this answers ``""`` rather than a wrong date.
    """
    if isinstance(day, datetime):
        day = local_datetime(day, zone).date()
    return _hijri_text(day, _locale(locale), with_year)


@lru_cache(maxsize=2048)
def _hijri_text(day: date, loc: Locale, with_year: bool) -> str:
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    month = hijri.month_name("ar" if loc.language == "ar" else "en")
    number = format_decimal(hijri.day, locale=loc)
    with force_locale(str(loc)):
        if not with_year:
            return gettext("%(day)s %(month)s", day=number, month=month)
        return gettext("%(day)s %(month)s %(year)s AH", day=number, month=month,
                       year=format_decimal(hijri.year, format="0", locale=loc))


def shows_hijri(locale: Locale | str | None = None) -> bool:
    """True when pages in this locale (default: the request's) show Hijri dates too."""
    return _locale(locale).language in HIJRI_LANGUAGES


def hijri_beside(
    day: date | datetime, zone: ZoneInfo | str | None = None, with_year: bool = True
) -> Markup:
    """For templates: the Hijri date in a ``<span class="hijri">`` on Arabic pages, nothing on others."""
    if not shows_hijri():
        return Markup("")
    text = format_hijri(day, zone, with_year=with_year)
    return Markup('<span class="hijri">{}</span>').format(text) if text else Markup("")


def zone_city(zone: str, locale: Locale | str | None = None) -> str:
    """The zone's exemplar city in the locale's language (``Kathmandu``, ``القاهرة``), else its own name's last part."""
    return calendar_zone_city(zone, _locale(locale).language)


def zone_label(zone: str | None = None, locale: Locale | str | None = None, at: datetime | None = None) -> str:
    """A readable name for ``zone`` with its UTC offset at ``at`` (default now), e.g. ``Kathmandu time (UTC+05:45)``.

    Needs an app context (the words come from the catalogue); ``locale``
    defaults to the request's.
    """
    zone = zone or str(_zone(None))
    offset = local_datetime(at or utcnow(), zone).utcoffset()
    return _zone_label_text(zone, offset, str(_locale(locale)))


@lru_cache(maxsize=2048)
def _zone_label_text(zone: str, offset: timedelta, locale: str) -> str:
    with force_locale(locale):
        return zone_label_at_offset(zone, offset, _locale(locale).language, gettext)


def language_name(code: str, locale: Locale | str | None = None) -> str:
    """A language code in the viewer's language (``en`` -> ``الإنجليزية``); unknown codes are shown as given."""
    loc = _locale(locale)
    try:
        return loc.languages.get(code) or Locale.parse(code).get_display_name(loc) or code
    except (ValueError, TypeError, LookupError, UnknownLocaleError):  # Babel's is a bare Exception ("zz")
        return code


def kind_label(kind: str) -> str:
    """A session kind in the viewer's language (``support`` -> ``Listening and support``)."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def zone_is_fallback() -> bool:
    """True when this GET page guessed UTC for a visitor whose browser hasn't reported its zone yet.

    Mirrors ``tutoring.i18n.select_timezone``; base.html says so in a meta tag
    and static/js/timezone.js then sets the ``tz`` cookie and swaps in the page's
    ``<main>`` fetched again. Only GET pages, so that fetching again never repeats
    a form submission.
    """
    if request.method != "GET" or current_user.is_authenticated:
        return False
    return not is_valid_zone(request.cookies.get(TIMEZONE_COOKIE, ""))


def bdi(text: str) -> Markup:
    """``text`` (escaped) in a ``<bdi>``: a name in the other script then can't reorder the sentence around it."""
    return Markup("<bdi>{}</bdi>").format(text)


def by_address_form(person: object, neutral: str, feminine: str, masculine: str) -> str:
    """The text in the grammatical form ``person`` chose for Arabic (``address_form``; neutral without one).

    Callers pass the three translations, ``_(text)``, ``pgettext("feminine",
    text)``, ``pgettext("masculine", text)``, so each is a literal the
    extractor finds; English reads the same in all three.
    """
    form = getattr(person, "address_form", None)
    return feminine if form == "feminine" else masculine if form == "masculine" else neutral


def register_template_helpers(app: Flask) -> None:
    """Make the formatters Jinja filters (``start_at|format_time(zone)``) and the rest globals."""
    for function in (format_instant, format_day, format_time, utc_iso, bdi, format_duration, format_hijri, hijri_beside,
                     hide_contact_details):
        app.add_template_filter(function)
    for function in (
        zone_label, zone_city, language_name, kind_label, format_day_range, format_offset, zone_is_fallback,
        format_duration, shows_hijri, by_address_form,
    ):
        app.add_template_global(function)
