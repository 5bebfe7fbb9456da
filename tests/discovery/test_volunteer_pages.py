"""Browsing pages: the volunteer list at / and a volunteer's week (templates/volunteers/).

Times are checked in an offset zone: a volunteer in Africa/Cairo (UTC+02:00 in
January) seen from Asia/Kathmandu (UTC+05:45), so every slot moves by 3 h 45 min
and late ones land on the next day.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

import tutoring.volunteers.views as volunteer_views
from tutoring.extensions import db
from tutoring.models import Session, User, VolunteerProfile

# Sunday 10 January 2027, 12:00 UTC (17:45 in Kathmandu): no clock changes near it.
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
TUESDAY = 1


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """The pages' "now", so weeks and slots don't depend on the day the tests run."""
    monkeypatch.setattr(volunteer_views, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def cairo_volunteer(make_user):
    """Tuesday 18:00-21:00 Cairo (16:00-19:00Z), 30-minute slots back to back: six slots."""
    return make_user(
        "volunteer", name="Amira", timezone="Africa/Cairo", rules=[(TUESDAY, "18:00", "21:00")],
        session_minutes=30, buffer_minutes=0, min_notice_hours=0, subjects=["Physics"], languages=["ar", "en"],
        bio="Engineer who likes physics.",
    )


def body_of(response) -> str:
    """The page text, with Babel's narrow and thin spaces (``9:45\u202fPM``, ``11\u2009–\u200917``) as plain ones."""
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u2009", " ")


