"""Searching volunteers on the home page: filters in the URL, SQL first, free time in the viewer's zone, HTMX.

The clock is Sunday 10 January 2027, 12:00 UTC. The viewer is in
Asia/Kathmandu (UTC+05:45). Amira (Cairo, UTC+02:00) offers Tuesdays
18:00-21:00 Cairo = 16:00-19:00Z = 21:45-00:45 Kathmandu, in 30-minute slots.
Ben (London, UTC+00:00) offers Mondays 09:00-12:00 = 14:45-17:45 Kathmandu.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

import tutoring.services.discovery.search as search_module
import tutoring.volunteers.views as volunteer_views
from tutoring.extensions import db
from tutoring.services.discovery.search import SCAN_LIMIT, parse_filters

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
MONDAY, TUESDAY = 0, 1
SEARCH_TRIGGER = 'hx-trigger="input changed delay:300ms, change, submit"'


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """The pages' "now", so dates and slots don't depend on the day the tests run."""
    monkeypatch.setattr(volunteer_views, "utcnow", lambda: NOW)


@pytest.fixture
def people(make_user):
    """Three volunteers with different subjects, languages and kinds, and one not yet approved."""
    amira = make_user(
        "volunteer", name="Amira", timezone="Africa/Cairo", rules=[(TUESDAY, "18:00", "21:00")],
        session_minutes=30, buffer_minutes=0, min_notice_hours=0,
        subjects=["Physics", "Mathematics"], languages=["ar", "en"],
    )
    ben = make_user(
        "volunteer", name="Ben", timezone="Europe/London", rules=[(MONDAY, "09:00", "12:00")],
        session_minutes=60, buffer_minutes=0, min_notice_hours=0,
        subjects=["Chemistry", "maths"], languages=["en"], kinds=["tutoring"],
    )
    chen = make_user(
        "volunteer", name="Chen", timezone="Asia/Kathmandu", rules=[(MONDAY, "18:00", "19:00")],
        min_notice_hours=0, subjects=["History", "الرياضيات", "50%_off"], languages=["fr"], kinds=["support"],
    )
    pending = make_user("volunteer", name="Pending", approved=False, subjects=["Physics"], languages=["ar"])
    return {"amira": amira, "ben": ben, "chen": chen, "pending": pending}


def body_of(response) -> str:
    """Page text with Babel's narrow and thin spaces as plain ones."""
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u2009", " ")


def names(body: str) -> list[str]:
    """Volunteer names on the result cards, in order."""
    return re.findall(r'<h3 class="card-title"><a href="[^"]+" dir="auto">([^<]+)</a>', body)


def shown_slots(body: str, name: str) -> list[tuple[str, str]]:
    """(UTC datetime attribute, shown text) of the free times on one volunteer's card."""
    card = body[body.index(f'dir="auto">{name}</a>'):]
    card = card[: card.index('<p class="card-more">')]
    return re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', card)


def search(client, query: str = "", **headers):
    client.set_cookie("tz", "Asia/Kathmandu")
    return client.get(f"/?{query}", headers=headers)


# --- filters -------------------------------------------------------------------------------------


def test_without_filters_every_bookable_volunteer_is_listed(client, people):
    # An English page: those who speak English first, the soonest free first (Ben on Monday, Amira on Tuesday).
    assert names(body_of(search(client))) == ["Ben", "Amira", "Chen"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject=Physics", ["Amira"]),
        ("subject=physics", ["Amira"]),  # the usual capitalisations match
        # "maths", "Mathematics" and "الرياضيات" are one subject of the shared vocabulary (issue 22).
        ("subject=MATHS", ["Ben", "Amira", "Chen"]),
        ("subject=mathematics", ["Ben", "Amira", "Chen"]),
        ("subject=math", ["Ben", "Amira", "Chen"]),  # the start of a word
        ("subject=Geography", []),
        ("language=en", ["Ben", "Amira"]),
        ("language=AR", ["Amira"]),
        ("language=fr", ["Chen"]),
        ("kind=support", ["Amira", "Chen"]),
        ("kind=tutoring", ["Ben", "Amira"]),
        ("subject=Mathematics&language=ar", ["Amira"]),
        ("subject=history&kind=tutoring", []),
        ("subject=الرياضيات", ["Ben", "Amira", "Chen"]),  # Arabic finds the English names too
        ("subject=50%25_off", ["Chen"]),  # punctuation separates words: "50 off"
        ("subject=50%25", ["Chen"]),
        ("subject=off", ["Chen"]),
        ("subject=hist", ["Chen"]),
        ("subject=story", []),  # the start of a word, not any part
        ("subject=_", []),
        ("subject=a%00b", []),  # a NUL matches nothing (PostgreSQL can't compare with it)
        ("language=%00", []),
    ],
)
def test_subject_language_and_kind_filters(client, people, query, expected):
    body = body_of(search(client, query))
    assert names(body) == expected
    if expected:
        assert re.search(rf"{len(expected)} volunteers? match(es)? your search\.", body)
    else:
        assert "No volunteers match your search." in body


