"""The on-duty rota's pure core (issue 18 part 4): across midnight, zones, DST, nobody on duty."""
from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tutoring.safety.rota import Shift, covers, on_duty, parse_hhmm

SUNDAY, MONDAY, TUESDAY = 6, 0, 1


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


@pytest.mark.parametrize(("instant", "expected"), [
    ("2027-01-10 21:59", False),  # Sunday before the shift (London = UTC in January)
    ("2027-01-10 22:00", True),   # Sunday at the start
    ("2027-01-10 23:59", True),
    ("2027-01-11 00:00", True),   # Monday after midnight: still the Sunday shift
    ("2027-01-11 05:59", True),
    ("2027-01-11 06:00", False),  # the end is not in it
    ("2027-01-11 22:30", False),  # Monday night is not Sunday's shift
    ("2027-01-17 23:00", True),   # next Sunday
])
def test_a_shift_across_midnight_runs_into_the_next_morning(instant, expected):
    shift = Shift(1, SUNDAY, time(22), time(6), "Europe/London")
    assert covers(shift, at(instant)) is expected


def test_saturday_to_sunday_wraps_the_week():
    shift = Shift(1, 5, time(20), time(2), "UTC")
    assert covers(shift, at("2027-01-10 01:00"))  # Sunday 01:00
    assert not covers(shift, at("2027-01-11 01:00"))  # Monday 01:00


def test_hours_are_read_in_the_shifts_own_zone():
    cairo = Shift(1, MONDAY, time(9), time(17), "Africa/Cairo")  # UTC+2 in January
    assert covers(cairo, at("2027-01-11 07:00")) and not covers(cairo, at("2027-01-11 15:30"))
    kathmandu = Shift(2, MONDAY, time(0), time(1), "Asia/Kathmandu")  # UTC+05:45: Sunday 18:15-19:15 UTC
    assert covers(kathmandu, at("2027-01-10 18:15")) and not covers(kathmandu, at("2027-01-10 19:15"))


def test_a_shift_keeps_its_wall_clock_hours_across_dst():
    shift = Shift(1, MONDAY, time(9), time(10), "Europe/London")
    assert covers(shift, at("2027-01-11 09:30"))  # GMT
    assert covers(shift, at("2027-07-05 08:30"))  # BST: 09:30 local
    assert not covers(shift, at("2027-07-05 09:30"))


def test_an_end_equal_to_the_start_is_a_whole_day():
    shift = Shift(1, TUESDAY, time(8), time(8), "UTC")
    assert covers(shift, at("2027-01-12 08:00")) and covers(shift, at("2027-01-13 07:59"))
    assert not covers(shift, at("2027-01-13 08:00"))


def test_on_duty_lists_each_person_once_and_nobody_when_no_shift_covers():
    shifts = [Shift(1, MONDAY, time(9), time(12), "UTC"), Shift(1, MONDAY, time(11), time(13), "UTC"),
              Shift(2, MONDAY, time(11), time(18), "UTC")]
    assert on_duty(shifts, at("2027-01-11 11:30")) == [1, 2]
    assert on_duty(shifts, at("2027-01-11 20:00")) == []
    assert on_duty([], at("2027-01-11 11:30")) == []


@pytest.mark.parametrize(("text", "expected"), [("22:30", time(22, 30)), ("00:00", time(0)), ("24:00", None),
                                                 ("7:00", None), ("12:60", None), ("ab:cd", None), ("", None)])
def test_hours_are_hh_mm(text, expected):
    assert parse_hhmm(text) == expected
