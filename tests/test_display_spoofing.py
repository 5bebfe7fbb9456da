"""Bidirectional controls in display names never reach email subjects or calendar titles and names (issue 21).

A display name holding U+202E (RIGHT-TO-LEFT OVERRIDE) turned the rest of an
invite's subject line and the feed's SUMMARY and CN around. Names keep their
letters (Arabic included); the embedding, override and isolate controls are
dropped wherever a name is written into mail headers or iCalendar.
"""
from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from sqlalchemy import select

from tutoring.calendar.model import BIDI_CONTROLS
from tutoring.extensions import db
from tutoring.mail import build_message
from tutoring.models import OutboxMessage, User
from tutoring.booking.operations import book_session

NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
SPOOF = "Eve\u202egnp.exe\u202c \u2067أمل\u2069"


def test_a_spoofing_name_reaches_neither_subjects_nor_the_calendar(app, client, make_user):
    volunteer = make_user("volunteer", name=SPOOF, timezone="UTC", rules=[(1, "09:00", "12:00")], min_notice_hours=0)
    learner = make_user("learner", name="\u202eLearner")
    with app.app_context():
        book_session(learner.id, volunteer.id, datetime(2027, 1, 5, 9, 0, tzinfo=UTC), "tutoring", now=NOW)
        rows = db.session.scalars(select(OutboxMessage)).all()
        token = db.session.get(User, learner.id).calendar_token
    assert len(rows) == 2
    for row in rows:
        parsed = email.message_from_bytes(row.message, policy=email.policy.default)
        texts = [row.subject, str(parsed["Subject"])]
        texts += [part.get_content() for part in parsed.walk() if part.get_content_type() == "text/calendar"]
        for text in texts:
            assert not set(text) & set(BIDI_CONTROLS), text
        assert "gnp.exe" in "".join(texts)
    feed = client.get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert "SUMMARY:" in feed and not set(feed) & set(BIDI_CONTROLS)
    assert "أمل" in feed  # the letters stay


def test_plain_mail_subjects_drop_bidi_controls_too(app):
    with app.app_context():
        message = build_message("a@example.org", "Hello \u202eevil\u202c", "text")
    assert message["Subject"] == "Hello evil"
