"""iMIP invites (SPEC §5, FIELD-NOTES "Invites"): every .ics read back by three parsers."""
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
    cancelled,
    ical_method,
    instants_by_parser,
    make_session,
    parse_ical,
    parse_icalendar,
    parse_vobject,
)

from tutoring.calendar import CalendarSession, Person, invite_ics, method_for
from tutoring.calendar.text import identity


def request_for(session: CalendarSession, recipient: Person = MAYA, **kwargs) -> bytes:
    return invite_ics(session, "REQUEST", ORGANIZER_EMAIL, ORGANIZER_NAME, recipient=recipient, **kwargs)


def cancel_for(session: CalendarSession, recipient: Person = MAYA) -> bytes:
    return invite_ics(session, "CANCEL", ORGANIZER_EMAIL, ORGANIZER_NAME, recipient=recipient)


def test_request_has_every_property_rfc5546_requires_in_every_parser():
    data = request_for(make_session())

    calendar = parse_icalendar(data)
    (event,) = calendar.events
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    for name in ("DTSTAMP", "DTSTART", "DTEND", "ORGANIZER", "SUMMARY", "UID", "SEQUENCE"):
        assert name in event, name
    assert len(event.attendees) == 1  # the recipient alone (SPEC §5, §7)
    assert event["STATUS"] == "CONFIRMED"

    other = parse_ical(data).events[0]
    assert ical_method(data) == "REQUEST"
    assert other.uid == "6f1c2b1e-5d0c-4f57-9a43-2f9cf0f4a001"
    assert other.sequence == 0
    assert other.dtstamp == datetime(2026, 11, 20, 9, 30, 15, tzinfo=UTC)
    assert other.organizer.uri == f"mailto:{ORGANIZER_EMAIL}"
    assert [a.uri for a in other.attendees] == ["mailto:maya@example.org"]

    third = parse_vobject(data)
    assert third.method.value == "REQUEST"
    assert len(third.vevent.contents["attendee"]) == 1
    assert third.vevent.uid.value == other.uid


def test_organizer_is_the_bare_mailto_of_the_service_sender_with_its_name():
    data = request_for(make_session())
    assert b"ORGANIZER;CN=Tutoring:mailto:tutoring@example.org\r\n" in data
    organizer = parse_ical(data).events[0].organizer
    assert (organizer.uri, organizer.common_name) == ("mailto:tutoring@example.org", "Tutoring")


@pytest.mark.parametrize(("recipient", "other"), [(MAYA, AMIRA), (AMIRA, MAYA)])
def test_the_recipient_alone_attends_and_the_other_person_is_named_but_never_addressed(recipient, other):
    data = request_for(make_session(), recipient)
    attendees = parse_ical(data).events[0].attendees
    assert [(a.uri, a.common_name) for a in attendees] == [(f"mailto:{recipient.email}", recipient.name)]
    for person in attendees:
        assert (person.role, person.status, person.rsvp) == ("REQ-PARTICIPANT", "ACCEPTED", False)
    unfolded = data.replace(b"\r\n ", b"").decode()
    assert other.email not in unfolded.lower() and other.name in parse_icalendar(data).events[0]["SUMMARY"]


def test_times_are_utc_so_no_tzid_and_no_vtimezone_is_needed():
    data = request_for(make_session())
    assert b"DTSTART:20261201T170000Z\r\n" in data
    assert b"DTEND:20261201T174500Z\r\n" in data
    assert b"TZID" not in data
    assert parse_icalendar(data).get_missing_tzids() == set()


def test_summary_and_description_are_in_the_recipients_language():
    session = make_session(learner=SAMI)
    for_sami = parse_icalendar(request_for(session, SAMI)).events[0]
    for_amira = parse_icalendar(request_for(session, replace(AMIRA, language="en"))).events[0]
    assert for_sami["SUMMARY"] == "درس مع Amira Hassan"
    assert for_sami["DESCRIPTION"] == "تفاصيل الحجز: https://tutoring.example.org/bookings/42"
    assert for_amira["SUMMARY"] == "Tutoring with سامي"
    assert for_amira["DESCRIPTION"] == "Booking details: https://tutoring.example.org/bookings/42"


