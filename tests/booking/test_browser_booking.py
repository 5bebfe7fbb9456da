"""Booking across zones in a real browser: Kathmandu books Cairo, both see their own time, cancelling frees the slot.

The live server runs on the real clock, so the slot is whatever the volunteer
offers next; every expected local time is worked out here from the slot's UTC
instant (read from its ``<time datetime>``) with ``zoneinfo``, independently
of the app's Babel formatting.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tutoring.extensions import db
from tutoring.models import Booking

EVERY_DAY = [(weekday, "08:00", "20:00") for weekday in range(7)]
KATHMANDU, CAIRO = ZoneInfo("Asia/Kathmandu"), ZoneInfo("Africa/Cairo")


def text(locator) -> str:
    """Visible text with Babel's narrow no-break spaces as plain spaces."""
    return locator.inner_text().replace("\u202f", " ").replace("\u2009", " ").strip()


def short(instant: datetime, zone: ZoneInfo) -> str:
    """``Tue, Jan 12, 9:45 PM``: how lists show a start (English)."""
    local = instant.astimezone(zone)
    return f"{local:%a, %b} {local.day}, {local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def full(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """``Tuesday, January 12, 2027, 9:45 PM – 10:15 PM``: how a booking page shows a session (same local day)."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)

    def clock(moment: datetime) -> str:
        return f"{moment.hour % 12 or 12}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"

    day = f"{local_start:%A, %B} {local_start.day}, {local_start.year}"
    if local_end.date() != local_start.date():
        return f"{day}, {clock(local_start)} – {local_end:%A, %B} {local_end.day}, {local_end.year}, {clock(local_end)}"
    return f"{day}, {clock(local_start)} – {clock(local_end)}"


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_be_visible()


