"""A feed assembled from remembered event blocks is byte for byte the calendar icalendar writes whole.

``whole_feed`` below is how ``feed_ics`` wrote feeds before blocks: one
``Calendar`` with every event, ``add_timezones``, ``to_ical``. Every feed
here must equal it, whether its blocks were just written or remembered.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from calendar_support import people_from, sessions_of, AMIRA, MAYA, PRIYA, SAMI, cancelled, make_session
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, vDuration, vText
from icalendar.parser.string import _foldline

import tutoring.calendar.feed as feed_module
from tutoring.calendar import Person, add_timezones, feed_ics, translations_for
from tutoring.calendar.event import PRODID, _text, event_ics, fold, session_event
from tutoring.calendar.feed import DEFAULT_CALNAME, REFRESH, event_blocks, tzids_in
from tutoring.lru import LRU


def whole_feed(owner, sessions, calname=None, translate=None, event=session_event) -> bytes:
    """The feed as one icalendar ``Calendar`` (the writer before blocks)."""
    translate = translate or translations_for(owner.language)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    name = calname if calname is not None else translate(DEFAULT_CALNAME)
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for session in sorted(sessions, key=lambda s: (s.start_at, s.uid)):
        calendar.add_component(event(session, owner, translate))
    return add_timezones(calendar).to_ical()


@pytest.fixture(autouse=True)
def _no_blocks_remembered():
    event_blocks.clear()
    yield
    event_blocks.clear()


LONG_ARABIC = "عبد الرحمن بن محمد بن عبد الله الهاشمي القرشي المكي ثم المدني رحمه الله"
KATHMANDU = Person(LONG_ARABIC, "abd@example.org", "ar", "Asia/Kathmandu")
LORD_HOWE = Person("Zoë \\ O'Brien; Smith, Jr. ^caret^ 🎓" * 2, "zoe@example.org", "en", "Australia/Lord_Howe")
PEOPLE = [AMIRA, MAYA, SAMI, PRIYA, KATHMANDU, LORD_HOWE]


def varied_sessions() -> list:
    """Live and cancelled, one-to-one and group (no learner), every kind, series, long names, odd links."""
    first = make_session()
    sessions = []
    for index in range(36):
        volunteer = PEOPLE[index % len(PEOPLE)]
        learner = None if index % 7 == 3 else PEOPLE[(index + 1 + index // len(PEOPLE)) % len(PEOPLE)]
        if learner == volunteer:
            learner = MAYA if volunteer != MAYA else AMIRA
        start = first.start_at + timedelta(days=index, hours=index % 5)
        session = make_session(
            uid=f"booking-{index:03d}-6f1c2b1e-5d0c-4f57-9a43-2f9cf0f4a0{index:02d}",
            sequence=index % 4,
            start_at=start,
            end_at=start + timedelta(minutes=30 + 15 * (index % 4)),
            kind=["tutoring", "mentoring", "support", "something-new"][index % 4],
            url=f"https://tutoring.example.org/{'groups' if learner is None else 'bookings'}/{1000 + index}",
            meeting_url=None if index % 6 == 5 else f"https://meet.example.org/r-{index},x;y?a=b&c=d" * (index % 3 + 1),
            volunteer=volunteer,
            learner=learner,
            series_id=index // 5 if index % 2 else None,
            changed_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC) + timedelta(seconds=index * 61),
        )
        sessions.append(cancelled(session) if index % 5 == 2 else session)
    return sessions


@pytest.mark.parametrize("owner", PEOPLE, ids=lambda p: f"{p.language}-{p.timezone}")
def test_a_feed_of_blocks_is_the_whole_calendar_written_at_once(owner):
    sessions = varied_sessions()
    mine = [s for s in sessions if owner in (s.volunteer, s.learner)]
    assert mine, "every owner has sessions"
    expected = whole_feed(owner, mine)
    assert feed_ics(owner, mine) == expected  # blocks written now
    assert feed_ics(owner, list(reversed(mine))) == expected  # and remembered
    # Everyone's feed from the same blocks cache, then again: still their own bytes.
    assert feed_ics(owner, sessions) == whole_feed(owner, sessions)
    assert feed_ics(owner, sessions) == whole_feed(owner, sessions)


def test_names_translations_and_empty_feeds_match_too():
    sessions = varied_sessions()
    for owner in PEOPLE:
        assert feed_ics(owner, []) == whole_feed(owner, [])
        assert feed_ics(owner, sessions[:5], LONG_ARABIC) == whole_feed(owner, sessions[:5], LONG_ARABIC)
        english = translations_for("en")
        assert feed_ics(owner, sessions[:5], translate=english) == whole_feed(owner, sessions[:5], translate=english)


def test_an_owner_seen_in_another_language_or_as_the_other_party_gets_other_blocks():
    session = make_session()
    for viewer in (AMIRA, MAYA, replace(AMIRA, language="en"), replace(MAYA, language="ar")):
        assert feed_ics(viewer, [session]) == whole_feed(viewer, [session])


def test_a_changed_session_writes_only_its_own_event(monkeypatch):
    sessions = varied_sessions()
    feed_ics(MAYA, sessions)
    written = []

    def counting(session, viewer, translate):
        written.append(session.uid)
        return event_ics(session, viewer, translate)

    monkeypatch.setattr(feed_module, "event_ics", counting)
    changed = replace(sessions[4], sequence=sessions[4].sequence + 1, changed_at=sessions[4].changed_at + timedelta(1))
    renamed = replace(sessions[9], volunteer=replace(sessions[9].volunteer, name="Someone Else"))
    after = [changed if s is sessions[4] else renamed if s is sessions[9] else s for s in sessions]
    assert feed_ics(MAYA, after) == whole_feed(MAYA, after)
    assert written == [sessions[4].uid, sessions[9].uid]


def test_a_translate_passed_in_is_not_remembered():
    shouting = feed_ics(MAYA, [make_session()], translate=lambda message: message.replace("Tutoring", "TUTORING"))
    assert b"SUMMARY:TUTORING with Amira" in shouting
    assert len(event_blocks) == 0
    assert feed_ics(MAYA, [make_session()]) == whole_feed(MAYA, [make_session()])


def test_events_with_local_times_bring_exactly_their_zones(monkeypatch):
    """Events are in UTC today; should one name a TZID, its VTIMEZONE comes along, as ``add_timezones`` adds it."""
    def local_event(session, viewer, translate):
        event = session_event(session, viewer, translate)
        zone = ZoneInfo(session.volunteer.timezone)
        event.pop("DTSTART")
        event.add("DTSTART", session.start_at.astimezone(zone))
        return event

    monkeypatch.setattr(feed_module, "event_ics", lambda *args: local_event(*args).to_ical())
    sessions = varied_sessions()
    data = feed_ics(MAYA, sessions)
    assert data == whole_feed(MAYA, sessions, event=local_event)
    for zone in ("Asia/Kathmandu", "Australia/Lord_Howe", "Africa/Cairo"):
        assert f"BEGIN:VTIMEZONE\r\nTZID:{zone}\r\n".encode() in data
    assert data.count(b"BEGIN:VTIMEZONE") == len({s.volunteer.timezone for s in sessions})
    lone = [s for s in sessions if s.volunteer == KATHMANDU][:1]
    assert feed_ics(MAYA, lone).count(b"BEGIN:VTIMEZONE") == 1


def test_the_blocks_are_bounded_least_recently_used_first():
    blocks = LRU(2)
    blocks.put(("a",), "A")
    blocks.put(("b",), "B")
    assert blocks.get(("a",)) == "A"
    blocks.put(("c",), "C")
    assert (blocks.get(("a",)), blocks.get(("b",)), blocks.get(("c",)), len(blocks)) == ("A", None, "C", 2)


# --- Folding and writing components --------------------------------------------

lines = st.text(
    st.sampled_from("a\\^;,:\" é") | st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=400,
)


@given(lines)
@settings(max_examples=400, deadline=None)
def test_folding_is_icalendars(line):
    assert fold(line) == _foldline(line).encode() + b"\r\n"


@pytest.mark.parametrize("line", [
    "x" * 74, "x" * 75, "x" * 148, "x" * 149, "x" * 73 + "\\n" + "y" * 80, "x" * 73 + "^n" + "y" * 80,
    "\\" * 200, "^" * 200, "ب" * 37, "ب" * 38, "x" + "ب" * 37, "🎓" * 19, "x" * 72 + "🎓" * 30, "",
])
def test_folding_at_the_edges_is_icalendars(line):
    assert fold(line) == _foldline(line).encode() + b"\r\n"


# --- Writing one event ----------------------------------------------------------

names = st.text(max_size=60) | st.sampled_from([LONG_ARABIC, "a\\Nb", "x;y,z\\", "^n" * 40, "🎓" * 30])
people = people_from(names, ["amira@example.org", "maya@example.org", "AMIRA@example.org", "x@example.org"])
sessions = sessions_of(people)


@given(sessions, people, st.sampled_from(["volunteer", "learner", "someone"]), st.sampled_from(["ar", "en"]))
@settings(max_examples=300, deadline=None)
def test_an_event_written_directly_is_the_event_icalendar_writes(session, someone, who, language):
    viewer = {"volunteer": session.volunteer, "learner": session.learner or someone, "someone": someone}[who]
    translate = translations_for(language)
    assert event_ics(session, viewer, translate) == session_event(session, viewer, translate).to_ical()


def test_zones_are_found_in_tzid_parameters_only():
    block = (b'BEGIN:VEVENT\r\nSUMMARY:TZID=Europe/Paris\r\nDTSTART;X-A="a:b;TZID=x";tzid=Asia/Kath\r\n mandu:2026\r\n'
             b'DTEND;TZID="America/New_York":20261201T120000\r\nDTSTAMP;TZID=UTC:20261201T120000\r\nEND:VEVENT\r\n')
    assert tzids_in(block) == {"Asia/Kathmandu", "America/New_York"}
    assert tzids_in(event_ics(make_session(), MAYA)) == frozenset()


@given(st.text(st.sampled_from("\\;,\r\nNn a") | st.characters(blacklist_categories=("Cs",)), max_size=80))
@settings(max_examples=300, deadline=None)
def test_text_is_escaped_as_vtext_escapes_it(value):
    assert _text(value) == vText(value).to_ical().decode()
