"""The invite email: MIME shape, method= agreement, the recipient's language and zone, privacy."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from calendar_support import (
    AMIRA,
    MAYA,
    ORGANIZER_EMAIL,
    ORGANIZER_NAME,
    PRIYA,
    SAMI,
    SECRET,
    calendar_parts,
    cancelled,
    decoded_text,
    ical_method,
    instants_by_parser,
    make_session,
    parse_icalendar,
    parse_vobject,
    reparse,
)

from tutoring.calendar import CalendarSession, Person, feed_ics, invite_email, invite_ics


def email_for(session: CalendarSession, recipient: Person, change: str = "booked", **kwargs):
    message = invite_email(
        session, recipient, change, organizer_email=ORGANIZER_EMAIL, organizer_name=ORGANIZER_NAME, **kwargs
    )
    return reparse(message)


def plain(text: str) -> str:
    """CLDR puts a narrow no-break space before AM/PM; tests spell it as a space."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def shape(part) -> object:
    """The MIME tree as nested (type, children) / type / (type, filename) values."""
    if part.is_multipart():
        return (part.get_content_type(), [shape(child) for child in part.iter_parts()])
    if part.get_filename():
        return (part.get_content_type(), part.get_filename())
    return part.get_content_type()


@pytest.mark.parametrize("change", ["booked", "rescheduled", "cancelled"])
def test_the_mime_tree_is_mixed_around_alternative_with_the_ics_inline_and_attached(change):
    session = cancelled(make_session()) if change == "cancelled" else make_session()
    message = email_for(session, MAYA, change)
    assert shape(message) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", "text/html", "text/calendar"]),
            ("application/ics", "invite.ics"),
        ],
    )
    inline, attached = calendar_parts(message)
    assert inline.get_payload(decode=True) == attached.get_payload(decode=True)
    assert attached.get_content_disposition() == "attachment"


@pytest.mark.parametrize(
    ("change", "method"), [("booked", "REQUEST"), ("rescheduled", "REQUEST"), ("cancelled", "CANCEL")]
)
def test_the_content_type_method_equals_the_method_inside(change, method):
    session = cancelled(make_session()) if change == "cancelled" else make_session()
    inline = calendar_parts(email_for(session, MAYA, change))[0]
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == method
    assert inline.get_param("charset").upper() == "UTF-8"
    data = inline.get_content().encode("utf-8")
    assert parse_icalendar(data)["METHOD"] == method
    assert ical_method(data) == method
    assert parse_vobject(data).method.value == method


def test_the_calendar_bytes_arrive_unchanged():
    session = make_session(learner=SAMI)
    message = email_for(session, SAMI)
    expected = invite_ics(session, "REQUEST", ORGANIZER_EMAIL, ORGANIZER_NAME, recipient=SAMI)
    for part in calendar_parts(message):
        assert part.get_payload(decode=True) == expected  # CRLF and folding kept byte for byte


def test_a_cancelled_session_announced_as_booked_is_refused():
    with pytest.raises(ValueError):
        email_for(cancelled(make_session()), MAYA, "booked")
    with pytest.raises(ValueError):
        email_for(make_session(), MAYA, "cancelled")
    with pytest.raises(ValueError):
        email_for(make_session(), MAYA, "postponed")


def test_headers_come_from_the_organizer_to_the_recipient():
    sent_at = datetime(2026, 11, 20, 9, 31, tzinfo=UTC)
    message = email_for(make_session(), MAYA, sent_at=sent_at)
    assert message["From"].addresses[0].addr_spec == ORGANIZER_EMAIL
    assert message["From"].addresses[0].display_name == ORGANIZER_NAME
    assert message["To"].addresses[0].addr_spec == "maya@example.org"
    assert message["Date"].datetime == sent_at
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "en"


