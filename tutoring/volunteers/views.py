"""Views of the volunteers blueprint, and the home page that ``main.home`` serves at ``/``."""
from __future__ import annotations

from flask import render_template, request

from tutoring.htmx import render_page_or_fragment
from tutoring.timeutil import utcnow
from tutoring.volunteers import bp
from tutoring.volunteers.browse import (
    approved_volunteers,
    booking_href,
    local_today,
    parse_week,
    upcoming_slots,
    viewer_zone,
    visible_volunteer_or_404,
    week_of_slots,
)

# The element the week fragment replaces (templates/volunteers/_week.html).
WEEK_TARGET = "week"


def home_page():
    """The welcome text and one page of approved volunteers with their next free times (``/``)."""
    zone = viewer_zone(request.args.get("tz"))
    page = max(request.args.get("page", 1, type=int), 1)  # anything but a number means the first page
    volunteers = approved_volunteers(page)
    status = 404 if page > 1 and not volunteers.items else 200
    now = utcnow()
    return (
        render_template(
            "volunteers/home.html",
            zone=zone,
            volunteers=volunteers,
            upcoming=upcoming_slots(volunteers.items, now),
            booking_href=booking_href,
            now=now,
        ),
        status,
    )


@bp.get("/<int:volunteer_id>")
def profile(volunteer_id: int):
    """A volunteer's profile and one week of their free times in the viewer's zone (HTMX gets the week alone)."""
    volunteer = visible_volunteer_or_404(volunteer_id)
    zone = viewer_zone(request.args.get("tz"))
    now = utcnow()
    monday, week_error = parse_week(request.args.get("week"), local_today(zone.name, now))
    return render_page_or_fragment(
        "volunteers/profile.html",
        "volunteers/_week.html",
        hx_target=WEEK_TARGET,
        volunteer=volunteer,
        zone=zone,
        week=week_of_slots(volunteer, monday, zone.name, now),
        week_error=week_error,
        week_param=request.args.get("week") if week_error is None else None,
        booking_href=booking_href,
        now=now,
    )
