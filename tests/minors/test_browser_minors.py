"""A 15-year-old in a real browser (SPEC §7 "Minors", issue 19): sign up, wait for the guardian, book a cleared volunteer.

The learner signs up as under 18 with a guardian's address; booking is
refused with the reason on the page; the guardian opens the link from the
email that reached a real SMTP server (aiosmtpd) and consents; the learner
books a cleared volunteer and the guardian gets the notice. An uncleared
volunteer can't be booked by the minor through the pages (not offered, 404)
nor the API (409 ``volunteer_not_cleared``, over real HTTP).
"""
from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from tests.notices.test_outbox_support import smtp_sink  # noqa: F401  (fixture)
from tutoring.extensions import db
from tutoring.models import Booking, GuardianConsent, User
from tutoring.services.people.accounts import issue_api_token
from tutoring.services.coordinators.coordination import mark_cleared
from tutoring.worker import Worker

EVERY_DAY = [(weekday, "00:00", "23:30") for weekday in range(7)]
PASSWORD = "a long enough password"
GUARDIAN = "parent@example.net"


def deliver(app) -> None:
    """The worker sends what is queued, over SMTP to the test server."""
    Worker(app).run(once=True)


def mail_to(sink, address: str, subject_part: str):
    found = [m for m in sink.messages() if m["To"] == address and subject_part in str(m["Subject"])]
    assert found, [str(m["Subject"]) for m in sink.messages()]
    return found[-1]


def test_a_minor_signs_up_waits_for_consent_and_books_only_a_cleared_volunteer(
        app, live_server, browser, make_user, smtp_sink):
    port, sink = smtp_sink
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    clara = make_user("volunteer", name="Clara Cleared", rules=EVERY_DAY, min_notice_hours=1, session_minutes=30)
    una = make_user("volunteer", name="Una Uncleared", rules=EVERY_DAY, min_notice_hours=1, session_minutes=30)
    with app.app_context():
        mark_cleared(None, clara.id, checked_on=date(2020, 1, 1))

    context = browser.new_context(locale="en-GB", timezone_id="Asia/Amman")
    learner = context.new_page()
    errors: list[str] = []
    learner.on("pageerror", lambda error: errors.append(str(error)))

    # Sign-up: a learner, under 18, with a guardian's address (the field shows once "under 18" is chosen).
    learner.goto(f"{live_server}/auth/signup")
    learner.get_by_label("Book sessions with volunteers").check()
    expect(learner.get_by_label("Your parent's or guardian's address")).to_be_hidden()
    learner.get_by_label("I am under 18").check()
    learner.get_by_label("Display name").fill("Sami")
    learner.get_by_label("Email", exact=True).fill("sami15@example.org")
    learner.get_by_label("Password", exact=True).fill(PASSWORD)
    learner.get_by_label("Password again").fill(PASSWORD)
    learner.get_by_label("Time zone").fill("Asia/Amman")
    learner.get_by_label("Your parent's or guardian's address").fill(GUARDIAN)
    learner.get_by_role("button", name="Create account").click()
    expect(learner).to_have_url(re.compile(r"/auth/signup/sent"))
    learner.goto(f"{live_server}/auth/login")
    learner.get_by_label("Email").fill("sami15@example.org")
    learner.get_by_label("Password").fill(PASSWORD)
    learner.get_by_role("button", name="Sign in").click()
    expect(learner.locator(".account-name")).to_be_visible()

    # Browsing works; only the cleared volunteer is shown; booking is refused, and the page says why.
    learner.goto(f"{live_server}/")
    expect(learner.locator(".card").filter(has_text="Clara Cleared")).to_have_count(1)
    expect(learner.locator(".card").filter(has_text="Una Uncleared")).to_have_count(0)
    learner.locator(".card").filter(has_text="Clara Cleared").locator("a.slot").first.click()
    expect(learner.locator(".guardian-waiting")).to_contain_text("Waiting for your parent or guardian")
    booking_url = learner.url
    learner.get_by_label("Tutoring").check()
    learner.get_by_role("button", name="Book this session").click()
    expect(learner.locator(".form-error")).to_contain_text("once your parent or guardian has agreed")
    with app.app_context():
        assert db.session.scalar(db.select(Booking.id)) is None

    # The guardian's email arrives over SMTP; they open its link in their own browser and consent.
    deliver(app)
    request = mail_to(sink, GUARDIAN, "asks for your consent")
    link = re.search(r"https?://\S+(/guardian/consent/\S+)", request.get_body(("plain",)).get_content()).group(1)
    guardian_context = browser.new_context(locale="en-GB")
    guardian = guardian_context.new_page()
    guardian.goto(f"{live_server}{link}")
    expect(guardian.get_by_role("heading", name="What we store")).to_be_visible()
    guardian.get_by_role("button", name="I consent").click()
    expect(guardian.locator(".notice")).to_contain_text("Sami can now book sessions")
    with app.app_context():
        learner_id = User.by_email("sami15@example.org").id
        assert db.session.get(GuardianConsent, learner_id).status == "consented"

    # Now the learner books the cleared volunteer.
    learner.goto(booking_url)
    expect(learner.locator(".guardian-waiting")).to_have_count(0)
    learner.get_by_label("Tutoring").check()
    learner.get_by_role("button", name="Book this session").click()
    expect(learner.locator(".flash")).to_have_text("Your session is booked.")

    # The guardian gets the notice, with the volunteer's display name and no one's address.
    deliver(app)
    notice = mail_to(sink, GUARDIAN, "booked a session with Clara Cleared")
    body = notice.get_body(("plain",)).get_content()
    assert "/guardian/withdraw/" in body and "@example.org" not in body

    # The uncleared volunteer: not found through the pages...
    answer = learner.goto(f"{live_server}/volunteers/{una.id}")
    assert answer.status == 404
    # ...and refused by the API (real HTTP, the minor's own token).
    with app.app_context():
        token = issue_api_token(db.session.get(User, learner_id))
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    listed = learner.request.get(f"{live_server}/api/v1/volunteers", headers=headers).json()
    assert [v["id"] for v in listed] == [clara.id]
    start = re.search(r"start=([^&]+)", booking_url).group(1).replace("%3A", ":")
    refused = learner.request.post(f"{live_server}/api/v1/bookings", headers=headers,
                                   data={"volunteer_id": una.id, "start": start, "kind": "tutoring"})
    assert refused.status == 409 and refused.json()["error"]["code"] == "volunteer_not_cleared"
    assert errors == []
    guardian_context.close()
    context.close()