def week_days(body: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The week grid as [(weekday name, [(datetime attribute, shown time), ...]), ...]."""
    grid = body[body.index('<ol class="week-grid">'):]
    grid = grid[: grid.index("</ol>")]
    days = []
    for block in re.split(r'<li class="day', grid)[1:]:
        weekday = re.search(r'<span class="weekday">([^<]+)</span>', block).group(1)
        days.append((weekday, re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', block)))
    return days


def view_as_kathmandu_visitor(client, language: str | None = None) -> None:
    client.set_cookie("tz", "Asia/Kathmandu")
    if language:
        client.set_cookie("lang", language)


# --- a volunteer's week ---------------------------------------------------------------------------


def test_week_shows_slots_in_the_viewers_zone_with_utc_datetime_attributes(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-13"))

    days = week_days(body)
    assert [name for name, _ in days] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    # Cairo 18:00-21:00 on Tuesday 12 Jan = 16:00Z-19:00Z = Kathmandu 21:45 Tuesday to 00:45 Wednesday.
    assert days[1][1] == [
        ("2027-01-12T16:00:00Z", "9:45 PM"),
        ("2027-01-12T16:30:00Z", "10:15 PM"),
        ("2027-01-12T17:00:00Z", "10:45 PM"),
        ("2027-01-12T17:30:00Z", "11:15 PM"),
        ("2027-01-12T18:00:00Z", "11:45 PM"),
    ]
    assert days[2][1] == [("2027-01-12T18:30:00Z", "12:15 AM")]
    assert all(not slots for index, (_, slots) in enumerate(days) if index not in (1, 2))
    assert "Jan 11 – 17, 2027" in body


def test_week_names_the_zone_it_is_shown_in(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}"))
    assert '<h2 id="week-heading">Times in Kathmandu time (UTC+05:45)</h2>' in body
    assert "Cairo time (UTC+02:00)" in body  # the volunteer's own zone, on their profile


def test_slots_link_to_the_booking_page_with_the_utc_start(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-12"))
    assert f'href="/volunteers/{cairo_volunteer.id}/book?start=2027-01-12T16:00:00Z"' in body
    assert 'aria-label="Book Tuesday, January 12, 2027 at 9:45 PM"' in body


def test_signed_in_viewer_sees_their_account_zone(client, cairo_volunteer, make_user, sign_in):
    sign_in(make_user("learner", timezone="America/New_York"))
    client.set_cookie("tz", "Asia/Kathmandu")  # the account wins over the browser's cookie
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-12"))
    assert "Times in New York time (UTC-05:00)" in body
    assert ("2027-01-12T16:00:00Z", "11:00 AM") in week_days(body)[1][1]


def test_tz_parameter_overrides_the_zone_and_is_kept_on_week_links(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-12&tz=america/new_york"))
    assert "Times in New York time (UTC-05:00)" in body
    assert f'href="/volunteers/{cairo_volunteer.id}?week=2027-01-18&amp;tz=America/New_York"' in body
    assert f'href="/volunteers/{cairo_volunteer.id}?week=2027-01-12">Use my own time zone</a>' in body
    assert '<input type="hidden" name="week" value="2027-01-12">' in body


def test_unknown_tz_parameter_gets_a_message_and_the_viewers_own_zone(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    response = client.get(f"/volunteers/{cairo_volunteer.id}?tz=Mars/Olympus_Mons")
    body = body_of(response)
    assert response.status_code == 200
    assert "<bdi>Mars/Olympus_Mons</bdi>” is not a time zone we know" in body
    assert 'value="Mars/Olympus_Mons"' in body and 'aria-invalid="true"' in body
    assert "Times in Kathmandu time (UTC+05:45)" in body


@pytest.mark.parametrize(
    ("week", "monday_shown", "message"),
    [
        ("2027-01-17", "Jan 11 – 17, 2027", None),  # a Sunday: its week began on Monday the 11th
        ("2027-01-11", "Jan 11 – 17, 2027", None),
        ("not-a-date", "Jan 4 – 10, 2027", "“not-a-date” is not a date. Showing this week instead."),
        ("2027-02-30", "Jan 4 – 10, 2027", "is not a date"),
        ("9999-12-31", "Jan 4 – 10, 2027", "That week is too far away. Showing this week instead."),
        ("0001-01-01", "Jan 4 – 10, 2027", "That week is too far away."),
        ("", "Jan 4 – 10, 2027", None),
    ],
)
def test_week_parameter_picks_the_week_or_says_why_not(client, cairo_volunteer, week, monday_shown, message):
    view_as_kathmandu_visitor(client)
    response = client.get(f"/volunteers/{cairo_volunteer.id}?week={week}")
    body = body_of(response)
    assert response.status_code == 200
    assert monday_shown in body
    if message:
        assert message in body
    else:
        assert 'class="form-error"' not in body


def test_previous_and_next_week_links(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    volunteer_id = cairo_volunteer.id
    this_week = body_of(client.get(f"/volunteers/{volunteer_id}"))
    assert 'rel="prev"' not in this_week  # nothing to book in the past
    next_href = f"/volunteers/{volunteer_id}?week=2027-01-11"
    assert (f'rel="next" href="{next_href}"\n   hx-get="{next_href}" hx-target="#week" hx-swap="outerHTML" '
            'hx-push-url="true"') in this_week

    following = body_of(client.get(next_href))
    assert f'rel="prev" href="/volunteers/{volunteer_id}?week=2027-01-04"' in following
    assert f'rel="next" href="/volunteers/{volunteer_id}?week=2027-01-18"' in following


def test_no_next_week_beyond_the_volunteers_horizon(client, make_user):
    volunteer = make_user("volunteer", timezone="Africa/Cairo", rules=[(TUESDAY, "18:00", "20:00")], horizon_days=10)
    view_as_kathmandu_visitor(client)
    # Monday 18 Jan 00:00 Kathmandu is 8 days ahead: reachable; Monday 25 Jan is not.
    assert 'rel="next"' in body_of(client.get(f"/volunteers/{volunteer.id}?week=2027-01-11"))
    assert 'rel="next"' not in body_of(client.get(f"/volunteers/{volunteer.id}?week=2027-01-18"))


def test_an_empty_week_points_to_the_next_free_time(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    with client.application.app_context():
        profile = db.session.get(VolunteerProfile, cairo_volunteer.id)
        profile.away_periods.append(_away("2027-01-11", "2027-01-17"))
        db.session.commit()
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-11"))
    assert "No free times this week." in body
    assert "The next free time is Tue, Jan 19, 9:45 PM." in body
    assert f'href="/volunteers/{cairo_volunteer.id}?week=2027-01-18"' in body


@pytest.mark.parametrize(("now", "offset"), [(NOW, "UTC+02:00"), (datetime(2027, 7, 10, 12, 0, tzinfo=UTC), "UTC+03:00")])
def test_the_volunteers_own_zone_is_named_with_its_offset_now(client, monkeypatch, cairo_volunteer, now, offset):
    monkeypatch.setattr(volunteer_views, "utcnow", lambda: now)  # Egypt keeps summer time again since 2023
    assert f"Cairo time ({offset})" in body_of(client.get(f"/volunteers/{cairo_volunteer.id}"))


def test_a_clock_change_week_says_so(client, make_user):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=[(TUESDAY, "18:00", "20:00")])
    client.set_cookie("tz", "Europe/London")
    body = body_of(client.get(f"/volunteers/{volunteer.id}?week=2027-03-28"))  # BST begins Sunday 28 March
    assert "The clocks change this week: from UTC+00:00 to UTC+01:00." in body
    assert "The clocks change" not in body_of(client.get(f"/volunteers/{volunteer.id}?week=2027-03-29"))


def test_arabic_week_is_right_to_left_with_arabic_day_names(client, cairo_volunteer):
    view_as_kathmandu_visitor(client, language="ar")
    body = body_of(client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-12"))
    assert re.search(r'<html lang="ar" dir="rtl">', body)
    days = week_days(body)
    assert [name for name, _ in days] == ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
    assert days[1][1][0] == ("2027-01-12T16:00:00Z", "9:45 م")
    assert "الأوقات حسب توقيت كاتماندو (UTC+05:45)" in body
    assert "يناير" in body  # Arabic month names from Babel
    assert "الأسبوع التالي" in body


# --- page or fragment -----------------------------------------------------------------------------


def test_htmx_request_gets_only_the_week_fragment(client, cairo_volunteer):
    view_as_kathmandu_visitor(client)
    response = client.get(
        f"/volunteers/{cairo_volunteer.id}?week=2027-01-18", headers={"HX-Request": "true", "HX-Target": "week"}
    )
    body = body_of(response)
    assert body.lstrip().startswith('<section id="week"')
    assert "<html" not in body and "<head" not in body and "<datalist" not in body
    assert "Times in Kathmandu time (UTC+05:45)" in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
        {"HX-Request": "true", "HX-Target": "main"},  # some other swap: it gets the whole page
    ],
    ids=["plain", "boosted", "history-restore", "other-target"],
)
def test_other_requests_get_the_full_page(client, cairo_volunteer, headers):
    response = client.get(f"/volunteers/{cairo_volunteer.id}?week=2027-01-18", headers=headers)
    body = body_of(response)
    assert body.lstrip().lower().startswith("<!doctype html>")
    assert '<section id="week"' in body and 'class="zone-form"' in body and '<datalist id="zone-names">' in body
    assert "HX-Request" in response.headers["Vary"]


# --- who has a page -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["unknown", "pending", "inactive", "learner", "not-a-number"])
def test_only_visible_volunteers_have_a_page(client, make_user, case):
    if case == "unknown":
        path = "/volunteers/987654"
    elif case == "pending":
        path = f"/volunteers/{make_user('volunteer', approved=False).id}"
    elif case == "inactive":
        user = make_user("volunteer")
        with client.application.app_context():
            db.session.get(User, user.id).is_active = False
            db.session.commit()
        path = f"/volunteers/{user.id}"
    elif case == "learner":
        path = f"/volunteers/{make_user('learner').id}"
    else:
        path = "/volunteers/amira"
    assert client.get(path).status_code == 404
    assert client.get(path, headers={"HX-Request": "true", "HX-Target": "week"}).status_code == 404


def test_paused_volunteer_page_says_they_take_no_new_bookings(client, make_user):
    volunteer = make_user("volunteer", name="Sam", rules=[(TUESDAY, "18:00", "20:00")])
    with client.application.app_context():
        db.session.get(VolunteerProfile, volunteer.id).state = "paused"
        db.session.commit()
    body = body_of(client.get(f"/volunteers/{volunteer.id}"))
    assert "<bdi>Sam</bdi> is not taking new bookings at the moment." in body
    assert '<section id="week"' not in body and "/book?" not in body


# --- the home page --------------------------------------------------------------------------------


def test_home_lists_approved_volunteers_with_their_next_three_slots(client, cairo_volunteer, make_user):
    make_user("volunteer", name="Pending Person", approved=False, rules=[(TUESDAY, "18:00", "20:00")])
    view_as_kathmandu_visitor(client)
    body = body_of(client.get("/"))

    assert "Find a volunteer tutor, mentor or listener" in body
    assert f'<a href="/volunteers/{cairo_volunteer.id}" dir="auto">Amira</a>' in body
    assert "Pending Person" not in body
    assert "Physics" in body and "Arabic, English" in body and "Engineer who likes physics." in body
    assert "Tutoring" in body and "Listening and support" in body  # make_user's volunteers offer all kinds
    # Next three free slots in the next 14 days, in Kathmandu time, each with its day.
    shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', body)
    assert shown == [
        ("2027-01-12T16:00:00Z", "Tue, Jan 12, 9:45 PM"),
        ("2027-01-12T16:30:00Z", "Tue, Jan 12, 10:15 PM"),
        ("2027-01-12T17:00:00Z", "Tue, Jan 12, 10:45 PM"),
    ]
    assert "Times are shown in Kathmandu time (UTC+05:45)." in body


def test_home_skips_booked_time(app, client, cairo_volunteer):
    with app.app_context():
        start = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)
        db.session.add(Session(volunteer_id=cairo_volunteer.id, kind="tutoring", start_at=start,
                               end_at=start.replace(minute=30), blocked_until_at=start.replace(minute=30)))
        db.session.commit()
    shown = re.findall(r'<time datetime="([^"]+)">', body_of(client.get("/")))
    assert shown == ["2027-01-12T16:30:00Z", "2027-01-12T17:00:00Z", "2027-01-12T17:30:00Z"]


def test_home_says_when_a_volunteer_has_nothing_in_the_next_two_weeks(client, make_user):
    make_user("volunteer", name="Later", rules=[(TUESDAY, "18:00", "20:00")], min_notice_hours=336)
    assert "No free times in the next two weeks." in body_of(client.get("/"))


def test_home_reads_all_volunteers_sessions_in_one_query(app, client, make_user):
    for number in range(5):
        make_user("volunteer", name=f"V{number}", rules=[(TUESDAY, "18:00", "20:00")])
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len([sql for sql in statements if re.search(r"\bFROM sessions\b", sql)]) == 1
    assert len(statements) < 12  # no query per volunteer


def test_home_paginates_twenty_volunteers_a_page(client, make_user):
    for number in range(21):
        make_user("volunteer", name=f"Volunteer {number:02d}")
    first = body_of(client.get("/"))
    assert first.count('class="card"') == 20
    assert "Page 1 of 2" in first and '<a rel="next" href="/?page=2">' in first and 'rel="prev"' not in first

    second = body_of(client.get("/?page=2"))
    assert second.count('class="card"') == 1 and "Volunteer 20" in second
    assert '<a rel="prev" href="/?page=1">' in second and 'rel="next"' not in second


@pytest.mark.parametrize(("page", "status"), [("0", 200), ("-3", 200), ("abc", 200), ("7", 404)])
def test_home_page_numbers_out_of_range(client, make_user, page, status):
    make_user("volunteer", name="Only One")
    response = client.get(f"/?page={page}")
    assert response.status_code == status
    if status == 404:
        assert "There is no page 7." in body_of(response) and "Go to the first page" in body_of(response)
    else:
        assert "Only One" in body_of(response)


def test_home_without_volunteers_says_so(client):
    assert "No volunteers are available yet." in body_of(client.get("/"))


def test_arabic_home_page(client, cairo_volunteer):
    view_as_kathmandu_visitor(client, language="ar")
    body = body_of(client.get("/"))
    assert re.search(r'<html lang="ar" dir="rtl">', body)
    assert "الثلاثاء" in body and "يناير" in body
    assert "الأوقات معروضة حسب توقيت كاتماندو (UTC+05:45)." in body
    assert "العربية، الإنجليزية" in body  # languages spoken, named in Arabic


# --- the browser's zone ---------------------------------------------------------------------------


def test_visitor_without_a_zone_is_told_the_page_guessed(client, make_user, sign_in):
    fallback = '<meta name="tz-fallback" content="true">'
    body = body_of(client.get("/"))
    assert fallback in body and "/static/js/timezone.js" in body
    client.set_cookie("tz", "Not/A_Zone")
    assert fallback in body_of(client.get("/"))
    client.set_cookie("tz", "Asia/Kathmandu")
    assert fallback not in body_of(client.get("/"))
    client.delete_cookie("tz")
    sign_in(make_user("learner", timezone="Asia/Tokyo"))
    assert fallback not in body_of(client.get("/"))


def _away(first: str, last: str):
    from datetime import date

    from tutoring.models import AwayPeriod

    return AwayPeriod(first_on=date.fromisoformat(first), last_on=date.fromisoformat(last))
