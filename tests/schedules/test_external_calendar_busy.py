"""Reading busy time from iCalendar text (tutoring.calendar.busy) and how the scheduling core treats it.

Pure: no app, no database. Expected instants are written out in UTC.
"""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tutoring.calendar.busy import Interval, TooBusy, UnreadableCalendar, busy_intervals, merge, split_long
from tutoring.scheduling import Availability, Busy, ExternalBusy, SessionSettings, WeeklyRule, slots_between


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def calendar(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\r\nUID:{index}@test\r\nDTSTAMP:20261101T000000Z\r\n{event.strip()}\r\nEND:VEVENT\r\n"
                   for index, event in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


def lines(*parts: str) -> str:
    return "\r\n".join(parts)


START, END = utc("2026-12-01 00:00"), utc("2026-12-29 00:00")
LONDON = "Europe/London"


def test_a_utc_event_is_busy_exactly_then():
    ics = calendar(lines("DTSTART:20261202T100000Z", "DTEND:20261202T113000Z"))
    assert busy_intervals([ics], START, END, LONDON) == [Interval(utc("2026-12-02 10:00"), utc("2026-12-02 11:30"))]


def test_a_weekly_event_in_new_york_is_busy_each_week_at_new_york_time():
    ics = calendar(lines(
        "DTSTART;TZID=America/New_York:20261201T090000",
        "DTEND;TZID=America/New_York:20261201T100000",
        "RRULE:FREQ=WEEKLY;COUNT=3",
    ))
    # 09:00 in New York in December is 14:00 UTC.
    assert busy_intervals([ics], START, END, LONDON) == [
        Interval(utc("2026-12-01 14:00"), utc("2026-12-01 15:00")),
        Interval(utc("2026-12-08 14:00"), utc("2026-12-08 15:00")),
        Interval(utc("2026-12-15 14:00"), utc("2026-12-15 15:00")),
    ]


def test_a_recurring_event_keeps_its_local_time_across_a_clock_change():
    ics = calendar(lines(
        "DTSTART;TZID=America/New_York:20270301T090000",
        "DTEND;TZID=America/New_York:20270301T100000",
        "RRULE:FREQ=WEEKLY;COUNT=3",
    ))
    found = busy_intervals([ics], utc("2027-03-01 00:00"), utc("2027-03-31 00:00"), LONDON)
    # New York springs forward on 14 March 2027: 09:00 is 14:00 UTC before, 13:00 UTC after.
    assert [interval.start_at for interval in found] == [
        utc("2027-03-01 14:00"), utc("2027-03-08 14:00"), utc("2027-03-15 13:00"),
    ]


def test_exceptions_and_moved_occurrences_of_a_series_are_honoured():
    series = lines(
        "DTSTART;TZID=Europe/London:20261201T180000",
        "DTEND;TZID=Europe/London:20261201T190000",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "EXDATE;TZID=Europe/London:20261208T180000",
    )
    moved = lines(
        "RECURRENCE-ID;TZID=Europe/London:20261215T180000",
        "DTSTART;TZID=Europe/London:20261215T200000",
        "DTEND;TZID=Europe/London:20261215T210000",
    )
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
           f"BEGIN:VEVENT\r\nUID:series@test\r\nDTSTAMP:20261101T000000Z\r\n{series}\r\nEND:VEVENT\r\n"
           f"BEGIN:VEVENT\r\nUID:series@test\r\nDTSTAMP:20261101T000000Z\r\n{moved}\r\nEND:VEVENT\r\n"
           "END:VCALENDAR\r\n")
    assert [i.start_at for i in busy_intervals([ics], START, END, LONDON)] == [
        utc("2026-12-01 18:00"), utc("2026-12-15 20:00"), utc("2026-12-22 18:00"),
    ]


def test_free_and_cancelled_events_make_nobody_busy_but_tentative_ones_do():
    ics = calendar(
        lines("DTSTART:20261202T100000Z", "DTEND:20261202T110000Z", "TRANSP:TRANSPARENT"),
        lines("DTSTART:20261203T100000Z", "DTEND:20261203T110000Z", "STATUS:CANCELLED"),
        lines("DTSTART:20261204T100000Z", "DTEND:20261204T110000Z", "STATUS:TENTATIVE"),
    )
    assert busy_intervals([ics], START, END, LONDON) == [Interval(utc("2026-12-04 10:00"), utc("2026-12-04 11:00"))]


