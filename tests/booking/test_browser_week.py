"""A volunteer's week in a real browser: htmx swaps only the week; without JavaScript the links still work."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

EVERY_DAY = [(weekday, "10:00", "12:00") for weekday in range(7)]


@pytest.fixture
def volunteer(make_user):
    """Free every day, so every week the test visits has slots."""
    return make_user("volunteer", name="Grace", timezone="Australia/Sydney", rules=EVERY_DAY, min_notice_hours=0)


def test_next_week_swaps_the_week_in_place_and_updates_the_address(live_server, page, volunteer):
    page.context.add_cookies([{"name": "tz", "value": "Europe/London", "url": live_server}])
    page.goto(f"{live_server}/volunteers/{volunteer.id}")
    first_week = page.locator(".week-range").inner_text()
    assert page.locator("#week-heading").inner_text().startswith("Times in London time (UTC+0")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded

    with page.expect_response(re.compile(r"/volunteers/\d+\?week=")) as caught:
        page.get_by_role("link", name="Next week").click()
    assert caught.value.request.headers.get("hx-request") == "true"
    assert "<html" not in caught.value.text()

    expect(page.locator(".week-range")).not_to_have_text(first_week)
    assert re.search(rf"/volunteers/{volunteer.id}\?week=\d{{4}}-\d{{2}}-\d{{2}}$", page.url)
    assert page.evaluate("window.__marker") == 1
    assert page.locator("#week").count() == 1  # replaced, not nested
    assert page.locator("#week time[datetime$='Z']").count() > 0
    expect(page.get_by_role("link", name="Previous week")).to_be_visible()

    # Keyboard users keep their place: Enter on "Next week" leaves focus on the new "Next week".
    second_week = page.locator(".week-range").inner_text()
    page.focus("#week-next")
    page.keyboard.press("Enter")
    expect(page.locator(".week-range")).not_to_have_text(second_week)
    assert page.evaluate("document.activeElement.id") == "week-next"
    page.go_back()
    expect(page.locator(".week-range")).to_have_text(second_week)

    # The address is the truth: back restores the first week, still without a reload.
    page.go_back()
    expect(page.locator(".week-range")).to_have_text(first_week)
    assert page.evaluate("window.__marker") == 1
    assert page.console_errors == []


def test_next_week_link_works_without_javascript(live_server, browser, volunteer):
    context = browser.new_context(java_script_enabled=False, locale="en-GB", timezone_id="Europe/London")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/volunteers/{volunteer.id}")
        this_week = page.locator(".week-range").inner_text()
        with page.expect_navigation():
            page.get_by_role("link", name="Next week").click()
        assert re.search(r"\?week=\d{4}-\d{2}-\d{2}$", page.url)
        assert page.locator(".week-range").inner_text() != this_week
        assert page.locator("html").get_attribute("lang") == "en"  # a whole page came back
        assert page.locator(".zone-form").count() == 1
    finally:
        context.close()


def test_a_visitors_browser_zone_is_used_without_a_second_page_load(live_server, browser, volunteer):
    """The first page is loaded once: timezone.js sets the cookie and swaps in <main> fetched in that zone."""
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Kathmandu")
    try:
        page = context.new_page()
        documents, fetches = [], []
        page.on("request", lambda request: (documents if request.resource_type == "document" else fetches).append(request))
        page.goto(f"{live_server}/volunteers/{volunteer.id}")
        page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
        # The server guessed UTC; timezone.js set the cookie and swapped the page's content in place.
        expect(page.locator("#week-heading")).to_have_text("Times in Kathmandu time (UTC+05:45)")
        cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
        assert cookies["tz"] in ("Asia/Kathmandu", "Asia/Katmandu")  # Chromium's ICU still says Katmandu
        page.wait_for_load_state("networkidle")
        assert [request.url for request in documents] == [f"{live_server}/volunteers/{volunteer.id}"]
        assert page.evaluate("window.__marker") == 1
        assert page.locator("#main").count() == 1 and page.locator("#week").count() == 1
        assert page.locator('meta[name="tz-fallback"]').count() == 0
        # The swapped-in week still works with htmx: next week comes as a fragment, still in the browser's zone.
        with page.expect_response(re.compile(r"/volunteers/\d+\?week=")) as caught:
            page.get_by_role("link", name="Next week").click()
        assert caught.value.request.headers.get("hx-request") == "true"
        expect(page.locator("#week-heading")).to_have_text("Times in Kathmandu time (UTC+05:45)")
        assert page.evaluate("window.__marker") == 1

        # The zone is known now: a new page is fetched once and nothing swaps.
        page.goto(f"{live_server}/volunteers/{volunteer.id}")
        page.wait_for_load_state("networkidle")
        assert len(documents) == 2
        assert page.locator('meta[name="tz-fallback"]').count() == 0
    finally:
        context.close()


def test_without_javascript_a_visitor_sees_utc_and_can_pick_a_zone(live_server, browser, volunteer):
    context = browser.new_context(java_script_enabled=False, locale="en-GB", timezone_id="Asia/Kathmandu")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/volunteers/{volunteer.id}")
        assert page.locator("#week-heading").inner_text() == "Times in Coordinated Universal Time (UTC)"
        page.locator("details.zone-picker summary").click()
        page.locator("input#tz").fill("Asia/Kathmandu")
        with page.expect_navigation():
            page.locator(".zone-form button[type=submit]").click()
        assert page.locator("#week-heading").inner_text() == "Times in Kathmandu time (UTC+05:45)"
    finally:
        context.close()
