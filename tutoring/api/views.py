"""The JSON API views: who am I, which volunteers, which slots, and the OpenAPI document."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import jsonify, request
from flask_babel import gettext as _

from tutoring.api.blueprint import bp
from tutoring.api.auth import current_caller, public
from tutoring.api.errors import validation_error
from tutoring.api.openapi import openapi_document
from tutoring.api.params import choice_arg, date_arg, int_arg, text_arg, zone_arg
from tutoring.api.render import me_json, slot_json, volunteer_json
from tutoring.api.volunteers import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    MAX_SLOT_SPAN_DAYS,
    find_volunteers,
    load_bookable_volunteer,
    programme_arg,
)
from tutoring.models import KINDS
from tutoring.services.support import help as help_service
from tutoring.services.minors.clearance import viewer_is_minor
from tutoring.services.coordinators.coordination import bookable_kinds_of
from tutoring.booking.slots import slots_on_days
from tutoring.timeutil import utcnow

FILTERS = ("subject", "language", "kind", "programme")
DEFAULT_SLOT_DAYS = 7
# No volunteer's horizon exceeds 365 days (a database CHECK), so no slot lies
# outside these local dates around today; asking further only costs work.
_DAYS_BEFORE_TODAY = 1
_DAYS_AFTER_TODAY = 367


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(openapi_document())


@bp.get("/help")
@public
def help_resources():
    """Crisis resources for ``?country=XX`` (SPEC §7), or all of them; 422 for a code that names no country."""
    asked = request.args.get("country")
    # Exactly two letters, as the OpenAPI document says (the pages and the CSV import forgive spaces; the API doesn't).
    exact = asked is not None and len(asked) == 2 and asked.isascii() and asked.isalpha()
    country = help_service.clean_country(asked) if exact else None
    if asked is not None and country is None:
        raise validation_error("country", _("Give a country code such as SA or GB."))
    found = help_service.resources_for(country)
    return jsonify({"country": country, "resources": [help_service.resource_json(r) for r in found.resources]})


@bp.get("/me")
def me():
    """The caller's account: id, role, name, zone, language and secret calendar feed address."""
    return jsonify(me_json(current_caller()))


@bp.get("/volunteers")
def volunteers():
    """Approved volunteers, filtered by subject, language, kind and programme; paginated with limit/offset."""
    subject, language = text_arg("subject"), text_arg("language")
    kind = choice_arg("kind", KINDS)
    limit = int_arg("limit", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    offset = int_arg("offset", default=0, minimum=0, maximum=MAX_OFFSET)
    programme = programme_arg("programme")
    found = find_volunteers(subject=subject, language=language, kind=kind, programme=programme,
                            minor=viewer_is_minor(current_caller()))
    shown = found[offset : offset + limit]
    kinds = bookable_kinds_of({volunteer.id: list(volunteer.kinds) for volunteer in shown})  # what booking accepts
    response = jsonify([volunteer_json(volunteer, kinds[volunteer.id]) for volunteer in shown])
    response.headers["X-Total-Count"] = str(len(found))
    links = _page_links(total=len(found), limit=limit, offset=offset)
    if links:
        response.headers["Link"] = links
    return response


@bp.get("/volunteers/<int:volunteer_id>/slots")
def volunteer_slots(volunteer_id: int):
    """A volunteer's offered slots on the dates from..to (inclusive) as seen in zone tz."""
    volunteer = load_bookable_volunteer(volunteer_id, minor=viewer_is_minor(current_caller()))
    zone_name = zone_arg("tz") or current_caller().timezone
    zone = ZoneInfo(zone_name)
    now = utcnow()
    today = now.astimezone(zone).date()
    first, last = _date_range(today=today)
    # Dates far from today can hold no slot; clamping also keeps absurd years
    # (0001, 9999) away from the zone tables.
    first = max(first, today - timedelta(days=_DAYS_BEFORE_TODAY))
    last = min(last, today + timedelta(days=_DAYS_AFTER_TODAY))
    kind = choice_arg("kind", KINDS)  # slots of that kind (the support weekly cap holds support slots)
    slots = slots_on_days(volunteer, first, last, zone_name, now=now, kind=kind) if first <= last else []
    return jsonify(tz=zone_name, slots=[slot_json(slot, zone) for slot in slots])


def _date_range(*, today: date) -> tuple[date, date]:
    """``from`` and ``to`` of a slots request: defaults, order and span checked (422 naming the field)."""
    first = date_arg("from") or today
    last = date_arg("to")
    if last is None:
        # A week from `from`, stopping at the last representable date (year 9999).
        last = first + timedelta(days=min(DEFAULT_SLOT_DAYS - 1, (date.max - first).days))
    if last < first:
        raise validation_error("to", _("to must be on or after from."))
    if (last - first).days > MAX_SLOT_SPAN_DAYS:
        raise validation_error("to", _("to must be at most %(days)d days after from.", days=MAX_SLOT_SPAN_DAYS))
    return first, last


def _page_links(*, total: int, limit: int, offset: int) -> str:
    """An RFC 8288 ``Link`` header with the next and previous pages, keeping the filters."""
    # Only the filters we know: echoing arbitrary parameters into a header invites trouble.
    kept = {name: value for name in FILTERS if (value := text_arg(name)) is not None}

    def page(page_offset: int) -> str:
        return request.path + "?" + urlencode({**kept, "limit": limit, "offset": page_offset})

    links = []
    if offset + limit < total:
        links.append(f'<{page(offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{page(max(offset - limit, 0))}>; rel="prev"')
    return ", ".join(links)
