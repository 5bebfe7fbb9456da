"""Forgiving bilingual subject search and the order of results (issue 22), through the page and the API.

Runs on SQLite and PostgreSQL like every test. The clock is Sunday
10 January 2027, 12:00 UTC; every volunteer is in UTC and offers one weekly
window, so "soonest free" is plain: Monday (11th) before Tuesday (12th)
before Wednesday (13th).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import flask_migrate
import pytest
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

import tutoring.volunteers.views as volunteer_views
from tests.people.test_account_profile import VOLUNTEER_FORM, csrf_token
from tutoring.extensions import db
from tutoring.models import SubjectTerm
from tutoring.services.discovery.find_time import find_volunteers, parse_request
from tutoring.services.discovery.search import PER_PAGE, SearchFilters, matching_ids, matching_window, rebuild_subject_terms
from tutoring.textsearch import subject_terms

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(volunteer_views, "utcnow", lambda: NOW)


def names(body: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="[^"]+" dir="auto">([^<]+)</a>', body)


def page_names(client, query: dict, **cookies) -> list[str]:
    client.set_cookie("tz", "UTC")
    for name, value in cookies.items():
        client.set_cookie(name, value)
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    return names(response.get_data(as_text=True))


def volunteer(make_user, name, subjects, languages, weekday=MONDAY, **fields):
    return make_user("volunteer", name=name, timezone="UTC", subjects=subjects, languages=languages,
                     rules=[(weekday, "09:00", "11:00")], min_notice_hours=0, **fields)


@pytest.fixture
def bilingual(make_user):
    """Subjects written in English by some and in Arabic by others."""
    return {
        "Sara": volunteer(make_user, "Sara", ["Mathematics", "Physics"], ["en", "mi"]),
        "Huda": volunteer(make_user, "هدى", ["الكيمياء", "الرياضيات"], ["ar"]),
        "Karim": volunteer(make_user, "Karim", ["English"], ["ar", "en"]),
        "Lina": volunteer(make_user, "لينا", ["اللغة الإنجليزية"], ["ar"]),
        "Omar": volunteer(make_user, "Omar", ["History"], ["ar"]),
    }


# The examples of issue 22: what was typed, and who must be found (any order).
SEARCHES = [
    ("Math", {"Sara", "هدى"}),
    ("maths", {"Sara", "هدى"}),
    ("MATHEMATICS", {"Sara", "هدى"}),
    ("رياضيات", {"Sara", "هدى"}),
    ("الرياضيات", {"Sara", "هدى"}),
    ("والرياضيات", {"Sara", "هدى"}),
    ("الرياضـــيات", {"Sara", "هدى"}),  # tatweel
    ("الرِّيَاضِيَّات", {"Sara", "هدى"}),  # harakat
    ("كيمياء", {"هدى"}),
    ("chemistry", {"هدى"}),
    ("فيزياء", {"Sara"}),
    ("english", {"Karim", "لينا"}),
    ("الإنجليزية", {"Karim", "لينا"}),
    ("الانجليزيه", {"Karim", "لينا"}),
    ("تاريخ", {"Omar"}),
    ("geography", set()),
    ("ath", set()),
    ("%", set()),
    ("\U0010ffff", set()),  # the last code point: not a letter, so nothing is looked for
    ("𝔪𝔞𝔱𝔥", {"Sara", "هدى"}),  # compatibility forms read as their letters
]


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_home_page_finds_subjects_in_either_language(client, bilingual, typed, expected):
    assert set(page_names(client, {"subject": typed})) == expected


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_api_finds_subjects_in_either_language(client, make_user, bearer, bilingual, typed, expected):
    response = client.get("/api/v1/volunteers", headers=bearer(make_user()), query_string={"subject": typed})
    assert response.status_code == 200
    found = [entry["name"] for entry in response.get_json()]
    assert set(found) == expected
    assert found == sorted(found, key=lambda name: name)  # the API keeps name order (documented)


def test_a_free_time_search_and_find_a_time_use_the_same_rule(app, client, bilingual):
    assert set(page_names(client, {"subject": "رياضيات", "from": "2027-01-11", "to": "2027-01-12"})) == {"Sara", "هدى"}
    assert set(page_names(client, {"subject": "kimya", "from": "2027-01-11"})) == set()
    # Find-a-time: free Monday 09:00-11:00 UTC (the week of the clock), Physics asked for in Arabic.
    query = MultiDict([("free", "0-9"), ("free", "0-10"), ("subject", "فيزياء"), ("from", "2027-01-11")])
    with app.app_context():
        found = find_volunteers(parse_request(query, today=NOW.date()), "UTC", NOW)
    assert [match.volunteer.user.display_name for match in found.matches] == ["Sara"]


def test_saving_a_profile_keeps_the_search_terms(app, client, make_user, sign_in):
    user = make_user("volunteer", name="Amal", subjects=["History"])
    sign_in(user)
    body = client.get("/me/profile").get_data(as_text=True)
    # The shared vocabulary is suggested, English first on an English page, then Arabic.
    datalist = body[body.index('<datalist id="subject-vocabulary">'):body.index("</datalist>", body.index("subject-vocabulary"))]
    assert '<option value="Mathematics">' in datalist and '<option value="الرياضيات">' in datalist
    assert datalist.index("Mathematics") < datalist.index("الرياضيات")
    assert 'list="subject-vocabulary"' in body and "js/comma-list.js" in body
    response = client.post("/me/profile", data={**VOLUNTEER_FORM, "subjects": "الفيزياء، Chemistry",
                                                "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with app.app_context():
        terms = db.session.scalars(select(SubjectTerm.term).where(SubjectTerm.volunteer_id == user.id)).all()
        assert sorted(terms) == subject_terms(["الفيزياء", "Chemistry"])
        assert "history" not in terms  # the old subject's terms went with it
    client.get("/auth/logout")
    assert page_names(client, {"subject": "physics"}) == ["Amal"]
    assert page_names(client, {"subject": "history"}) == []


def test_rebuilding_the_terms_follows_the_vocabulary(app, make_user):
    user = make_user("volunteer", name="Amal", subjects=["Maths"])
    with app.app_context():
        db.session.execute(text("DELETE FROM subject_terms"))
        db.session.commit()
        assert matching_ids(SearchFilters(subject="رياضيات")) == []
        assert rebuild_subject_terms() == 1
        assert matching_ids(SearchFilters(subject="رياضيات")) == [user.id]


def test_migration_0016_builds_the_terms_of_existing_profiles(make_app, app, database_url, dialect, make_user):
    user = make_user("volunteer", name="Amal", subjects=["الكيمياء", "Python programming"])
    with app.app_context():
        db.session.execute(text("DELETE FROM subject_terms"))
        db.session.commit()
        flask_migrate.downgrade(revision="0015")
        assert "subject_terms" not in db.inspect(db.engine).get_table_names()
        flask_migrate.upgrade()
        terms = db.session.scalars(select(SubjectTerm.term).where(SubjectTerm.volunteer_id == user.id)).all()
        assert sorted(terms) == subject_terms(["الكيمياء", "Python programming"])
        assert matching_ids(SearchFilters(subject="chem")) == [user.id]


# --- the order of results --------------------------------------------------------------------------


@pytest.fixture
def listeners(make_user):
    """Support volunteers: the soonest free speaks English and Māori; two Arabic speakers are free later."""
    return [
        volunteer(make_user, "Aroha", ["Listening"], ["en", "mi"], MONDAY, kinds=["support"]),
        volunteer(make_user, "Zainab", ["Listening"], ["ar"], WEDNESDAY, kinds=["support"]),
        volunteer(make_user, "Yusuf", ["Listening"], ["Arabic", "fr"], TUESDAY, kinds=["support"]),
        volunteer(make_user, "Bea", ["Listening"], ["fr"], MONDAY, kinds=["support"]),
    ]


def test_an_arabic_page_shows_arabic_speakers_first_then_the_soonest_free(client, listeners):
    # "Arabic" written out counts as well as the code.
    assert page_names(client, {"kind": "support"}, lang="ar") == ["Yusuf", "Zainab", "Aroha", "Bea"]


def test_an_english_page_shows_english_speakers_first(client, listeners):
    assert page_names(client, {"kind": "support"}, lang="en") == ["Aroha", "Bea", "Yusuf", "Zainab"]


def test_the_accounts_language_ranks_too(client, make_user, sign_in, listeners):
    sign_in(make_user("learner", language="ar", timezone="UTC"))
    assert page_names(client, {"kind": "support"}) == ["Yusuf", "Zainab", "Aroha", "Bea"]


def test_a_free_time_search_is_ranked_the_same_way(client, listeners):
    query = {"kind": "support", "from": "2027-01-11", "to": "2027-01-17"}
    assert page_names(client, query, lang="ar") == ["Yusuf", "Zainab", "Aroha", "Bea"]
    assert page_names(client, {**query, "time_from": "09:00", "time_to": "10:00"}, lang="en") == [
        "Aroha", "Bea", "Yusuf", "Zainab"]


def test_the_language_decides_the_pages_in_sql_then_the_name(app, make_user):
    made = [volunteer(make_user, f"V{number:02d}", [], ["ar"] if number % 3 == 0 else ["en"]) for number in range(9)]
    with app.app_context():
        ranked = matching_ids(SearchFilters(rank_language="ar"))
        plain = matching_ids(SearchFilters())
        # A page's window of the unfiltered list (speakers, then the others, each read only as far as needed).
        windows = [matching_window(SearchFilters(rank_language="ar"), offset, 2) for offset in range(0, 10, 2)]
        assert matching_window(SearchFilters(rank_language="ar"), 2, 5) == ranked[2:7]
    assert [user_id for window in windows for user_id in window] == ranked
    arabic = [user.id for number, user in enumerate(made) if number % 3 == 0]
    assert ranked[:3] == arabic and sorted(ranked) == sorted(plain)
    assert plain == [user.id for user in made]  # no language: by name, as before
    assert PER_PAGE == 20  # a page holds the first 20 of this order


def test_the_cli_rebuilds_the_terms(app, make_user):
    make_user("volunteer", name="Amal", subjects=["Chemistry"])
    result = app.test_cli_runner().invoke(args=["search", "rebuild-keys"])
    assert result.exit_code == 0 and "Rebuilt the subject search terms of 1 volunteers." in result.output
