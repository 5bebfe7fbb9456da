"""Hijri (Umm al-Qura) dates beside Gregorian ones on Arabic pages, and durations in each language (issue 6).

Fixed points of the Umm al-Qura calendar: 1 Ramadan 1447 was 18 February
2026 and 1 Muharram 1448 was 16 June 2026.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tutoring.formatting import format_duration, format_hijri, hijri_beside, shows_hijri


@pytest.fixture
def plain_app(make_app):
    """An app for its catalogues and template helpers; no table touched."""
    return make_app()


@pytest.mark.parametrize(
    ("day", "arabic", "english"),
    [
        (date(2026, 2, 18), "1 رمضان 1447 هـ", "1 Ramadan 1447 AH"),
        (date(2026, 6, 16), "1 محرم 1448 هـ", "1 Muharram 1448 AH"),
        (date(2026, 11, 26), "16 جمادى الآخرة 1448 هـ", "16 Jumada al-Akhirah 1448 AH"),
    ],
)
def test_umm_al_qura_dates(plain_app, day, arabic, english):
    with plain_app.test_request_context():
        assert format_hijri(day, locale="ar") == arabic
        assert format_hijri(day, locale="en") == english


def test_an_instant_takes_the_day_where_the_viewer_is(plain_app):
    """22:30 UTC on 17 February 2026 is already the 18th, 1 Ramadan, in Riyadh."""
    instant = datetime(2026, 2, 17, 22, 30, tzinfo=UTC)
    with plain_app.test_request_context():
        assert format_hijri(instant, "Asia/Riyadh", "ar", with_year=False) == "1 رمضان"
        assert format_hijri(instant, "America/New_York", "ar", with_year=False) == "29 شعبان"  # Sha'ban 1447 had 29 days


def test_outside_the_tables_there_is_no_date_rather_than_a_wrong_one(plain_app):
    with plain_app.test_request_context():
        assert format_hijri(date(2100, 1, 1), locale="ar") == ""


def test_only_arabic_pages_show_it(plain_app):
    with plain_app.test_request_context(headers={"Accept-Language": "ar"}):
        assert shows_hijri()
        assert str(hijri_beside(date(2026, 6, 16))) == '<span class="hijri">1 محرم 1448 هـ</span>'
    with plain_app.test_request_context(headers={"Accept-Language": "en"}):
        assert not shows_hijri()
        assert str(hijri_beside(date(2026, 6, 16))) == ""


@pytest.mark.parametrize(
    ("minutes", "arabic", "english"),
    [
        (45, "45 دقيقة", "45 minutes"),
        (60, "ساعة واحدة", "1 hour"),
        (120, "ساعتان", "2 hours"),
        (150, "ساعتان و30 دقيقة", "2 hours and 30 minutes"),
        (61, "ساعة واحدة ودقيقة واحدة", "1 hour and 1 minute"),
        (300, "5 ساعات", "5 hours"),
    ],
)
def test_durations_use_each_languages_plurals(plain_app, minutes, arabic, english):
    with plain_app.test_request_context():
        assert format_duration(minutes, "ar") == arabic
        assert format_duration(minutes, "en") == english


def test_arabic_week_shows_hijri_days_and_the_english_one_does_not(app, client, make_user):
    volunteer = make_user("volunteer", timezone="Asia/Riyadh", rules=[(day, "09:00", "10:00") for day in range(7)])
    client.set_cookie("tz", "Asia/Riyadh")
    client.set_cookie("lang", "ar")
    arabic = client.get(f"/volunteers/{volunteer.id}?week=2026-06-15").get_data(as_text=True)
    # Monday 15 June 2026 was 29 Dhu al-Hijjah 1447; Tuesday the 16th, 1 Muharram 1448.
    assert '<span class="hijri">1 محرم</span>' in arabic
    client.set_cookie("lang", "en")
    english = client.get(f"/volunteers/{volunteer.id}?week=2026-06-15").get_data(as_text=True)
    assert 'class="hijri"' not in english
