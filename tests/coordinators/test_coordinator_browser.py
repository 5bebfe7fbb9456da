"""The report page in a real browser: the chart reads left to right in English and right to left in Arabic,
and changing the programme swaps only the report (htmx) while the address follows."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.coordinators.coordination import create_programme, set_membership
from tutoring.timeutil import utcnow

from tests.conftest import TEST_PASSWORD
from tests.coordinators.coordinator_support import add_session


@pytest.fixture
def coordinator(app, make_user):
    """A coordinator and three weeks of held sessions (one, two, three a week) by a programme's volunteer."""
    boss = make_user("coordinator", email="boss@example.org", timezone="Europe/London")
    volunteer, learner = make_user("volunteer", name="Vera"), make_user("learner")
    monday = utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday() + 21)
    with app.app_context():
        programme = create_programme(db.session.get(User, boss.id), name="Maths", kinds=["tutoring"])
        set_membership(db.session.get(User, boss.id), programme.id, volunteer.id, member=True)
        for week in range(3):
            for day in range(week + 1):
                add_session(volunteer.id, learner.id, monday + timedelta(weeks=week, days=day))
    return boss


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def held_bars(page) -> list[tuple[str, float, float]]:
    """The weekly chart's 'held' bars (the second series' colour), in week order: title, left edge, height."""
    return page.evaluate("""() => [...document.querySelectorAll('svg[aria-labelledby^="weeks-chart"] rect')]
        .filter(r => r.querySelector('title') && r.getAttribute('fill') === '#009E73')
        .map(r => [r.querySelector('title').textContent, r.getBoundingClientRect().left, r.getBoundingClientRect().height])""")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_weekly_chart_runs_in_the_reading_direction(app, live_server, page, coordinator, language):
    with app.app_context():
        db.session.get(User, coordinator.id).language = language
        db.session.commit()
    sign_in(page, live_server, "boss@example.org")
    page.goto(f"{live_server}/coordinator/reports")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    bars = held_bars(page)
    heights = [height for _title, _left, height in bars]
    lefts = [left for _title, left, _height in bars]
    # Three weeks with one, two and three sessions: the bars grow in reading order.
    assert len(bars) == 3
    growing = lefts == sorted(lefts) if language == "en" else lefts == sorted(lefts, reverse=True)
    assert growing, lefts
    assert heights[-1] > heights[0]
    # The value axis is on the reading-start side of the plot.
    axis = page.evaluate("""() => {
        const svg = document.querySelector('svg[aria-labelledby^="weeks-chart"]');
        const zero = [...svg.querySelectorAll('.chart-labels text')].find(t => t.textContent === '0');
        return [zero.getBoundingClientRect().left, Math.min(...[...svg.querySelectorAll('.chart-bars rect')].map(r => r.getBoundingClientRect().left)),
                Math.max(...[...svg.querySelectorAll('.chart-bars rect')].map(r => r.getBoundingClientRect().right))];
    }""")
    label_left, bars_left, bars_right = axis
    assert label_left < bars_left if language == "en" else label_left > bars_right
    assert page.console_errors == []


def test_choosing_a_programme_swaps_the_report_and_the_address_follows(live_server, page, coordinator):
    sign_in(page, live_server, "boss@example.org")
    page.goto(f"{live_server}/coordinator/reports")
    page.evaluate("window.__marker = 1")
    with page.expect_response(re.compile(r"/coordinator/reports\?")) as caught:
        page.locator("#report-programme").select_option("maths")
    assert caught.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#report")).to_contain_text("Programme: Maths.")
    assert "programme=maths" in page.url
    assert page.evaluate("window.__marker") == 1
    assert page.locator("#report").count() == 1