def test_a_pending_volunteer_is_never_found(client, people):
    assert "Pending" not in names(body_of(search(client, "subject=Physics&language=ar")))


def test_the_form_offers_what_volunteers_list(client, people):
    body = body_of(search(client))
    datalist = body[body.index('<datalist id="subject-names">'):]
    datalist = datalist[: datalist.index("</datalist>")]
    assert re.findall(r'<option value="([^"]+)">', datalist) == [
        "50%_off", "Chemistry", "History", "Mathematics", "maths", "Physics", "الرياضيات"]
    languages = body[body.index('id="search-language"'):]
    languages = languages[: languages.index("</select>")]
    assert re.findall(r'<option value="(\w*)"', languages) == ["", "ar", "en", "fr"]
    assert ">Arabic</option>" in languages and ">French</option>" in languages


def test_suggestions_are_reused_for_a_while_but_filters_always_see_current_data(client, people, make_user):
    assert "Geology" not in body_of(search(client))
    make_user("volunteer", name="Dana", subjects=["Geology"])
    body = body_of(search(client))
    assert '<option value="Geology">' not in body  # the suggestions are a minute old
    assert names(body_of(search(client, "subject=geology"))) == ["Dana"]  # the filter is not
    client.application.config["SEARCH_VOCABULARY_SECONDS"] = 0  # as if the minute had passed
    assert '<option value="Geology">' in body_of(search(client))


def test_the_subject_filter_runs_in_sql(app, client, people, dialect):
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert names(body_of(search(client, "subject=Physics&language=en&kind=tutoring"))) == ["Amira"]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # The profiles are filtered on their own table (a subquery), their users then put in order.
    (filtering,) = [sql for sql in statements if "FROM volunteer_profiles" in sql and "users.display_name, users.id" in sql]
    assert "users.id IN (SELECT volunteer_profiles.user_id" in filtering
    # The subject: a range of the subject terms' index, or a vocabulary subject's tag.
    assert "subject_terms.term >=" in filtering and "subject_terms.term <" in filtering
    if dialect == "postgresql":  # the matching ids as an array, then each profile by key
        assert "volunteer_profiles.user_id = ANY (array((SELECT subject_terms.volunteer_id" in filtering
    else:
        assert "volunteer_profiles.user_id IN (SELECT subject_terms.volunteer_id" in filtering
    if dialect == "postgresql":  # JSONB containment for each spelling of each filter
        assert filtering.count("volunteer_profiles.languages @>") >= 3  # en, En, EN (and the ranking's)
        assert filtering.count("volunteer_profiles.kinds @>") == 1
    else:  # a LIKE on the JSON text, then an exact entry by json_each
        assert filtering.count("json_each(volunteer_profiles.") >= 2 and "LIKE" in filtering


# --- free in a date range / at a time of day -------------------------------------------------------


def test_free_between_hours_in_the_viewers_zone_shows_the_matching_slots(client, people):
    # 21:00-23:00 Kathmandu: Amira's 21:45 and 22:15 fit (a slot must end by 23:00); Ben (14:45-17:45) doesn't.
    body = body_of(search(client, "time_from=21:00&time_to=23:00"))
    assert names(body) == ["Amira"]
    assert shown_slots(body, "Amira") == [
        ("2027-01-12T16:00:00Z", "Tue, Jan 12, 9:45 PM"),
        ("2027-01-12T16:30:00Z", "Tue, Jan 12, 10:15 PM"),
        ("2027-01-19T16:00:00Z", "Tue, Jan 19, 9:45 PM"),  # the first three of the two weeks
    ]
    assert "Volunteers free between 21:00 and 23:00 (Kathmandu time (UTC+05:45))" in body
    assert "Free times that fit" in body


def test_hours_that_run_past_midnight(client, people):
    # 23:00-01:00 Kathmandu: 23:15 and 23:45 on Tuesday, and 00:15 on Wednesday (Tuesday's window, after midnight).
    body = body_of(search(client, "time_from=23:00&time_to=01:00"))
    assert names(body) == ["Amira"]
    assert [utc for utc, _shown in shown_slots(body, "Amira")] == [
        "2027-01-12T17:30:00Z", "2027-01-12T18:00:00Z", "2027-01-12T18:30:00Z",
    ]


def test_only_a_start_time_means_until_midnight(client, people):
    assert names(body_of(search(client, "time_from=14:00"))) == ["Ben", "Amira", "Chen"]
    assert names(body_of(search(client, "time_from=18:30"))) == ["Amira"]


