"""Help, one tap away (SPEC §7 "Help", issue 18): crisis resources by country, and the country a visitor is in.

The visitor's country comes from ``?country=XX``, else from their time zone
through tzdata's ``zone.tab`` (the IANA table of zones by country), else
none (every resource is listed). Resources of a country come first; a
country with none gets the default entries (``country`` NULL).
Coordinators add, change and remove entries (logged in the audit log).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_files
from typing import Any

from babel import Locale
from sqlalchemy import select

from tutoring.calendar.text import N_
from tutoring.extensions import db
from tutoring.models import HelpResource, User
from tutoring.models.types import MAX_ID
from tutoring.characters import has_refused_characters
from tutoring.services.coordinators.coordination import CoordinationError, NotFound, audit, clean_text

_COUNTRY = re.compile(r"^[A-Z]{2}$")
FIELDS = ("name", "phone", "text", "whatsapp", "url", "hours")
MAX_LENGTHS = {"name": 200, "phone": 60, "text": 60, "whatsapp": 60, "url": 500, "hours": 200, "notes": 2000}
# wa.me takes the international number as digits only; spaces, dashes and brackets are dropped.
_WHATSAPP = re.compile(r"^\+?[0-9][0-9 ()-]{5,25}$")


@cache
def zone_countries() -> dict[str, str]:
    """IANA zone -> ISO 3166 alpha-2 country, from tzdata's ``zone.tab``."""
    table = package_files.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    countries = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_comment = line.split("\t")
            countries[zone] = code
    return countries


@cache
def country_codes() -> tuple[str, ...]:
    """Every country code tzdata knows (``iso3166.tab``), sorted."""
    table = package_files.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text(encoding="utf-8")
    return tuple(sorted(line.split("\t")[0] for line in table.splitlines() if line and not line.startswith("#")))


def country_of_zone(zone: str | None) -> str | None:
    """The country of an IANA zone (``Asia/Riyadh`` -> ``SA``), or None (``UTC``, unknown zones)."""
    return zone_countries().get(zone or "")


