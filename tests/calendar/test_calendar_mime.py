"""The invite's wire bytes, written without EmailMessage: 7-bit, CRLF, short lines, and read back as written."""
from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header

import pytest
from calendar_support import AMIRA, MAYA, ORGANIZER_EMAIL, ORGANIZER_NAME, SAMI, make_session, parse_icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from tutoring.calendar import Person, invite_ics, invite_mail
from tutoring.calendar.mime import address, multipart, text_part, unstructured
from tutoring.calendar.model import clean_name

LONG_ARABIC = "عبد الرحمن بن محمد بن إبراهيم الهاشمي القرشي من أهل المدينة المنورة"


def mail_for(session, recipient, change="booked", organizer_name=ORGANIZER_NAME, **kwargs):
    return invite_mail(session, recipient, change, organizer_email=ORGANIZER_EMAIL, organizer_name=organizer_name,
                       **kwargs)


def parsed(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def display_name(message, header: str = "To") -> str:
    """The display name as RFC 2047 §6.2 reads it: the space that folds two encoded-words apart is not part of it.

    (The headerregistry parser keeps that space inside a phrase, so it
    misreads any name long enough to take two words, ours or the email
    package's own; ``decode_header`` follows the RFC.)
    """
    raw = next(value for name, value in message.raw_items() if name.lower() == header.lower())
    if "=?" not in raw:
        return message[header].addresses[0].display_name
    return str(make_header(decode_header(raw))).rsplit(" <", 1)[0]


def check_wire(data: bytes) -> None:
    """7-bit, every line ends in CRLF (no bare CR or LF) and is at most 78 characters."""
    assert data.isascii()
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


@pytest.mark.parametrize("recipient", [AMIRA, MAYA, SAMI])
def test_the_bytes_are_seven_bit_crlf_with_short_lines(recipient):
    learner = MAYA if recipient is AMIRA else recipient
    check_wire(mail_for(make_session(learner=learner), recipient).data)


def test_an_arabic_name_and_subject_round_trip_through_the_bytes():
    volunteer = replace(AMIRA, name="أميرة حسن")
    session = make_session(volunteer=volunteer, learner=SAMI)
    sent_at = datetime(2026, 11, 20, 9, 31, tzinfo=UTC)
    mail = mail_for(session, SAMI, organizer_name="منصة الدروس", sent_at=sent_at)
    check_wire(mail.data)
    assert b"\xd8" not in mail.data and "سامي".encode() not in mail.data  # encoded, not raw UTF-8
    message = parsed(mail.data)
    assert not message.defects and all(not part.defects for part in message.walk())
    assert message["To"].addresses[0].display_name == "سامي"
    assert message["To"].addresses[0].addr_spec == "sami@example.org"
    assert message["From"].addresses[0].display_name == "منصة الدروس"
    assert message["From"].addresses[0].addr_spec == ORGANIZER_EMAIL
    assert str(message["Subject"]) == mail.subject
    assert mail.subject.startswith("تم الحجز: درس مع أميرة حسن")
    assert message["Date"].datetime == sent_at
    assert message["Content-Language"] == "ar"
    assert mail.sender == ORGANIZER_EMAIL
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert text.startswith("مرحبًا سامي،\n")
    assert "<bdi>سامي</bdi>" in message.get_body(("html",)).get_content()
    ics = invite_ics(session, "REQUEST", ORGANIZER_EMAIL, "منصة الدروس", recipient=SAMI)
    calendars = [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]
    assert [p.get_payload(decode=True) for p in calendars] == [ics, ics]
    event = parse_icalendar(ics).events[0]
    assert str(event["SUMMARY"]) == "درس مع أميرة حسن"
    assert event["ATTENDEE"].params["CN"] == "سامي"  # the recipient alone: the other is named in the title
    assert volunteer.email not in ics.replace(b"\r\n ", b"").decode().lower()


def test_a_long_arabic_name_is_folded_into_several_encoded_words_and_read_back_whole():
    learner = replace(SAMI, name=LONG_ARABIC)
    mail = mail_for(make_session(learner=learner), learner)
    check_wire(mail.data)
    head = mail.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    to = re.search(r"^To: .*?(?=\r\n\S)", head, re.M | re.S).group(0)
    assert to.count("=?utf-8?") > 1  # split between whole characters, each word under 76
    assert all(len(word) <= 75 for word in re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", to))
    message = parsed(mail.data)
    assert display_name(message) == LONG_ARABIC
    assert message["To"].addresses[0].addr_spec == SAMI.email


@pytest.mark.parametrize(
    "name",
    ['Amira "Mimi" Hassan', "Hassan, Amira", "Amira (volunteer) <x@y>", "=?utf-8?q?Mallory?=", "back\\slash", "A" * 90],
)
def test_ascii_names_that_need_quoting_or_encoding_read_back_as_written(name):
    learner = replace(MAYA, name=name)
    mail = mail_for(make_session(learner=learner), learner)
    check_wire(mail.data)
    message = parsed(mail.data)
    assert (display_name(message), message["To"].addresses[0].addr_spec) == (name, MAYA.email)


def test_a_missing_organizer_name_gives_a_bare_address():
    mail = mail_for(make_session(), MAYA, organizer_name=None)
    assert b"\r\nFrom: tutoring@example.org\r\n" in b"\r\n" + mail.data
    assert parsed(mail.data)["From"].addresses[0].addr_spec == ORGANIZER_EMAIL


def test_a_non_ascii_address_is_refused_as_before():
    stranger = Person("José", "josé@example.org", "en", "UTC")
    with pytest.raises(ValueError):
        mail_for(make_session(learner=stranger), stranger)


def test_each_message_gets_its_own_boundaries_and_message_id():
    first, second = (parsed(mail_for(make_session(), MAYA).data) for _ in range(2))
    assert first["Message-ID"] != second["Message-ID"]
    assert first.get_boundary() != second.get_boundary()
    inner = [p for p in first.walk() if p.get_content_type() == "multipart/alternative"][0]
    assert inner.get_boundary() != first.get_boundary()


def test_short_ascii_subjects_stay_readable_and_the_rest_are_encoded():
    assert unstructured("Booked: Tutoring", "Subject") == "Booked: Tutoring"
    assert unstructured("=?utf-8?q?x?=", "Subject").startswith("=?utf-8?")
    assert unstructured("Booked at 12:00\u202fPM", "Subject").startswith("=?utf-8?")
    assert address("To", "", "a@example.org") == "a@example.org"
    assert address("To", "Hassan, Amira", "a@example.org") == '"Hassan, Amira" <a@example.org>'


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=0, max_size=300), st.sampled_from(["plain", "html"]))
def test_any_text_body_survives_quoted_printable(text, subtype):
    content_type, body = multipart("alternative", [text_part(subtype, text)])
    data = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode() + body
    check_wire(data)
    [part] = parsed(data).iter_parts()
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    expected = expected if expected.endswith("\n") else expected + "\n"
    assert part.get_content().replace("\r\n", "\n") == expected


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=80).filter(str.strip), st.text(min_size=1, max_size=120))
def test_any_name_and_subject_round_trip(name, subject):
    # Like ours, the subject is one trimmed line (names are cleaned, templates have no breaks).
    person, subject = Person(name, "someone@example.org", "en", "UTC"), clean_name(subject)
    if not person.name or not subject:
        return
    header = address("To", person.name, person.email)
    subject_value = unstructured(subject, "Subject")
    data = f"To: {header}\r\nSubject: {subject_value}\r\n\r\n".encode("ascii")
    check_wire(data)
    message = parsed(data)
    assert display_name(message) == person.name
    assert str(message["Subject"]) == subject
