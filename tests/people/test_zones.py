"""One zone list for every picker, and one forgiving reader of a typed zone (issue 17: no second copy)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tutoring.calendar.text import zone_label, zone_label_at_offset
from tutoring.services.people.zones import offered_zone_names, zone_choices, zone_from_text
from tutoring.volunteers.markup import zone_datalist


def test_the_search_datalist_offers_exactly_the_sign_up_pickers_zones():
    options = str(zone_datalist())
    assert options.count("<option") == len(zone_choices()) == len(offered_zone_names())
    assert '<option value="Asia/Kathmandu">' in options
    assert "Asia/Katmandu" not in options  # old names are accepted when typed, not offered


@pytest.mark.parametrize(("typed", "expected"), [
    ("Asia/Kathmandu", "Asia/Kathmandu"),
    ("  asia/kathmandu ", "Asia/Kathmandu"),
    ("America/New York", "America/New_York"),
    ("Asia/Katmandu", "Asia/Kathmandu"),  # an old name is read as the picker's
    ("asia/calcutta", "Asia/Kolkata"),
    ("UTC", "UTC"),
    ("Mars/Olympus_Mons", None),
    ("", None),
])
def test_a_typed_zone_is_read_forgivingly_and_named_as_the_picker_names_it(typed, expected):
    assert zone_from_text(typed) == expected


def test_the_label_at_an_offset_is_the_label_pages_and_invites_show():
    at = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert zone_label("Asia/Kathmandu", at, "en") == zone_label_at_offset("Asia/Kathmandu", timedelta(hours=5, minutes=45), "en")
    assert zone_label_at_offset("Etc/UTC", timedelta(0), "en") == "Coordinated Universal Time (UTC)"
    assert zone_label_at_offset("Etc/GMT-3", timedelta(hours=3), "en") == "UTC+03:00"
