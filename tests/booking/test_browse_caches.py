"""What the browsing pages remember between requests, and that it never shows stale or foreign data.

Remembered: the markup of slot links, badges and facts per language
(tutoring/volunteers/markup.py) and the search's SQL statements per filter
values (tutoring/volunteers/search.py, tutoring/booking/slots.py). None of it
holds data from the database, so a booking or an edit shows on the very next
request.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

import tutoring.api.views as api_views
import tutoring.volunteers.views as volunteer_views
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, VolunteerProfile
from tutoring.scheduling import Slot
from tutoring.booking.operations import book_session
from tutoring.volunteers.markup import kind_badges, slot_link, volunteer_facts

# Sunday 10 January 2027, 12:00 UTC: no clock changes near it.
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
TUESDAY, WEDNESDAY = 1, 2
FIRST = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)  # Tuesday 18:00 in Cairo


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(volunteer_views, "utcnow", lambda: NOW)


@pytest.fixture
def volunteer(make_user):
    """Tuesday 18:00-19:00 Cairo (16:00-17:00Z), 30-minute slots: two slots a week."""
    return make_user(
        "volunteer", name="Amira", timezone="Africa/Cairo", rules=[(TUESDAY, "18:00", "19:00")],
        session_minutes=30, buffer_minutes=0, min_notice_hours=0, subjects=["Physics"], languages=["ar"],
        kinds=["tutoring"],
    )


def starts(body: str) -> list[str]:
    return re.findall(r'<time datetime="([^"]+)">', body)


# --- markup -----------------------------------------------------------------------------------------


def test_slot_links_read_as_the_template_macro_wrote_them(app):
    plain = Slot(FIRST, FIRST + timedelta(minutes=30))
    group = Slot(FIRST, FIRST + timedelta(minutes=30), capacity=4, seats_left=3)
    href = lambda volunteer_id, start_at: f"/v/{volunteer_id}?start={start_at:%H%M}&x=1"  # noqa: E731
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert slot_link(7, plain, "UTC", href=href) == (
            '<a class="slot" href="/v/7?start=1600&amp;x=1" aria-label="Book Tuesday, January 12, 2027 at 4:00\u202fPM">'
            '<time datetime="2027-01-12T16:00:00Z">4:00\u202fPM</time></a>'
        )
        assert slot_link(7, plain, "UTC", with_day=True, href=href) == (
            '<a class="slot" href="/v/7?start=1600&amp;x=1">'
            '<time datetime="2027-01-12T16:00:00Z">Tue, Jan 12, 4:00\u202fPM</time></a>'
        )
        assert slot_link(7, group, "UTC", href=href) == (
            '<a class="slot slot-group" href="/v/7?start=1600&amp;x=1" '
            'aria-label="Book Tuesday, January 12, 2027 at 4:00\u202fPM, group: 3 seats left">'
            '<time datetime="2027-01-12T16:00:00Z">4:00\u202fPM</time> <span class="seats">group: 3 seats left</span></a>'
        )
        moved = slot_link(7, group, "UTC", href=href, action=lambda day, time: f"Move <to> {day} at {time}")
        assert 'aria-label="Move &lt;to&gt; Tuesday, January 12, 2027 at 4:00\u202fPM, group: 3 seats left"' in moved


def test_two_languages_never_share_remembered_markup(app, volunteer):
    slot = Slot(FIRST, FIRST + timedelta(minutes=30))
    shown = {}
    for language in ("en", "ar", "en"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            profile = db.session.get(VolunteerProfile, volunteer.id)
            shown.setdefault(language, []).append(
                (slot_link(1, slot, "Asia/Kathmandu"), kind_badges(["tutoring"]), volunteer_facts(profile))
            )
    (english, again), (arabic,) = shown["en"], shown["ar"]
    assert english == again
    assert "Tuesday" in english[0] and "Tutoring" in english[1] and "Languages" in english[2]
    assert "الثلاثاء" in arabic[0] and "Tuesday" not in arabic[0]
    assert "Tutoring" not in arabic[1] and "Languages" not in arabic[2]


def test_the_zone_is_part_of_a_remembered_slot_link(app):
    slot = Slot(FIRST, FIRST + timedelta(minutes=30))
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert ">4:00\u202fPM<" in slot_link(1, slot, "UTC")
        assert ">9:45\u202fPM<" in slot_link(1, slot, "Asia/Kathmandu")


# --- fresh data -------------------------------------------------------------------------------------


def test_the_week_page_drops_a_slot_as_soon_as_it_is_booked(app, client, volunteer, make_user):
    learner = make_user("learner")
    page = f"/volunteers/{volunteer.id}?week=2027-01-11&tz=UTC"
    assert starts(client.get(page).get_data(as_text=True)) == ["2027-01-12T16:00:00Z", "2027-01-12T16:30:00Z"]
    with app.app_context():
        book_session(learner.id, volunteer.id, FIRST, "tutoring", now=NOW)
    assert starts(client.get(page).get_data(as_text=True)) == ["2027-01-12T16:30:00Z"]


def test_the_week_page_shows_new_availability_at_once(app, client, volunteer):
    page = f"/volunteers/{volunteer.id}?week=2027-01-11&tz=UTC"
    assert len(starts(client.get(page).get_data(as_text=True))) == 2
    with app.app_context():
        db.session.add(AvailabilityRule(volunteer_id=volunteer.id, weekday=WEDNESDAY, start="18:00", end="18:30"))
        db.session.commit()
    assert starts(client.get(page).get_data(as_text=True))[-1] == "2027-01-13T16:00:00Z"


def test_the_week_page_follows_edited_rules_and_settings_at_once(app, client, volunteer):
    # The availability built from a volunteer's rows is remembered by those rows' values (booking/slots.py).
    page = f"/volunteers/{volunteer.id}?week=2027-01-11&tz=UTC"
    assert starts(client.get(page).get_data(as_text=True)) == ["2027-01-12T16:00:00Z", "2027-01-12T16:30:00Z"]
    with app.app_context():
        db.session.get(VolunteerProfile, volunteer.id).session_minutes = 20
        db.session.commit()
    assert starts(client.get(page).get_data(as_text=True)) == [
        "2027-01-12T16:00:00Z", "2027-01-12T16:20:00Z", "2027-01-12T16:40:00Z"]
    with app.app_context():
        rule = db.session.scalars(db.select(AvailabilityRule).filter_by(volunteer_id=volunteer.id)).one()
        rule.end_minute = 18 * 60 + 40
        db.session.commit()
    assert starts(client.get(page).get_data(as_text=True)) == ["2027-01-12T16:00:00Z", "2027-01-12T16:20:00Z"]
    with app.app_context():
        db.session.get(VolunteerProfile, volunteer.id).user.timezone = "UTC"
        db.session.commit()
    assert starts(client.get(page).get_data(as_text=True)) == ["2027-01-12T18:00:00Z", "2027-01-12T18:20:00Z"]

def test_search_results_follow_bookings_and_profile_edits_at_once(app, client, volunteer, make_user):
    search = "/?subject=Physics&from=2027-01-11&to=2027-01-17&tz=UTC"
    assert starts(client.get(search).get_data(as_text=True)) == ["2027-01-12T16:00:00Z", "2027-01-12T16:30:00Z"]
    with app.app_context():
        book_session(make_user("learner").id, volunteer.id, FIRST, "tutoring", now=NOW)
    assert starts(client.get(search).get_data(as_text=True)) == ["2027-01-12T16:30:00Z"]

    chemistry = "/?subject=Chemistry&tz=UTC"
    assert "Amira" not in client.get(chemistry).get_data(as_text=True)
    with app.app_context():
        db.session.get(VolunteerProfile, volunteer.id).subjects = ["Physics", "Chemistry"]
        db.session.commit()
    assert "Amira" in client.get(chemistry).get_data(as_text=True)
    assert "Amira" in client.get(search).get_data(as_text=True)


def test_the_slots_api_follows_a_booking_at_once(app, client, volunteer, make_user, bearer, monkeypatch):
    monkeypatch.setattr(api_views, "utcnow", lambda: NOW)
    learner = make_user("learner")
    query = {"from": "2027-01-12", "to": "2027-01-12", "tz": "UTC"}
    url = f"/api/v1/volunteers/{volunteer.id}/slots"
    before = client.get(url, query_string=query, headers=bearer(learner)).get_json()["slots"]
    with app.app_context():
        book_session(learner.id, volunteer.id, FIRST, "tutoring", now=NOW)
    after = client.get(url, query_string=query, headers=bearer(learner)).get_json()["slots"]
    assert [slot["start_utc"] for slot in before] == ["2027-01-12T16:00:00Z", "2027-01-12T16:30:00Z"]
    assert [slot["start_utc"] for slot in after] == ["2027-01-12T16:30:00Z"]


def test_a_remembered_search_card_follows_name_bio_and_zone(app, client, volunteer):
    first = client.get("/?subject=Physics&tz=UTC").get_data(as_text=True)
    assert "Amira" in first and ">Tue, Jan 12, 4:00\u202fPM<" in first
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        profile.user.display_name, profile.bio = "Amira Haddad", "Now also teaches optics."
        db.session.commit()
    body = client.get("/?subject=Physics&tz=UTC").get_data(as_text=True)
    assert "Amira Haddad" in body and "Now also teaches optics." in body
    elsewhere = client.get("/?subject=Physics&tz=Asia/Kathmandu").get_data(as_text=True)
    assert ">Tue, Jan 12, 9:45\u202fPM<" in elsewhere and f"/volunteers/{volunteer.id}?tz=Asia/Kathmandu" in elsewhere
    arabic = client.get("/?subject=Physics&tz=UTC", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "Amira Haddad" in arabic and "Tue, Jan 12" not in arabic


def test_the_remembered_search_form_shows_what_was_typed_and_new_programmes_at_once(app, client, volunteer):
    from tutoring.models import Programme

    def typed(body: str) -> str:
        return re.search(r'name="subject" type="search" list="subject-names" value="([^"]*)"', body).group(1)

    body = client.get("/?subject=Physics&kind=nonsense&tz=UTC").get_data(as_text=True)
    assert typed(body) == "Physics" and "Choose a kind of session from the list." in body
    body = client.get("/?subject=Chemistry&tz=UTC").get_data(as_text=True)
    assert typed(body) == "Chemistry" and "Choose a kind of session from the list." not in body
    assert 'name="programme"' not in body  # no programme yet
    with app.app_context():
        db.session.add(Programme(slug="night-school", name="Night school"))
        db.session.commit()
    body = client.get("/?subject=Chemistry&tz=UTC").get_data(as_text=True)
    assert '<option value="night-school">Night school</option>' in body
    arabic = client.get("/?subject=Chemistry&tz=UTC", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert typed(arabic) == "Chemistry" and ">Search<" not in arabic and ">Search<" in body


def test_the_remembered_zone_bar_follows_the_page_it_is_on(app, client, volunteer):
    def bar(url: str, **headers) -> str:
        body = client.get(url, headers=headers).get_data(as_text=True)
        return body[body.index('<div class="zone-bar">') : body.index("</details>")] + body[
            body.index("</details>") : body.index("</div>", body.index("</details>"))
        ]

    page = f"/volunteers/{volunteer.id}"
    assert "zone-reset" not in bar(page)
    paris = bar(f"{page}?week=2027-01-18&tz=Europe/Paris")
    assert f'href="{page}?week=2027-01-18"' in paris and 'name="week" value="2027-01-18"' in paris
    assert f'action="{page}"' in paris
    assert f'href="{page}?week=2027-01-25"' in bar(f"{page}?week=2027-01-25&tz=Europe/Paris")
    home = bar("/?subject=Physics&tz=Europe/Paris")
    assert 'href="/?subject=Physics"' in home and 'action="/"' in home and "Times are shown in" in home
    rejected = bar(f"{page}?tz=Nowhere/Town")
    assert "Nowhere/Town" in rejected and 'aria-invalid="true"' in rejected
    assert "Nowhere/Town" not in bar(page)
    assert 'dir="ltr"' in bar(page, **{"Accept-Language": "ar"}) and "Change time zone" not in bar(
        page, **{"Accept-Language": "ar"}
    )
