"""Signing up, out and in with a real browser, with and without JavaScript."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tutoring.models import User

PASSWORD = "a long enough password"


def test_the_zone_field_is_preset_from_the_browser_by_our_script(live_server, open_context):
    """Chromium says "Asia/Katmandu" (ICU's old name); the field shows the current "Asia/Kathmandu"."""
    page = open_context(timezone_id="Asia/Kathmandu")
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") in ("Asia/Katmandu", "Asia/Kathmandu")
    # Only timezone-field.js may fill the field here: the page-wide zone reporter is stubbed out.
    page.route("**/static/js/timezone.js?v=*", lambda route: route.fulfill(body="", content_type="text/javascript"))
    page.goto(live_server + "/auth/signup")
    expect(page.locator("#timezone")).to_have_value("Asia/Kathmandu")
    assert page.console_errors == []


def test_volunteer_signs_up_signs_out_and_signs_in_again(app, live_server, open_context):
    page = open_context(timezone_id="Asia/Kathmandu")
    page.goto(live_server + "/auth/signup")
    page.wait_for_load_state("networkidle")  # the zone reporter may reload the page once
    expect(page.locator("#timezone")).to_have_value("Asia/Kathmandu")

    page.get_by_label("Volunteer as a tutor, mentor or listener").check()
    page.get_by_label("Display name").fill("Priya")
    page.get_by_label("Email").fill("priya@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Listening and support").uncheck()
    page.get_by_role("button", name="Create account").click()

    # The same answer whether or not the address had an account (issue 21): check your email, then sign in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.locator(".account-name")).to_have_count(0)
    page.locator(".auth-card").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("priya@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text("Priya")
    with app.app_context():
        user = User.by_email("priya@example.org")
        assert user.timezone == "Asia/Kathmandu" and user.language == "en"
        assert user.volunteer_profile.state == "pending"
        assert user.volunteer_profile.kinds == ["tutoring", "mentoring"]

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".account-name")).to_have_count(0)

    page.locator(".account-nav").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("priya@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text("Priya")
    assert page.console_errors == []


def test_sign_in_and_sign_up_work_without_javascript(app, live_server, open_context, make_user):
    make_user("learner", email="maya@example.org", name="Maya", password=PASSWORD)
    page = open_context(java_script_enabled=False)

    page.goto(live_server + "/auth/login?next=/auth/reset")
    page.get_by_label("Email").fill("maya@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text("Maya")
    assert page.url == live_server + "/auth/reset"
    assert any(cookie["name"] == "remember_token" for cookie in page.context.cookies())

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".account-name")).to_have_count(0)

    # Without the script, the zone is typed by hand (the datalist still helps).
    page.goto(live_server + "/auth/signup")
    expect(page.locator("#timezone")).to_have_value("")
    page.get_by_label("Display name").fill("Sami")
    page.get_by_label("Email").fill("sami@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill("not the same password")
    page.get_by_label("Time zone").fill("Africa/Cairo")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".field-errors")).to_contain_text("The two passwords are not the same.")
    # What was typed is kept, except the passwords.
    expect(page.locator("#timezone")).to_have_value("Africa/Cairo")
    expect(page.get_by_label("Display name")).to_have_value("Sami")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.locator(".auth-card").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("sami@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text("Sami")
    with app.app_context():
        user = User.by_email("sami@example.org")
        assert user.role == "learner" and user.timezone == "Africa/Cairo" and user.volunteer_profile is None


def test_the_sign_up_page_in_arabic_is_right_to_left(live_server, open_context):
    page = open_context(timezone_id="Africa/Cairo", locale="ar-EG")
    page.goto(live_server + "/auth/signup")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("حساب"))
    expect(page.locator("#timezone")).to_have_value("Africa/Cairo")
