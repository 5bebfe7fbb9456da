"""Who may open what: the coordinators' area, learners' reports, volunteers' blocks, and notes nobody else reads.

Every coordinator page is tried signed out (sign-in page), as a learner and
as a volunteer (403), and as a coordinator (200). A booking's private note
never shows in the coordinators' pages or the CSV, and coordinators can't
open bookings at all; a volunteer can't reach another volunteer's learners.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tutoring.extensions import db
from tutoring.models import Programme, SafeguardingReport
from tutoring.services.coordinators.coordination import create_programme

from tests.coordinators.coordinator_support import add_session

NOTE = "PRIVATE-NOTE-about-my-exam-anxiety"
PAGES = [
    "/coordinator/",
    "/coordinator/programmes",
    "/coordinator/programmes/{programme}",
    "/coordinator/reports",
    "/coordinator/reports.csv",
    "/coordinator/reports/sessions.csv",
    "/coordinator/reports/volunteers.csv",
    "/coordinator/sessions?from=2026-11-01&to=2026-11-30",
    "/coordinator/safeguarding",
    "/coordinator/audit",
    "/coordinator/volunteers/{volunteer}",
    "/coordinator/volunteers/{volunteer}/certificate",
    "/coordinator/volunteers/{volunteer}/certificate.pdf",
]
POSTS = [
    "/coordinator/volunteers/{volunteer}/decision",
    "/coordinator/volunteers/{volunteer}/programmes",
    "/coordinator/programmes",
    "/coordinator/programmes/{programme}",
    "/coordinator/safeguarding/{report}/resolve",
    "/coordinator/safeguarding/{report}/severity",
    "/coordinator/safeguarding/{report}/pause",
    "/coordinator/safeguarding/{report}/message",
]


@pytest.fixture
def world(app, make_user):
    """A coordinator, two volunteers, a learner with a noted, completed session with volunteer A, a report, a programme."""
    coordinator = make_user("coordinator")
    volunteer_a = make_user("volunteer", name="Volunteer A")
    volunteer_b = make_user("volunteer", name="Volunteer B")
    learner = make_user("learner", name="Learner L")
    with app.app_context():
        booking_id = add_session(volunteer_a.id, learner.id, datetime(2026, 11, 2, 17, tzinfo=UTC), note=NOTE)
        report = SafeguardingReport(reporter_id=learner.id, volunteer_id=volunteer_a.id, booking_id=booking_id,
                                    details="The volunteer was rude.")
        db.session.add(report)
        db.session.commit()
        programme = create_programme(db.session.get(type(coordinator), coordinator.id), name="Maths", kinds=["tutoring"])
        ids = {"programme": programme.id, "volunteer": volunteer_a.id, "report": report.id, "booking": booking_id}
    return {"coordinator": coordinator, "a": volunteer_a, "b": volunteer_b, "learner": learner, **ids}


@pytest.mark.parametrize("page", PAGES)
def test_coordinator_pages_send_visitors_to_sign_in(client, world, page):
    response = client.get(page.format(**world))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["learner", "a"])
@pytest.mark.parametrize("page", PAGES)
def test_learners_and_volunteers_get_403_in_the_coordinator_area(client, sign_in, world, role, page):
    sign_in(world[role])
    response = client.get(page.format(**world))
    assert response.status_code == 403
    assert b"This page is for coordinators" in response.data


@pytest.mark.parametrize("role", ["learner", "a"])
@pytest.mark.parametrize("page", POSTS)
@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
def test_learners_and_volunteers_cannot_post_in_the_coordinator_area(app, client, sign_in, world, role, page):
    sign_in(world[role])
    response = client.post(page.format(**world), data={"decision": "approve", "resolution": "x", "name": "X",
                                                       "kinds": "tutoring", "action": "add", "programme_id": "1"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(SafeguardingReport, world["report"]).status == "open"
        assert Programme.by_slug("x") is None


@pytest.mark.parametrize("page", PAGES)
def test_coordinators_open_every_page_and_never_see_a_note(client, sign_in, world, page):
    sign_in(world["coordinator"])
    response = client.get(page.format(**world))
    assert response.status_code == 200
    assert NOTE.encode() not in response.data


def test_coordinators_cannot_open_a_booking_page_or_its_api(client, sign_in, bearer, world):
    sign_in(world["coordinator"])
    assert client.get(f"/bookings/{world['booking']}").status_code == 404
    response = client.get(f"/api/v1/bookings/{world['booking']}", headers=bearer(world["coordinator"]))
    assert response.status_code == 404
    assert NOTE not in response.get_data(as_text=True)


def test_the_coordinator_sees_the_report_text_but_not_the_note(client, sign_in, world):
    sign_in(world["coordinator"])
    page = client.get("/coordinator/safeguarding").get_data(as_text=True)
    assert "The volunteer was rude." in page
    assert NOTE not in page


@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
def test_a_volunteer_cannot_reach_another_volunteers_learner(app, client, sign_in, world):
    sign_in(world["b"])
    assert client.get(f"/bookings/{world['booking']}").status_code == 404
    assert client.post(f"/safety/bookings/{world['booking']}/block").status_code == 404
    assert client.post(f"/safety/blocks/{world['learner'].id}/remove").status_code == 404
    blocks = client.get("/safety/blocks").get_data(as_text=True)
    assert "Learner L" not in blocks


@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
def test_a_learner_cannot_report_someone_elses_session(app, client, sign_in, make_user, world):
    other = make_user("learner")
    sign_in(other)
    assert client.get(f"/safety/report?booking={world['booking']}").status_code == 404
    assert client.post("/safety/report", data={"booking": world["booking"], "details": "x"}).status_code == 404
    assert client.get("/safety/report?booking=99999999999999999999").status_code == 404
    with app.app_context():
        assert db.session.query(SafeguardingReport).count() == 1


@pytest.mark.parametrize("role", ["a", "coordinator"])
def test_only_learners_report(client, sign_in, world, role):
    sign_in(world[role])
    assert client.get(f"/safety/report?volunteer={world['a'].id}").status_code == 403


@pytest.mark.parametrize("role", ["learner", "coordinator"])
def test_only_volunteers_have_blocks_and_a_certificate(client, sign_in, world, role):
    sign_in(world[role])
    assert client.get("/safety/blocks").status_code == 403
    assert client.get("/certificate/").status_code == 403


def test_unknown_ids_in_the_coordinator_area_are_404(client, sign_in, world):
    sign_in(world["coordinator"])
    for page in ("/coordinator/volunteers/999999", f"/coordinator/volunteers/{world['learner'].id}",
                 "/coordinator/programmes/999999", "/coordinator/volunteers/99999999999999/certificate"):
        assert client.get(page).status_code == 404, page


def test_the_booking_page_offers_a_report_to_the_learner_and_a_block_to_the_volunteer(client, sign_in, world):
    sign_in(world["learner"])
    learner_page = client.get(f"/bookings/{world['booking']}").get_data(as_text=True)
    assert f"/safety/report?booking={world['booking']}" in learner_page
    assert "/block" not in learner_page
    sign_in(world["a"])
    volunteer_page = client.get(f"/bookings/{world['booking']}").get_data(as_text=True)
    assert f"/safety/bookings/{world['booking']}/block" in volunteer_page
    assert "/safety/report" not in volunteer_page


def test_a_coordinators_api_booking_list_is_empty(client, bearer, world):
    response = client.get("/api/v1/bookings", headers=bearer(world["coordinator"]))
    assert response.status_code == 200
    assert response.get_json() == []
    assert NOTE not in response.get_data(as_text=True)