def clean_country(value: Any) -> str | None:
    """``"sa"`` -> ``"SA"`` when it is a known country code; None otherwise."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if _COUNTRY.match(code) and code in country_codes() else None


def country_name(code: str, language: str) -> str:
    """The country's name in ``language`` (Babel's CLDR data), or the code."""
    return Locale.parse(language).territories.get(code, code)


def country_choices(language: str) -> list[tuple[str, str]]:
    """(code, name in ``language``) for every country, by name."""
    return sorted(((code, country_name(code, language)) for code in country_codes()), key=lambda pair: pair[1])


@dataclass(frozen=True)
class HelpList:
    country: str | None  # None: every resource is listed
    resources: list[HelpResource]
    is_default: bool  # the country has none of its own: these are the default entries


def resources_for(country: str | None) -> HelpList:
    """The resources to show for ``country`` (None: all of them, each country's then the default ones)."""
    order = (HelpResource.is_example, HelpResource.name, HelpResource.id)
    if country is None:
        rows = db.session.scalars(select(HelpResource).order_by(HelpResource.country.is_(None), HelpResource.country,
                                                                 *order))
        return HelpList(None, list(rows), False)
    own = list(db.session.scalars(select(HelpResource).where(HelpResource.country == country).order_by(*order)))
    if own:
        return HelpList(country, own, False)
    defaults = db.session.scalars(select(HelpResource).where(HelpResource.country.is_(None)).order_by(*order))
    return HelpList(country, list(defaults), True)


def resource_json(resource: HelpResource) -> dict[str, Any]:
    """One resource as the API shows it (missing fields null)."""
    return {
        "name": resource.name, "phone": resource.phone, "text": resource.text, "whatsapp": resource.whatsapp,
        "url": resource.url,
        "languages": list(resource.languages or []), "hours": resource.hours, "example": resource.is_example,
    }


# --- coordinators' changes ----------------------------------------------------------------------


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field in (*FIELDS, "notes"):
        text = clean_text(values.get(field), field, MAX_LENGTHS[field], required=field == "name")
        cleaned[field] = text if text or field == "notes" else None
    url = cleaned["url"]
    if url is not None and not re.match(r"^https?://[^\s/]+", url):
        raise CoordinationError(N_("Give a web address starting with https://."), field="url")
    if cleaned["whatsapp"] is not None and not _WHATSAPP.match(cleaned["whatsapp"]):
        raise CoordinationError(N_("Give the WhatsApp number with its country code, e.g. +20 100 000 0000."),
                                field="whatsapp")
    raw_country = values.get("country")
    if raw_country in (None, "", "*"):
        cleaned["country"] = None
    else:
        cleaned["country"] = clean_country(raw_country)
        if cleaned["country"] is None:
            raise CoordinationError(N_("Choose a country from the list."), field="country")
    languages = values.get("languages") or []
    if isinstance(languages, str):
        languages = [part.strip().lower() for part in languages.split(",") if part.strip()]
    if not isinstance(languages, list) or any(not isinstance(code, str) or not re.match(r"^[a-z]{2,3}$", code)
                                              for code in languages):
        raise CoordinationError(N_("Give language codes such as ar, en."), field="languages")
    cleaned["languages"] = list(dict.fromkeys(languages))
    cleaned["is_example"] = bool(values.get("is_example"))
    return cleaned


def add_resource(coordinator: User | None, values: dict[str, Any]) -> HelpResource:
    """A new resource; logged (``help.add``); commits. ``coordinator`` None: the operator's CLI."""
    if coordinator is not None and not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    resource = HelpResource(**_fields(values))
    try:
        db.session.add(resource)
        db.session.flush()
        audit(coordinator, "help.add", reason=f"{resource.country or '*'}: {resource.name}")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return resource


CSV_COLUMNS = ("country", "name", "phone", "text", "whatsapp", "url", "languages", "hours")
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 5000


class ImportRejected(CoordinationError):
    """A CSV import with problems; nothing was imported. ``problems``: (row number in the file, the row's error)."""

    def __init__(self, msgid: str, problems: list[tuple[int, CoordinationError]] | None = None, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.problems = problems or []


def parse_csv(data: bytes) -> list[dict[str, Any]]:
    """The cleaned rows of a CSV file (UTF-8, with or without BOM); every row is checked before any is returned.

    Rows are numbered as a spreadsheet shows them (the header is row 1).
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected(N_("The file is too large (at most %(max)d KB)."), max=MAX_IMPORT_BYTES // 1000)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(N_("The file must be saved as CSV in UTF-8.")) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ImportRejected(N_("This file can't be read as CSV.")) from None
    if not rows:
        raise ImportRejected(N_("The file is empty."))
    header = [column.strip().lower() for column in rows[0]]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    if unknown or "country" not in header or "name" not in header or len(set(header)) != len(header):
        raise ImportRejected(N_("The first row must name the columns, from: %(columns)s."),
                             columns=",".join(CSV_COLUMNS))
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ImportRejected(N_("The file has too many rows (at most %(max)d)."), max=MAX_IMPORT_ROWS)
    cleaned, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines, e.g. at the end
        if len(row) != len(header):
            problems.append((number, CoordinationError(N_("This row has %(found)d cells, not %(expected)d."),
                                                       found=len(row), expected=len(header))))
            continue
        if any(has_refused_characters(cell) for cell in row):  # the rule every stored input follows
            problems.append((number, CoordinationError(N_("This text contains a character that is not allowed."))))
            continue
        try:
            cleaned.append(_fields(dict(zip(header, row))))
        except CoordinationError as error:
            problems.append((number, error))
    if problems:
        raise ImportRejected(N_("Nothing was imported. Fix these rows and try again:"), problems)
    if not cleaned:
        raise ImportRejected(N_("The file has no lines to import."))
    return cleaned


def import_resources(coordinator: User | None, data: bytes) -> int:
    """Add every line of a CSV file, or none (``ImportRejected``); one audit entry (``help.import``); commits."""
    if coordinator is not None and not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    rows = parse_csv(data)
    try:
        db.session.add_all(HelpResource(**fields) for fields in rows)
        audit(coordinator, "help.import", reason=f"{len(rows)} lines")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(rows)


def resource_or_none(resource_id: int) -> HelpResource | None:
    if not 1 <= resource_id <= MAX_ID:
        return None
    return db.session.get(HelpResource, resource_id)


def update_resource(coordinator: User, resource_id: int, values: dict[str, Any]) -> HelpResource:
    """Change a resource; logged (``help.update``); commits."""
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    resource = resource_or_none(resource_id)
    if resource is None:
        raise NotFound()
    fields = _fields(values)
    try:
        for key, value in fields.items():
            setattr(resource, key, value)
        audit(coordinator, "help.update", reason=f"{resource.country or '*'}: {resource.name}")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return resource


def remove_resource(coordinator: User, resource_id: int) -> None:
    """Remove a resource; logged (``help.remove``); commits."""
    if not coordinator.is_coordinator:
        raise CoordinationError(N_("Only coordinators can do this."))
    resource = resource_or_none(resource_id)
    if resource is None:
        raise NotFound()
    try:
        audit(coordinator, "help.remove", reason=f"{resource.country or '*'}: {resource.name}")
        db.session.delete(resource)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise



# Demo entries: clearly labelled examples with numbers that can't be dialled
# (no country code 00), for the zones of the demo volunteers.
EXAMPLE_COUNTRIES = ("EG", "SA", "AE", "JO", "GB", "US", "NP", "AU")


def load_examples() -> int:
    """Add the example entries once (idempotent; the caller commits); returns how many were added."""
    if db.session.scalar(select(HelpResource.id).where(HelpResource.is_example.is_(True)).limit(1)) is not None:
        return 0
    for code in EXAMPLE_COUNTRIES:
        db.session.add(HelpResource(
            country=code, name=f"EXAMPLE listening line ({code}) \u2014 replace before going live",
            phone="+00 000 000 000", text="00000", url="https://example.org/help",
            languages=["ar", "en"], hours="EXAMPLE: every day 18:00-24:00",
            notes="Demo data: not a real service.", is_example=True,
        ))
    return len(EXAMPLE_COUNTRIES)
