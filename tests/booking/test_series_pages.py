"""Series pages (issue 9): preview from a slot, book, the series page, cancel from a date; who may see what."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

import tutoring.booking.series_views as series_views
import tutoring.booking.operations as booking_service
import tutoring.booking.series as series_service
from tutoring.extensions import db
from tutoring.models import Series, VolunteerProfile
from tutoring.booking.operations import book_session

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
FIRST = "2027-03-16T18:00:00Z"


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    for module in (booking_service, series_service, series_views):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)
    import tutoring.booking.views as views

    monkeypatch.setattr(views, "utcnow", lambda: NOW)


@pytest.fixture
def people(make_user):
    volunteer = make_user("volunteer", name="Amira", timezone="Europe/London", rules=[(1, "18:00", "20:00")],
                          horizon_days=365)
    learner = make_user("learner", name="Noor", timezone="Asia/Riyadh")
    return volunteer, learner


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_the_booking_page_offers_every_week_and_the_preview_names_the_weeks_not_free(app, client, people, make_user, sign_in):
    volunteer, learner = people
    with app.app_context():
        book_session(make_user("learner").id, volunteer.id, datetime(2027, 3, 30, 17, tzinfo=UTC), "tutoring", now=NOW)
    sign_in(learner)
    page = client.get(f"/volunteers/{volunteer.id}/book?start={FIRST}").get_data(as_text=True)
    assert f'action="/volunteers/{volunteer.id}/series"' in page
    preview = client.get(f"/volunteers/{volunteer.id}/series?start={FIRST}&weeks=4")
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert text.count('class="week-free"') == 3 and text.count('class="week-taken"') == 1
    assert "The volunteer already has a session at this time." in text
    assert "Book 3 free weeks" in text


def test_booking_from_the_preview_then_cancelling_from_a_date_on_the_series_page(app, client, people, sign_in):
    volunteer, learner = people
    sign_in(learner)
    url = f"/volunteers/{volunteer.id}/series?start={FIRST}&weeks=4"
    token = csrf(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "kind": "tutoring", "note": "Maths"})
    assert response.status_code == 303
    series_url = response.headers["Location"]
    page = client.get(series_url).get_data(as_text=True)
    assert "Weekly sessions with" in page and page.count("status-confirmed") >= 4
    sessions = client.get("/sessions").get_data(as_text=True)
    assert sessions.count("series-badge") == 4
    cancel = client.post(series_url + "/cancel", data={"csrf_token": csrf(page), "from": "2027-03-30"})
    assert cancel.status_code == 303
    with app.app_context():
        statuses = [b.status for b in series_service.occurrences(db.session.scalars(db.select(Series)).one())]
    assert statuses == ["confirmed", "confirmed", "cancelled", "cancelled"]


def test_a_series_is_404_for_strangers_and_a_first_week_not_free_is_a_409_preview(app, client, people, make_user, sign_in):
    volunteer, learner = people
    with app.app_context():
        series_id = series_service.book_series(learner.id, volunteer.id, datetime.fromisoformat(FIRST), 2, "tutoring",
                                               now=NOW).series.id
    sign_in(make_user("learner"))
    assert client.get(f"/series/{series_id}").status_code == 404
    assert client.get(f"/volunteers/{volunteer.id}/series?start={FIRST}&weeks=3").status_code == 409
    assert client.get(f"/volunteers/{volunteer.id}/series?start={FIRST}&weeks=40").status_code == 400


def test_a_volunteer_cannot_book_a_series(client, people, sign_in):
    volunteer, _learner = people
    sign_in(volunteer)
    assert client.get(f"/volunteers/{volunteer.id}/series?start={FIRST}&weeks=3").status_code == 403


def test_a_paused_volunteer_offers_no_series(app, client, people, sign_in):
    volunteer, learner = people
    with app.app_context():
        db.session.get(VolunteerProfile, volunteer.id).state = "paused"
        db.session.commit()
    sign_in(learner)
    response = client.get(f"/volunteers/{volunteer.id}/series?start={FIRST}&weeks=3")
    assert response.status_code in (404, 409)
    assert 'class="week-free"' not in response.get_data(as_text=True)