def test_an_all_day_event_is_the_whole_local_day_of_the_volunteer():
    ics = calendar(lines("DTSTART;VALUE=DATE:20261203", "DTEND;VALUE=DATE:20261204"))
    # In Sydney (UTC+11 in December) 3 December is 2 Dec 13:00 UTC to 3 Dec 13:00 UTC.
    assert busy_intervals([ics], START, END, "Australia/Sydney") == [
        Interval(utc("2026-12-02 13:00"), utc("2026-12-03 13:00"))
    ]
    assert busy_intervals([ics], START, END, LONDON) == [Interval(utc("2026-12-03 00:00"), utc("2026-12-04 00:00"))]


def test_an_all_day_event_without_an_end_lasts_one_day_and_a_timed_one_without_an_end_nothing():
    ics = calendar(lines("DTSTART;VALUE=DATE:20261203"), lines("DTSTART:20261210T100000Z"))
    assert busy_intervals([ics], START, END, LONDON) == [Interval(utc("2026-12-03 00:00"), utc("2026-12-04 00:00"))]


def test_a_long_all_day_event_is_cut_into_pieces_of_at_most_a_day():
    ics = calendar(lines("DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261227"))
    found = busy_intervals([ics], START, END, LONDON)
    assert found == [
        Interval(utc("2026-12-24 00:00"), utc("2026-12-25 00:00")),
        Interval(utc("2026-12-25 00:00"), utc("2026-12-26 00:00")),
        Interval(utc("2026-12-26 00:00"), utc("2026-12-27 00:00")),
    ]


def test_floating_times_are_read_in_the_volunteers_zone():
    ics = calendar(lines("DTSTART:20261202T100000", "DTEND:20261202T110000"))
    assert busy_intervals([ics], START, END, "Asia/Kathmandu") == [
        Interval(utc("2026-12-02 04:15"), utc("2026-12-02 05:15"))
    ]


def test_a_custom_vtimezone_is_used_for_its_tzid():
    ics = lines(
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
        "BEGIN:VTIMEZONE", "TZID:Office Time",
        "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0300", "TZOFFSETTO:+0300", "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT", "UID:x@test", "DTSTAMP:20261101T000000Z",
        "DTSTART;TZID=Office Time:20261202T100000", "DTEND;TZID=Office Time:20261202T110000",
        "END:VEVENT", "END:VCALENDAR", "",
    )
    assert busy_intervals([ics], START, END, LONDON) == [Interval(utc("2026-12-02 07:00"), utc("2026-12-02 08:00"))]


def test_events_outside_the_range_are_left_out_and_those_across_its_edges_are_clipped():
    ics = calendar(
        lines("DTSTART:20261130T230000Z", "DTEND:20261201T010000Z"),
        lines("DTSTART:20261120T100000Z", "DTEND:20261120T110000Z"),
        lines("DTSTART:20270105T100000Z", "DTEND:20270105T110000Z"),
    )
    assert busy_intervals([ics], START, END, LONDON) == [Interval(utc("2026-12-01 00:00"), utc("2026-12-01 01:00"))]


def test_several_calendars_are_merged_into_one_sorted_list():
    first = calendar(lines("DTSTART:20261202T100000Z", "DTEND:20261202T110000Z"))
    second = calendar(lines("DTSTART:20261202T103000Z", "DTEND:20261202T120000Z"),
                      lines("DTSTART:20261201T080000Z", "DTEND:20261201T090000Z"))
    assert busy_intervals([first, second.encode()], START, END, LONDON) == [
        Interval(utc("2026-12-01 08:00"), utc("2026-12-01 09:00")),
        Interval(utc("2026-12-02 10:00"), utc("2026-12-02 12:00")),
    ]


