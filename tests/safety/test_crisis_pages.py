"""Words of crisis on the pages (issue 18 part 3): whoever writes them sees the help for their country at once,
in their language, on the page their form leads to and in an htmx fragment; the text goes nowhere else.

The clock is Sunday 10 January 2027, 12:00 UTC (as in tests/booking/test_booking_pages.py).
"""
from __future__ import annotations

import email
import logging
import re
from email import policy
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import tutoring.booking.operations as booking_service
import tutoring.booking.views as booking_views
import tutoring.volunteers.views as volunteer_views
from tutoring.booking.operations import book_session
from tutoring.extensions import db
from tests.notices.test_outbox_support import decoded_text
from tutoring.models import Booking, HelpResource, OutboxMessage

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
SLOT = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)
SLOT_Z = "2027-01-12T16:00:00Z"
CRISIS_AR = "أنا تعبت من الحياة وبدي موت"
CRISIS_EN = "honestly I want to die"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    for module in (booking_views, volunteer_views, booking_service):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)


@pytest.fixture
def lines(app):
    with app.app_context():
        db.session.add_all([
            HelpResource(country="SA", name="Saudi listening line", phone="+00 111", languages=["ar"]),
            HelpResource(country="GB", name="British listening line", phone="+00 222", languages=["en"]),
        ])
        db.session.commit()


@pytest.fixture
def amira(make_user):
    return make_user("volunteer", name="Amira", timezone="Africa/Cairo", rules=[(1, "18:00", "21:00")],
                     session_minutes=30, buffer_minutes=0, min_notice_hours=0, kinds=["tutoring", "support"])


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def book(client, volunteer, note: str):
    path = f"/volunteers/{volunteer.id}/book?start={SLOT_Z}"
    return client.post(path, data={"kind": "support", "note": note, "csrf_token": csrf(client, path)},
                       follow_redirects=True)


def test_a_crisis_note_shows_the_help_of_the_learners_country_in_arabic_right_after_booking(
        app, client, amira, make_user, sign_in, lines, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(make_user("learner", timezone="Asia/Riyadh", language="ar"))
    response = book(client, amira, CRISIS_AR)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="crisis-help-heading"' in html and "لست وحدك" in html
    assert "Saudi listening line" in html and "British listening line" not in html
    assert "/help?country=SA" in html
    assert CRISIS_AR not in html.split('id="crisis-help"')[1].split("</section>")[0]  # the panel never repeats it
    # shown once: the next page has no panel
    assert 'id="crisis-help-heading"' not in client.get("/sessions").get_data(as_text=True)
    # the note went nowhere: not in any queued mail, not in the log
    with app.app_context():
        assert db.session.scalar(select(Booking.note)) == CRISIS_AR
        for message in db.session.scalars(select(OutboxMessage)):
            assert "بدي موت" not in mail_text(message)
    assert "بدي موت" not in caplog.text


def test_an_everyday_note_shows_no_panel(client, amira, make_user, sign_in, lines):
    sign_in(make_user("learner", timezone="Europe/London"))
    html = book(client, amira, "Can we go over quadratic equations? This problem is killing me").get_data(as_text=True)
    assert 'id="crisis-help-heading"' not in html and 'id="crisis-help"' in html


def test_a_crisis_note_refused_with_the_booking_still_shows_help(client, amira, make_user, sign_in, lines):
    sign_in(make_user("learner", timezone="Europe/London"))
    path = f"/volunteers/{amira.id}/book?start={SLOT_Z}"
    response = client.post(path, data={"kind": "support", "note": CRISIS_EN + " " + "x" * 5000,
                                       "csrf_token": csrf(client, path)})
    assert response.status_code in (400, 422)
    assert "British listening line" in response.get_data(as_text=True)


def test_a_cancel_reason_in_an_htmx_fragment_brings_the_panel_out_of_band(app, client, amira, make_user, sign_in,
                                                                          lines):
    learner = make_user("learner", timezone="Europe/London")
    with app.app_context():
        booking_id = book_session(learner.id, amira.id, SLOT, "support", "", now=NOW).id
    sign_in(learner)
    token = csrf(client, "/sessions")
    response = client.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": token, "reason": "s u i c i d e"},
                           headers={"HX-Request": "true", "HX-Target": f"booking-{booking_id}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div id="crisis-help" hx-swap-oob="true">' in html and "British listening line" in html
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            assert "s u i c i d e" not in mail_text(message)


def mail_text(row: OutboxMessage) -> str:
    return decoded_text(email.message_from_bytes(row.message, policy=policy.default))
