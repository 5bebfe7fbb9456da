"""Babel formatting wrapped once (tutoring/formatting.py) and the page-or-fragment helper (tutoring/htmx.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tutoring.formatting import (
    format_day,
    format_day_range,
    format_instant,
    format_offset,
    format_time,
    language_name,
    utc_iso,
    zone_city,
    zone_label,
)
from tutoring.htmx import is_fragment_request

JANUARY = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)
JULY = datetime(2027, 7, 12, 16, 0, tzinfo=UTC)


def plain(text: str) -> str:
    """Babel's narrow and thin spaces as plain ones."""
    return text.replace("\u202f", " ").replace("\u2009", " ")


@pytest.mark.parametrize(
    ("zone", "language", "at", "expected"),
    [
        ("Asia/Kathmandu", "en", JANUARY, "Kathmandu time (UTC+05:45)"),
        ("Asia/Kathmandu", "ar", JANUARY, "توقيت كاتماندو (UTC+05:45)"),
        ("Asia/Katmandu", "en", JANUARY, "Kathmandu time (UTC+05:45)"),  # the old name Chromium reports
        ("Asia/Calcutta", "ar", JANUARY, "توقيت كالكتا (UTC+05:30)"),
        ("Asia/Kolkata", "en", JANUARY, "Kolkata time (UTC+05:30)"),
        ("Africa/Cairo", "ar", JANUARY, "توقيت القاهرة (UTC+02:00)"),
        ("Africa/Cairo", "en", JULY, "Cairo time (UTC+03:00)"),  # Egypt's summer time
        ("America/St_Johns", "en", JANUARY, "St. John’s time (UTC-03:30)"),
        ("America/New_York", "en", JULY, "New York time (UTC-04:00)"),
        ("Pacific/Chatham", "en", JANUARY, "Chatham time (UTC+13:45)"),
        ("America/Argentina/Buenos_Aires", "ar", JANUARY, "توقيت بوينوس أيرس (UTC-03:00)"),
        ("UTC", "en", JANUARY, "Coordinated Universal Time (UTC)"),
        ("Etc/UTC", "ar", JANUARY, "التوقيت العالمي المنسق (UTC)"),
        ("Etc/GMT+5", "en", JANUARY, "UTC-05:00"),
    ],
)
def test_zone_label_names_the_place_and_the_offset(app, zone, language, at, expected):
    """The offset is ours and exact; the place comes from CLDR, whose wording moves between Babel
    releases ("Chatham time" became "Chatham Islands time"), so only the place's name must be there."""
    with app.test_request_context(headers={"Accept-Language": language}):
        label = zone_label(zone, at=at)
    if "(" not in expected:
        assert label == expected
        return
    place, offset = expected.removesuffix(")").rsplit(" (", 1)
    place = place.removeprefix("توقيت ").removesuffix(" time")
    assert label.endswith(f" ({offset})"), label
    assert place in label, label