def test_a_date_range_keeps_volunteers_free_on_those_days(client, people):
    # Thursday 14 to Sunday 17 January: nobody (Amira: Tuesdays, Ben and Chen: Mondays).
    assert names(body_of(search(client, "from=2027-01-14&to=2027-01-17"))) == []
    # Wednesday 13 January in Kathmandu: Amira's last Tuesday slot starts at 00:15 that day.
    body = body_of(search(client, "from=2027-01-13&to=2027-01-13"))
    assert shown_slots(body, "Amira") == [("2027-01-12T18:30:00Z", "Wed, Jan 13, 12:15 AM")]
    # Monday 11 January only, in Kathmandu: Ben and Chen.
    body = body_of(search(client, "from=2027-01-11&to=2027-01-11"))
    assert names(body) == ["Ben", "Chen"]
    assert "Volunteers with a free time from Mon, Jan 11 to Mon, Jan 11 (Kathmandu time (UTC+05:45))." in body
    assert all(utc.startswith("2027-01-11") for utc, _shown in shown_slots(body, "Ben"))


def test_days_and_hours_together_with_other_filters(client, people):
    query = "subject=physics&language=ar&from=2027-01-18&to=2027-01-24&time_from=22:00&time_to=23:30"
    body = body_of(search(client, query))
    assert names(body) == ["Amira"]
    assert [shown for _utc, shown in shown_slots(body, "Amira")] == [
        "Tue, Jan 19, 10:15 PM", "Tue, Jan 19, 10:45 PM",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=someday", "Enter a date like 2027-01-10."),
        ("from=2027-01-20&to=2027-01-12", "The last day is before the first day."),
        ("from=2027-01-10&to=2027-04-30", "Choose at most 62 days."),
        ("from=2029-01-01", "That is too far ahead"),
        ("from=9999-12-31", "That is too far ahead"),  # two weeks later is past the last date there is
        ("to=2026-12-01", "These days are over."),
        ("time_from=25:00", "Enter a time like 16:00."),
        ("time_from=16:00&time_to=16:00", "The end time is the same as the start time."),
        ("kind=gardening", "Choose a kind of session from the list."),
    ],
)
def test_unusable_filters_are_named_and_left_out(client, people, query, message):
    response = search(client, query)
    body = body_of(response)
    assert response.status_code == 200
    assert message in body
    assert "Part of the search could not be used" in body
    assert names(body) == ["Ben", "Amira", "Chen"]  # the bad filter was ignored


def test_parse_filters_reads_dates_and_hours():
    filters = parse_filters({"from": "2027-01-05", "time_to": "20:00", "subject": "  Physics   I "}, TODAY)
    assert filters.first_day == TODAY  # days before today are dropped
    assert filters.last_day.isoformat() == "2027-01-18"  # two weeks from the day asked for
    assert (filters.time_from, filters.time_to) == (0, 20 * 60)
    assert filters.subject == "Physics I"
    assert filters.query_args() == {"subject": "Physics I", "from": "2027-01-05", "time_to": "20:00"}


# --- paging and cost ---------------------------------------------------------------------------


def test_a_free_time_search_computes_slots_only_for_the_page(app, client, make_user, monkeypatch):
    for number in range(45):
        make_user("volunteer", name=f"V{number:02d}", rules=[(TUESDAY, "10:00", "12:00")], min_notice_hours=0,
                  subjects=["Art"])
    computed = []
    real = search_module.slots_between
    monkeypatch.setattr(search_module, "slots_between", lambda *args: computed.append(1) or real(*args))
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        body = body_of(search(client, "subject=art&from=2027-01-11&to=2027-01-24"))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert names(body) == [f"V{number:02d}" for number in range(20)]
    assert len(computed) == 20  # not 45
    assert len([sql for sql in statements if re.search(r"\bFROM sessions\b", sql)]) == 1
    assert '<a rel="next" href="/?start=20&amp;subject=art&amp;from=2027-01-11&amp;to=2027-01-24">More volunteers</a>' in body

    second = body_of(search(client, "subject=art&from=2027-01-11&to=2027-01-24&start=20"))
    assert names(second) == [f"V{number:02d}" for number in range(20, 40)]
    third = body_of(search(client, "subject=art&from=2027-01-11&to=2027-01-24&start=40"))
    assert names(third) == [f"V{number:02d}" for number in range(40, 45)]
    assert 'rel="next"' not in third and "Back to the first results" in third


