"""Wall-clock times and durations for the account pages, in the viewer's language.

Instants are formatted by ``tutoring.formatting``; these are the two things
it has no helper for: a time of day that is not an instant (a weekly window
is "18:00 wherever the volunteer is") and an amount of time.
"""
from __future__ import annotations

from datetime import time

from babel.dates import format_time as babel_format_time
from flask_babel import get_locale, gettext

from tutoring.account.blueprint import bp
from tutoring.services.people.zones import zone_choices
from tutoring.formatting import format_duration
from tutoring.services.schedules.availability import ends_next_day


def clock(minute: int) -> str:
    """Minutes after midnight as the viewer's locale writes a time of day (``6:30 PM``, ``6:30 م``)."""
    return babel_format_time(time(minute // 60, minute % 60), "short", locale=get_locale() or "en")


def window_text(start_minute: int, end_minute: int) -> str:
    """A window's times, e.g. ``6:00 PM – 8:00 PM``; says so when it ends on the next day."""
    if ends_next_day(start_minute, end_minute):
        return gettext("%(start)s – %(end)s (next day)", start=clock(start_minute), end=clock(end_minute))
    return gettext("%(start)s – %(end)s", start=clock(start_minute), end=clock(end_minute))


def duration_text(minutes: int) -> str:
    """``3 hours``, ``45 minutes``, ``2 hours and 30 minutes``, with each language's plural forms."""
    return format_duration(minutes)


@bp.context_processor
def _display_helpers() -> dict:
    # `zones` feeds the zone picker's datalist (auth/_timezone_datalist.html); a cached tuple.
    return {"clock": clock, "window_text": window_text, "duration_text": duration_text, "zones": zone_choices()}