def test_copies_of_our_own_sessions_are_not_busy_time():
    ics = calendar(
        lines("DTSTART:20261202T100000Z", "DTEND:20261202T110000Z"),
    ).replace("UID:0@test", "UID:5f1c@Tutoring.Example.org")
    other = calendar(lines("DTSTART:20261203T100000Z", "DTEND:20261203T110000Z"))
    found = busy_intervals([ics, other], START, END, LONDON, own_uid_domain="tutoring.example.org")
    assert found == [Interval(utc("2026-12-03 10:00"), utc("2026-12-03 11:00"))]
    assert len(busy_intervals([ics, other], START, END, LONDON)) == 2


@pytest.mark.parametrize("text", ["", "hello", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", "<html>not found</html>"])
def test_text_that_is_no_calendar_is_refused(text):
    with pytest.raises(UnreadableCalendar):
        busy_intervals([text], START, END, LONDON)


def test_an_absurd_number_of_busy_times_is_refused():
    ics = calendar(lines("DTSTART:20261201T000000Z", "DTEND:20261201T000030Z", "RRULE:FREQ=MINUTELY"))
    with pytest.raises(TooBusy):
        busy_intervals([ics], START, END, LONDON)


def test_merge_joins_touching_and_overlapping_intervals_and_split_long_cuts_at_a_day():
    a = Interval(utc("2026-12-01 10:00"), utc("2026-12-01 11:00"))
    b = Interval(utc("2026-12-01 11:00"), utc("2026-12-03 12:00"))
    merged = merge([b, a])
    assert merged == [Interval(utc("2026-12-01 10:00"), utc("2026-12-03 12:00"))]
    assert split_long(merged) == [
        Interval(utc("2026-12-01 10:00"), utc("2026-12-02 10:00")),
        Interval(utc("2026-12-02 10:00"), utc("2026-12-03 10:00")),
        Interval(utc("2026-12-03 10:00"), utc("2026-12-03 12:00")),
    ]


# --- the scheduling core ------------------------------------------------------------------------

NOW = utc("2026-11-30 00:00")
# Tuesdays 09:00-12:00 in London: slots of 45 minutes every hour (15 minutes buffer).
AVAILABILITY = Availability(
    timezone=LONDON,
    settings=SessionSettings(session_minutes=45, buffer_minutes=15, min_notice_hours=0, horizon_days=56,
                             max_sessions_per_week=1),
    rules=(WeeklyRule(1, time(9), time(12)),),
)
UNCAPPED = Availability(timezone=LONDON, settings=SessionSettings(min_notice_hours=0), rules=AVAILABILITY.rules)
TUESDAY = (utc("2026-12-01 00:00"), utc("2026-12-02 00:00"))


def starts(busy, availability=AVAILABILITY) -> list[str]:
    return [slot.start_at.strftime("%H:%M") for slot in slots_between(availability, busy, *TUESDAY, NOW)]


def test_external_busy_time_removes_exactly_the_slots_it_overlaps_without_a_buffer():
    assert starts([], UNCAPPED) == ["09:00", "10:00", "11:00"]
    # 09:45-10:00 touches the 09:00 slot's end and the 10:00 slot's start: both stay.
    touching = [ExternalBusy(utc("2026-12-01 09:45"), utc("2026-12-01 10:00"))]
    assert starts(touching, UNCAPPED) == ["09:00", "10:00", "11:00"]
    assert starts([ExternalBusy(utc("2026-12-01 10:30"), utc("2026-12-01 10:31"))], UNCAPPED) == ["09:00", "11:00"]
    # A booking there would be widened by the 15-minute buffer and so take 09:00 too.
    assert starts([Busy(utc("2026-12-01 09:45"), utc("2026-12-01 10:00"))], UNCAPPED) == ["11:00"]


def test_external_busy_time_never_counts_toward_the_weekly_cap():
    busy = [ExternalBusy(utc("2026-11-30 09:00"), utc("2026-11-30 10:00")),
            ExternalBusy(utc("2026-12-01 11:00"), utc("2026-12-01 11:30"))]
    assert starts(busy) == ["09:00", "10:00"]


def test_external_busy_time_from_the_day_before_still_blocks():
    busy = [ExternalBusy(utc("2026-11-30 12:00"), utc("2026-12-01 10:10"))]
    assert starts(busy) == ["11:00"]
