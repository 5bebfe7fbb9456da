"""The subscribed feed (SPEC §5, FIELD-NOTES "Feeds"): valid everywhere, byte-stable, cache-friendly."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from calendar_support import (
    AMIRA,
    MAYA,
    SAMI,
    cancelled,
    ical_method,
    instants_by_parser,
    make_session,
    parse_ical,
    parse_icalendar,
    parse_vobject,
)

from tutoring.calendar import etag_for, feed_ics, is_not_modified, last_modified_for
from tutoring.calendar.feed import EPOCH


def week_of_sessions():
    """Amira's week: four sessions, one of them cancelled recently."""
    first = make_session()
    return [
        first,
        make_session(uid="uid-2", start_at=first.start_at + timedelta(days=1), end_at=first.end_at + timedelta(days=1)),
        make_session(uid="uid-3", learner=SAMI, kind="support",
                     start_at=first.start_at + timedelta(days=2), end_at=first.end_at + timedelta(days=2)),
        cancelled(make_session(uid="uid-4", start_at=first.start_at + timedelta(days=3),
                               end_at=first.end_at + timedelta(days=3))),
    ]


def test_the_feed_parses_in_every_parser_with_every_session():
    sessions = week_of_sessions()
    data = feed_ics(AMIRA, sessions)
    readings = instants_by_parser(data)
    expected = sorted((s.start_at, s.end_at) for s in sessions)
    assert readings == {name: expected for name in readings}
    assert [e.uid for e in parse_ical(data).events] == ["6f1c2b1e-5d0c-4f57-9a43-2f9cf0f4a001", "uid-2", "uid-3",
                                                        "uid-4"]


def test_a_feed_is_not_an_invitation():
    data = feed_ics(AMIRA, week_of_sessions())
    assert b"METHOD" not in data
    assert ical_method(data) is None
    assert "method" not in parse_vobject(data).contents
    # No iTIP roles and nobody's address in a calendar that may be shown to others.
    assert b"ORGANIZER" not in data and b"ATTENDEE" not in data and b"mailto:" not in data


def test_refresh_hints_are_present_and_x_wr_timezone_is_not():
    data = feed_ics(AMIRA, week_of_sessions())
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in data
    assert parse_ical(data).refresh_interval == timedelta(hours=1)
    assert b"X-WR-TIMEZONE" not in data and b"TZID" not in data


def test_the_calendar_name_is_in_the_owners_language_unless_given():
    assert parse_icalendar(feed_ics(AMIRA, []))["X-WR-CALNAME"] == "جلسات الدروس"
    assert parse_icalendar(feed_ics(MAYA, []))["X-WR-CALNAME"] == "Tutoring sessions"
    named = parse_icalendar(feed_ics(MAYA, [], "Maya's sessions"))
    assert (named["X-WR-CALNAME"], named["NAME"]) == ("Maya's sessions", "Maya's sessions")


def test_an_empty_feed_is_still_a_valid_calendar():
    data = feed_ics(MAYA, [])
    assert parse_ical(data).events == []
    assert parse_icalendar(data).events == []
    assert parse_vobject(data).name == "VCALENDAR"


def test_each_event_is_titled_for_the_owner_and_support_neutrally():
    data = feed_ics(AMIRA, week_of_sessions())
    summaries = [e.summary for e in parse_ical(data).events]
    assert summaries == ["درس مع Maya", "درس مع Maya", "جلسة مع سامي", "درس مع Maya"]
    learner_view = [e.summary for e in parse_ical(feed_ics(MAYA, week_of_sessions()[:2])).events]
    assert learner_view == ["Tutoring with Amira Hassan"] * 2


def test_cancelled_sessions_stay_as_cancelled_events_so_subscribers_drop_them():
    events = {e.uid: e for e in parse_ical(feed_ics(AMIRA, week_of_sessions())).events}
    assert events["uid-4"].status.value == "CANCELLED"
    assert events["uid-4"].sequence == 1
    assert events["uid-2"].status.value == "CONFIRMED"


def test_dtstamp_is_the_change_instant_not_the_time_of_the_request():
    data = feed_ics(AMIRA, [make_session()])
    assert parse_ical(data).events[0].dtstamp == datetime(2026, 11, 20, 9, 30, 15, tzinfo=UTC)


def test_the_same_sessions_in_any_order_give_the_same_bytes_and_etag():
    sessions = week_of_sessions()
    first = feed_ics(AMIRA, sessions)
    for seed in range(5):
        shuffled = sessions[:]
        random.Random(seed).shuffle(shuffled)
        again = feed_ics(AMIRA, shuffled)
        assert again == first
        assert etag_for(again) == etag_for(first)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: replace(s, sequence=s.sequence + 1, changed_at=s.changed_at + timedelta(hours=1),
                          start_at=s.start_at + timedelta(hours=1), end_at=s.end_at + timedelta(hours=1)),
        lambda s: cancelled(s),
        lambda s: replace(s, meeting_url="https://meet.example.org/new-room"),
        lambda s: replace(s, learner=replace(MAYA, name="Maya B.")),
    ],
    ids=["moved", "cancelled", "new meeting link", "renamed learner"],
)
def test_any_change_gives_a_new_etag(change):
    sessions = week_of_sessions()
    before = feed_ics(AMIRA, sessions)
    after = feed_ics(AMIRA, [change(sessions[0]), *sessions[1:]])
    assert etag_for(after) != etag_for(before)


def test_a_session_leaving_the_feed_gives_a_new_etag():
    sessions = week_of_sessions()
    assert etag_for(feed_ics(AMIRA, sessions)) != etag_for(feed_ics(AMIRA, sessions[:-1]))


def test_the_etag_is_strong_and_quoted():
    tag = etag_for(feed_ics(AMIRA, []))
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert len(tag) == 34


def test_two_sessions_with_one_uid_are_refused():
    with pytest.raises(ValueError, match="UID"):
        feed_ics(AMIRA, [make_session(), make_session(start_at=datetime(2026, 12, 2, 17, tzinfo=UTC),
                                                      end_at=datetime(2026, 12, 2, 18, tzinfo=UTC))])


def test_last_modified_is_the_latest_change_to_the_second():
    sessions = week_of_sessions()
    latest = replace(sessions[1], changed_at=datetime(2026, 11, 25, 8, 0, 0, 999_999, tzinfo=UTC))
    assert last_modified_for([sessions[0], latest, sessions[2]]) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert last_modified_for([]) == EPOCH
    fallback = datetime(2026, 1, 1, tzinfo=UTC)
    assert last_modified_for([], empty=fallback) == fallback


ETAG = '"0123456789abcdef0123456789abcdef"'
MODIFIED = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
HTTP_DATE = "Wed, 25 Nov 2026 08:00:00 GMT"


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "expected"),
    [
        (None, None, False),
        (ETAG, None, True),
        (f"W/{ETAG}", None, True),  # If-None-Match compares weakly
        (f'"other", {ETAG}', None, True),
        ("*", None, True),
        ('"other"', None, False),
        ('"other"', HTTP_DATE, False),  # If-None-Match decides when both are sent
        (None, HTTP_DATE, True),
        (None, "Wed, 25 Nov 2026 09:00:00 GMT", False),  # later than ours: the feed went back, so changed
        (None, "Wed, 25 Nov 2026 07:59:59 GMT", False),
        (None, "not a date", False),
        (None, "", False),
    ],
)
def test_conditional_requests(if_none_match, if_modified_since, expected):
    assert is_not_modified(ETAG, MODIFIED, if_none_match, if_modified_since) is expected