def test_the_meeting_link_is_location_and_url_and_the_app_link_is_in_the_description():
    event = parse_icalendar(request_for(make_session())).events[0]
    assert event["LOCATION"] == "https://meet.example.org/amira-maya"
    assert event["URL"] == "https://meet.example.org/amira-maya"
    assert "https://tutoring.example.org/bookings/42" in event["DESCRIPTION"]


def test_without_a_meeting_link_url_leads_to_the_booking_and_there_is_no_location():
    event = parse_icalendar(request_for(make_session(meeting_url=None))).events[0]
    assert event["URL"] == "https://tutoring.example.org/bookings/42"
    assert "LOCATION" not in event


def test_dtstamp_and_last_modified_are_the_change_instant_so_the_bytes_are_reproducible():
    session = make_session(changed_at=datetime(2026, 11, 20, 9, 30, 15, 987654, tzinfo=UTC))
    assert request_for(session) == request_for(session)
    assert b"DTSTAMP:20261120T093015Z\r\n" in request_for(session)
    assert b"LAST-MODIFIED:20261120T093015Z\r\n" in request_for(session)


def test_cancel_keeps_the_uid_raises_the_sequence_and_says_cancelled():
    booked = make_session(sequence=2)
    request, cancel = request_for(booked), cancel_for(cancelled(booked))

    before, after = parse_icalendar(request).events[0], parse_icalendar(cancel).events[0]
    assert parse_icalendar(cancel)["METHOD"] == "CANCEL"
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1 == 3
    assert after["STATUS"] == "CANCELLED"
    # RFC 5546 §3.2.5 names every attendee of a cancelled event; each copy has only its recipient.
    assert [str(a) for a in after.attendees] == ["mailto:maya@example.org"]
    assert "ORGANIZER" in after

    other = parse_ical(cancel).events[0]
    assert ical_method(cancel) == "CANCEL"
    assert (other.uid, other.sequence, other.status.value) == (before["UID"], 3, "CANCELLED")
    assert parse_vobject(cancel).vevent.status.value == "CANCELLED"


def test_a_moved_session_keeps_its_uid_with_a_higher_sequence_and_the_new_time():
    booked = make_session()
    moved = replace(
        booked,
        sequence=1,
        start_at=datetime(2026, 12, 3, 17, 0, tzinfo=UTC),
        end_at=datetime(2026, 12, 3, 17, 45, tzinfo=UTC),
        changed_at=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
    )
    data = request_for(moved)
    event = parse_ical(data).events[0]
    assert (event.uid, event.sequence) == (booked.uid, 1)
    assert ical_method(data) == "REQUEST"
    assert instants_by_parser(data)["ical"] == [(moved.start_at, moved.end_at)]


def test_method_for_follows_the_status():
    assert method_for(make_session()) == "REQUEST"
    assert method_for(cancelled(make_session())) == "CANCEL"


@pytest.mark.parametrize(
    ("session", "method"),
    [(make_session(), "CANCEL"), (cancelled(make_session()), "REQUEST"), (make_session(), "PUBLISH")],
)
def test_a_method_that_contradicts_the_status_is_refused(session, method):
    with pytest.raises(ValueError):
        invite_ics(session, method, ORGANIZER_EMAIL, ORGANIZER_NAME, recipient=MAYA)


def test_only_the_two_people_can_receive_an_invite_and_never_the_organizer():
    with pytest.raises(ValueError, match="volunteer or learner"):
        request_for(make_session(), PRIYA)
    organizer_as_learner = replace(MAYA, email=ORGANIZER_EMAIL.upper())
    with pytest.raises(ValueError, match="organizer"):
        request_for(make_session(learner=organizer_as_learner), organizer_as_learner)


def test_a_session_with_no_single_learner_names_only_the_volunteer():
    data = request_for(make_session(learner=None), AMIRA)
    event = parse_ical(data).events[0]
    assert [a.uri for a in event.attendees] == ["mailto:amira.hassan@example.org"]
    assert event.summary == "درس"


@pytest.mark.parametrize(
    ("kind", "for_learner", "for_volunteer"),
    [
        ("tutoring", "Tutoring with Amira Hassan", "Tutoring with Maya"),
        ("mentoring", "Mentoring with Amira Hassan", "Mentoring with Maya"),
        ("support", "Session with Amira Hassan", "Session with Maya"),
        ("a kind added later", "Session with Amira Hassan", "Session with Maya"),
    ],
)
def test_titles_name_the_other_person_and_support_sessions_are_titled_neutrally(kind, for_learner, for_volunteer):
    session = make_session(kind=kind)
    english_amira = replace(AMIRA, language="en")
    session = replace(session, volunteer=english_amira)
    assert parse_icalendar(request_for(session, MAYA)).events[0]["SUMMARY"] == for_learner
    assert parse_icalendar(request_for(session, english_amira)).events[0]["SUMMARY"] == for_volunteer


