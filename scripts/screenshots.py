"""Take the README's screenshots: demo data in a throwaway SQLite database, the app on a free port, chromium.

    .venv/bin/python scripts/screenshots.py            # every shot, into docs/screenshots/
    .venv/bin/python scripts/screenshots.py home-ar    # only the shots named

To add a shot, append a ``Shot`` to ``SHOTS``: a page path (``{volunteer:EMAIL}``
is replaced by that demo volunteer's id), the UI language, the viewer's zone
and the window size; ``sign_in`` names a demo account to sign in as first
(its own language then wins), and ``prepare`` can click through the page
before the picture. Needs Debian's chromium (PLAYWRIGHT_CHROMIUM_EXECUTABLE,
default /usr/bin/chromium).
"""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]

DESKTOP = (1280, 800)
PHONE = (375, 812)
NARROW_PHONE = (360, 740)  # issue 22: every page fits it (tests/test_phone_width.py)


@dataclass(frozen=True)
class Shot:
    """One screenshot: which page, seen by whom, in what window."""

    name: str
    path: str
    language: str = "en"
    zone: str = "Asia/Kathmandu"
    size: tuple[int, int] = DESKTOP
    full_page: bool = True
    sign_in: str | None = None
    prepare: Callable | None = None


def fill_editor(page) -> None:
    """Give the availability editor an away period and an extra window (once per account), as a volunteer would."""
    if page.locator("#away .item").count() == 0:
        first = date.today() + timedelta(days=9)
        page.locator("#away-first-on").fill(first.isoformat())
        page.locator("#away-last-on").fill((first + timedelta(days=2)).isoformat())
        page.locator("#away button[type=submit]").last.click()
        page.locator("#away .item").wait_for()
    if page.locator("#extra .item").count() == 0:
        page.locator("#extra-day-on").fill((date.today() + timedelta(days=5)).isoformat())
        page.locator("#extra-start").fill("10:00")
        page.locator("#extra-end").fill("12:00")
        page.locator("#extra button[type=submit]").last.click()
        page.locator("#extra .item").wait_for()
    page.reload()  # without the "added" notes the swaps left
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")  # the reload keeps the scroll, which would move the sticky preview


def edit_inline(page) -> None:
    """Open one window's form in place and try a window that overlaps, to show both inline states."""
    fill_editor(page)
    page.locator("#day-1 .rule").first.get_by_role("link").first.click()
    page.locator("#day-1 form").wait_for()
    page.locator("#add-rule-3 a").click()
    page.locator("#add-rule-3 input[name=start]").fill("19:00")
    page.locator("#add-rule-3 input[name=end]").fill("21:00")
    page.locator("#add-rule-3 button[type=submit]").click()
    page.locator("#add-rule-3 .field-errors").wait_for()
    page.wait_for_load_state("networkidle")


def in_language(language: str):
    """A ``prepare`` that switches a signed-in account's language with the page's own switcher (the account's wins)."""

    def switch(page) -> None:
        page.locator(f".language-switcher button[value={language}]").click()
        page.wait_for_load_state("networkidle")

    return switch