def test_an_english_recipient_reads_english_with_times_in_their_zone_named():
    message = email_for(make_session(), MAYA)
    assert plain(message["Subject"]) == "Booked: Tutoring with Amira Hassan, Tue, Dec 1, 12:00 PM (New York time)"
    text = plain(message.get_body(("plain",)).get_content())
    assert text.startswith("Hello Maya,\n\nThis session is booked.\n")
    assert "When: Tuesday, December 1, 2026, 12:00 PM – 12:45 PM\n" in text
    assert "Time zone: New York time (UTC-05:00)\n" in text
    assert "Join: https://meet.example.org/amira-maya\n" in text
    assert "See, change or cancel the booking: https://tutoring.example.org/bookings/42\n" in text


def test_an_arabic_recipient_reads_arabic_subject_body_and_page_direction():
    message = email_for(make_session(), AMIRA)
    assert message["Subject"].startswith("تم الحجز: درس مع Maya، ")
    assert message["Subject"].endswith("(بتوقيت القاهرة)")
    assert message["Content-Language"] == "ar"
    text = message.get_body(("plain",)).get_content()
    assert "مرحبًا Amira Hassan،" in text
    assert "تم حجز هذه الجلسة." in text
    assert "المنطقة الزمنية: توقيت القاهرة (UTC+02:00)" in text
    assert "الثلاثاء، 1 ديسمبر 2026" in text  # 17:00Z is 19:00 in Cairo, still Tuesday
    assert "Booked" not in message["Subject"] and "When:" not in text
    html = message.get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in html
    assert "<bdi>Maya" in html or "<bdi>درس مع Maya</bdi>" in html


@pytest.mark.parametrize(
    ("change", "subject_start", "headline"),
    [
        ("booked", "Booked: ", "This session is booked."),
        ("rescheduled", "Moved: ", "This session has moved to a new time."),
        ("cancelled", "Cancelled: ", "This session is cancelled."),
    ],
)
def test_the_subject_and_headline_say_what_happened(change, subject_start, headline):
    session = cancelled(make_session()) if change == "cancelled" else make_session()
    message = email_for(session, MAYA, change)
    assert message["Subject"].startswith(subject_start)
    text = message.get_body(("plain",)).get_content()
    assert headline in text
    if change == "cancelled":
        assert "Join:" not in text  # no link into a meeting that won't happen
        assert "See the booking: https://tutoring.example.org/bookings/42" in text
        assert "takes this session out of your calendar" in text


def test_the_html_part_escapes_names_and_links_to_the_booking():
    sneaky = replace(MAYA, name="<script>alert(1)</script>")
    html = email_for(make_session(learner=sneaky), sneaky).get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://tutoring.example.org/bookings/42">' in html


def test_the_translate_hook_replaces_the_recipients_catalogue():
    message = email_for(make_session(), AMIRA, translate=lambda text: "«" + text + "»")
    assert message["Subject"].startswith("«Booked: «Tutoring with Maya»")
    assert "«Hello Amira Hassan,»" in message.get_body(("plain",)).get_content()


# --- Local times on clock-change days, as each person reads them ------------------

NEW_YORK = Person("Nora", "nora@example.org", "en", "America/New_York")
LONDON = Person("Leo", "leo@example.org", "en", "Europe/London")
LORD_HOWE = Person("Lily", "lily@example.org", "en", "Australia/Lord_Howe")

