"""Each person gets mail, invites and their feed in their own language and zone (SPEC §6), whoever books whom.

tests/notices/test_invites.py covers an Arabic volunteer and an English learner; here
it is the other way round: Sami (learner, Arabic, Riyadh) books James
(volunteer, English, London). 10:00 UTC on Tuesday 8 January 2030 is 13:00
in Riyadh and 10:00 in London.
"""
from __future__ import annotations

import email
from email import policy

import pytest

from tests.notices.test_outbox_support import NOW, TUE_10, TUESDAY_10_TO_12, inline_calendar, outbox_rows
from tutoring.extensions import db
from tutoring.models import User
from tutoring.booking.operations import book_session


@pytest.fixture
def sami_books_james(app, make_user):
    volunteer = make_user("volunteer", name="James Whitfield", email="james@example.org", timezone="Europe/London",
                          language="en", rules=TUESDAY_10_TO_12, session_minutes=45, buffer_minutes=15)
    learner = make_user("learner", name="سامي", email="sami@example.org", timezone="Asia/Riyadh", language="ar")
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    return volunteer, learner


def message_to(app, address: str):
    [row] = [row for row in outbox_rows(app) if row.recipient == address]
    return email.message_from_bytes(row.message, policy=policy.default)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_the_arabic_learner_gets_arabic_in_riyadh_time(app, sami_books_james):
    message = message_to(app, "sami@example.org")
    assert message["Content-Language"] == "ar"
    text = plain(message.get_body(("plain",)).get_content())
    assert "درس مع James Whitfield" in text
    assert "1:00 م" in text  # 13:00 in Riyadh, the Arabic clock
    assert "الرياض" in text  # the zone named in Arabic
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()
    assert "درس مع James Whitfield" in inline_calendar(message).decode()


def test_the_english_volunteer_gets_english_in_london_time(app, sami_books_james):
    message = message_to(app, "james@example.org")
    assert message["Content-Language"] == "en"
    text = plain(message.get_body(("plain",)).get_content())
    assert "Tutoring with سامي" in text
    assert "Tuesday, January 8, 2030, 10:00 AM – 10:45 AM" in text
    assert "London time (UTC+00:00)" in text
    assert 'dir="rtl"' not in message.get_body(("html",)).get_content()


def test_each_feed_speaks_its_owners_language(app, client, sami_books_james):
    volunteer, learner = sami_books_james
    with app.app_context():
        tokens = {user.email: db.session.get(User, user.id).calendar_token for user in (volunteer, learner)}
    arabic = client.get(f"/calendar/{tokens['sami@example.org']}.ics").data.replace(b"\r\n ", b"").decode()
    english = client.get(f"/calendar/{tokens['james@example.org']}.ics").data.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:درس مع James Whitfield" in arabic
    assert "SUMMARY:Tutoring with سامي" in english
