"""The availability editor in a real browser: a new volunteer sets their zone, adds two weekly windows and an away
period while the preview updates without a page load, signs out and in again and finds them; the same flow with
JavaScript switched off still saves everything (plain forms, POST-redirect-GET)."""
from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.schedules.availability import availability_document

PASSWORD = "a long enough password"


def sign_up_as_volunteer(page, live_server, email):
    page.goto(live_server + "/auth/signup")
    page.get_by_label("Volunteer as a tutor, mentor or listener").check()
    page.get_by_label("Display name").fill("Priya")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.locator("#timezone").fill("Europe/London")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.locator(".auth-card").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text("Priya")


def open_editor(page):
    page.locator(".account-nav").get_by_role("link", name="My page").click()
    page.locator(".account-tabs").get_by_role("link", name="Availability").click()


def set_zone(page, zone):
    page.locator(".account-nav").get_by_role("link", name="My page").click()
    page.locator(".account-tabs").get_by_role("link", name="Profile and settings").click()
    page.locator("#timezone").fill(zone)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("Your profile is saved.")


def add_window(page, weekday, start, end):
    page.get_by_role("link", name=f"Add a window on {weekday}").click()
    form = page.locator(".add-rule form")
    form.locator("input[name=start]").fill(start)
    form.locator("input[name=end]").fill(end)
    form.get_by_role("button", name="Add").click()


def add_away(page, first, last):
    page.locator("#away-first-on").fill(first.isoformat())
    page.locator("#away-last-on").fill(last.isoformat())
    page.get_by_role("button", name="Add away period").click()


def sign_out_and_in(page, email):
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".account-name")).to_have_count(0)
    page.locator(".account-nav").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # A volunteer whose profile isn't written yet lands on the setup checklist, availability already ticked.
    expect(page.get_by_role("heading", name="Getting started", level=1)).to_be_visible()
    expect(page.locator(".setup-step-done h2")).to_have_text(["Add your free times"])


def saved(app, email) -> dict:
    with app.app_context():
        user = User.by_email(email)
        return availability_document(user.volunteer_profile)


def away_dates() -> tuple[date, date]:
    """A whole week from tomorrow: it holds a Tuesday and a Thursday, so the preview must lose slots."""
    first = date.today() + timedelta(days=1)
    return first, first + timedelta(days=6)


def expected(first, last) -> dict:
    return {
        "timezone": "Asia/Kathmandu", "session_minutes": 45, "buffer_minutes": 15, "min_notice_hours": 12,
        "horizon_days": 56, "max_sessions_per_week": None,
        "rules": [{"weekday": 1, "start": "18:00", "end": "20:00"}, {"weekday": 3, "start": "09:00", "end": "11:00"}],
        "away": [{"from": first.isoformat(), "to": last.isoformat()}],
        "extra": [],
    }


def test_the_editor_updates_the_preview_without_reloading_the_page(app, live_server, open_context):
    page = open_context()
    email = "priya@example.org"
    sign_up_as_volunteer(page, live_server, email)
    set_zone(page, "Asia/Kathmandu")
    open_editor(page)
    expect(page.get_by_role("heading", name="Waiting for approval")).to_be_visible()
    expect(page.locator("#weekly")).to_contain_text("Kathmandu time (UTC+05:45)")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("No free times in the next 14 days")

    # From here on, nothing may reload the page: the marker would be gone.
    page.evaluate("window.__marker = 'still the same page'")
    add_window(page, "Tuesday", "18:00", "20:00")
    expect(page.locator("#day-1 .rule-time")).to_have_text("6:00\u202fPM – 8:00\u202fPM")
    expect(preview.locator(".preview-slot").first).to_be_visible()  # refreshed by HX-Trigger: availability-changed
    after_one = preview.locator(".preview-count").inner_text()

    add_window(page, "Thursday", "09:00", "11:00")
    expect(page.locator("#day-3 .rule-time")).to_have_text("9:00\u202fAM – 11:00\u202fAM")
    expect(preview.locator(".preview-count")).not_to_have_text(after_one)
    after_two = preview.locator(".preview-count").inner_text()

    first, last = away_dates()
    add_away(page, first, last)
    expect(page.locator("#away .item")).to_have_count(1)
    expect(preview.locator(".preview-count")).not_to_have_text(after_two)

    # A window that overlaps is refused next to its field, still without a reload.
    add_window(page, "Tuesday", "19:00", "21:00")
    expect(page.locator("#add-rule-1-start-error")).to_contain_text("overlaps another one on Tuesday")
    page.locator("#add-rule-1").get_by_role("link", name="Cancel").click()
    expect(page.locator("#add-rule-1 form")).to_have_count(0)

    # Click to edit in place, then cancel: the text comes back.
    page.locator("#day-1").get_by_role("link", name="Edit").click()
    expect(page.locator("#day-1 input[name=start]")).to_have_value("18:00")
    page.locator("#day-1").get_by_role("link", name="Cancel").click()
    expect(page.locator("#day-1 .rule-time")).to_have_text("6:00\u202fPM – 8:00\u202fPM")

    # What a learner in Cairo sees: the same slots, two hours and 45 minutes earlier on the clock.
    page.locator("#preview-tz").fill("Africa/Cairo")
    preview.get_by_role("button", name="Show").click()
    expect(preview.locator(".preview-zone")).to_contain_text("Cairo time")
    assert page.evaluate("window.__marker") == "still the same page"
    assert page.console_errors == []
    assert saved(app, email) == expected(first, last)

    sign_out_and_in(page, email)
    open_editor(page)
    expect(page.locator("#day-1 .rule-time")).to_have_text("6:00\u202fPM – 8:00\u202fPM")
    expect(page.locator("#day-3 .rule-time")).to_have_text("9:00\u202fAM – 11:00\u202fAM")
    expect(page.locator("#away .item")).to_have_count(1)


