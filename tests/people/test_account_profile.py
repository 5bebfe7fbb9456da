"""Profile and settings, the dashboards, the account links, and where volunteers land after signing in."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import TEST_PASSWORD
from tutoring.extensions import db
from tutoring.models import Booking, Session, User
from tutoring.timeutil import utcnow


def plain(response) -> str:
    """The body as text, with Babel's narrow no-break spaces made plain."""
    return response.get_data(as_text=True).replace("\u202f", " ")


def csrf_token(client) -> str:
    body = client.get("/auth/reset").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


VOLUNTEER_FORM = {
    "display_name": "Amal", "timezone": "Asia/Amman", "language": "en", "subjects": "Maths, Physics",
    "languages": "Arabic, English", "kinds": ["tutoring", "support"], "bio": "Engineer.",
    "session_minutes": "30", "buffer_minutes": "10", "min_notice_hours": "24", "horizon_days": "28",
    "max_sessions_per_week": "4",
}


def save_profile(client, **changes):
    return client.post("/me/profile", data={**VOLUNTEER_FORM, **changes, "csrf_token": csrf_token(client)})


# --- profile -------------------------------------------------------------------------------------


def test_the_profile_form_shows_the_account_as_it_is(client, make_user, sign_in):
    user = make_user("volunteer", name="Priya", timezone="Asia/Kathmandu", subjects=["Python"], languages=["en", "ne"],
                     max_sessions_per_week=3)
    sign_in(user)
    body = client.get("/me/profile").get_data(as_text=True)
    assert re.search(r'id="display_name"[^>]*value="Priya"', body)
    assert re.search(r'id="timezone"[^>]*value="Asia/Kathmandu"', body) and 'list="timezones"' in body
    assert '<script src="/static/js/timezone-field.js?v=' in body  # the picker of sign-up, reused
    assert re.search(r'id="languages"[^>]*value="English, Nepali"', body)
    assert re.search(r'id="max_sessions_per_week"[^>]*value="3"', body)
    assert 'min="10"' in body and 'max="240"' in body


def test_saving_the_profile(app, client, make_user, sign_in):
    user = make_user("volunteer")
    sign_in(user)
    response = save_profile(client)
    assert response.status_code == 302 and response.headers["Location"] == "/me/profile"
    with app.app_context():
        saved = db.session.get(User, user.id)
        profile = saved.volunteer_profile
        assert (saved.display_name, saved.timezone) == ("Amal", "Asia/Amman")
        assert (profile.subjects, profile.languages, profile.kinds) == (["Maths", "Physics"], ["ar", "en"],
                                                                        ["tutoring", "support"])
        assert (profile.session_minutes, profile.buffer_minutes, profile.min_notice_hours, profile.horizon_days,
                profile.max_sessions_per_week) == (30, 10, 24, 28, 4)
    assert "Your profile is saved." in client.get("/me/profile").get_data(as_text=True)


def test_switching_to_arabic_answers_in_arabic_at_once(client, make_user, sign_in):
    sign_in(make_user("volunteer"))
    response = save_profile(client, language="ar")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'dir="rtl"' in page and "حُفظ ملفك الشخصي." in page


def test_bad_fields_are_marked_one_by_one_in_the_users_language_and_nothing_is_saved(app, client, make_user, sign_in):
    user = make_user("volunteer", language="ar", name="قبل")
    sign_in(user)
    response = save_profile(client, language="ar", display_name=" ", timezone="Nowhere/City", session_minutes="5",
                            max_sessions_per_week="lots", kinds=[])
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("display_name", "timezone", "session_minutes", "max_sessions_per_week"):
        assert re.search(rf'aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', body), field
        assert f'id="{field}-error"' in body
    assert "من 10 إلى 240" in body  # "from 10 to 240", in Arabic
    assert 'value="Nowhere/City"' in body  # what was typed comes back
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert saved.display_name == "قبل" and saved.volunteer_profile.session_minutes == 45