def book_first_free(page, slots: str = "#week a.slot") -> None:
    """As the signed-in learner, book the first free time that takes (the demo learner may be busy at some): the
    confirmation page."""
    start = page.url
    for index in range(8):
        page.goto(start)
        page.locator(slots).nth(index).click()
        kinds = page.locator("form.booking-form input[name=kind]")
        if kinds.count():
            kinds.first.check()
        page.locator("form.booking-form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        if page.locator(".flashes").count():
            return
    raise RuntimeError(f"no free time on {start} could be booked")


def with_a_booking(page) -> None:
    """My sessions with at least one upcoming session: book the first free time on the home page if there is none."""
    if page.locator(".session-row").count() == 0:
        sessions_url = page.url
        page.goto(sessions_url.replace("/sessions", "/"))
        book_first_free(page, ".card a.slot")
        page.goto(sessions_url)
        page.wait_for_load_state("networkidle")


def send_a_report(page) -> None:
    """As the signed-in learner, send a safeguarding report from the form on the page (the coordinators' queue
    then has one)."""
    page.locator("#report-details").fill("The volunteer asked for my phone number during the session.")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def open_a_report_action(page) -> None:
    """Open "Write to the learner" under the first report."""
    page.locator(".report-action summary").last.click()


def ask_to_cancel(page) -> None:
    """Book a free time as the signed-in learner, then open that session's cancel step."""
    book_first_free(page)
    page.locator("a[href$='/cancel']").first.click()
    page.locator("form.cancel-form").wait_for()


AMIRA = "/volunteers/{volunteer:amira.hassan@example.org}"
PRIYA = "/volunteers/{volunteer:priya.shrestha@example.org}"

SHOTS = (
    Shot("home-en", "/", full_page=False),
    Shot("home-ar", "/", language="ar", zone="Asia/Riyadh", full_page=False),
    Shot("volunteer-en", "/volunteers/{volunteer:amira.hassan@example.org}"),
    Shot("volunteer-ar", "/volunteers/{volunteer:amira.hassan@example.org}", language="ar", zone="Asia/Riyadh"),
    Shot("volunteer-phone-ar", "/volunteers/{volunteer:amira.hassan@example.org}", language="ar", zone="Asia/Riyadh",
         size=PHONE),
    # The availability editor, signed in as a demo volunteer (their account's language and zone).
    Shot("editor-en", "/me/availability", sign_in="priya.shrestha@example.org", prepare=fill_editor),
    Shot("editor-ar", "/me/availability", language="ar", zone="Africa/Cairo", sign_in="amira.hassan@example.org",
         prepare=fill_editor),
    Shot("editor-phone-en", "/me/availability", sign_in="priya.shrestha@example.org", size=PHONE,
         prepare=fill_editor),
    Shot("editor-phone-ar", "/me/availability", language="ar", zone="Africa/Cairo",
         sign_in="amira.hassan@example.org", size=PHONE, prepare=fill_editor),
    Shot("editor-inline-en", "/me/availability", sign_in="priya.shrestha@example.org", prepare=edit_inline,
         size=(1280, 900), full_page=False),
    # Phones (375 px) for the pages above that had only a desktop picture.
    Shot("home-phone-en", "/", size=PHONE, full_page=False),
    Shot("home-phone-ar", "/", language="ar", zone="Asia/Riyadh", size=PHONE, full_page=False),
    Shot("volunteer-phone-en", AMIRA, size=PHONE),
    # The confirmation right after booking, signed in as a demo learner (Sami reads Arabic, Maya English).
    Shot("booking-en", PRIYA, zone="Europe/London", sign_in="maya@example.org", prepare=book_first_free),
    Shot("booking-ar", AMIRA, language="ar", zone="Asia/Riyadh", sign_in="sami@example.org", prepare=book_first_free),
    Shot("booking-phone-en", PRIYA, zone="Europe/London", sign_in="maya@example.org", size=PHONE,
         prepare=book_first_free),
    Shot("booking-phone-ar", AMIRA, language="ar", zone="Asia/Riyadh", sign_in="sami@example.org", size=PHONE,
         prepare=book_first_free),
    # My sessions, with the bookings made above.
    Shot("sessions-en", "/sessions", zone="Europe/London", sign_in="maya@example.org", prepare=with_a_booking),
    Shot("sessions-ar", "/sessions", language="ar", zone="Asia/Riyadh", sign_in="sami@example.org",
         prepare=with_a_booking),
    Shot("sessions-phone-en", "/sessions", zone="Europe/London", sign_in="maya@example.org", size=PHONE,
         prepare=with_a_booking),
    Shot("sessions-phone-ar", "/sessions", language="ar", zone="Asia/Riyadh", sign_in="sami@example.org", size=PHONE,
         prepare=with_a_booking),
    # The coordinator's report with its SVG charts (demo programmes and eight weeks of past sessions).
    Shot("report-en", "/coordinator/reports", zone="Europe/London", sign_in="coordinator@example.org",
         prepare=in_language("en")),
    Shot("report-ar", "/coordinator/reports", language="ar", zone="Europe/London", sign_in="coordinator@example.org",
         prepare=in_language("ar")),
    # Issue 22 on a 360 px phone in Arabic: wide grids and tables scroll in their own box, addresses wrap.
    Shot("find-phone-ar", "/find-a-time", language="ar", zone="Asia/Kathmandu", size=NARROW_PHONE),
    Shot("calendar-phone-ar", "/me/calendar", language="ar", zone="Asia/Riyadh", sign_in="sami@example.org",
         size=NARROW_PHONE),
    Shot("dashboard-phone-ar", "/me/", language="ar", zone="Africa/Cairo", sign_in="amira.hassan@example.org",
         size=NARROW_PHONE),
    Shot("report-phone-ar", "/coordinator/reports", language="ar", zone="Europe/London",
         sign_in="coordinator@example.org", size=NARROW_PHONE, prepare=in_language("ar")),
    # Issue 22, items 7, 9, 10, 12: the setup checklist (a pending demo volunteer), the certificate page with its
    # PDF link, the cancel step, a learner's report and the coordinators' actions on it; 360 px, Arabic.
    Shot("setup-phone-ar", "/me/setup", language="ar", zone="Asia/Amman", sign_in="layla.mansour@example.org",
         size=NARROW_PHONE),
    Shot("certificate-phone-ar", "/certificate/", language="ar", zone="Africa/Cairo",
         sign_in="amira.hassan@example.org", size=NARROW_PHONE),
    Shot("cancel-phone-ar", AMIRA, language="ar", zone="Asia/Riyadh", sign_in="sami@example.org",
         size=NARROW_PHONE, prepare=ask_to_cancel),
    Shot("safety-report-phone-ar", "/safety/report?volunteer={volunteer:amira.hassan@example.org}", language="ar",
         zone="Asia/Riyadh", sign_in="sami@example.org", size=NARROW_PHONE, prepare=send_a_report),
    Shot("safeguarding-phone-ar", "/coordinator/safeguarding", language="ar", zone="Europe/London",
         sign_in="coordinator@example.org", size=NARROW_PHONE, prepare=lambda page: (
             in_language("ar")(page), open_a_report_action(page))),
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    """Poll ``url`` until it answers 200 (or fail if the server died or took too long)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def resolve(path: str, database: Path) -> str:
    """Fill ``{volunteer:EMAIL}`` placeholders with ids from the demo database."""
    while "{volunteer:" in path:
        start = path.index("{volunteer:")
        end = path.index("}", start)
        email = path[start + len("{volunteer:"):end]
        with sqlite3.connect(database) as connection:
            row = connection.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        if row is None:
            raise LookupError(f"no demo user {email}")
        path = path[:start] + str(row[0]) + path[end + 1:]
    return path


def sign_in(page, base_url: str, email: str) -> None:
    """Sign in through the sign-in form with the demo password."""
    from tutoring.services.demodata.demo import DEMO_PASSWORD

    page.goto(base_url + "/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def take(shots: tuple[Shot, ...], base_url: str, database: Path) -> None:
    """Open each page in chromium with the shot's language and zone, and save a PNG."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            for shot in shots:
                width, height = shot.size
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    locale="ar-EG" if shot.language == "ar" else "en-GB",
                    timezone_id=shot.zone,
                )
                context.add_cookies([
                    {"name": "lang", "value": shot.language, "url": base_url},
                    {"name": "tz", "value": shot.zone, "url": base_url},
                ])
                page = context.new_page()
                if shot.sign_in:
                    sign_in(page, base_url, shot.sign_in)
                page.goto(base_url + resolve(shot.path, database))
                page.wait_for_load_state("networkidle")
                if shot.prepare:
                    shot.prepare(page)
                target = OUT / f"{shot.name}.png"
                page.screenshot(path=str(target), full_page=shot.full_page)
                context.close()
                print(f"{target.relative_to(ROOT)}  {width}x{height}  {shot.language}  {shot.zone}")
        finally:
            browser.close()


def main(names: list[str]) -> None:
    """Demo data, a running app, the shots asked for (all by default), then clean up."""
    shots = tuple(shot for shot in SHOTS if not names or shot.name in names)
    if not shots:
        raise SystemExit(f"no such shot; choose from {', '.join(shot.name for shot in SHOTS)}")
    with tempfile.TemporaryDirectory(prefix="tutoring-shots-") as folder:
        database = Path(folder) / "demo.sqlite3"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "TUTORING_INSTANCE_PATH": str(Path(folder) / "instance"),
            "RATELIMIT_ENABLED": "false",
        }
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run(FLASK + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(FLASK + ["run", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(base_url + "/healthz", server)
            take(shots, base_url, database)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1:])
