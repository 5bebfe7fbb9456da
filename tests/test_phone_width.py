"""Every main page fits a 360 px phone, in Arabic and English, for every role (issue 22, item 4).

Real Chromium on the demo data, with a booking, a safeguarding report and a
few audit entries added so that every page has rows to show. One browser
context per role and language; each page fails when the document is wider
than the viewport (``scrollWidth`` > ``innerWidth``), which on a phone means
sideways panning (in Arabic, the start of the page hidden off the right).
Wide tables and grids may scroll inside their own box; the page may not.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.coordinators.coordinator_support import add_session
from tutoring.extensions import db
from tutoring.models import Programme, User
from tutoring.services.coordinators import coordination
from tutoring.booking.operations import book_session
from tutoring.services.demodata.demo import DEMO_PASSWORD, load_demo
from tutoring.services.sessions.rooms import post_message, report_room
from tutoring.services.coordinators.safeguarding import file_report
from tutoring.booking.slots import next_slots
from tutoring.timeutil import utcnow

PHONE = {"width": 360, "height": 740}
ZONES = {"ar": "Asia/Kathmandu", "en": "Europe/London"}
ACCOUNTS = {"learner": "sami@example.org", "volunteer": "amira.hassan@example.org",
            "coordinator": "coordinator@example.org"}
MEASURED: dict[str, int] = {}


@pytest.fixture
def demo(app):
    """Demo data plus a booking of Sami's with Amira, a report about it and audit entries; returns the paths."""
    with app.app_context():
        load_demo()
        users = {user.email: user for user in db.session.scalars(db.select(User))}
        amira, sami, coordinator = (users[ACCOUNTS[role]] for role in ("volunteer", "learner", "coordinator"))
        now = utcnow()
        starts = [slot.start_at for slot in
                  next_slots([amira.volunteer_profile], now, now + timedelta(days=60), 2)[amira.id]]
        amira_id, sami_id, coordinator_id = amira.id, sami.id, coordinator.id
        programme_id = db.session.scalars(db.select(Programme.id).order_by(Programme.id)).first()
    with app.app_context():
        booking = book_session(sami_id, amira_id, starts[0], "tutoring").id
    with app.app_context():
        sami = db.session.get(User, sami_id)
        # A room with a long unbroken word and a masked number: messages must wrap, not widen the page.
        post_message(sami, booking, "Fractions " + "x" * 80 + " and call me 0555 123 4567")
        file_report(sami, "The volunteer asked for my phone number and a long explanation follows " * 3,
                    booking_id=booking)
        report_room(sami, booking, "The room's messages worried me")  # the coordinators' page shows them
        coordinator = db.session.get(User, coordinator_id)
        amira = db.session.get(User, amira_id)
        for action in ("programme.add_member", "programme.train", "volunteer.pause"):
            coordination.audit(coordinator, action, subject=amira, programme_id=programme_id,
                               reason="A reason given at some length, as coordinators sometimes write them.")
        db.session.commit()
        # A support session that ended a few minutes ago: its check-in, escalation and debrief (issue 18).
        past = add_session(amira_id, sami_id, now.replace(microsecond=0) - timedelta(minutes=50), minutes=45,
                           status="confirmed", kind="support")
    free = starts[1].strftime("%Y-%m-%dT%H:%M:%SZ")
    guardian_pages = _guardian_pages(app)
    return {
        "visitor": ["/", f"/volunteers/{amira_id}", "/find-a-time", "/auth/login", "/auth/signup", "/auth/reset",
                    "/help?country=EG", "/help?country=all", *guardian_pages],
        "learner": ["/", "/find-a-time", f"/volunteers/{amira_id}", f"/volunteers/{amira_id}/book?start={free}",
                    f"/volunteers/{amira_id}/series?start={free}", f"/bookings/{booking}",
                    f"/bookings/{booking}/cancel", f"/bookings/{booking}/reschedule", "/sessions", "/me/",
                    "/me/profile", "/me/calendar", "/me/privacy", f"/safety/report?booking={booking}",
                    f"/bookings/{past}/check-in", f"/sessions/{booking}/room",
                    f"/safety/report?booking={booking}&room=1"],
        "volunteer": ["/me/", "/me/setup", "/me/availability", "/me/profile", "/me/calendar", "/me/calendars",
                      "/me/privacy",
                      "/sessions", f"/bookings/{booking}", f"/bookings/{booking}/cancel", "/certificate/",
                      "/safety/blocks", f"/volunteers/{amira_id}", f"/bookings/{past}", f"/bookings/{past}/check-in",
                      f"/sessions/{booking}/room", f"/safety/report?booking={booking}&room=1"],
        "coordinator": ["/coordinator/", "/coordinator/programmes", f"/coordinator/programmes/{programme_id}",
                        "/coordinator/reports", "/coordinator/sessions", "/coordinator/safeguarding",
                        "/coordinator/audit", "/coordinator/duty", "/coordinator/training", "/coordinator/minors",
                        f"/coordinator/volunteers/{amira_id}", "/coordinator/help",
                        f"/coordinator/volunteers/{amira_id}/certificate", "/me/profile", "/me/calendar"],
    }


