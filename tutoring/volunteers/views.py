"""Views of the volunteers blueprint, and the home page that ``main.home`` serves at ``/``."""
from __future__ import annotations

from dataclasses import replace

from flask import request, url_for
from flask_login import current_user

from tutoring.htmx import is_fragment_request, render_page_or_fragment
from tutoring.i18n import current_language
from tutoring.models import KINDS, Programme
from tutoring.services.minors.clearance import viewer_is_minor
from tutoring.services.coordinators.coordination import bookable_kinds
from tutoring.timeutil import utcnow
from tutoring.volunteers.blueprint import bp
from tutoring.booking.browse import (
    booking_href_for,
    local_today,
    parse_week,
    viewer_zone,
    visible_volunteer_or_404,
    week_of_slots,
)
from tutoring.services.discovery.search import FILTER_KEYS, language_choices, parse_filters, search_volunteers, vocabulary

# The element the week fragment replaces (templates/volunteers/_week.html).
WEEK_TARGET = "week"
# The element the search results replace (templates/volunteers/_results.html).
RESULTS_TARGET = "results"
# Cursor of a free-time search; anything bigger can't be a position in the list.
MAX_START = 2**31 - 1


def home_page():
    """The welcome text and the volunteer search (``/``): filters in the URL, next free times in the viewer's zone.

    Plain GET form without JavaScript; with htmx, typing swaps only the
    results (``#results``) and the address follows the filters.
    """
    zone = viewer_zone(request.args.get("tz"))
    now = utcnow()
    today = local_today(zone.name, now)
    # A minor is shown only volunteers cleared for minors (SPEC §7); the page's language (the account's, else
    # the visitor's choice) ranks volunteers who speak it first.
    filters = replace(parse_filters(request.args, today, rank_language=current_language()),
                      minor=viewer_is_minor(current_user))
    page = max(request.args.get("page", 1, type=int), 1)  # anything but a number means the first page
    start = min(max(request.args.get("start", 0, type=int), 0), MAX_START)
    fragment = is_fragment_request(RESULTS_TARGET)
    words = None if fragment else vocabulary()  # the form's suggestions; a results fragment has no form
    found = search_volunteers(filters, zone.name, now, today, page=page, start=start)
    response = render_page_or_fragment(
        "volunteers/home.html",
        "volunteers/_results.html",
        hx_target=RESULTS_TARGET,
        zone=zone,
        filters=filters,
        found=found,
        words=words,
        language_choices=language_choices(words, filters.language) if words is not None else [],
        kinds=KINDS,
        programmes=Programme.all_by_name() if words is not None else [],
        filter_keys=FILTER_KEYS,
        today=today,
        booking_href=booking_href_for(filters.kind),
        now=now,
    )
    if found.pagination is not None and page > 1 and not found.results:
        response.status_code = 404
    if fragment:
        # The address bar shows the tidy URL (no empty parameters), the one a shared link needs.
        response.headers["HX-Push-Url"] = url_for(
            "main.home", **filters.query_args(), tz=zone.override, page=page if page > 1 else None,
            start=start or None,
        )
    return response


@bp.get("/<int:volunteer_id>")
def profile(volunteer_id: int):
    """A volunteer's profile and one week of their free times in the viewer's zone (HTMX gets the week alone)."""
    volunteer = visible_volunteer_or_404(volunteer_id, current_user, owner_preview=True)  # a pending volunteer previews their own
    zone = viewer_zone(request.args.get("tz"))
    now = utcnow()
    monday, week_error = parse_week(request.args.get("week"), local_today(zone.name, now))
    return render_page_or_fragment(
        "volunteers/profile.html",
        "volunteers/_week.html",
        hx_target=WEEK_TARGET,
        volunteer=volunteer,
        offered_kinds=bookable_kinds(volunteer.id, volunteer.kinds),  # only what a learner could book
        zone=zone,
        # Slots of the kind chosen in a search (issue 22): the support weekly cap holds support slots only.
        week=week_of_slots(volunteer, monday, zone.name, now, kind=booking_href_for(request.args.get("kind")).kind),
        week_error=week_error,
        week_param=request.args.get("week") if week_error is None else None,
        booking_href=booking_href_for(request.args.get("kind")),
        preview=volunteer.state == "pending",
        now=now,
    )