def test_the_same_flow_without_javascript_still_saves(app, live_server, open_context):
    page = open_context(java_script_enabled=False)
    email = "priya.nojs@example.org"
    sign_up_as_volunteer(page, live_server, email)
    set_zone(page, "Asia/Kathmandu")
    open_editor(page)

    add_window(page, "Tuesday", "18:00", "20:00")
    expect(page.locator(".flashes")).to_contain_text("Window added.")
    expect(page.locator("#day-1 .rule-time")).to_have_text("6:00\u202fPM – 8:00\u202fPM")
    add_window(page, "Thursday", "09:00", "11:00")
    expect(page.locator("#day-3 .rule-time")).to_have_text("9:00\u202fAM – 11:00\u202fAM")
    first, last = away_dates()
    add_away(page, first, last)
    expect(page.locator(".flashes")).to_contain_text("Away period added.")
    expect(page.locator("#preview .preview-slot").first).to_be_visible()

    # An overlap comes back as the whole page with the message next to the field.
    add_window(page, "Tuesday", "19:00", "21:00")
    expect(page.locator("#add-rule-1-start-error")).to_contain_text("overlaps another one on Tuesday")

    # Editing works as links and forms too.
    page.goto(live_server + "/me/availability")
    page.locator("#day-3").get_by_role("link", name="Edit").click()
    page.locator("#day-3 input[name=end]").fill("11:30")
    page.locator("#day-3").get_by_role("button", name="Save").click()
    expect(page.locator("#day-3 .rule-time")).to_have_text("9:00\u202fAM – 11:30\u202fAM")

    # The preview in another zone is a plain GET form.
    page.locator("#preview-tz").fill("Africa/Cairo")
    page.locator("#preview").get_by_role("button", name="Show").click()
    expect(page.locator("#preview .preview-zone")).to_contain_text("Cairo time")

    want = expected(first, last)
    want["rules"][1]["end"] = "11:30"
    assert saved(app, email) == want

    sign_out_and_in(page, email)
    open_editor(page)
    expect(page.locator("#day-1 .rule-time")).to_have_text("6:00\u202fPM – 8:00\u202fPM")
    expect(page.locator("#away .item")).to_have_count(1)


def test_pause_and_resume_in_the_browser(app, live_server, open_context, make_user):
    make_user("volunteer", email="v@example.org", name="Priya", password=PASSWORD, rules=[(1, "18:00", "20:00")])
    page = open_context()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email").fill("v@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server + "/me/availability")
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="Pause new bookings").click()
    expect(page.locator("#preview")).to_contain_text("You are paused")
    page.get_by_role("button", name="Take bookings again").click()
    expect(page.locator("#volunteer-state")).to_contain_text("Learners can book you")
    expect(page.locator("#preview")).not_to_contain_text("You are paused")
    assert page.evaluate("window.__marker") == 1
    with app.app_context():
        assert db.session.get(User, User.by_email("v@example.org").id).volunteer_profile.state == "approved"
    assert page.console_errors == []


def test_an_overnight_window_is_asked_about_then_saved_without_a_page_load(app, live_server, open_context):
    """Issue 22: start 20:00, end 19:00 is not silently a 23-hour window; htmx sends the answer's button."""
    page = open_context()
    sign_up_as_volunteer(page, live_server, "night@example.org")
    open_editor(page)
    page.evaluate("window.__marker = 'still the same page'")
    add_window(page, "Wednesday", "20:00", "19:00")
    question = page.locator("#add-rule-2 .window-question")
    expect(question).to_contain_text("from 8:00\u202fPM until 7:00\u202fPM the next day, 23 hours. Is that right?")
    expect(page.locator("#day-2 .rule-time")).to_have_count(0)
    page.locator("#add-rule-2").get_by_role("button", name="Yes, save it").click()
    expect(page.locator("#day-2 .rule-time")).to_have_text("8:00\u202fPM – 7:00\u202fPM (next day)")
    assert page.evaluate("window.__marker") == "still the same page"
    assert page.console_errors == []
