"""Accessibility of the main pages in Arabic and English: axe-core in real Chromium (issue 6, SPEC §6).

axe-core comes from npm (package.json, pinned; ``make test`` runs ``npm ci``)
and is injected into each page with Playwright; any violation axe rates
serious or critical fails the test, with the rule and the elements named.
The browser contexts bypass the Content-Security-Policy, which would refuse
the injected script; the pages themselves never need inline script.

Also by hand, where axe can't judge: the slot picker works with the keyboard
alone, focus is visible, and the HTMX-swapped areas are live regions.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.demodata.demo import DEMO_PASSWORD, load_demo

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PEOPLE = {"ar": {"learner": "sami@example.org", "volunteer": "amira.hassan@example.org", "zone": "Asia/Riyadh"},
          "en": {"learner": "maya@example.org", "volunteer": "priya.shrestha@example.org", "zone": "Europe/London"}}
BLOCKING = ("serious", "critical")


@pytest.fixture
def demo(app):
    """Demo volunteers and learners; returns user ids by email."""
    with app.app_context():
        load_demo()
        return {user.email: user.id for user in db.session.scalars(db.select(User))}


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(language)``: a page in a fresh context with that language and zone, CSP bypassed for axe."""
    contexts = []

    def open_page(language: str):
        context = browser.new_context(
            bypass_csp=True, locale="ar-SA" if language == "ar" else "en-GB", timezone_id=PEOPLE[language]["zone"]
        )
        context.add_cookies([{"name": "lang", "value": language, "url": live_server},
                             {"name": "tz", "value": PEOPLE[language]["zone"], "url": live_server}])
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line per rule."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` (make vendor)")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def check(page, url: str | None, name: str, found: dict[str, list[str]]) -> None:
    if url is not None:
        page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("dir") in ("rtl", "ltr")
    problems = serious_violations(page)
    if problems:
        found[name] = problems


def open_week_with_free_time(page, url: str) -> None:
    """A volunteer's page, moved on with its own "Go to that week" link when this week has no free time left."""
    page.goto(url)
    if not page.locator("#week a.slot").count():
        page.locator("#week a.week-link-jump").click()
        page.locator("#week a.slot").first.wait_for()


@pytest.mark.any_instant("sunday-late-utc")
@pytest.mark.parametrize("language", ["ar", "en"])
def test_main_pages_have_no_serious_axe_violations(open_page, live_server, demo, language):
    found: dict[str, list[str]] = {}
    amira = demo["amira.hassan@example.org"]
    page = open_page(language)
    check(page, f"{live_server}/", "home", found)
    check(page, f"{live_server}/volunteers/{amira}", "volunteer week", found)
    check(page, f"{live_server}/auth/login", "sign-in", found)
    check(page, f"{live_server}/auth/signup", "sign-up", found)

    # A learner books the first free time: the booking page, then the confirmation.
    sign_in(page, live_server, PEOPLE[language]["learner"])
    open_week_with_free_time(page, f"{live_server}/volunteers/{amira}")
    page.locator("#week a.slot").first.click()
    check(page, None, "booking page", found)
    kinds = page.locator("form.booking-form input[name=kind]")
    if kinds.count():
        kinds.first.check()
    page.locator("form.booking-form button[type=submit]").click()
    expect(page.locator(".flashes")).to_be_visible()
    check(page, None, "booking confirmation", found)
    check(page, f"{live_server}/sessions", "sessions list", found)
    check(page, f"{live_server}/me/", "learner dashboard", found)

    volunteer = open_page(language)
    sign_in(volunteer, live_server, PEOPLE[language]["volunteer"])
    check(volunteer, f"{live_server}/me/availability", "availability editor", found)
    volunteer.locator(".rule a").first.click()  # click-to-edit: the inline form
    volunteer.locator(".rule-form, form.rule-edit, li form").first.wait_for()
    check(volunteer, None, "availability editor, editing a window", found)
    check(volunteer, f"{live_server}/sessions", "sessions list (volunteer)", found)
    check(volunteer, f"{live_server}/me/profile", "profile", found)
    assert not found, "axe-core found serious or critical problems:\n" + "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )


@pytest.mark.any_instant("sunday-late-utc", "sunday-late-utc+14", "eu-spring-hour-after", "new-years-eve")
@pytest.mark.parametrize("language", ["ar", "en"])
def test_slots_can_be_picked_with_the_keyboard_alone(open_page, live_server, demo, language):
    """Tab reaches the week's links and slots, focus shows, Enter opens the booking page; next week by keyboard too."""
    page = open_page(language)
    open_week_with_free_time(page, f"{live_server}/volunteers/{demo['amira.hassan@example.org']}")
    page.wait_for_load_state("networkidle")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('slot')"):
            break
    else:
        pytest.fail("Tab never reached a slot")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused slot shows no outline"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/book\?start="))

    page.goto(f"{live_server}/volunteers/{demo['amira.hassan@example.org']}")
    page.locator("#week-next").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"week="))
    page.wait_for_load_state("networkidle")
    # htmx swapped #week and gave focus back to the same link, so the keyboard user stays where they were.
    assert page.evaluate("document.activeElement.id") == "week-next"


@pytest.mark.parametrize("language", ["ar", "en"])
def test_htmx_swaps_are_announced(open_page, live_server, demo, language):
    """What an htmx swap changed is read into the page's one live region (#announcer, never swapped itself)."""
    page = open_page(language)
    page.goto(f"{live_server}/volunteers/{demo['amira.hassan@example.org']}")
    page.wait_for_load_state("networkidle")
    announcer = page.locator("#announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    assert announcer.inner_text() == ""
    before = page.locator(".week-range").inner_text()
    page.locator("#week-next").click()
    expect(page.locator(".week-range")).not_to_have_text(before)
    expect(announcer).to_have_text(page.locator(".week-range").inner_text())
    assert page.locator("html").get_attribute("lang") == language
