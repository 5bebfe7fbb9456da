"""Vetting volunteers: approve, decline and pause with a reason, emailed in the volunteer's language; the audit log.

Also programmes (membership, the training rule for `support`), resolving
safeguarding reports, and volunteers' blocks, through the pages a
coordinator, learner or volunteer uses.
"""
from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import AuditEntry, Booking, LearnerBlock, OutboxMessage, SafeguardingReport, User, VolunteerProfile
from tutoring.booking.errors import InvalidBooking, SlotUnavailable
from tutoring.booking.operations import book_session, reschedule_booking
from tutoring.services.coordinators.coordination import create_programme, set_membership, vetting_queue

from tests.coordinators.coordinator_support import add_session

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # Monday
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)


def outbox(app) -> list[email.message.EmailMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [email.message_from_bytes(row.message, policy=email.policy.default) for row in rows]


def audit_actions(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [(entry.action, entry.subject_user_id, entry.reason)
                for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def state_of(app, user) -> str:
    with app.app_context():
        return db.session.get(VolunteerProfile, user.id).state


@pytest.fixture
def coordinator(make_user, sign_in):
    user = make_user("coordinator", name="Coco")
    sign_in(user)
    return user


def test_decline_needs_a_reason_and_changes_nothing_without_one(app, client, coordinator, make_user):
    volunteer = make_user("volunteer", approved=False)
    response = client.post(f"/coordinator/volunteers/{volunteer.id}/decision", data={"decision": "decline", "reason": " "})
    assert response.status_code == 422
    assert b"Please fill this in." in response.data
    assert audit_actions(app) == [] and outbox(app) == []


def test_declining_emails_the_reason_in_arabic_and_logs_it(app, client, coordinator, make_user):
    volunteer = make_user("volunteer", approved=False, language="ar", email="amal@example.org")
    response = client.post(f"/coordinator/volunteers/{volunteer.id}/decision",
                           data={"decision": "decline", "reason": "نحتاج إلى مرجعين"})
    assert response.status_code == 302
    assert state_of(app, volunteer) == "pending"
    assert audit_actions(app) == [("volunteer.decline", volunteer.id, "نحتاج إلى مرجعين")]
    [message] = outbox(app)
    assert message["To"] == "amal@example.org"
    assert message["Subject"] == "بخصوص طلبك للتطوع"
    body = message.get_body(("plain",)).get_content()
    assert "سبب المنسق: نحتاج إلى مرجعين" in body
    with app.app_context():
        queue = vetting_queue()
        assert [v.id for v in queue.declined] == [volunteer.id] and queue.pending == []


def test_approve_then_pause_each_log_and_email_in_english(app, client, coordinator, make_user):
    volunteer = make_user("volunteer", approved=False, language="en")
    with app.app_context():
        assert [v.id for v in vetting_queue().pending] == [volunteer.id]
    client.post(f"/coordinator/volunteers/{volunteer.id}/decision", data={"decision": "approve", "reason": ""})
    assert state_of(app, volunteer) == "approved"
    client.post(f"/coordinator/volunteers/{volunteer.id}/decision", data={"decision": "pause", "reason": "Complaint"})
    assert state_of(app, volunteer) == "paused"
    assert [(action, subject) for action, subject, _ in audit_actions(app)] == [
        ("volunteer.approve", volunteer.id), ("volunteer.pause", volunteer.id)]
    subjects = [message["Subject"] for message in outbox(app)]
    assert subjects == ["You can now take bookings", "Your volunteer profile is paused"]
    assert "Complaint" in outbox(app)[1].get_body(("plain",)).get_content()
    with app.app_context():
        actor = db.session.scalar(select(AuditEntry.actor_id).limit(1))
    assert actor == coordinator.id


@pytest.mark.parametrize("decision", ["pause", "decline", "frobnicate", ""])
def test_impossible_decisions_are_refused_without_change(app, client, coordinator, make_user, decision):
    volunteer = make_user("volunteer")  # approved: can't be declined; pause needs a reason below
    data = {"decision": decision, "reason": "" if decision == "pause" else "because"}
    response = client.post(f"/coordinator/volunteers/{volunteer.id}/decision", data=data)
    assert response.status_code == 422
    assert state_of(app, volunteer) == "approved"
    assert audit_actions(app) == [] and outbox(app) == []


def test_the_audit_log_page_lists_decisions(app, client, coordinator, make_user):
    volunteer = make_user("volunteer", approved=False, name="Nadia Q")
    client.post(f"/coordinator/volunteers/{volunteer.id}/decision", data={"decision": "approve", "reason": "Good refs"})
    page = client.get("/coordinator/audit").get_data(as_text=True)
    assert "Nadia Q" in page and "Good refs" in page and "Coco" in page


def test_the_nav_shows_coordinator_only_to_coordinators(client, sign_in, make_user, coordinator):
    assert "/coordinator/" in client.get("/coordinator/audit").get_data(as_text=True)
    sign_in(make_user("learner"))
    assert 'href="/coordinator/"' not in client.get("/").get_data(as_text=True)


def test_resolving_a_report_is_logged(app, client, coordinator, make_user):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    with app.app_context():
        report = SafeguardingReport(reporter_id=learner.id, volunteer_id=volunteer.id, details="Concern")
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    assert client.post(f"/coordinator/safeguarding/{report_id}/resolve", data={"resolution": ""}).status_code == 422
    assert client.post(f"/coordinator/safeguarding/{report_id}/resolve",
                       data={"resolution": "Spoke to both"}).status_code == 302
    assert audit_actions(app) == [("report.resolve", volunteer.id, "Spoke to both")]
    with app.app_context():
        report = db.session.get(SafeguardingReport, report_id)
        assert (report.status, report.resolved_by_id) == ("resolved", coordinator.id)
    assert client.post(f"/coordinator/safeguarding/{report_id}/resolve", data={"resolution": "again"}).status_code == 422
    assert client.post("/coordinator/safeguarding/987654/resolve", data={"resolution": "x"}).status_code == 404


def test_a_learner_reports_a_session_and_a_volunteer(app, client, sign_in, make_user):
    volunteer, learner = make_user("volunteer"), make_user("learner")
    with app.app_context():
        booking_id = add_session(volunteer.id, learner.id, datetime(2026, 11, 2, 17, tzinfo=UTC), note="mine")
    sign_in(learner)
    assert client.post("/safety/report", data={"booking": booking_id, "details": ""}).status_code == 422
    assert client.post("/safety/report", data={"booking": booking_id, "details": "He shouted"}).status_code == 302
    assert client.post("/safety/report", data={"volunteer": volunteer.id, "details": "Odd messages"}).status_code == 302
    with app.app_context():
        reports = db.session.scalars(select(SafeguardingReport).order_by(SafeguardingReport.id)).all()
        assert [(r.booking_id, r.volunteer_id, r.details) for r in reports] == [
            (booking_id, volunteer.id, "He shouted"), (None, volunteer.id, "Odd messages")]


def test_a_blocked_learner_cannot_book_again_and_unblocking_lets_them(app, client, sign_in, make_user):
    volunteer = make_user("volunteer", rules=[(1, "10:00", "12:00")])
    learner = make_user("learner")
    with app.app_context():
        booking_id = add_session(volunteer.id, learner.id, datetime(2029, 12, 1, 10, tzinfo=UTC))
    sign_in(volunteer)
    assert client.post(f"/safety/bookings/{booking_id}/block").status_code == 302
    assert "Learner" in client.get("/safety/blocks").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LearnerBlock, (volunteer.id, learner.id)) is not None
        with pytest.raises(SlotUnavailable):
            book_session(learner.id, volunteer.id, TUE_10, "tutoring", now=NOW)
    assert client.post(f"/safety/blocks/{learner.id}/remove").status_code == 302
    with app.app_context():
        assert book_session(learner.id, volunteer.id, TUE_10, "tutoring", now=NOW).id


def test_a_blocked_learner_cannot_move_a_booking_but_the_volunteer_still_can(app, client, sign_in, make_user):
    """A move by the learner is a new choice of time, so a block stops it; the volunteer may still move it."""
    volunteer = make_user("volunteer", rules=[(1, "10:00", "12:00")])
    learner = make_user("learner")
    with app.app_context():
        booked = book_session(learner.id, volunteer.id, TUE_10, "tutoring", now=NOW)
        booking_id, sequence = booked.id, booked.sequence
    sign_in(volunteer)
    assert client.post(f"/safety/bookings/{booking_id}/block").status_code == 302
    with app.app_context():
        with pytest.raises(SlotUnavailable, match="not taking new bookings"):
            reschedule_booking(learner.id, booking_id, TUE_10 + timedelta(hours=1), now=NOW)
        unchanged = db.session.get(Booking, booking_id)
        assert (unchanged.session.start_at, unchanged.sequence) == (TUE_10, sequence)
        moved = reschedule_booking(volunteer.id, booking_id, TUE_10 + timedelta(hours=1), now=NOW)
        assert (moved.session.start_at, moved.sequence) == (TUE_10 + timedelta(hours=1), sequence + 1)


def test_support_needs_training_when_the_programme_says_so(app, make_user):
    coordinator = make_user("coordinator")
    volunteer = make_user("volunteer", rules=[(1, "10:00", "12:00")])
    learner = make_user("learner")
    with app.app_context():
        boss = db.session.get(User, coordinator.id)
        line = create_programme(boss, name="Listening line", kinds=["support"], support_needs_training=True)
        set_membership(boss, line.id, volunteer.id, member=True)
        with pytest.raises(InvalidBooking) as refused:
            book_session(learner.id, volunteer.id, TUE_10, "support", now=NOW)
        assert refused.value.field == "kind"
        # Other kinds are not affected; marking them trained lifts the rule.
        assert book_session(learner.id, volunteer.id, TUE_10, "tutoring", now=NOW).id
        set_membership(boss, line.id, volunteer.id, member=True, trained=True)
        assert book_session(learner.id, volunteer.id, TUE_10 + timedelta(days=7), "support", now=NOW).id
        actions = [a for a in db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["programme.create", "programme.add_member", "programme.train"]


def test_programme_pages_create_and_validate(app, client, coordinator):
    assert client.post("/coordinator/programmes", data={"name": "", "kinds": ["tutoring"]}).status_code == 422
    assert client.post("/coordinator/programmes", data={"name": "Maths", "kinds": []}).status_code == 422
    response = client.post("/coordinator/programmes", data={"name": "Maths for remote schools", "kinds": ["tutoring"]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "?programme=maths-for-remote-schools" in page


def test_a_new_report_emails_each_coordinator_in_their_language_without_its_text(app, client, sign_in, make_user):
    make_user("coordinator", email="boss@example.org", language="ar")
    make_user("coordinator", email="deputy@example.org", language="en")
    volunteer, learner = make_user("volunteer"), make_user("learner")
    sign_in(learner)
    assert client.post("/safety/report", data={"volunteer": volunteer.id, "details": "He asked for my address"}).status_code == 302
    messages = {message["To"]: message for message in outbox(app)}
    assert set(messages) == {"boss@example.org", "deputy@example.org"}
    assert messages["boss@example.org"]["Subject"].startswith("بلاغ حماية جديد")
    assert messages["deputy@example.org"]["Subject"].startswith("New safeguarding report")
    for message in messages.values():
        body = message.get_body(("plain",)).get_content()
        assert "/coordinator/safeguarding#report-" in body
        assert "address" not in body and volunteer.display_name not in body


def test_untrained_volunteers_dont_match_a_search_for_support(app, client, bearer, make_user):
    coordinator = make_user("coordinator")
    trained, untrained = make_user("volunteer", name="Tina Trained"), make_user("volunteer", name="Uma Untrained")
    learner = make_user("learner")
    with app.app_context():
        boss = db.session.get(User, coordinator.id)
        line = create_programme(boss, name="Listening line", kinds=["support"], support_needs_training=True)
        set_membership(boss, line.id, trained.id, member=True, trained=True)
        set_membership(boss, line.id, untrained.id, member=True)
    page = client.get("/?kind=support").get_data(as_text=True)
    assert "Tina Trained" in page and "Uma Untrained" not in page
    assert "Uma Untrained" in client.get("/?kind=tutoring").get_data(as_text=True)
    found = client.get("/api/v1/volunteers?kind=support", headers=bearer(learner)).get_json()
    assert [volunteer["id"] for volunteer in found] == [trained.id]
