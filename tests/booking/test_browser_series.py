"""A learner reading Arabic books six weeks in a real browser, cancels the third on "My sessions" and sees it there.

The live server runs on the real clock: the weeks are whatever Tuesdays the
volunteer offers next, read from the database with ``zoneinfo`` here.
"""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from tutoring.extensions import db
from tutoring.timeutil import utc_iso
from tutoring.models import Booking, Session, VolunteerProfile
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow


def test_book_six_weeks_in_arabic_cancel_the_third_and_see_it_in_my_sessions(app, live_server, page, make_user):
    volunteer = make_user("volunteer", name="هدى", timezone="Asia/Riyadh", rules=[(1, "18:00", "19:00")],
                          horizon_days=120, kinds=["tutoring"])
    make_user("learner", name="نور", email="noor@example.org", timezone="Asia/Riyadh", language="ar")
    with app.app_context():
        now = utcnow()
        profile = db.session.get(VolunteerProfile, volunteer.id)
        tuesdays = [slot.start_at for slot in slots_in_range(profile, now, now + timedelta(days=70), now)]
    first = tuesdays[0]

    page.goto(f"{live_server}/auth/login")
    page.locator("input[name=email]").fill("noor@example.org")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    page.goto(f"{live_server}/volunteers/{volunteer.id}/book?start={utc_iso(first)}")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    page.locator("#series-weeks").select_option("6")
    page.locator("form.series-offer button[type=submit]").click()

    # The preview: six free weeks, in Arabic.
    expect(page.locator("h1")).to_contain_text("كل أسبوع مع")
    expect(page.locator("tr.week-free")).to_have_count(6)
    page.locator("form.booking-form button[type=submit]").click()

    # The series page lists the six weeks.
    expect(page.locator("h1")).to_contain_text("جلسات أسبوعية مع")
    expect(page.locator("ol.series-weeks li")).to_have_count(6)

    with app.app_context():
        bookings = db.session.scalars(
            select(Booking).join(Booking.session).order_by(Session.start_at)
        ).all()
        assert [b.session.start_at for b in bookings] == tuesdays[:6]
        third = bookings[2].id

    page.goto(f"{live_server}/sessions")
    expect(page.locator(".series-badge")).to_have_count(6)
    row = page.locator(f"#booking-{third}")
    row.locator("a.button[hx-get]").click()  # "Cancel…": htmx swaps in the confirmation
    row.locator("button.button-danger").click()
    expect(page.locator(f"#booking-{third}.status-cancelled")).to_be_visible()

    page.reload()
    upcoming = page.locator("section[aria-labelledby=upcoming-heading] li.session-row")
    expect(upcoming).to_have_count(5)
    cancelled = page.locator(f"section[aria-labelledby=past-heading] #booking-{third}")
    expect(cancelled).to_have_class("session-row status-cancelled")
    expect(cancelled.locator(".status")).to_have_text("ملغاة")
    expect(cancelled.locator("time").first).to_have_attribute("datetime", utc_iso(tuesdays[2]))
    assert page.console_errors == []
