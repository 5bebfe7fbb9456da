"""The search reads only the part of the name-ordered list a page needs, and pages read exactly as before.

A plain listing without list filters counts the matches and reads one page
of ids; a free-time search reads the ids from its ``start`` on, one more than
its scan limit. Both must be the same slices of the full list
(``matching_ids``) on both databases, ties on the name broken by id.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, update

import tutoring.services.discovery.search as search_module
import tutoring.volunteers.views as volunteer_views
from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.discovery.search import matching_ids, matching_page, matching_window, parse_filters

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)  # a Sunday
TUESDAY = 1


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(volunteer_views, "utcnow", lambda: NOW)


def body_of(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u2009", " ")


def names(body: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="[^"]+" dir="auto">([^<]+)</a>', body)


def search(client, query: str = ""):
    client.set_cookie("tz", "Asia/Kathmandu")
    return client.get(f"/?{query}")


@pytest.fixture
def crowd(app, make_user):
    """23 bookable volunteers V00..V22 teaching Art, plus people who must never be listed or counted."""
    for number in reversed(range(23)):  # created out of name order
        make_user("volunteer", name=f"V{number:02d}", subjects=["Art"], languages=["en"])
    make_user("volunteer", name="A pending one", approved=False, subjects=["Art"])
    gone = make_user("volunteer", name="A deactivated one", subjects=["Art"])
    make_user("learner", name="A learner")
    with app.app_context():
        db.session.execute(update(User).where(User.id == gone.id).values(is_active=False))
        db.session.commit()


@pytest.mark.parametrize("query", ["", "subject=Art"])
def test_plain_pages_are_slices_of_the_name_order(client, crowd, query):
    first = body_of(search(client, query))
    assert names(first) == [f"V{number:02d}" for number in range(20)]
    assert "Page 1 of 2" in first
    second = body_of(search(client, f"{query}&page=2"))
    assert names(second) == ["V20", "V21", "V22"]
    assert "Page 2 of 2" in second and 'rel="next"' not in second


@pytest.mark.parametrize("query", ["", "subject=Art"])
@pytest.mark.parametrize("page", ["3", "99999999999999999999999999"])
def test_a_page_past_the_end_is_a_404_that_still_counts_the_matches(client, crowd, query, page):
    response = search(client, f"{query}&page={page}")
    assert response.status_code == 404
    body = body_of(response)
    assert names(body) == []
    assert f"There is no page {page}." in body
    if query:
        assert "23 volunteers match your search." in body


def test_a_plain_listing_without_filters_reads_one_page_of_ids(app, client, crowd):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert len(names(body_of(search(client)))) == 20
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    by_name = [sql for sql in statements if "users.display_name, users.id" in sql]
    assert len(by_name) == 1 and "LIMIT" in by_name[0]


def test_a_free_time_search_carries_on_after_its_window(client, make_user, monkeypatch):
    monkeypatch.setattr(search_module, "SCAN_LIMIT", 3)
    for number in range(4):
        make_user("volunteer", name=f"W{number}", rules=[(TUESDAY, "10:00", "12:00")] if number == 3 else [],
                  min_notice_hours=0)
    body = body_of(search(client, "from=2027-01-11"))
    assert names(body) == []
    assert "We checked 3 volunteers so far." in body
    assert '<a rel="next" href="/?start=3&amp;from=2027-01-11">Search further</a>' in body
    last = body_of(search(client, "from=2027-01-11&start=3"))
    assert names(last) == ["W3"]
    assert 'rel="next"' not in last


def test_a_free_time_search_that_checked_everyone_offers_no_more(client, make_user, monkeypatch):
    monkeypatch.setattr(search_module, "SCAN_LIMIT", 3)
    for number in range(3):  # exactly the scan limit, nobody free
        make_user("volunteer", name=f"W{number}", min_notice_hours=0)
    body = body_of(search(client, "from=2027-01-11"))
    assert names(body) == []
    assert "No volunteers match your search." in body
    assert "so far" not in body and 'rel="next"' not in body


@pytest.mark.parametrize("start", ["5", "2147483647"])
def test_a_free_time_search_started_past_the_end_finds_no_more(client, make_user, start):
    make_user("volunteer", name="W0", rules=[(TUESDAY, "10:00", "12:00")], min_notice_hours=0)
    response = search(client, f"from=2027-01-11&start={start}")
    assert response.status_code == 200
    body = body_of(response)
    assert names(body) == []
    assert "No more volunteers match." in body and 'rel="next"' not in body


def test_windows_and_counts_match_the_full_list(app, make_user):
    for name in ("Zoe", "adam", "Émile", "Bea", "Bea", "bea", "Chidi"):
        make_user("volunteer", name=name, subjects=["Art"] if name != "Chidi" else ["Music"], languages=["en"])
    make_user("volunteer", name="Aaron", approved=False, subjects=["Art"])
    with app.app_context():
        for query in ({}, {"subject": "art"}, {"subject": "Music"}, {"language": "en", "subject": "Art"}):
            filters = parse_filters(query, NOW.date())
            everyone = matching_ids(filters)
            assert len(everyone) == (7 if not query else 1 if query.get("subject") == "Music" else 6)
            for offset in range(len(everyone) + 2):
                for limit in (1, 2, 3, 20):
                    assert matching_window(filters, offset, limit) == everyone[offset : offset + limit]
                    assert matching_page(filters, offset, limit) == (everyone[offset : offset + limit], len(everyone))



@pytest.mark.parametrize("first_read", [1, 2, 3])
def test_a_free_time_search_reads_its_window_in_parts_with_the_same_pages(client, make_user, monkeypatch, first_read):
    # The ids are read a first part at a time, the rest when the scan needs it; every page is as with one read.
    monkeypatch.setattr(search_module, "SCAN_LIMIT", 4)
    monkeypatch.setattr(search_module, "PER_PAGE", 2)
    free = {1, 4, 5, 6}
    for number in range(8):
        make_user("volunteer", name=f"W{number}", rules=[(TUESDAY, "10:00", "12:00")] if number in free else [],
                  min_notice_hours=0)

    def results(query: str) -> str:  # the results section (the page's CSRF token is signed with the time)
        body = body_of(search(client, query))
        return body[body.index('<section id="results"') : body.index("</section>", body.index('id="results"'))]

    for start in range(9):
        query = f"from=2027-01-11&start={start}"
        monkeypatch.setattr(search_module._Window, "FIRST_READ", 10**6)
        whole = results(query)
        monkeypatch.setattr(search_module._Window, "FIRST_READ", first_read)
        assert results(query) == whole, start
    assert names(body_of(search(client, "from=2027-01-11&start=2"))) == ["W4", "W5"]
