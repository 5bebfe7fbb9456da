"""The free-time grid: a GET form (its URL is the whole state, so it can be shared) and the ranked volunteers.

Works as a plain page without JavaScript; with htmx the form swaps only the
results (``#find-results``) and pushes the URL.
"""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import request
from flask_login import current_user
from flask_babel import gettext as _

from tutoring.account.display import clock
from tutoring.find.blueprint import bp
from tutoring.htmx import render_page_or_fragment
from tutoring.models import KINDS
from tutoring.services.minors.clearance import viewer_is_minor
from tutoring.services.discovery.find_time import DAYS, HOURS, cell_value, find_volunteers, parse_request
from tutoring.timeutil import utcnow
from tutoring.booking.browse import booking_href_for, local_today, viewer_zone
from tutoring.services.discovery.search import language_choices, vocabulary

RESULTS_TARGET = "find-results"
SLOTS_SHOWN = 8


def week_query(first_day: date) -> str:
    """This request's query (ticked hours, filters) for another seven days: the hours are weekdays, so they carry over."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "from"]
    return urlencode([*args, ("from", first_day.isoformat())])


@bp.get("/find-a-time")
def find():
    """The week grid of the learner's free hours with filters; when hours are marked, the volunteers who fit, ranked."""
    now = utcnow()
    zone = viewer_zone(request.args.get("tz"))
    today = local_today(zone.name, now)
    wanted = parse_request(request.args, today)
    learner_id = current_user.id if current_user.is_authenticated and current_user.is_learner else None
    result = (find_volunteers(wanted, zone.name, now, learner_id, minor=viewer_is_minor(current_user))
              if wanted.cells else None)
    tz = ZoneInfo(zone.name)
    # (hour, its start as the locale writes it, "18:00 – 19:00" for the checkboxes' labels)
    hour_rows = [
        (hour, clock(hour * 60), _("%(start)s – %(end)s", start=clock(hour * 60), end=clock((hour + 1) % HOURS * 60)))
        for hour in range(HOURS)
    ]
    shift = {"previous": max(today, wanted.first_day - timedelta(days=DAYS)),
             "next": wanted.first_day + timedelta(days=DAYS)}
    return render_page_or_fragment(
        "find/find.html",
        "find/_results.html",
        hx_target=RESULTS_TARGET,
        wanted=wanted,
        result=result,
        zone=zone,
        tz=tz,
        now=now,
        today=today,
        hour_rows=hour_rows,
        cell_value=cell_value,
        kinds=KINDS,
        languages=language_choices(vocabulary(), wanted.language),
        subjects=vocabulary().subjects,
        shift=shift,
        slots_shown=SLOTS_SHOWN,
        week_query=week_query,
        booking_href=booking_href_for(wanted.kind),
    )
