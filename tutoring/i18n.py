"""Language and time zone of the current request (SPEC §6)."""
from __future__ import annotations

from flask import request
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from tutoring.timeutil import is_valid_zone

LANGUAGES = ("ar", "en")
DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar"})
LANGUAGE_COOKIE = "lang"
# Visitors' browsers report their zone into this cookie (set by a page script).
TIMEZONE_COOKIE = "tz"


def select_locale() -> str:
    """Account language, else the switcher's cookie, else Accept-Language, else English."""
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def select_timezone() -> str:
    """Account zone, else the zone a visitor's browser reported, else UTC."""
    if current_user.is_authenticated:
        return current_user.timezone
    reported = request.cookies.get(TIMEZONE_COOKIE)
    if reported and is_valid_zone(reported):
        return reported
    return "UTC"


def current_language() -> str:
    """The language of this request, e.g. ``ar``."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def current_timezone() -> str:
    """The IANA zone this request's times are shown in."""
    return str(get_timezone())


def text_direction(language: str | None = None) -> str:
    """``rtl`` or ``ltr`` for ``language`` (default: the current request's)."""
    language = language or current_language()
    return "rtl" if language.split("_")[0].split("-")[0] in RTL_LANGUAGES else "ltr"