def test_kathmandu_learner_books_cairo_volunteer_both_see_local_times_and_cancelling_frees_the_slot(
    app, live_server, open_context, make_user
):
    amira = make_user("volunteer", name="Amira", email="amira@example.org", timezone="Africa/Cairo",
                      rules=EVERY_DAY, session_minutes=30, buffer_minutes=0, min_notice_hours=1,
                      kinds=["tutoring", "support"], subjects=["Physics"])
    make_user("learner", name="Sami", email="sami@example.org", timezone="Asia/Kathmandu")

    # The learner, not signed in yet, finds Amira on the home page (search by subject) and picks her next time.
    learner = open_context(timezone_id="Asia/Kathmandu")
    learner.goto(f"{live_server}/?subject=physics")
    expect(learner.locator(".zone-now")).to_contain_text("Kathmandu time (UTC+05:45)")  # the browser's zone
    first_slot = learner.locator(".card").filter(has_text="Amira").locator("a.slot").first
    slot_utc = first_slot.locator("time").get_attribute("datetime")
    start = datetime.fromisoformat(slot_utc)
    end = start + timedelta(minutes=30)
    first_slot.click()
    expect(learner).to_have_url(re.compile(rf"/volunteers/{amira.id}/book\?start={re.escape(slot_utc)}$"))
    times = learner.locator(".session-times")
    expect(times).to_contain_text(full(start, end, KATHMANDU))
    expect(times).to_contain_text(full(start, end, CAIRO))

    # Signing in on the booking page itself comes straight back to the same slot.
    learner.locator("#inline-email").fill("sami@example.org")
    learner.locator("#inline-password").fill(TEST_PASSWORD)
    learner.get_by_role("button", name="Sign in and continue").click()
    expect(learner).to_have_url(re.compile(rf"/volunteers/{amira.id}/book\?start={re.escape(slot_utc)}$"))
    learner.get_by_label("Tutoring").check()
    learner.get_by_label("A note for the volunteer (optional)").fill("Newton's laws, please.")
    learner.get_by_role("button", name="Book this session").click()

    expect(learner.locator(".flash")).to_have_text("Your session is booked.")
    expect(learner.locator("h1")).to_have_text("Tutoring with Amira")
    expect(learner.locator(".session-times")).to_contain_text(full(start, end, KATHMANDU))
    expect(learner.locator(".session-times")).to_contain_text("Kathmandu time (UTC+05:45)")
    expect(learner.locator(".session-times")).to_contain_text(full(start, end, CAIRO))
    with app.app_context():
        booking = db.session.scalar(db.select(Booking))
        assert booking.start_at == start and booking.status == "confirmed"
        booking_id = booking.id

    # My sessions: the learner reads Kathmandu time...
    learner.get_by_role("navigation", name="Main").get_by_role("link", name="My sessions").click()
    row = learner.locator(f"#booking-{booking_id}")
    assert text(row.locator(".session-when time").first) == short(start, KATHMANDU)
    expect(row.locator(".session-title")).to_have_text("Tutoring with Amira")
    expect(learner.locator(".zone-now")).to_have_text("Times are shown in Kathmandu time (UTC+05:45).")

    # ...and the volunteer, signed in elsewhere, reads Cairo time for the same instant.
    volunteer = open_context(timezone_id="Europe/London")  # the account's zone wins over the browser's
    sign_in(volunteer, live_server, "amira@example.org")
    volunteer.goto(f"{live_server}/sessions")
    volunteer_row = volunteer.locator(f"#booking-{booking_id}")
    assert volunteer_row.locator(".session-when time").first.get_attribute("datetime") == slot_utc
    assert text(volunteer_row.locator(".session-when time").first) == short(start, CAIRO)
    expect(volunteer_row.locator(".session-title")).to_have_text("Tutoring with Sami")
    expect(volunteer_row).to_contain_text("Newton's laws, please.")  # the note, for the two of them

    # While booked, the slot is not offered on Amira's week page.
    week = f"{live_server}/volunteers/{amira.id}?week={start.astimezone(KATHMANDU).date().isoformat()}"
    learner.goto(week)
    expect(learner.locator(f'#week time[datetime="{slot_utc}"]')).to_have_count(0)

    # The learner cancels from My sessions: htmx swaps the row for the confirmation, then both lists, the
    # cancelled session now under "Past and cancelled" (issue 22), its result on it and focused.
    learner.goto(f"{live_server}/sessions")
    learner.evaluate("window.__marker = 1")  # survives only without a page load
    row = learner.locator(f"#booking-{booking_id}")
    row.get_by_role("link", name="Cancel…").click()
    expect(row.get_by_role("heading", name="Cancel this session?")).to_be_visible()
    row.get_by_label("Reason (optional)").fill("My exam moved.")
    row.get_by_role("button", name="Yes, cancel the session").click()
    expect(row.locator(".status")).to_have_text("Cancelled")
    expect(row).to_contain_text("The session is cancelled.")
    upcoming = learner.locator("section[aria-labelledby=upcoming-heading]")
    past = learner.locator("section[aria-labelledby=past-heading]")
    expect(past.locator(f"#booking-{booking_id}")).to_have_count(1)
    expect(upcoming.locator(f"#booking-{booking_id}")).to_have_count(0)
    expect(upcoming).to_contain_text("No upcoming sessions.")
    expect(learner.locator(f"#booking-{booking_id} .row-message")).to_be_focused()
    expect(learner.locator("#session-lists")).to_have_count(1)
    assert learner.evaluate("window.__marker") == 1
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"

    # The slot is offered again on the volunteer's week page.
    learner.goto(week)
    freed = learner.locator(f'#week a.slot:has(time[datetime="{slot_utc}"])')
    expect(freed).to_have_count(1)
    assert text(freed) == f"{start.astimezone(KATHMANDU).hour % 12 or 12}:{start.astimezone(KATHMANDU):%M} " + (
        "AM" if start.astimezone(KATHMANDU).hour < 12 else "PM")
    assert learner.console_errors == [] and volunteer.console_errors == []


def test_searching_booking_and_cancelling_work_without_javascript(app, live_server, open_context, make_user):
    make_user("volunteer", name="Amira", timezone="Africa/Cairo", rules=EVERY_DAY, session_minutes=30,
              buffer_minutes=0, min_notice_hours=1, subjects=["Physics"], languages=["ar"])
    make_user("volunteer", name="Ben", timezone="Europe/London", rules=EVERY_DAY, subjects=["History"])
    make_user("learner", name="Sami", email="sami@example.org", timezone="Asia/Kathmandu")
    page = open_context(java_script_enabled=False, timezone_id="Asia/Kathmandu")

    page.goto(live_server + "/")
    page.get_by_label("Subject").fill("physics")
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/\?subject=physics&language=ar&"))
    expect(page.locator(".card-title")).to_have_text(["Amira"])

    page.locator(".card a.slot").first.click()
    page.locator("#inline-email").fill("sami@example.org")
    page.locator("#inline-password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in and continue").click()
    page.get_by_label("Tutoring").check()
    page.get_by_role("button", name="Book this session").click()
    expect(page.locator(".flash")).to_have_text("Your session is booked.")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My sessions").click()
    page.get_by_role("link", name="Cancel…").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+/cancel$"))
    page.get_by_role("button", name="Yes, cancel the session").click()
    expect(page).to_have_url(re.compile(r"/sessions$"))
    expect(page.locator(".flash")).to_contain_text("The session is cancelled.")
    expect(page.locator(".session-row .status")).to_have_text("Cancelled")
    with app.app_context():
        assert db.session.scalar(db.select(Booking)).status == "cancelled"
