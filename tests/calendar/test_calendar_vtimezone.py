"""VTIMEZONE guard: cached per zone, one for every TZID, readable by parsers that use it."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from calendar_support import instants_by_parser
from icalendar import Calendar, Event

from tutoring.calendar import add_timezones, vtimezone_for
from tutoring.calendar.vtimezone import FIRST_DATE, LAST_DATE, observances


def local_event_calendar(*starts: datetime) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", "-//tutoring//tests//EN")
    calendar.add("VERSION", "2.0")
    for number, start in enumerate(starts):
        event = Event.new(uid=f"local-{number}", stamp=datetime(2026, 1, 1, tzinfo=UTC), start=start,
                          end=start.replace(hour=start.hour + 1))
        calendar.add_component(event)
    return calendar


def test_a_zone_is_built_once_and_then_shared():
    assert vtimezone_for("Asia/Kathmandu") is vtimezone_for("Asia/Kathmandu")
    assert vtimezone_for("Asia/Kathmandu")["TZID"] == "Asia/Kathmandu"


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValueError):
        vtimezone_for("Mars/Olympus_Mons")


def test_every_tzid_gets_one_vtimezone_in_a_stable_order_before_the_events():
    calendar = local_event_calendar(
        datetime(2026, 4, 5, 9, 0, tzinfo=ZoneInfo("Australia/Lord_Howe")),
        datetime(2026, 3, 8, 10, 0, tzinfo=ZoneInfo("Asia/Kathmandu")),
        datetime(2026, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Kathmandu")),
    )
    add_timezones(calendar)
    assert calendar.get_missing_tzids() == set()
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE", "VTIMEZONE", "VEVENT", "VEVENT", "VEVENT"]
    assert [tz["TZID"] for tz in calendar.timezones] == ["Asia/Kathmandu", "Australia/Lord_Howe"]
    before = calendar.to_ical()
    assert add_timezones(calendar).to_ical() == before  # nothing left to add


def test_onsets_are_written_in_the_offset_before_the_change():
    # RFC 5545 §3.6.5: DTSTART is local time in TZOFFSETFROM. New York's
    # summer time starts at 02:00 EST and ends at 02:00 EDT.
    text = vtimezone_for("America/New_York").to_ical().decode()
    assert "RDATE:20260308T020000\r\n" in text
    assert "RDATE:20261101T020000\r\n" in text
    howe = vtimezone_for("Australia/Lord_Howe").to_ical().decode()
    assert "RDATE:20260405T020000\r\n" in howe  # 02:00 at +11:00 back to 01:30 at +10:30
    assert "RDATE:20261004T020000\r\n" in howe  # 02:00 at +10:30 on to 02:30 at +11:00


@pytest.mark.parametrize(
    "zone",
    # The zones whose changes come closest together (6.9 days), and the odd ones.
    ["America/Cambridge_Bay", "Asia/Gaza", "America/Asuncion", "Africa/Casablanca", "Australia/Lord_Howe"],
)
def test_the_coarse_search_finds_what_a_six_hourly_search_finds(zone):
    tzinfo = ZoneInfo(zone)
    assert observances(tzinfo, FIRST_DATE, LAST_DATE) == observances(tzinfo, FIRST_DATE, LAST_DATE, stride=6 * 3600)


@pytest.mark.parametrize(
    ("zone", "local", "expected_utc"),
    [
        # vobject applies the embedded VTIMEZONE: these readings depend on its onsets.
        ("Australia/Lord_Howe", datetime(2026, 4, 5, 9, 0), datetime(2026, 4, 4, 22, 30, tzinfo=UTC)),
        ("Australia/Lord_Howe", datetime(2026, 1, 5, 9, 0), datetime(2026, 1, 4, 22, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 3, 8, 3, 0), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        ("Europe/London", datetime(2026, 10, 25, 9, 0), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
        ("Asia/Kathmandu", datetime(2026, 3, 8, 10, 0), datetime(2026, 3, 8, 4, 15, tzinfo=UTC)),
    ],
)
def test_parsers_reading_the_vtimezone_find_the_same_instant(zone, local, expected_utc):
    calendar = add_timezones(local_event_calendar(local.replace(tzinfo=ZoneInfo(zone))))
    readings = instants_by_parser(calendar.to_ical())
    assert {name: starts[0][0] for name, starts in readings.items()} == {name: expected_utc for name in readings}