LOCAL_ROWS = [
    # recipient, start UTC, end UTC, "When" as the recipient reads it, and the zone line
    (NEW_YORK, "2026-03-08T06:30:00Z", "2026-03-08T07:15:00Z",
     "Sunday, March 8, 2026, 1:30 AM – 3:15 AM",
     "New York time (UTC-05:00, then UTC-04:00 after the clocks change)"),
    (NEW_YORK, "2026-11-01T05:30:00Z", "2026-11-01T06:15:00Z",
     "Sunday, November 1, 2026, 1:30 AM – 1:15 AM",
     "New York time (UTC-04:00, then UTC-05:00 after the clocks change)"),
    (NEW_YORK, "2026-11-01T06:30:00Z", "2026-11-01T07:15:00Z",
     "Sunday, November 1, 2026, 1:30 AM – 2:15 AM",
     "New York time (UTC-05:00)"),
    (LONDON, "2026-03-29T00:30:00Z", "2026-03-29T01:15:00Z",
     "Sunday, March 29, 2026, 12:30 AM – 2:15 AM",
     "London time (UTC+00:00, then UTC+01:00 after the clocks change)"),
    (LONDON, "2026-10-25T01:30:00Z", "2026-10-25T02:15:00Z",
     "Sunday, October 25, 2026, 1:30 AM – 2:15 AM",
     "London time (UTC+00:00)"),
    (LORD_HOWE, "2026-04-04T14:45:00Z", "2026-04-04T15:30:00Z",
     "Sunday, April 5, 2026, 1:45 AM – 2:00 AM",
     "Lord Howe Island time (UTC+11:00, then UTC+10:30 after the clocks change)"),
    (LORD_HOWE, "2026-04-04T15:15:00Z", "2026-04-04T16:00:00Z",
     "Sunday, April 5, 2026, 1:45 AM – 2:30 AM",
     "Lord Howe Island time (UTC+10:30)"),
    (LORD_HOWE, "2026-10-03T15:15:00Z", "2026-10-03T16:00:00Z",
     "Sunday, October 4, 2026, 1:45 AM – 3:00 AM",
     "Lord Howe Island time (UTC+10:30, then UTC+11:00 after the clocks change)"),
    (PRIYA, "2026-03-08T04:15:00Z", "2026-03-08T05:15:00Z",
     "Sunday, March 8, 2026, 10:00 AM – 11:00 AM",
     "Kathmandu time (UTC+05:45)"),
    # The same Kathmandu session, read in New York: the evening before, across midnight.
    (NEW_YORK, "2026-03-08T04:15:00Z", "2026-03-08T05:15:00Z",
     "Saturday, March 7, 2026, 11:15 PM – Sunday, March 8, 2026, 12:15 AM",
     "New York time (UTC-05:00)"),
]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("recipient", "start", "end", "when", "zone"), LOCAL_ROWS)
def test_clock_change_days_read_right_in_the_recipients_zone(recipient, start, end, when, zone):
    # Priya (Kathmandu) is the volunteer; the recipient is her learner, or herself.
    learner = NEW_YORK if recipient == PRIYA else recipient
    session = make_session(volunteer=PRIYA, learner=learner, start_at=utc(start), end_at=utc(end))
    message = email_for(session, recipient)
    text = plain(message.get_body(("plain",)).get_content())
    assert f"When: {when}\n" in text
    assert f"Time zone: {zone}\n" in text
    # ... while the attached calendar holds the booked instants themselves.
    data = calendar_parts(message)[1].get_payload(decode=True)
    assert set(map(tuple, instants_by_parser(data).values())) == {((utc(start), utc(end)),)}


# --- Privacy -------------------------------------------------------------------------


def test_the_core_has_no_field_for_notes_or_topics():
    names = set(CalendarSession.__dataclass_fields__) | set(Person.__dataclass_fields__)
    assert not {name for name in names if "note" in name or "topic" in name or "reason" in name}


@pytest.mark.parametrize("recipient", [AMIRA, MAYA])
def test_support_sessions_leak_neither_their_kind_nor_anything_smuggled_into_it(recipient):
    # ``kind`` is the one free-text-ish field a careless caller might fill with
    # a topic: it must only ever choose a title, never be written.
    for kind in ("support", SECRET):
        session = make_session(kind=kind)
        for change, state in (("booked", session), ("rescheduled", replace(session, sequence=1)),
                              ("cancelled", cancelled(session))):
            everything = decoded_text(email_for(state, recipient, change))
            assert SECRET not in everything
            assert "support" not in everything.lower()
            assert "دعم" not in everything and "Listening" not in everything
        feed = feed_ics(recipient, [session, replace(cancelled(session), uid="other")]).decode("utf-8")
        assert SECRET not in feed and "support" not in feed.lower()
