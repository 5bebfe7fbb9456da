"""Programmes seen by learners: the search filter (URL, plain form, htmx) and the API's ``programme=``;
the hours certificate against known sessions; the demo loader stays idempotent."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tutoring.extensions import db
from tutoring.models import Programme, Session, User
from tutoring.services.coordinators.coordination import create_programme, set_membership

from tests.coordinators.coordinator_support import add_session


@pytest.fixture
def programme(app, make_user):
    """"Maths for remote schools" with one member (Mona); Omar is in no programme."""
    coordinator = make_user("coordinator")
    mona = make_user("volunteer", name="Mona Member", subjects=["Maths"])
    omar = make_user("volunteer", name="Omar Outside", subjects=["Maths"])
    with app.app_context():
        boss = db.session.get(User, coordinator.id)
        programme = create_programme(boss, name="Maths for remote schools", kinds=["tutoring"])
        set_membership(boss, programme.id, mona.id, member=True)
        return {"slug": programme.slug, "mona": mona.id, "omar": omar.id}


def test_the_search_keeps_the_programmes_volunteers_and_keeps_the_filter_in_the_url(client, programme):
    assert programme["slug"] == "maths-for-remote-schools"
    page = client.get("/?programme=maths-for-remote-schools").get_data(as_text=True)
    assert "Mona Member" in page and "Omar Outside" not in page
    assert '<option value="maths-for-remote-schools" selected>' in page
    everyone = client.get("/").get_data(as_text=True)
    assert "Mona Member" in everyone and "Omar Outside" in everyone


def test_the_htmx_search_pushes_the_programme_in_the_url(client, programme):
    response = client.get("/?programme=maths-for-remote-schools&subject=",
                          headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.headers["HX-Push-Url"] == "/?programme=maths-for-remote-schools"
    assert "Omar Outside" not in response.get_data(as_text=True)


@pytest.mark.parametrize("slug", ["nope", "bad\x00slug", "x" * 500])
def test_an_unknown_programme_is_a_message_not_a_500(client, programme, slug):
    response = client.get("/", query_string={"programme": slug})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose a programme from the list." in page
    assert "Omar Outside" in page  # the filter is ignored


def test_the_api_filters_by_programme(client, bearer, make_user, programme):
    headers = bearer(make_user("learner"))
    response = client.get("/api/v1/volunteers?programme=maths-for-remote-schools", headers=headers)
    assert response.status_code == 200
    assert [volunteer["id"] for volunteer in response.get_json()] == [programme["mona"]]
    assert response.headers["X-Total-Count"] == "1"
    everyone = client.get("/api/v1/volunteers", headers=headers).get_json()
    assert {volunteer["id"] for volunteer in everyone} == {programme["mona"], programme["omar"]}


def test_the_api_refuses_an_unknown_programme(client, bearer, make_user, programme):
    response = client.get("/api/v1/volunteers?programme=nope", headers=bearer(make_user("learner")))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_the_openapi_document_names_the_programme_parameter(client):
    document = client.get("/api/v1/openapi.json").get_json()
    names = [parameter["name"] for parameter in document["paths"]["/api/v1/volunteers"]["get"]["parameters"]]
    assert "programme" in names


def test_the_certificate_lists_completed_sessions_and_their_total(app, client, sign_in, make_user):
    volunteer = make_user("volunteer", timezone="Asia/Kathmandu", name="Priya")
    learner = make_user("learner", name="Secret Learner")
    with app.app_context():
        add_session(volunteer.id, learner.id, datetime(2026, 3, 2, 12, 15, tzinfo=UTC), minutes=45, note="private")
        add_session(volunteer.id, learner.id, datetime(2026, 3, 9, 12, 15, tzinfo=UTC), minutes=90)
        add_session(volunteer.id, learner.id, datetime(2026, 3, 16, 12, 15, tzinfo=UTC), minutes=60, status="no_show")
        add_session(volunteer.id, learner.id, datetime(2026, 5, 1, 12, 15, tzinfo=UTC), minutes=60)  # outside
    sign_in(volunteer)
    page = client.get("/certificate/?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert "2 hours and 15 minutes" in page and "2 sessions" in page
    assert "from March 1, 2026 to March 31, 2026" in page
    assert re.search(r"6:00\W?PM", page)  # 12:15 UTC is 18:00 in Kathmandu
    assert "Secret Learner" not in page and "private" not in page
    bad = client.get("/certificate/?from=2026-02-31&to=nonsense")
    assert bad.status_code == 200 and b'class="field-error"' in bad.data


def test_the_coordinator_sees_a_certificate_in_the_volunteers_language(app, client, sign_in, make_user):
    volunteer = make_user("volunteer", language="ar")
    sign_in(make_user("coordinator"))
    page = client.get(f"/coordinator/volunteers/{volunteer.id}/certificate").get_data(as_text=True)
    assert "شهادة تطوع" in page and 'dir="rtl"' in page


def test_the_demo_loads_programmes_and_past_sessions_once(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        programmes, sessions = db.session.query(Programme).count(), db.session.query(Session).count()
        db.session.remove()
    assert programmes == 3 and sessions > 30
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert (db.session.query(Programme).count(), db.session.query(Session).count()) == (programmes, sessions)
