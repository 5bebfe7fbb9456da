"""Every page and email about the support kind links to /help (SPEC §7 "Help", issue 18): support search results,
a listener's page, the booking page and its confirmation, invites and reminders; tutoring ones don't need it.

The clock is Sunday 10 January 2027, 12:00 UTC (as in tests/booking/test_booking_pages.py).
"""
from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest
from sqlalchemy import select

import tutoring.booking.operations as booking_service
import tutoring.booking.views as booking_views
import tutoring.volunteers.views as volunteer_views
from tests.notices.test_outbox_support import decoded_text
from tutoring.booking.operations import book_session
from tutoring.extensions import db
from tutoring.models import OutboxMessage
from tutoring.services.notices.reminders import queue_due_reminders

pytestmark = pytest.mark.app_config(BASE_URL="https://tutoring.example")
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
SLOT = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)
HELP = "https://tutoring.example/help"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    for module in (booking_views, volunteer_views, booking_service):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)


@pytest.fixture
def amira(make_user):
    return make_user("volunteer", name="Amira", timezone="Africa/Cairo", rules=[(1, "18:00", "21:00")],
                     session_minutes=30, buffer_minutes=0, min_notice_hours=0, kinds=["tutoring", "support"])


def mails(app) -> list[str]:
    with app.app_context():
        return [decoded_text(email.message_from_bytes(row.message, policy=policy.default))
                for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.mark.parametrize(("kind", "linked"), [("support", True), ("tutoring", False)])
def test_invites_and_reminders_of_support_sessions_link_to_help(app, amira, make_user, kind, linked):
    learner = make_user("learner", language="ar")
    with app.app_context():
        book_session(learner.id, amira.id, SLOT, kind, "", now=NOW)
        queue_due_reminders(now=SLOT.replace(hour=15, minute=30))
    texts = mails(app)
    assert len(texts) >= 4  # two invites, two reminders
    assert all((HELP in text) is linked for text in texts)


def test_support_pages_link_to_help(app, client, amira, make_user, sign_in):
    learner = make_user("learner")
    assert 'class="notice help-now"' in client.get("/?kind=support").get_data(as_text=True)
    assert 'class="notice help-now"' not in client.get("/?kind=tutoring").get_data(as_text=True)
    assert 'class="notice help-now"' in client.get(f"/volunteers/{amira.id}").get_data(as_text=True)
    sign_in(learner)
    book_page = client.get(f"/volunteers/{amira.id}/book?start=2027-01-12T16:00:00Z").get_data(as_text=True)
    assert 'class="notice help-now"' in book_page
    with app.app_context():
        booking_id = book_session(learner.id, amira.id, SLOT, "support", "", now=NOW).id
    assert 'class="notice help-now"' in client.get(f"/bookings/{booking_id}").get_data(as_text=True)
