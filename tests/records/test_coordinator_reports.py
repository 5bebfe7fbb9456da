"""Report figures against a fixture with known answers; the CSV read back; the charts; bad input.

The coordinator is in Europe/London (days and weeks are theirs); learners
are in Kathmandu (+05:45), New York (-05:00 in November) and London, so
the busiest hours show each learner's own clock.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.records.charts import bar_chart, nice_ceiling
from tutoring.services.coordinators.coordination import create_programme, set_membership

from tests.coordinators.coordinator_support import add_session

RANGE = {"from": "2026-11-02", "to": "2026-11-15"}  # Monday to Sunday: two weeks


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def world(app, make_user, sign_in):
    coordinator = make_user("coordinator", timezone="Europe/London")
    v1 = make_user("volunteer", name="Vera One")
    v2 = make_user("volunteer", name="=Victor Two")  # a name a spreadsheet would run as a formula
    l1 = make_user("learner", timezone="Asia/Kathmandu")
    l2 = make_user("learner", timezone="America/New_York")
    l3 = make_user("learner", timezone="Europe/London")
    with app.app_context():
        boss = db.session.get(User, coordinator.id)
        programme = create_programme(boss, name="Maths", kinds=["tutoring"])
        set_membership(boss, programme.id, v1.id, member=True)
        sessions = [
            (v1, l1, utc(2026, 11, 3, 12, 0), 60, "completed"),   # week 1; 17:45 in Kathmandu
            (v1, l2, utc(2026, 11, 4, 23, 30), 45, "no_show"),    # week 1; 18:30 in New York
            (v1, l3, utc(2026, 11, 5, 18, 0), 30, "cancelled"),   # week 1; not in the busiest hours
            (v2, l1, utc(2026, 11, 10, 2, 0), 90, "completed"),   # week 2; 07:45 in Kathmandu
            (v2, l3, utc(2026, 11, 11, 18, 0), 60, "completed"),  # week 2; 18:00 in London
            (v1, l2, utc(2026, 11, 12, 14, 0), 60, "confirmed"),  # week 2; 09:00 in New York, not recorded
            (v2, l2, utc(2026, 11, 15, 23, 30), 30, "completed"), # Sunday 23:30 in London: week 2; 18:30 NY
            (v1, l1, utc(2026, 11, 16, 0, 30), 60, "completed"),  # Monday 00:30 in London: outside
            (v2, l3, utc(2026, 11, 1, 23, 30), 60, "completed"),  # Sunday before: outside
        ]
        for volunteer, learner, start_at, minutes, status in sessions:
            add_session(volunteer.id, learner.id, start_at, minutes=minutes, status=status, note="secret note")
    sign_in(coordinator)
    return {"v1": v1, "v2": v2, "coordinator": coordinator}


def read_csv(client, **args) -> dict[tuple[str, str, str], str]:
    response = client.get("/coordinator/reports.csv", query_string=args)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and set(rows[0]) == {"section", "label", "measure", "value"}
    return {(row["section"], row["label"], row["measure"]): row["value"] for row in rows}


def test_weekly_counts_hours_and_learners_match_the_fixture(client, world):
    numbers = read_csv(client, **RANGE)
    week1 = {m: numbers[("week", "2026-11-02", m)] for m in ("booked", "held", "cancelled", "no_show", "volunteer_hours")}
    week2 = {m: numbers[("week", "2026-11-09", m)] for m in ("booked", "held", "cancelled", "no_show", "volunteer_hours")}
    assert week1 == {"booked": "3", "held": "1", "cancelled": "1", "no_show": "1", "volunteer_hours": "1.00"}
    assert week2 == {"booked": "4", "held": "3", "cancelled": "0", "no_show": "0", "volunteer_hours": "3.00"}
    assert numbers[("total", "", "booked")] == "7"
    assert numbers[("total", "", "volunteer_hours")] == "4.00"
    assert numbers[("total", "", "learners_served")] == "3"
    assert not any(key[0] == "week" and key[1] not in ("2026-11-02", "2026-11-09") for key in numbers)


def test_busiest_hours_are_in_each_learners_zone(client, world):
    numbers = read_csv(client, **RANGE)
    hours = {int(label): int(value) for (section, label, _m), value in numbers.items() if section == "hour"}
    assert len(hours) == 24
    assert {hour: count for hour, count in hours.items() if count} == {7: 1, 9: 1, 17: 1, 18: 3}


def test_volunteer_hours_per_volunteer_and_a_name_is_never_a_formula(client, world):
    numbers = read_csv(client, **RANGE)
    assert numbers[("volunteer", "Vera One", "volunteer_hours")] == "1.00"
    assert numbers[("volunteer", "'=Victor Two", "sessions")] == "3"
    assert numbers[("volunteer", "'=Victor Two", "volunteer_hours")] == "3.00"


def test_the_programme_filter_keeps_its_volunteers_sessions(client, world):
    numbers = read_csv(client, **RANGE, programme="maths")
    assert numbers[("range", "programme", "slug")] == "maths"
    assert numbers[("week", "2026-11-02", "booked")] == "3"
    assert numbers[("week", "2026-11-09", "booked")] == "1"
    assert numbers[("total", "", "learners_served")] == "1"
    assert numbers[("total", "", "volunteer_hours")] == "1.00"
    assert ("volunteer", "'=Victor Two", "sessions") not in numbers


def test_the_page_shows_the_same_numbers_in_tables_and_charts(client, world):
    page = client.get("/coordinator/reports", query_string=RANGE).get_data(as_text=True)
    assert "secret note" not in page
    assert page.count("<svg") == 2
    assert 'role="img"' in page and 'aria-labelledby="weeks-chart-title weeks-chart-desc"' in page
    assert '<title id="weeks-chart-title">Sessions per week</title>' in page
    assert 'direction="ltr"' in page
    # One rectangle per non-zero bar, each with its own title.
    assert "Held · 2 Nov: 1" in page or "Held · Nov 2: 1" in page
    assert re.search(r"<tfoot><tr><th scope=\"row\">Total</th><td>7</td><td>4</td><td>1</td>", page)


def test_the_arabic_page_mirrors_the_chart(app, client, world):
    with app.app_context():
        db.session.get(User, world["coordinator"].id).language = "ar"
        db.session.commit()
    page = client.get("/coordinator/reports", query_string=RANGE).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert 'direction="rtl"' in page
    assert "<title id=\"weeks-chart-title\">الجلسات في كل أسبوع</title>" in page


def test_an_htmx_request_gets_the_report_fragment(client, world):
    response = client.get("/coordinator/reports", query_string=RANGE,
                          headers={"HX-Request": "true", "HX-Target": "report"})
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="report"') and "<html" not in text
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("args", [
    {"from": "2026-13-45", "to": "yesterday"},
    {"from": "0001-01-01", "to": "9999-12-31"},
    {"from": "2026-11-15", "to": "2026-11-02"},
    {"from": "2020-01-01", "to": "2026-11-02"},
    {"programme": "no-such-programme"},
    {"programme": "bad\x00slug"},
])
def test_bad_input_gets_a_message_never_a_500(client, world, args):
    page = client.get("/coordinator/reports", query_string=args)
    assert page.status_code == 200
    assert b'class="field-error"' in page.data
    assert client.get("/coordinator/reports.csv", query_string=args).status_code == 200


def test_rtl_charts_put_the_first_category_on_the_right():
    ltr = bar_chart(["a", "b", "c"], [("s", [1, 2, 3])], width=300)
    rtl = bar_chart(["a", "b", "c"], [("s", [1, 2, 3])], width=300, rtl=True)
    assert ltr.bars[0].x < ltr.bars[2].x
    assert rtl.bars[0].x > rtl.bars[2].x
    # Mirror images: each bar's right edge in RTL is the LTR left edge measured from the other side.
    for left, right in zip(ltr.bars, rtl.bars, strict=True):
        assert abs((right.x + right.width) - (300 - left.x)) < 0.02
        assert right.height == left.height
    # Value labels sit outside the plot on the reading-start side, anchored at their end.
    assert all(label.anchor == "end" for label in rtl.y_labels)
    assert ltr.y_labels[0].x < ltr.axis.x1 and rtl.y_labels[0].x > max(rtl.axis.x1, rtl.axis.x2)


def test_chart_scale_and_an_empty_chart():
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 12, 51, 100)] == [1, 1, 5, 10, 20, 100, 100]
    empty = bar_chart([], [("s", [])])
    assert empty.bars == [] and empty.y_labels


def test_the_sessions_list_shows_bookings_of_the_range_without_notes(client, world):
    page = client.get("/coordinator/sessions", query_string=RANGE).get_data(as_text=True)
    assert page.count("<tr>") == 1 + 7  # the header and the seven bookings inside the range
    assert "Vera One" in page and "Learner" in page
    assert "secret note" not in page
    only_maths = client.get("/coordinator/sessions", query_string={**RANGE, "programme": "maths"}).get_data(as_text=True)
    assert only_maths.count("<tr>") == 1 + 4 and "Victor Two" not in only_maths
    assert client.get("/coordinator/sessions?from=nonsense&programme=zzz").status_code == 200
