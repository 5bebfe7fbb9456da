"""The free-time grid in a real browser, in Arabic: a learner in Riyadh ticks the hours they are free (with the
keyboard), filters by subject and language, finds the volunteer whose slots fit, and books one of those times.

The live server runs on the real clock, so the hours ticked are worked out
here from tomorrow's date; expected texts come from the Arabic catalogue and
the app's own formatter for the two zones.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from babel.support import Translations
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tutoring.extensions import db
from tutoring.formatting import format_instant
from tutoring.models import Booking
from tutoring.timeutil import utcnow

RIYADH, KATHMANDU = ZoneInfo("Asia/Riyadh"), ZoneInfo("Asia/Kathmandu")
AR = Translations.load(str(Path(__file__).resolve().parents[2] / "translations"), ["ar"])
# Kathmandu 14:45-17:45 is 09:00-12:00 UTC, i.e. 12:00-15:00 in Riyadh.
EVERY_DAY = [(weekday, "14:45", "17:45") for weekday in range(7)]


def test_an_arabic_learner_marks_free_hours_finds_a_volunteer_and_books_a_matching_time(
    app, live_server, browser, make_user
):
    nadia = make_user("volunteer", name="نادية", timezone="Asia/Kathmandu", language="ar", rules=EVERY_DAY,
                      session_minutes=45, buffer_minutes=15, min_notice_hours=1, kinds=["tutoring"],
                      subjects=["الفيزياء"], languages=["ar"])
    make_user("volunteer", name="كريم", timezone="UTC", rules=[(d, "09:00", "12:00") for d in range(7)],
              kinds=["tutoring"], subjects=["التاريخ"], languages=["ar"])
    sami = make_user("learner", name="سامي", email="sami@example.org", timezone="Asia/Riyadh", language="ar")

    context = browser.new_context(locale="ar", timezone_id="Asia/Riyadh")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server}/auth/login")
        page.locator("input[name=email]").fill("sami@example.org")
        page.locator("input[name=password]").fill(TEST_PASSWORD)
        page.get_by_role("button", name=AR.gettext("Sign in")).click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")

        page.get_by_role("navigation", name=AR.gettext("Main")).get_by_role("link", name=AR.gettext("Find a time")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(AR.gettext("Find a time that suits you both"))

        # Tomorrow (Riyadh) 13:00-15:00 is free: 10:00-12:00 UTC, where Nadia has two slots (10:00 and 11:00 UTC).
        tomorrow = datetime.now(RIYADH).date() + timedelta(days=1)
        for hour in (13, 14):
            box = page.locator(f"#free-{tomorrow.weekday()}-{hour}")
            # Each box is named by its label: the day and the hour, in Arabic.
            assert re.search(r"[\u0600-\u06ff]", box.evaluate("el => el.labels[0].textContent"))
            box.focus()
            page.keyboard.press("Space")
            expect(box).to_be_checked()
        page.get_by_label(AR.gettext("Subject")).fill("الفيزياء")
        page.get_by_label(AR.gettext("Language")).select_option("ar")
        page.get_by_label(AR.gettext("Kind of session")).select_option("tutoring")
        page.get_by_role("button", name=AR.gettext("Find volunteers")).click()

        results = page.locator("#find-results")
        expect(results.locator(".find-card")).to_have_count(1)
        card = results.locator(".find-card")
        expect(card.locator("h3")).to_have_text("نادية")
        expect(card).to_contain_text(AR.ngettext("%(num)d matching time", "%(num)d matching times", 2) % {"num": 2})
        # The grid's state is in the URL: a shared link shows the same ticked hours and filters.
        query = parse_qs(urlsplit(page.url).query)
        assert sorted(query["free"]) == [f"{tomorrow.weekday()}-13", f"{tomorrow.weekday()}-14"]
        assert query["subject"] == ["الفيزياء"] and query["language"] == ["ar"] and query["kind"] == ["tutoring"]

        # Each matching time in both zones: the learner's (Riyadh) and Nadia's (Kathmandu).
        first = card.locator("a.slot").first
        start = datetime.fromisoformat(first.locator("time").get_attribute("datetime"))
        assert start == datetime.combine(tomorrow, time(13), RIYADH).astimezone(UTC)
        with app.test_request_context():
            mine, theirs = format_instant(start, "Asia/Riyadh", "ar"), format_instant(start, "Asia/Kathmandu", "ar")
        expect(first.locator(".find-mine")).to_have_text(mine)
        expect(first.locator(".find-theirs")).to_contain_text(theirs)

        first.click()
        expect(page).to_have_url(re.compile(rf"/volunteers/{nadia.id}/book\?start="))
        page.get_by_label(AR.gettext("Tutoring")).check()
        page.get_by_role("button", name=AR.gettext("Book this session")).click()
        expect(page.locator(".flash")).to_have_text(AR.gettext("Your session is booked."))
        assert errors == []
    finally:
        context.close()

    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert booking.learner_id == sami.id and booking.session.volunteer_id == nadia.id
        assert booking.start_at == start and booking.start_at > utcnow()