def test_learners_have_a_short_profile(app, client, make_user, sign_in):
    learner = make_user("learner", name="Sami")
    sign_in(learner)
    body = client.get("/me/profile").get_data(as_text=True)
    assert 'name="display_name"' in body and 'name="session_minutes"' not in body and 'name="kinds"' not in body
    response = client.post("/me/profile", data={"display_name": "Sam", "timezone": "Africa/Cairo", "language": "en",
                                                "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, learner.id).display_name == "Sam"


# --- dashboards ----------------------------------------------------------------------------------


def book(app, volunteer, learner, start_at, minutes=45, status="confirmed", note=""):
    with app.app_context():
        session = Session(volunteer_id=volunteer.id, kind="tutoring", start_at=start_at,
                          end_at=start_at + timedelta(minutes=minutes), blocked_until_at=start_at + timedelta(minutes=minutes),
                          status=status)
        db.session.add_all([session, Booking(session=session, learner_id=learner.id, status=status, note=note)])
        db.session.commit()


def test_the_volunteer_dashboard_lists_next_sessions_in_the_viewers_zone(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", name="Amira", timezone="Africa/Cairo")
    learner = make_user("learner", name="Sami", timezone="America/New_York")
    start = (utcnow() + timedelta(days=3)).replace(hour=16, minute=0, second=0, microsecond=0)
    book(app, volunteer, learner, start, note="Chapter 4, please")
    book(app, volunteer, learner, start + timedelta(days=1), status="cancelled", note="never shown")
    sign_in(volunteer)
    body = plain(client.get("/me/"))
    assert "Cairo time (UTC+02:00)" in body or "Cairo time (UTC+03:00)" in body
    assert "Tutoring with <bdi>Sami</bdi>" in body
    local = start.astimezone(ZoneInfo("Africa/Cairo"))
    assert f'{local:%-I}:00 {"PM" if local.hour >= 12 else "AM"}' in body
    # The learner's note is there for the volunteer, folded away; a cancelled session is not listed.
    assert re.search(r"<details class=\"session-note\">\s*<summary>Note from the learner</summary>\s*"
                     r'<p dir="auto">Chapter 4, please</p>', body)
    assert "never shown" not in body


def test_the_learner_dashboard_names_the_volunteer(app, client, make_user, sign_in):
    volunteer = make_user("volunteer", name="Amira")
    learner = make_user("learner", name="Sami", timezone="America/New_York")
    book(app, volunteer, learner, utcnow() + timedelta(days=2), note="my own note")
    sign_in(learner)
    body = client.get("/me/").get_data(as_text=True)
    assert "Tutoring with <bdi>Amira</bdi>" in body and "New York time" in body
    assert "<summary>Your note</summary>" in body
    assert "Given this month" not in body


@pytest.mark.parametrize(
    ("minutes", "english", "arabic"),
    [
        (0, "None yet", "لا شيء بعد"),  # not "0 hours" (issue 22)
        (60, "1 hour", "ساعة واحدة"),
        (120, "2 hours", "ساعتان"),
        (180, "3 hours", "3 ساعات"),
        (150, "2 hours and 30 minutes", "ساعتان و30 دقيقة"),
        (45, "45 minutes", "45 دقيقة"),
        (11 * 60, "11 hours", "11 ساعة"),
    ],
)
def test_hours_given_this_month_in_english_and_arabic(app, client, make_user, sign_in, minutes, english, arabic):
    volunteer = make_user("volunteer", timezone="UTC")
    learner = make_user("learner")
    now = utcnow()
    if minutes:
        # A completed session at the first instant of this month (UTC is the volunteer's zone).
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        book(app, volunteer, learner, first, minutes=minutes, status="completed")
    sign_in(volunteer)
    assert english in client.get("/me/").get_data(as_text=True)
    with app.app_context():
        db.session.get(User, volunteer.id).language = "ar"
        db.session.commit()
    assert arabic in client.get("/me/").get_data(as_text=True)


def test_a_pending_volunteer_is_told_on_the_dashboard(client, make_user, sign_in):
    sign_in(make_user("volunteer", approved=False))
    body = client.get("/me/").get_data(as_text=True)
    assert "learners can book you once you are approved" in body and 'href="/me/availability"' in body


# --- navigation and landing ----------------------------------------------------------------------


def test_signed_in_people_have_links_to_their_pages(client, make_user, sign_in):
    sign_in(make_user("volunteer"))
    nav = client.get("/auth/reset").get_data(as_text=True)
    assert '<a class="account-link" href="/me/">My page</a>' in nav
    # From there, tabs lead to the editor and the settings.
    tabs = client.get("/me/").get_data(as_text=True)
    assert 'href="/me/availability"' in tabs and 'href="/me/profile"' in tabs


def test_learners_have_no_availability_link(client, make_user, sign_in):
    sign_in(make_user("learner"))
    tabs = client.get("/me/").get_data(as_text=True)
    assert 'href="/me/profile"' in tabs and 'href="/me/availability"' not in tabs


def login(client, email):
    body = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    return client.post("/auth/login", data={"csrf_token": token, "email": email, "password": TEST_PASSWORD})


def test_volunteers_land_on_their_dashboard_after_signing_in(client, make_user):
    # Set up (profile and availability); a volunteer who isn't lands on the checklist (tests/people/test_onboarding.py).
    make_user("volunteer", email="v@example.org", bio="Physics teacher.", languages=["en"], rules=[(1, "18:00", "20:00")])
    assert login(client, "v@example.org").headers["Location"] == "/me/"
    with client.session_transaction() as session:
        session.clear()  # signed out
    make_user("volunteer", email="new@example.org")
    assert login(client, "new@example.org").headers["Location"] == "/me/setup"


def test_learners_still_land_on_the_home_page(client, make_user):
    make_user("learner", email="l@example.org")
    assert login(client, "l@example.org").headers["Location"] == "/"


def test_a_next_page_still_wins(client, make_user):
    make_user("volunteer", email="v@example.org")
    body = client.get("/auth/login?next=/me/availability").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    response = client.post("/auth/login?next=/me/availability",
                           data={"csrf_token": token, "email": "v@example.org", "password": TEST_PASSWORD,
                                 "next": "/me/availability"})
    assert response.headers["Location"] == "/me/availability"


# --- own calendars, in Arabic -------------------------------------------------------------------


def test_the_calendar_address_hint_isolates_its_latin_examples_in_arabic(client, make_user, sign_in):
    sign_in(make_user("volunteer", language="ar"))
    page = client.get("/me/calendars").get_data(as_text=True)
    assert 'dir="rtl"' in page
    # Each example in its own <bdi>, so "://" stays after the scheme inside the right-to-left sentence.
    assert "يبدأ بـ <bdi>https://</bdi> أو <bdi>http://</bdi> أو <bdi>webcal://</bdi>." in page
    assert "https://," not in page and "https:// أو" not in page
