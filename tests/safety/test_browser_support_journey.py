"""End to end in Chromium, in Arabic on a 360 px phone (issue 18's first "Must show"): a support seeker reaches
their country's help lines from the home page in one tap; a listener not yet trained for support is neither
found under support nor bookable for it (page and API: 409 ``volunteer_not_trained``) until a coordinator marks
them trained on the coordinator's page; then the seeker finds and books them for support.

The live server runs on the real clock: the slot is whatever the listener offers next, read from the page.
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tutoring.extensions import db
from tutoring.booking.slots import slots_in_range
from tutoring.models import AuditEntry, Booking, HelpResource, VolunteerProfile
from tutoring.timeutil import utcnow

PHONE = {"width": 360, "height": 740}
EVERY_DAY = [(weekday, "00:00", "23:00") for weekday in range(7)]


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page.locator(".account-name")).to_be_visible()


def test_a_seeker_finds_help_in_one_tap_and_books_a_listener_only_once_trained(
        app, browser, live_server, make_user, client, bearer):
    with app.app_context():
        db.session.add_all([
            HelpResource(country="SA", name="خط الدعم النفسي التجريبي", phone="+00 920", whatsapp="+966 500 000 000",
                         languages=["ar"]),
            HelpResource(country="GB", name="British test line", phone="+00 44"),
        ])
        db.session.commit()
    listener = make_user("volunteer", name="سلمى", email="salma@example.org", timezone="Africa/Cairo", language="ar",
                         kinds=["support"], trained=(), rules=EVERY_DAY, session_minutes=30, buffer_minutes=0,
                         min_notice_hours=1)
    seeker = make_user("learner", name="نور", email="nour@example.org", timezone="Asia/Riyadh", language="ar")
    make_user("coordinator", name="هدى", email="huda@example.org", timezone="Asia/Riyadh", language="ar")

    context = browser.new_context(viewport=PHONE, locale="ar-SA", timezone_id="Asia/Riyadh")
    try:
        page = context.new_page()
        sign_in(page, live_server, "nour@example.org")

        # Help, one tap from the home page: the footer link opens the lines of the seeker's country.
        page.goto(f"{live_server}/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.get_by_role("link", name="بحاجة إلى مساعدة الآن؟").first.click()
        expect(page).to_have_url(re.compile(r"/help$"))
        expect(page.locator(".help-resource")).to_have_count(1)
        expect(page.locator(".help-resource")).to_contain_text("خط الدعم النفسي التجريبي")
        expect(page.locator('.help-resource a[href="https://wa.me/966500000000"]')).to_have_text("+966 500 000 000")
        expect(page.get_by_text("British test line")).to_have_count(0)
        assert fits_the_phone(page)

        # The untrained listener isn't found under support, and their booking page offers no support.
        page.goto(f"{live_server}/?kind=support")
        expect(page.locator(".card").filter(has_text="سلمى")).to_have_count(0)
        assert fits_the_phone(page)
        with app.app_context():
            now = utcnow()
            start = slots_in_range(db.session.get(VolunteerProfile, listener.id), now, now + timedelta(days=8),
                                   now)[0].start_at
        page.goto(f"{live_server}/volunteers/{listener.id}/book?start={quote(start.isoformat())}")
        expect(page.locator("main .notice[role=alert]")).to_contain_text("حتى يسجّل أحد المنسقين")
        expect(page.get_by_role("button", name="احجز هذه الجلسة")).to_have_count(0)
        assert fits_the_phone(page)
        # Posting the form anyway (an old tab) gets the engine's refusal, 409, nothing booked.
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        forced = page.request.post(page.url, form={"csrf_token": token, "kind": "support"})
        assert forced.status == 409 and "حتى يسجّل أحد المنسقين" in forced.text()
        refused = client.post("/api/v1/bookings", headers=bearer(seeker),
                              json={"volunteer_id": listener.id, "start": start.isoformat(), "kind": "support"})
        assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "volunteer_not_trained"
        listed = client.get("/api/v1/volunteers?kind=support", headers=bearer(seeker)).get_json()
        assert listener.id not in [volunteer["id"] for volunteer in listed]

        # A coordinator marks the listener trained on their page (in the browser, on a phone, in Arabic).
        desk_context = browser.new_context(viewport=PHONE, locale="ar-SA", timezone_id="Asia/Riyadh")
        try:
            desk = desk_context.new_page()
            sign_in(desk, live_server, "huda@example.org")
            desk.goto(f"{live_server}/coordinator/volunteers/{listener.id}#training")
            desk.locator("#training-kind").select_option("support")
            desk.get_by_role("button", name="اعتماده متدرباً").click()
            expect(desk.locator(".flash")).to_contain_text("حُفظ التدريب.")
            assert fits_the_phone(desk)
        finally:
            desk_context.close()

        # Now the seeker finds the listener under support and books them for support.
        page.goto(f"{live_server}/?kind=support")
        card = page.locator(".card").filter(has_text="سلمى")
        expect(card).to_have_count(1)
        card.locator("a.slot").first.click()
        expect(page).to_have_url(re.compile(rf"/volunteers/{listener.id}/book\?start="))
        page.locator("input[name=kind][value=support]").check()
        assert fits_the_phone(page)
        page.get_by_role("button", name="احجز هذه الجلسة").click()
        expect(page.locator(".flash")).to_have_text("تم حجز جلستك.")
        assert fits_the_phone(page)
    finally:
        context.close()
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert (booking.volunteer_id, booking.learner_id, booking.kind, booking.status) == (
            listener.id, seeker.id, "support", "confirmed")
        assert db.session.scalar(db.select(AuditEntry.action).where(AuditEntry.subject_user_id == listener.id)) \
            == "training.mark"
