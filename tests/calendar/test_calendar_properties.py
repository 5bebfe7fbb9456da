"""Properties: for any session in any zones, every parser reads back exactly the booked instants."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from calendar_support import ORGANIZER_EMAIL, instants_by_parser, make_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from tutoring.calendar import Person, add_timezones, etag_for, feed_ics, invite_email, invite_ics

# "Factory" is tzdata's placeholder for "zone not set" (named "-00"); vobject cannot read it.
ALL_ZONES = sorted(available_timezones() - {"Factory"})
TRICKY_ZONES = [
    "America/New_York", "Europe/London", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham",
    "Africa/Casablanca", "America/Havana", "Asia/Beirut", "Europe/Dublin", "America/Santiago", "UTC",
]
zones = st.sampled_from(TRICKY_ZONES) | st.sampled_from(ALL_ZONES)

# Whole-second instants from 2000 to 2049, biased towards 2026's clock changes.
CHANGE_DAYS = [datetime(2026, m, d, tzinfo=UTC) for m, d in
               [(3, 8), (3, 29), (4, 5), (9, 27), (10, 4), (10, 25), (11, 1), (2, 15)]]
instants = st.one_of(
    st.builds(lambda day, seconds: day + timedelta(seconds=seconds),
              st.sampled_from(CHANGE_DAYS), st.integers(-2 * 86400, 2 * 86400)),
    st.integers(int(datetime(2000, 1, 2, tzinfo=UTC).timestamp()), int(datetime(2049, 12, 1, tzinfo=UTC).timestamp()))
    .map(lambda seconds: datetime.fromtimestamp(seconds, UTC)),
)
durations = st.integers(1, 24 * 60 * 60)
people = st.builds(
    Person,
    name=st.text(min_size=1, max_size=30).filter(str.strip),
    email=st.from_regex(r"[a-z]{1,10}@[a-z]{1,10}\.example", fullmatch=True),
    language=st.sampled_from(["ar", "en"]),
    timezone=zones,
)


@st.composite
def sessions(draw):
    volunteer = draw(people)
    learner = draw(people.filter(lambda p: p.email != volunteer.email))
    start = draw(instants)
    return make_session(
        uid=draw(st.uuids()).hex,
        sequence=draw(st.integers(0, 1000)),
        start_at=start,
        end_at=start + timedelta(seconds=draw(durations)),
        status=draw(st.sampled_from(["confirmed", "cancelled"])),
        kind=draw(st.sampled_from(["tutoring", "mentoring", "support"])),
        volunteer=volunteer,
        learner=learner,
    )


def same_everywhere(data: bytes, expected: list[tuple[datetime, datetime]]) -> None:
    readings = instants_by_parser(data)
    assert readings == {name: sorted(expected) for name in readings}, readings


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), st.booleans())
def test_every_parser_reads_an_invites_instants_as_booked(session, to_volunteer):
    recipient = session.volunteer if to_volunteer else session.learner
    method = "CANCEL" if session.is_cancelled else "REQUEST"
    same_everywhere(invite_ics(session, method, ORGANIZER_EMAIL, recipient=recipient),
                    [(session.start_at, session.end_at)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), st.booleans())
def test_every_invite_email_carries_the_same_instants_and_a_matching_method(session, to_volunteer):
    recipient = session.volunteer if to_volunteer else session.learner
    change = "cancelled" if session.is_cancelled else "booked"
    message = invite_email(session, recipient, change, organizer_email=ORGANIZER_EMAIL)
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            data = part.get_payload(decode=True)
            same_everywhere(data, [(session.start_at, session.end_at)])
            expected_method = "CANCEL" if session.is_cancelled else "REQUEST"
            assert f"\r\nMETHOD:{expected_method}\r\n".encode() in data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sessions(), max_size=6, unique_by=lambda s: s.uid), st.randoms(use_true_random=False))
def test_a_feed_holds_every_instant_and_its_bytes_ignore_input_order(many, random):
    owner = many[0].volunteer if many else Person("Owner", "owner@example.org", "en", "UTC")
    data = feed_ics(owner, many)
    same_everywhere(data, [(s.start_at, s.end_at) for s in many])
    shuffled = many[:]
    random.shuffle(shuffled)
    assert etag_for(feed_ics(owner, shuffled)) == etag_for(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones, instants)
def test_a_local_time_with_our_vtimezone_reads_as_zoneinfo_reads_it(zone, instant):
    # The guard for any future TZID use: vobject applies the VTIMEZONE we
    # embed (icalendar and ical use their own zone data), so all three agree
    # only if our VTIMEZONE matches zoneinfo to the second.
    # Both ends are real instants, so their wall times exist (parsers differ
    # on times inside a gap: dateutil reads them after it, RFC 5545 before).
    start = instant.astimezone(ZoneInfo(zone))
    end = (instant + timedelta(minutes=45)).astimezone(ZoneInfo(zone))
    calendar = Calendar()
    calendar.add("PRODID", "-//tutoring//tests//EN")
    calendar.add("VERSION", "2.0")
    event = Event()  # not Event.new: it compares same-zone wall times, and across a fall-back end < start
    event.add("UID", "x")
    event.add("DTSTAMP", instant)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    calendar.add_component(event)
    data = add_timezones(calendar).to_ical()
    assert calendar.get_missing_tzids() == set()
    # A wall time that occurs twice means its first occurrence (RFC 5545
    # §3.3.5), which is zoneinfo's fold=0.
    same_everywhere(data, [(start.replace(fold=0).astimezone(UTC), end.replace(fold=0).astimezone(UTC))])
