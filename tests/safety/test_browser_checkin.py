"""End to end in Chromium, in Arabic on a 360 px phone (issue 18 "Must show"): a support session ends, the worker
mails each party a check-in link over real SMTP (aiosmtpd); the volunteer opens it without signing in and says
they are worried; the worker mails the coordinator on duty (and only them: the other is off duty) at once, without
the comment; the coordinator finds the urgent item at the top of the safeguarding queue, with the comment.
"""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.coordinators.coordinator_support import add_session
from tests.notices.test_outbox_support import decoded_text, run_worker, smtp_sink  # noqa: F401  (fixture)
from tutoring.extensions import db
from tutoring.models import DutyShift, SafeguardingReport
from tutoring.timeutil import utcnow

PHONE = {"width": 360, "height": 740}
COMMENT = "قال إنه لا يشعر بالأمان في البيت PRIVATE-7731"


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_worried_check_in_reaches_the_on_duty_coordinator_by_smtp_and_the_urgent_queue(
        app, browser, live_server, make_user, smtp_sink):
    port, sink = smtp_sink
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, BASE_URL=live_server)
    volunteer = make_user("volunteer", name="ليلى", timezone="Africa/Cairo", language="ar", email="layla@example.org")
    learner = make_user("learner", name="عمر", timezone="Asia/Riyadh", language="ar", email="omar@example.org")
    huda = make_user("coordinator", name="هدى", timezone="Asia/Riyadh", language="ar", email="huda@example.org")
    make_user("coordinator", name="Karim", timezone="Europe/London", email="karim@example.org")
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        local = now.astimezone(ZoneInfo("Asia/Riyadh"))
        # Huda's shift covers now (and wraps past midnight when it must); Karim has none, so he is off duty
        # while someone is on duty.
        db.session.add(DutyShift(coordinator_id=huda.id, weekday=(local - timedelta(hours=2)).weekday(),
                                 start=(local - timedelta(hours=2)).strftime("%H:%M"),
                                 end=(local + timedelta(hours=2)).strftime("%H:%M"), timezone="Asia/Riyadh"))
        db.session.commit()
        add_session(volunteer.id, learner.id, now - timedelta(minutes=50), minutes=45, status="confirmed",
                    kind="support")

    run_worker(app)  # the check-ins of the session that just ended
    sink.wait_for(2)
    mails = {message["To"].addresses[0].addr_spec: decoded_text(message) for message in sink.messages()}
    link = re.search(r"(/check-ins/\S+)", mails["layla@example.org"]).group(1)

    context = browser.new_context(viewport=PHONE, locale="ar-SA", timezone_id="Africa/Cairo")
    try:
        page = context.new_page()
        page.goto(live_server + link)  # no sign-in
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.get_by_label("نعم، عُقدت").check()
        page.get_by_label("غير جيدة").check()
        page.get_by_label("أنا قلق على سلامة هذا الشخص").check()
        page.locator("#check-in-comment").fill(COMMENT)
        assert fits_the_phone(page)
        page.get_by_role("button", name="إرسال").click()
        expect(page.get_by_text("شكرًا على إجابتك. تم تسجيلها.")).to_be_visible()
        assert fits_the_phone(page)

        run_worker(app)  # the urgent email, at once
        sink.wait_for(3)
        urgent = [message for message in sink.messages() if "عاجل" in str(message["Subject"])]
        assert [m["To"].addresses[0].addr_spec for m in urgent] == ["huda@example.org"]
        everything = "\n".join(decoded_text(message) for message in sink.messages())
        assert "PRIVATE-7731" not in everything

        # The coordinator on duty follows the link from her email, signs in, and finds the urgent item first.
        target = re.search(r"(/coordinator/safeguarding#report-\d+)", decoded_text(urgent[0])).group(1)
        coordinator = context.browser.new_context(viewport=PHONE, locale="ar-SA", timezone_id="Asia/Riyadh")
        try:
            desk = coordinator.new_page()
            desk.goto(f"{live_server}/auth/login")
            desk.locator("input[name=email]").fill("huda@example.org")
            desk.locator("input[name=password]").fill(TEST_PASSWORD)
            desk.get_by_role("button", name="تسجيل الدخول").click()
            expect(desk.locator(".account-name")).to_be_visible()
            desk.goto(live_server + target)
            first = desk.locator("article.report-item").first
            expect(first.locator(".badge-urgent")).to_have_text("عاجل")
            expect(first).to_contain_text("PRIVATE-7731")
            assert fits_the_phone(desk)
        finally:
            coordinator.close()
    finally:
        context.close()
    with app.app_context():
        (report,) = db.session.scalars(db.select(SafeguardingReport)).all()
        assert report.urgent and report.source == "check_in"