def test_zone_label_in_a_locale_other_than_the_requests(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert zone_label("Asia/Riyadh", locale="ar", at=JANUARY) == "توقيت الرياض (UTC+03:00)"
        assert zone_label("Asia/Riyadh", at=JANUARY) == "Riyadh time (UTC+03:00)"  # and back


def test_zone_city_falls_back_to_the_zones_own_name():
    assert zone_city("America/Argentina/La_Rioja", "en") == "La Rioja"
    assert zone_city("Asia/Tokyo", "ar") == "طوكيو"


@pytest.mark.parametrize(
    ("minutes", "expected"), [(0, "UTC+00:00"), (345, "UTC+05:45"), (-210, "UTC-03:30"), (-600, "UTC-10:00")]
)
def test_format_offset(minutes, expected):
    assert format_offset(timedelta(minutes=minutes)) == expected


def test_formatting_places_instants_in_the_zone_asked_for():
    # 16:00Z is 21:45 in Kathmandu, 11:00 in New York; afternoon hours are where 12-hour bugs hide.
    assert plain(format_time(JANUARY, "Asia/Kathmandu", "en")) == "9:45 PM"
    assert plain(format_time(JANUARY, "America/New_York", "en")) == "11:00 AM"
    assert plain(format_time(JANUARY + timedelta(hours=2), "Europe/London", "en")) == "6:00 PM"
    assert format_time(JANUARY, "Asia/Kathmandu", "ar") == "9:45 م"
    assert format_time(JANUARY, "Asia/Kathmandu", "en", format="HH:mm") == "21:45"
    assert plain(format_instant(JANUARY, "Asia/Kathmandu", "en")) == "Tue, Jan 12, 9:45 PM"
    assert format_instant(JANUARY, "Asia/Kathmandu", "ar") == "الثلاثاء، 12 يناير، 9:45 م"
    # 18:30Z on Tuesday is already Wednesday in Kathmandu.
    assert format_day(JANUARY + timedelta(hours=2, minutes=30), "Asia/Kathmandu", "en") == "Wed, Jan 13"
    assert format_day(date(2027, 1, 13), locale="ar", format="EEEE") == "الأربعاء"
    assert plain(format_day_range(date(2027, 1, 11), date(2027, 1, 17), "en")) == "Jan 11 – 17, 2027"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        format_time(datetime(2027, 1, 12, 16, 0), "UTC", "en")
    with pytest.raises(ValueError, match="aware"):
        utc_iso(datetime(2027, 1, 12, 16, 0))


def test_utc_iso_always_ends_in_z():
    kathmandu_evening = JANUARY.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kathmandu"))
    assert utc_iso(kathmandu_evening) == "2027-01-12T16:00:00Z"


def test_language_names_in_the_viewers_language():
    assert language_name("en", "ar") == "الإنجليزية"
    assert language_name("ar", "en") == "Arabic"
    assert language_name("ne", "en") == "Nepali"
    assert language_name("xx-not-a-language", "en") == "xx-not-a-language"
    assert language_name("zz", "en") == "zz"  # well-formed but unknown to Babel: UnknownLocaleError


@pytest.mark.parametrize(
    ("headers", "target", "expected"),
    [
        ({}, None, False),
        ({"HX-Request": "true"}, None, True),
        ({"HX-Request": "false"}, None, False),
        ({"HX-Request": "true", "HX-Boosted": "true"}, None, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, None, False),
        ({"HX-Request": "true", "HX-Target": "week"}, "week", True),
        ({"HX-Request": "true", "HX-Target": "main"}, "week", False),
        ({"HX-Request": "true"}, "week", False),
    ],
)
def test_is_fragment_request(app, headers, target, expected):
    with app.test_request_context(headers=headers):
        assert is_fragment_request(target) is expected


def test_remembered_texts_follow_the_request_language_and_the_offset(app):
    """Day, range, Hijri and zone texts are remembered per locale and offset: a language never gets another's."""
    from tutoring.formatting import format_hijri

    day = date(2027, 1, 12)
    seen = {}
    for language in ("en", "ar", "en", "ar"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            seen.setdefault(language, []).append((
                format_day(day, format="EEEE"), format_day_range(day, day + timedelta(days=6)),
                format_hijri(day, with_year=False), zone_label("Europe/London", at=JANUARY),
                zone_label("Europe/London", at=JULY),
            ))
    (english, english_again), (arabic, arabic_again) = seen["en"], seen["ar"]
    assert english == english_again and arabic == arabic_again
    assert english[0] == "Tuesday" and arabic[0] == "الثلاثاء"
    assert "Jan" in english[1] and "Jan" not in arabic[1]
    assert english[2] != arabic[2]
    assert english[3:] == ("London time (UTC+00:00)", "London time (UTC+01:00)")
    assert arabic[3].endswith("(UTC+00:00)") and arabic[4].endswith("(UTC+01:00)") and "London" not in arabic[3]
