"""Acting on a safeguarding report (issue 22 item 12): its severity orders the queue, "pause this volunteer" beside
it, and writing to the learner through the service (a notice on their page and an email that carries no
coordinator's name or address). Each is logged; bad input changes nothing."""
from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AuditEntry, Notice, OutboxMessage, SafeguardingReport, VolunteerProfile

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)


def outbox(app) -> list[email.message.EmailMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [email.message_from_bytes(row.message, policy=email.policy.default) for row in rows]


def audit_actions(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [(entry.action, entry.report_id, entry.reason)
                for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def world(app, make_user, sign_in):
    coordinator = make_user("coordinator", name="Coco Private", email="coco.private@example.org")
    volunteer = make_user("volunteer", name="Val", email="val@example.org")
    learner = make_user("learner", name="Lina", email="lina@example.org", language="ar")
    with app.app_context():
        reports = [SafeguardingReport(reporter_id=learner.id, volunteer_id=volunteer.id, details=f"Concern {n}")
                   for n in range(3)]
        db.session.add_all(reports)
        db.session.commit()
        ids = [report.id for report in reports]
    sign_in(coordinator)
    return {"coordinator": coordinator, "volunteer": volunteer, "learner": learner, "reports": ids}


def test_severity_is_saved_logged_and_orders_the_queue(app, client, world):
    low, medium, urgent = world["reports"]
    assert client.post(f"/coordinator/safeguarding/{urgent}/severity", data={"severity": "urgent"}).status_code == 302
    assert client.post(f"/coordinator/safeguarding/{low}/severity", data={"severity": "low"}).status_code == 302
    page = client.get("/coordinator/safeguarding").get_data(as_text=True)
    order = [page.index(f'id="report-{report}"') for report in (urgent, medium, low)]
    assert order == sorted(order)  # urgent, then medium (the default), then low
    assert 'class="severity severity-urgent">Urgent<' in page
    assert audit_actions(app) == [("report.severity", urgent, "urgent"), ("report.severity", low, "low")]
    assert client.post(f"/coordinator/safeguarding/{low}/severity", data={"severity": "catastrophic"}).status_code == 422
    with app.app_context():
        assert db.session.get(SafeguardingReport, low).severity == "low"
    assert client.post("/coordinator/safeguarding/987654/severity", data={"severity": "low"}).status_code == 404


def test_pause_this_volunteer_beside_the_report(app, client, world):
    report = world["reports"][0]
    assert "Pause this volunteer" in client.get("/coordinator/safeguarding").get_data(as_text=True)
    assert client.post(f"/coordinator/safeguarding/{report}/pause", data={"reason": ""}).status_code == 422
    with app.app_context():
        assert db.session.get(VolunteerProfile, world["volunteer"].id).state == "approved"
    response = client.post(f"/coordinator/safeguarding/{report}/pause", data={"reason": "While we look into a report"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(VolunteerProfile, world["volunteer"].id).state == "paused"
    assert [action for action, _report, _reason in audit_actions(app)] == ["volunteer.pause"]
    [mail] = outbox(app)
    assert mail["To"] == "val@example.org" and "While we look into a report" in mail.get_body(("plain",)).get_content()
    page = client.get("/coordinator/safeguarding").get_data(as_text=True)
    assert "This volunteer is paused." in page and "Pause this volunteer" not in page


def test_writing_to_the_learner_reaches_their_page_and_inbox_without_the_coordinators_address(
        app, client, sign_in, world):
    report = world["reports"][0]
    assert client.post(f"/coordinator/safeguarding/{report}/message", data={"message": "  "}).status_code == 422
    assert outbox(app) == []
    text = "Thank you for telling us. We have paused the volunteer while we look into it."
    assert client.post(f"/coordinator/safeguarding/{report}/message", data={"message": text}).status_code == 302
    assert audit_actions(app) == [("report.message", report, "")]  # the words stay out of the log
    [mail] = outbox(app)
    assert mail["To"] == "lina@example.org" and mail["Subject"] == "رسالة من المنسقين"
    raw = mail.as_string()
    assert text in mail.get_body(("plain",)).get_content()
    assert "coco.private@example.org" not in raw and "Coco Private" not in raw
    assert "Reply-To" not in mail
    with app.app_context():
        [notice] = db.session.scalars(select(Notice)).all()
        assert (notice.user_id, notice.kind) == (world["learner"].id, "coordinators")
    sign_in(world["learner"])
    dashboard = client.get("/me/").get_data(as_text=True)
    assert "رسالة من المنسقين" in dashboard and text in dashboard and "Coco Private" not in dashboard
    sign_in(world["volunteer"])
    assert text not in client.get("/me/").get_data(as_text=True)


@pytest.mark.parametrize("action", ["severity", "pause", "message"])
@pytest.mark.parametrize("role", ["learner", "volunteer"])
def test_only_coordinators_act_on_reports(app, client, sign_in, world, action, role):
    sign_in(world[role])
    response = client.post(f"/coordinator/safeguarding/{world['reports'][0]}/{action}",
                           data={"severity": "urgent", "reason": "x", "message": "x"})
    assert response.status_code == 403
    assert audit_actions(app) == [] and outbox(app) == []