def test_text_that_needs_escaping_survives_every_parser():
    awkward = replace(MAYA, name='Maya "M", O\'Neil; the 2nd: \\ok')
    data = request_for(make_session(learner=awkward), awkward, translate=identity)
    names = {a.common_name for a in parse_ical(data).events[0].attendees}
    assert awkward.name in names
    data = request_for(make_session(learner=awkward), AMIRA, translate=identity)
    assert parse_icalendar(data).events[0]["SUMMARY"] == f"Tutoring with {awkward.name}"
    assert parse_vobject(data).vevent.summary.value == f"Tutoring with {awkward.name}"


def test_lines_are_crlf_and_folded_to_75_octets():
    long_name = replace(MAYA, name="Maya " + "ابن " * 40)
    data = request_for(make_session(learner=long_name), AMIRA)
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n"):
        assert b"\n" not in line
        assert len(line) <= 75
    # Folding never splits a UTF-8 character: every line decodes on its own.
    for line in data.split(b"\r\n"):
        line.decode("utf-8")


# --- Instants on clock-change days ---------------------------------------------
#
# Each row: where the volunteer and learner live, the booked UTC instants. Every
# parser must read DTSTART/DTEND back as exactly those instants (the local
# readings are in test_calendar_email.py, where people see them).

NEW_YORK = Person("Nora", "nora@example.org", "en", "America/New_York")
LONDON = Person("Leo", "leo@example.org", "en", "Europe/London")
LORD_HOWE = Person("Lily", "lily@example.org", "en", "Australia/Lord_Howe")

DST_ROWS = [
    # New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT: 01:30 EST until 03:15 EDT.
    (AMIRA, NEW_YORK, "2026-03-08T06:30:00Z", "2026-03-08T07:15:00Z"),
    # New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: the first 01:30 (EDT) ...
    (AMIRA, NEW_YORK, "2026-11-01T05:30:00Z", "2026-11-01T06:15:00Z"),
    # ... and the second 01:30 (EST), which no TZID local time could express.
    (AMIRA, NEW_YORK, "2026-11-01T06:30:00Z", "2026-11-01T07:15:00Z"),
    # London springs forward 2026-03-29 01:00 GMT -> 02:00 BST.
    (LONDON, MAYA, "2026-03-29T00:30:00Z", "2026-03-29T01:15:00Z"),
    # London falls back 2026-10-25 02:00 BST -> 01:00 GMT: the second 01:30.
    (LONDON, MAYA, "2026-10-25T01:30:00Z", "2026-10-25T02:15:00Z"),
    # Lord Howe's half-hour DST ends 2026-04-05 02:00 (+11) -> 01:30 (+10:30): both 01:45s.
    (LORD_HOWE, MAYA, "2026-04-04T14:45:00Z", "2026-04-04T15:30:00Z"),
    (LORD_HOWE, MAYA, "2026-04-04T15:15:00Z", "2026-04-04T16:00:00Z"),
    # Lord Howe's DST starts 2026-10-04 02:00 (+10:30) -> 02:30 (+11).
    (LORD_HOWE, MAYA, "2026-10-03T15:15:00Z", "2026-10-03T16:00:00Z"),
    # A volunteer in Kathmandu (+05:45) at 10:00 local, a learner in New York on its change day.
    (PRIYA, NEW_YORK, "2026-03-08T04:15:00Z", "2026-03-08T05:15:00Z"),
]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("volunteer", "learner", "start", "end"), DST_ROWS)
def test_every_parser_reads_the_booked_instants_on_clock_change_days(volunteer, learner, start, end):
    session = make_session(volunteer=volunteer, learner=learner, start_at=utc(start), end_at=utc(end))
    for recipient in (volunteer, learner):
        for data in (request_for(session, recipient), cancel_for(cancelled(session), recipient)):
            readings = instants_by_parser(data)
            assert readings == {name: [(utc(start), utc(end))] for name in readings}, readings
