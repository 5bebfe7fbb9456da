"""Bilingual search in a real browser (issue 22): a visitor on the Arabic page types "رياضيات" and, as htmx swaps
the results, finds the volunteers who wrote "Mathematics", Arabic speakers first; a volunteer's subjects field
suggests the shared vocabulary for each comma-separated part."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

EVERY_DAY = [(weekday, "09:00", "12:00") for weekday in range(7)]


def test_an_arabic_search_finds_english_subjects_and_lists_arabic_speakers_first(live_server, browser, make_user):
    make_user("volunteer", name="Aroha", timezone="UTC", rules=EVERY_DAY, subjects=["Mathematics"], languages=["en", "mi"],
              min_notice_hours=0)
    make_user("volunteer", name="Yusuf", timezone="UTC", rules=[(3, "09:00", "12:00")], subjects=["Maths", "Physics"],
              languages=["ar"], min_notice_hours=0)
    make_user("volunteer", name="Omar", timezone="UTC", rules=EVERY_DAY, subjects=["History"], languages=["ar"])
    context = browser.new_context(locale="ar", timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server}/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.locator("#search-subject").type("رياضيات", delay=20)
        cards = page.locator("h3.card-title")
        # Yusuf speaks Arabic: first, though Aroha is free sooner; Omar teaches history.
        expect(cards).to_have_text(["Yusuf", "Aroha"])
        assert "subject=" in page.url  # htmx pushed the tidy address
        page.locator("#search-subject").fill("الفيزياء")
        expect(cards).to_have_text(["Yusuf"])
        assert errors == []
    finally:
        context.close()


def test_the_subjects_field_suggests_the_vocabulary_for_each_part(live_server, browser, make_user):
    make_user("volunteer", name="Amal", email="amal@example.org", timezone="UTC", subjects=["History"])
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server}/auth/login")
        page.locator("input[name=email]").fill("amal@example.org")
        page.locator("input[name=password]").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server}/me/profile")
        field = page.locator("#subjects")
        expect(field).to_have_attribute("list", "subject-vocabulary")
        field.fill("")
        field.type("History, Ph", delay=10)
        options = page.locator("#subject-vocabulary option")
        values = options.evaluate_all("options => options.map(option => option.value)")
        assert "History, Physics" in values and "History, الفيزياء" in values
        assert all(value.startswith("History, ") for value in values)
        field.fill("")
        field.type("Ch", delay=10)
        assert "Chemistry" in options.evaluate_all("options => options.map(option => option.value)")
        assert errors == []
    finally:
        context.close()