def test_a_search_with_few_matches_stops_after_the_scan_limit(client, make_user, monkeypatch):
    monkeypatch.setattr(search_module, "SCAN_LIMIT", 3)
    for number in range(5):
        make_user("volunteer", name=f"W{number}", rules=[(TUESDAY, "10:00", "12:00")] if number == 4 else [],
                  min_notice_hours=0)
    body = body_of(search(client, "from=2027-01-11"))
    assert names(body) == []
    assert "We checked 3 volunteers so far." in body
    assert '<a rel="next" href="/?start=3&amp;from=2027-01-11">Search further</a>' in body
    assert names(body_of(search(client, "from=2027-01-11&start=3"))) == ["W4"]
    assert SCAN_LIMIT >= 100  # the real limit


def test_plain_pages_keep_the_filters(client, make_user):
    for number in range(21):
        make_user("volunteer", name=f"Volunteer {number:02d}", subjects=["Art"], languages=["en"])
    body = body_of(search(client, "subject=Art&language=en"))
    assert "21 volunteers match your search." in body
    assert '<a rel="next" href="/?page=2&amp;subject=Art&amp;language=en">Next page</a>' in body
    assert names(body_of(search(client, "subject=Art&language=en&page=2"))) == ["Volunteer 20"]


# --- without JavaScript, and with htmx ----------------------------------------------------------


def test_the_search_is_a_plain_get_form_with_active_search(client, people):
    body = body_of(search(client, "subject=Physics&time_from=16:00"))
    form = body[body.index('<form id="search"'):]
    form = form[: form.index("</form>")]
    assert 'method="get" action="/"' in form
    assert 'hx-get="/"' in form and SEARCH_TRIGGER in form
    assert 'hx-target="#results"' in form and 'hx-push-url="true"' in form
    assert 'name="subject" type="search"' in form and 'value="Physics"' in form
    assert 'name="time_from" type="time" value="16:00"' in form
    assert '<button type="submit">Search</button>' in form
    assert '<section id="results"' in body


def test_an_htmx_search_gets_only_the_results_and_a_tidy_address(client, people):
    response = search(client, "subject=physics&language=&kind=&from=&to=&time_from=&time_to=",
                      **{"HX-Request": "true", "HX-Target": "results"})
    body = body_of(response)
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and '<form id="search"' not in body
    assert names(body) == ["Amira"]
    assert response.headers["HX-Push-Url"] == "/?subject=physics"
    assert "HX-Request" in response.headers["Vary"]


def test_changing_the_zone_keeps_the_search(client, people):
    body = body_of(search(client, "subject=Physics&time_from=21:00"))
    zone_form = body[body.index('class="zone-form"'):]
    zone_form = zone_form[: zone_form.index("</form>")]
    assert '<input type="hidden" name="subject" value="Physics">' in zone_form
    assert '<input type="hidden" name="time_from" value="21:00">' in zone_form
    # Seen from New York the same slots are 11:00 AM on Tuesday.
    body = body_of(search(client, "subject=Physics&tz=America/New_York&time_from=10:00&time_to=12:00"))
    assert '<input type="hidden" name="tz" value="America/New_York">' in body
    assert [shown for _utc, shown in shown_slots(body, "Amira")][:1] == ["Tue, Jan 12, 11:00 AM"]


def test_arabic_search_form(client, people):
    client.set_cookie("lang", "ar")
    body = body_of(search(client))
    assert "المادة" in body and "أي لغة" in body and "بحث" in body


def test_availability_read_in_one_query_equals_the_models(app, make_user):
    from datetime import date

    from tutoring.models import AvailabilityRule, AwayPeriod, ExtraWindow, VolunteerProfile
    from tutoring.booking.browse import availabilities

    rich = make_user("volunteer", timezone="America/Havana", rules=[(TUESDAY, "18:00", "21:00"), (6, "22:00", "02:00")])
    plain = make_user("volunteer", timezone="Asia/Kathmandu")
    with app.app_context():
        profile = db.session.get(VolunteerProfile, rich.id)
        profile.rules.append(AvailabilityRule(weekday=TUESDAY, start="09:00", end="10:00",
                                              valid_from_on=date(2027, 1, 1), valid_until_on=date(2027, 3, 31)))
        profile.extra_windows.append(ExtraWindow(day_on=date(2027, 1, 16), start="10:00", end="12:00"))
        profile.extra_windows.append(ExtraWindow(day_on=date(2027, 1, 9), start="23:00", end="01:00"))
        profile.away_periods.append(AwayPeriod(first_on=date(2027, 2, 1), last_on=date(2027, 2, 7)))
        db.session.commit()
        volunteers = [db.session.get(VolunteerProfile, rich.id), db.session.get(VolunteerProfile, plain.id)]
        loaded = availabilities(volunteers)
        assert loaded == {volunteer.id: volunteer.availability() for volunteer in volunteers}
        assert len(loaded[rich.id].rules) == 3 and len(loaded[rich.id].extra) == 2 and loaded[rich.id].away
