"""Finding a time: the learner's free hours on a week grid, matched against volunteers' offered slots.

The grid's service is tested with plain values (cells, zones, slots), the
page through the test client: ranking, filters, both zones, links to book,
the URL as the whole state, htmx fragment, bad input. SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from tutoring.extensions import db
from tutoring.models import VolunteerProfile
from tutoring.scheduling import Slot
from tutoring.services.discovery.find_time import find_volunteers, free_stretches, matching_slots, parse_request
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

EVERY_DAY = lambda start, end: [(weekday, start, end) for weekday in range(7)]  # noqa: E731


def Z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the grid, as values -------------------------------------------------------------------------


def test_the_grid_reads_weekday_hour_cells_and_drops_the_rest():
    args = MultiDict([("free", "0-18"), ("free", "6-23"), ("free", "7-1"), ("free", "1-24"), ("free", "x"),
                      ("kind", "dancing"), ("from", "2020-01-01"), ("subject", "  Physics   and  maths ")])
    wanted = parse_request(args, today=date(2026, 11, 30))
    assert wanted.cells == {(0, 18), (6, 23)}
    assert wanted.ignored_cells == 3
    assert wanted.kind == "" and wanted.subject == "Physics and maths"
    assert wanted.first_day == date(2026, 11, 30)  # never in the past
    assert parse_request(MultiDict([("from", "2026-12-07")]), today=date(2026, 11, 30)).first_day == date(2026, 12, 7)


def test_touching_free_hours_merge_into_one_stretch_in_the_learners_zone():
    monday = date(2026, 11, 30)
    stretches = free_stretches({(0, 18), (0, 19), (0, 21), (1, 23), (2, 0)}, "Asia/Riyadh",
                               [monday + timedelta(days=n) for n in range(7)])
    assert stretches == [
        (Z("2026-11-30 15:00"), Z("2026-11-30 17:00")),  # 18:00-20:00 in Riyadh (+03:00)
        (Z("2026-11-30 18:00"), Z("2026-11-30 19:00")),
        (Z("2026-12-01 20:00"), Z("2026-12-01 22:00")),  # Tuesday 23:00 runs into Wednesday 00:00-01:00
    ]


def test_free_hours_on_a_clock_change_day_are_real_hours():
    """London springs forward at 01:00 on 29 March 2026: the missing hour is no free time, the others are exact."""
    sunday = date(2026, 3, 29)
    stretches = free_stretches({(6, 0), (6, 1), (6, 2)}, "Europe/London", [sunday])
    assert stretches == [(Z("2026-03-29 00:00"), Z("2026-03-29 02:00"))]


def test_a_slot_matches_only_when_it_lies_wholly_inside_free_time():
    stretches = [(Z("2026-12-01 09:00"), Z("2026-12-01 11:00"))]
    inside = Slot(Z("2026-12-01 10:00"), Z("2026-12-01 10:45"))
    sticking_out = Slot(Z("2026-12-01 10:30"), Z("2026-12-01 11:15"))
    before = Slot(Z("2026-12-01 08:30"), Z("2026-12-01 09:15"))
    assert matching_slots([before, inside, sticking_out], stretches) == [inside]


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    """Three physics volunteers speaking Arabic with 3, 1 and 0 slots a day in 09:00-12:00 UTC, and two who don't fit the filters."""
    return {
        # Kathmandu 14:45-17:45 is 09:00-12:00 UTC: 09:00, 10:00, 11:00 UTC (45 + 15 minutes).
        "many": make_user("volunteer", name="Nadia Many", timezone="Asia/Kathmandu", rules=EVERY_DAY("14:45", "17:45"),
                          subjects=["Physics"], languages=["ar", "en"], kinds=["tutoring"]),
        "few": make_user("volunteer", name="Faris Few", timezone="UTC", rules=EVERY_DAY("11:00", "12:00"),
                         subjects=["Physics"], languages=["ar"], kinds=["tutoring"]),
        "none": make_user("volunteer", name="Noor None", timezone="UTC", rules=EVERY_DAY("16:00", "18:00"),
                          subjects=["Physics"], languages=["ar"], kinds=["tutoring"]),
        "history": make_user("volunteer", name="Hana History", timezone="UTC", rules=EVERY_DAY("09:00", "12:00"),
                             subjects=["History"], languages=["ar"], kinds=["tutoring"]),
        "english": make_user("volunteer", name="Emma English", timezone="UTC", rules=EVERY_DAY("09:00", "12:00"),
                             subjects=["Physics"], languages=["en"], kinds=["mentoring"]),
    }


def noon_to_three_riyadh() -> list[tuple[str, str]]:
    """Every day 12:00-15:00 in Riyadh, i.e. 09:00-12:00 UTC."""
    return [("free", f"{weekday}-{hour}") for weekday in range(7) for hour in (12, 13, 14)]


def first_day() -> date:
    return (utcnow() + timedelta(days=2)).date()