def _guardian_pages(app) -> list[str]:
    """The guardian's consent page and withdrawal page (issue 19), from the links they are mailed."""
    from urllib.parse import urlsplit

    from tutoring.services.minors import guardians
    from tutoring.services.people.accounts import create_user

    with app.app_context():
        asking = create_user("minor.asking@example.org", role="learner", display_name="Nour", timezone="Africa/Cairo",
                             password=DEMO_PASSWORD)
        given = create_user("minor.given@example.org", role="learner", display_name="Rami", timezone="Africa/Cairo",
                            password=DEMO_PASSWORD)
        pending = guardians.request_consent(asking, "guardian.one@example.net")
        consent = guardians.request_consent(given, "guardian.two@example.net")
        db.session.commit()
        guardians.decide(consent, True)
        return [urlsplit(guardians.consent_link(pending)).path, urlsplit(guardians.withdraw_link(consent)).path]


def set_language(app, email: str, language: str) -> None:
    """Signed-in pages speak the account's language: set it before looking."""
    with app.app_context():
        db.session.scalars(db.select(User).where(User.email == email)).one().language = language
        db.session.commit()


def page_width(page) -> dict:
    return page.evaluate("""() => {
        const root = document.documentElement;
        const wide = [...document.body.querySelectorAll('*')]
            .filter(element => { const box = element.getBoundingClientRect();
                                 return box.width > 0 && (box.right > root.clientWidth + 1 || box.left < -1); })
            .filter(element => !element.closest('.visually-hidden'))
            .slice(0, 3)
            .map(element => element.tagName.toLowerCase() + (element.className ? '.' + String(element.className).split(' ')[0] : ''));
        return {scroll: root.scrollWidth, viewport: window.innerWidth, wide};
    }""")


def grid_opens_at_its_start(page) -> bool:
    """Find-a-time's week grid shows its hour labels and first day when the page opens (it scrolls in its box)."""
    return page.evaluate("""() => {
        const inView = element => { const box = element.getBoundingClientRect();
                                    return box.left >= 0 && box.right <= document.documentElement.clientWidth; };
        const table = document.querySelector('table.free-table');
        return inView(table.querySelector('tbody th[scope=row]')) && inView(table.querySelector('thead th'));
    }""")


@pytest.mark.any_instant("sunday-late-utc")
def test_every_page_fits_a_360_px_phone(app, browser, live_server, demo):
    too_wide = []
    for role, paths in demo.items():
        for language in ("ar", "en"):
            context = browser.new_context(viewport=PHONE, locale="ar-SA" if language == "ar" else "en-GB",
                                          timezone_id=ZONES[language], extra_http_headers={"Accept-Language": language})
            try:
                page = context.new_page()
                if role == "visitor":
                    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
                else:
                    set_language(app, ACCOUNTS[role], language)
                    page.goto(f"{live_server}/auth/login")
                    page.locator("input[name=email]").fill(ACCOUNTS[role])
                    page.locator("input[name=password]").fill(DEMO_PASSWORD)
                    page.locator("form.auth-form button[type=submit]").click()
                    page.wait_for_load_state("load")
                for path in paths:
                    response = page.goto(live_server + path)
                    assert response is not None and response.status == 200, f"{role} {path}: {response and response.status}"
                    if not path.startswith("/coordinator/volunteers/") or not path.endswith("/certificate"):
                        # (a certificate is written in its volunteer's language, whoever looks at it)
                        assert page.locator("html").get_attribute("lang") == language, f"{role} {path}"
                    width = page_width(page)
                    MEASURED[f"{role} {path} ({language})"] = width["scroll"]
                    if path == "/find-a-time" and not grid_opens_at_its_start(page):
                        too_wide.append(f"{role} {path} ({language}): the grid opens panned, hours or Monday hidden")
                    if width["scroll"] > width["viewport"]:
                        too_wide.append(f"{role} {path} ({language}): {width['scroll']} px, e.g. {width['wide']}")
            finally:
                context.close()
    print("\n".join(f"{name}: {px} px" for name, px in MEASURED.items()))
    assert not too_wide, "pages wider than a 360 px phone:\n" + "\n".join(too_wide)
