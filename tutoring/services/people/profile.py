"""Changing one's own account: name, zone, language and, for volunteers, what they offer and their session settings.

``update_profile`` reads form text, checks every field (collecting all the
problems, so a form can show each next to its input) and writes nothing
unless all are right. Session settings share their ranges with the
availability service (SPEC §1).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from babel import Locale
from flask import has_request_context
from flask_babel import gettext

from tutoring.services.people.zones import canonical_zone
from tutoring.extensions import db
from tutoring.models import KINDS, LANGUAGES, User
from tutoring.models.user import ADDRESS_FORMS
from tutoring.services.schedules.availability import SETTING_RANGES, AvailabilityError, N_, parse_setting
from tutoring.timeutil import is_valid_zone

MAX_NAME_LENGTH = 100
MAX_BIO_LENGTH = 2000
MAX_SUBJECTS = 20
MAX_SUBJECT_LENGTH = 60
MAX_SPOKEN_LANGUAGES = 12
# Commas in either script, semicolons and new lines separate list entries.
_LIST_SEPARATORS = re.compile(r"[,،;\n]+")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


class ProfileInvalid(ValueError):
    """Some fields were refused; ``errors`` maps each field name to its messages (in the request's language)."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def _message(msgid: str, **params: Any) -> str:
    if has_request_context():
        return gettext(msgid, **params)
    return msgid % params if params else msgid


def split_list(text: str | None) -> list[str]:
    """``"Maths, physics،  chemistry"`` -> ``["Maths", "physics", "chemistry"]`` (blank entries dropped)."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text or "") if part.strip()]


@cache
def _language_codes_by_name() -> dict[str, str]:
    """Language names in English and Arabic (and codes themselves), case-folded -> code."""
    names: dict[str, str] = {}
    for ui_language in LANGUAGES:
        for code, name in Locale.parse(ui_language).languages.items():
            if _LANGUAGE_CODE.fullmatch(code):
                names.setdefault(name.casefold(), code)
    return names


def spoken_language_code(entry: str) -> str | None:
    """The language code for ``fr``, ``French``, ``french`` or ``الفرنسية``; None if we don't know it."""
    folded = entry.strip().casefold()
    if _LANGUAGE_CODE.fullmatch(folded) and folded in Locale.parse("en").languages:
        return folded
    return _language_codes_by_name().get(folded)


def update_profile(user_id: int, form: Mapping[str, Any]) -> User:
    """Check and save the profile fields of ``form`` for the user; raise ProfileInvalid (nothing saved) otherwise; commits.

    ``form`` holds text as a form sends it: ``display_name``, ``timezone``,
    ``language``, and for volunteers ``subjects`` and ``languages`` (comma
    separated), ``kinds`` (a list), ``bio`` and the session settings (blank
    ``max_sessions_per_week``: no weekly cap).
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}

    def refuse(field: str, msgid: str, **params: Any) -> None:
        errors.setdefault(field, []).append(_message(msgid, **params))

    name = (form.get("display_name") or "").strip()
    if not name:
        refuse("display_name", N_("Enter a name to show to others."))
    elif len(name) > MAX_NAME_LENGTH:
        refuse("display_name", N_("Use at most %(max)d characters."), max=MAX_NAME_LENGTH)
    values["display_name"] = name

    zone = (form.get("timezone") or "").strip()
    if not is_valid_zone(zone):
        refuse("timezone", N_("Choose a time zone from the list, such as Africa/Cairo."))
    values["timezone"] = canonical_zone(zone)

    language = form.get("language")
    if language not in LANGUAGES:
        refuse("language", N_("Choose Arabic or English."))
    values["language"] = language

    # Absent from a form that doesn't show it (older pages, scripts): kept as it is.
    address_form = form.get("address_form") or user.address_form
    if address_form not in ADDRESS_FORMS:
        refuse("address_form", N_("Choose neutral, feminine or masculine."))
    values["address_form"] = address_form

    profile_values: dict[str, Any] = {}
    if user.volunteer_profile is not None:
        profile_values = _volunteer_values(form, refuse)

    if errors:
        db.session.rollback()
        raise ProfileInvalid(errors)
    try:
        for key, value in values.items():
            setattr(user, key, value)
        for key, value in profile_values.items():
            setattr(user.volunteer_profile, key, value)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return user


def _volunteer_values(form: Mapping[str, Any], refuse) -> dict[str, Any]:
    """The volunteer-only fields, checked; problems go to ``refuse(field, msgid, **params)``."""
    values: dict[str, Any] = {}

    subjects = split_list(form.get("subjects"))
    if len(subjects) > MAX_SUBJECTS:
        refuse("subjects", N_("At most %(max)d entries."), max=MAX_SUBJECTS)
    elif any(len(subject) > MAX_SUBJECT_LENGTH for subject in subjects):
        refuse("subjects", N_("Keep each subject under %(max)d characters."), max=MAX_SUBJECT_LENGTH)
    values["subjects"] = subjects

    codes = []
    for entry in split_list(form.get("languages")):
        code = spoken_language_code(entry)
        if code is None:
            refuse("languages", N_("We don't know the language “%(entry)s”. Write its name, like French, or its code, like fr."),
                   entry=entry[:40])
        elif code not in codes:
            codes.append(code)
    if len(codes) > MAX_SPOKEN_LANGUAGES:
        refuse("languages", N_("At most %(max)d entries."), max=MAX_SPOKEN_LANGUAGES)
    values["languages"] = codes

    kinds = _as_list(form.get("kinds"))
    if not kinds or any(kind not in KINDS for kind in kinds):
        refuse("kinds", N_("Choose at least one kind of session you offer."))
    values["kinds"] = [kind for kind in KINDS if kind in kinds]

    bio = (form.get("bio") or "").strip().replace("\r\n", "\n")
    if len(bio) > MAX_BIO_LENGTH:
        refuse("bio", N_("Use at most %(max)d characters."), max=MAX_BIO_LENGTH)
    elif "\x00" in bio:
        refuse("bio", N_("This text contains a character that is not allowed."))
    values["bio"] = bio

    for setting in SETTING_RANGES:
        try:
            values[setting] = parse_setting(setting, form.get(setting, ""), strict=False)
        except AvailabilityError as error:
            refuse(setting, error.msgid, **error.params)
    return values


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, Iterable) else []