def test_volunteers_are_ranked_by_how_many_of_their_slots_fit_and_filters_apply(app, client, people):
    query = [*noon_to_three_riyadh(), ("subject", "physics"), ("language", "ar"), ("from", first_day().isoformat()),
             ("tz", "Asia/Riyadh")]
    response = client.get("/find-a-time", query_string=query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Nadia Many") < html.index("Faris Few")
    assert "Noor None" not in html and "Hana History" not in html and "Emma English" not in html
    assert "21 matching times" in html and "7 matching times" in html
    assert "2 volunteers fit your hours" in html

    with app.app_context():
        wanted = parse_request(MultiDict(query), today=first_day())
        result = find_volunteers(wanted, "Asia/Riyadh", utcnow())
        assert [(m.volunteer.id, m.count) for m in result.matches] == [(people["many"].id, 21), (people["few"].id, 7)]
        # Every match is an offered slot of that volunteer, inside 09:00-12:00 UTC.
        many = db.session.get(VolunteerProfile, people["many"].id)
        offered = set(slots_in_range(many, Z(f"{first_day()} 00:00"), Z(f"{first_day()} 00:00") + timedelta(days=8)))
        assert all(slot in offered and 9 <= slot.start_at.hour < 12 for slot in result.matches[0].slots)

    # The kind filter: only the English speaker offers mentoring, and the language filter is off now.
    mentoring = client.get("/find-a-time", query_string=[*noon_to_three_riyadh(), ("kind", "mentoring"),
                                                         ("from", first_day().isoformat()), ("tz", "Asia/Riyadh")]).get_data(as_text=True)
    assert "Emma English" in mentoring and "Nadia Many" not in mentoring


def test_each_time_is_shown_in_both_zones_and_links_to_booking_it(app, client, people):
    query = [("free", f"{first_day().weekday()}-12"), ("subject", "Physics"), ("language", "ar"),
             ("from", first_day().isoformat()), ("tz", "Asia/Riyadh")]
    html = client.get("/find-a-time", query_string=query).get_data(as_text=True)
    start = datetime.combine(first_day(), datetime.min.time(), UTC).replace(hour=9)
    link = f'/volunteers/{people["many"].id}/book?start={start:%Y-%m-%dT%H:%M:%SZ}'
    assert link in html
    card = html[html.index("Nadia Many"):]
    card = card[: card.index("</li>")]
    assert "12:00" in card  # 09:00 UTC in Riyadh
    assert "2:45" in card  # and in Kathmandu, the volunteer's zone
    assert client.get(link).status_code == 200


def test_the_url_is_the_whole_state_ticked_boxes_and_filters_come_back(client, people):
    query = [("free", "2-9"), ("free", "5-20"), ("subject", "Physics"), ("kind", "tutoring"), ("language", "ar")]
    html = client.get("/find-a-time", query_string=query).get_data(as_text=True)
    assert 'value="2-9" id="free-2-9" checked' in html and 'value="5-20" id="free-5-20" checked' in html
    assert html.count(" checked>") == 2
    assert 'value="tutoring" selected' in html and 'value="Physics"' in html
    # The next-week link keeps every ticked hour and filter.
    next_href = html.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    kept = parse_qs(urlsplit(next_href).query)
    assert kept["free"] == ["2-9", "5-20"] and kept["subject"] == ["Physics"] and kept["kind"] == ["tutoring"]
    assert date.fromisoformat(kept["from"][0]) > utcnow().date()


def test_the_grid_is_a_labelled_form_that_needs_no_javascript(client):
    html = client.get("/find-a-time").get_data(as_text=True)
    start = html.index('<form id="find-form"')
    form = html[start:html.index("</form>", start)]
    assert 'method="get"' in form
    assert form.count('type="checkbox" name="free"') == 7 * 24
    # Every checkbox has its own label naming the day and the hour.
    assert form.count('<label class="visually-hidden" for="free-') == 7 * 24
    assert "<caption" in form and 'scope="col"' in form and 'scope="row"' in form
    assert "Tick the hours you are free" in html


def test_htmx_gets_only_the_results(client, people):
    response = client.get("/find-a-time", query_string=noon_to_three_riyadh(),
                          headers={"HX-Request": "true", "HX-Target": "find-results"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="find-results"') and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("query", [
    "free=9-99&free=%00&from=not-a-date&kind=%ff",
    "from=9999-12-31&free=1-1",
    "free=" + "&free=".join(["0-1"] * 2000),
    "tz=Not/AZone&free=1-10",
    "language=zz&free=1-10",  # a language code Babel doesn't know is shown as typed
    "subject=a%00b&language=%00&free=1-10",  # a NUL matches nothing
])
def test_bad_input_never_breaks_the_page(client, people, query):
    assert client.get(f"/find-a-time?{query}").status_code == 200


def test_the_arabic_page_names_the_zone_and_is_right_to_left(client, people):
    client.set_cookie("language", "ar")
    html = client.get("/find-a-time", query_string=noon_to_three_riyadh(), headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in html


def test_a_signed_in_learners_own_sessions_are_not_free_time(app, client, people, make_user, sign_in):
    learner = make_user("learner", timezone="Asia/Riyadh")
    query = [*noon_to_three_riyadh(), ("subject", "Physics"), ("language", "ar"), ("from", first_day().isoformat())]
    with app.app_context():
        from tutoring.booking.operations import book_session

        start = datetime.combine(first_day(), datetime.min.time(), UTC).replace(hour=11)
        book_session(learner.id, people["few"].id, start, "tutoring")
        wanted = parse_request(MultiDict(query), today=first_day())
        counts = {m.volunteer.id: m.count for m in find_volunteers(wanted, "Asia/Riyadh", utcnow(), learner.id).matches}
    # Nadia's 11:00 UTC slot that day overlaps the learner's own session; Faris's is that session.
    assert counts == {people["many"].id: 20, people["few"].id: 6}
    sign_in(learner)
    assert "20 matching times" in client.get("/find-a-time", query_string=query).get_data(as_text=True)
