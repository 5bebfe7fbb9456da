"""Words and charts for the report page, in the viewer's language and direction."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from tutoring.formatting import format_day
from tutoring.i18n import current_language, text_direction
from tutoring.services.records.charts import Chart, bar_chart
from tutoring.services.records.reports import Report

# The element the report fragment replaces (templates/coordinator/_report.html).
CHART_TARGET = "report"


def week_label(day: date) -> str:
    """A week by its first day, short (``5 Oct`` / ``٥ أكتوبر``)."""
    return format_day(day, format="MMMd")


def report_charts(report: Report) -> dict[str, Chart]:
    """The sessions-per-week and busiest-hours charts, mirrored for right-to-left pages."""
    rtl = text_direction(current_language()) == "rtl"
    weeks = [week_label(row.week) for row in report.weeks]
    return {
        "weeks": bar_chart(
            weeks,
            [
                (_("Booked"), [row.booked for row in report.weeks]),
                (_("Held"), [row.held for row in report.weeks]),
                (_("Cancelled"), [row.cancelled for row in report.weeks]),
                (_("No-show"), [row.no_show for row in report.weeks]),
            ],
            rtl=rtl,
        ),
        "hours": bar_chart(
            [f"{hour:02d}" for hour in range(24)],
            [(_("Bookings"), report.hours)],
            rtl=rtl,
            max_x_labels=12,
        ),
    }
