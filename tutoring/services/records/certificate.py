"""A volunteer's hours certificate: their completed sessions in a period and the total time given.

Sessions are listed by time and kind only: a certificate is shown to third
parties (schools, employers), so learners' names and notes stay out.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from markupsafe import Markup, escape
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.formatting import format_day, format_duration
from tutoring.models import Session
from tutoring.scheduling import day_range_bounds
from tutoring.services.records.reports import FIRST_YEAR, LAST_YEAR, MAX_RANGE_DAYS


@dataclass(frozen=True)
class CertificateLine:
    """One completed session."""

    start_at: datetime
    end_at: datetime
    kind: str

    @property
    def minutes(self) -> int:
        """How long it lasted."""
        return round((self.end_at - self.start_at).total_seconds() / 60)


@dataclass(frozen=True)
class Certificate:
    """The period (local days in the volunteer's zone), its sessions and their total."""

    first_day: date
    last_day: date
    lines: list[CertificateLine]
    raw: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def total_minutes(self) -> int:
        """Every session's minutes added up."""
        return sum(line.minutes for line in self.lines)


def certificate_period(args: Mapping[str, str], today: date) -> tuple[date, date, dict[str, str], dict[str, str]]:
    """``from``/``to`` from the URL (default: this calendar year so far); bad values get a message and the default."""
    raw = {key: (args.get(key) or "").strip()[:40] for key in ("from", "to")}
    errors: dict[str, str] = {}
    parsed: dict[str, date | None] = {}
    for key in ("from", "to"):
        parsed[key] = None
        if raw[key]:
            try:
                parsed[key] = date.fromisoformat(raw[key])
                if not FIRST_YEAR <= parsed[key].year <= LAST_YEAR:  # far dates break zone arithmetic
                    raise ValueError(raw[key])
            except ValueError:
                parsed[key] = None
                errors[key] = _("Enter a date like %(example)s.", example=today.isoformat())
    first_day = parsed["from"] or date(today.year, 1, 1)
    last_day = parsed["to"] or today
    if last_day < first_day:
        errors["to"] = _("The last day is before the first day.")
        first_day, last_day = date(today.year, 1, 1), today
    elif (last_day - first_day).days >= MAX_RANGE_DAYS * 5:
        errors["to"] = _("Choose at most %(days)d days.", days=MAX_RANGE_DAYS * 5)
        first_day, last_day = last_day - timedelta(days=MAX_RANGE_DAYS - 1), last_day
    return first_day, last_day, raw, errors


def build_certificate(volunteer_id: int, zone: str, args: Mapping[str, str], today: date) -> Certificate:
    """The volunteer's completed sessions starting in the period (local days in ``zone``)."""
    first_day, last_day, raw, errors = certificate_period(args, today)
    start_at, end_at = day_range_bounds(zone, first_day, last_day)
    rows = db.session.execute(
        select(Session.start_at, Session.end_at, Session.kind)
        .where(Session.volunteer_id == volunteer_id, Session.status == "completed",
               Session.start_at >= start_at, Session.start_at < end_at)
        .order_by(Session.start_at)
    )
    lines = [CertificateLine(start, end, kind) for start, end, kind in rows]
    return Certificate(first_day, last_day, lines, raw, errors)


def certificate_lead(certificate: Certificate, name: str, address: str, *, markup: bool = False) -> str:
    """The certificate's sentence, in the grammatical form the volunteer chose for Arabic (``address``).

    English reads the same in every form; Arabic verbs and pronouns agree
    with ``feminine`` or ``masculine``, and ``neutral`` rephrases around
    them. ``markup``: the values are escaped and the result is Markup (for
    the page, where ``name`` is already isolated in ``<bdi>``).
    """
    values = {
        "name": name,
        "time": format_duration(certificate.total_minutes),
        "first": format_day(certificate.first_day, format="long"),
        "last": format_day(certificate.last_day, format="long"),
        "count": ngettext("%(num)d session", "%(num)d sessions", len(certificate.lines)),
    }
    if markup:
        values = {key: escape(value) for key, value in values.items()}
    if address == "feminine":
        text = pgettext("feminine", "This certifies that %(name)s gave %(time)s of their time as a volunteer from "
                        "%(first)s to %(last)s, in %(count)s.", **values)
    elif address == "masculine":
        text = pgettext("masculine", "This certifies that %(name)s gave %(time)s of their time as a volunteer from "
                        "%(first)s to %(last)s, in %(count)s.", **values)
    else:
        text = _("This certifies that %(name)s gave %(time)s of their time as a volunteer from %(first)s to "
                 "%(last)s, in %(count)s.", **values)
    return Markup(text) if markup else text
