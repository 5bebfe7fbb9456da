"""Must show (issue 20): a learner on a 360 px phone in Arabic and a volunteer on a desktop in English chat in
Chromium through two different gunicorn processes that share Redis; a phone number arrives masked; a dropped
stream (the learner's server stopped and started again) recovers without losing a message; each sees that the other
joined, and who is here now."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from tests.conftest import TEST_PASSWORD, python_on_this_clock
from tests.rooms.room_support import make_session

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, port: int, instance: Path, prefix: str):
    """One gunicorn (gunicorn.conf.py, one worker of its default class) on ``port``; Redis carries room notices."""
    env = {
        **os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "room-browser-secret",
        "REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL, "TUTORING_RATELIMIT_KEY_PREFIX": prefix,
        "BASE_URL": f"http://127.0.0.1:{port}", "TUTORING_INSTANCE_PATH": str(instance),
        "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_LOGLEVEL": "warning",
        "GUNICORN_GRACEFUL_TIMEOUT": "1",
    }
    log = open(instance / f"gunicorn-{port}.log", "a")
    # On the run's clock (--clock moves it): the room is live by the time the test made, not the machine's.
    process = subprocess.Popen(python_on_this_clock("-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"), cwd=ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200:
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((instance / f"gunicorn-{port}.log").read_text()) from None
                time.sleep(0.2)
        yield process
    finally:
        # Master and workers at once: the open streams drop, as a crash or a lost network would drop them.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    client.ping()  # an error, not a skip, when Redis is not running
    prefix = f"test-room-{secrets.token_hex(4)}-"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form[method=post] button[type=submit], form[method=post] input[type=submit]").last.click()
    page.wait_for_load_state()


def send(page, text: str) -> None:
    page.fill("#room-text", text)
    page.click("#room-form button[type=submit]")
    # htmx swaps in a fresh, empty form once the message is stored.
    page.wait_for_function("() => document.getElementById('room-text').value === ''", timeout=10_000)


def wait_for_text(page, text: str, timeout: float = 10_000) -> None:
    page.wait_for_function("t => document.getElementById('messages').innerText.includes(t)", arg=text,
                           timeout=timeout)


def message_ids(page) -> list[str]:
    """What people wrote, as shown (not the "has joined" lines, which differ by reader)."""
    return page.eval_on_selector_all("#messages li.message:not(.joined)", "items => items.map(i => i.id)")


def test_two_people_chat_through_two_processes_masked_and_without_loss(
        app, database_url, make_user, browser, tmp_path, redis_prefix):
    volunteer = make_user("volunteer", name="Vera", email="vera@example.org", language="en")
    learner = make_user("learner", name="نور", email="nour@example.org", language="ar", timezone="Asia/Riyadh")
    booking = make_session(app, volunteer, [learner], starts_in=timedelta(minutes=5))[0]
    port_a, port_b = free_port(), free_port()
    with gunicorn(database_url, port_a, tmp_path, redis_prefix):
        desk = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London")
        phone = browser.new_context(viewport=PHONE, locale="ar", timezone_id="Asia/Riyadh", is_mobile=True,
                                    has_touch=True)
        errors: list[str] = []
        try:
            volunteer_page, learner_page = desk.new_page(), phone.new_page()
            for page in (volunteer_page, learner_page):
                page.on("pageerror", lambda error: errors.append(str(error)))
            server_b = gunicorn(database_url, port_b, tmp_path, redis_prefix)
            server_b.__enter__()
            try:
                sign_in(volunteer_page, f"http://127.0.0.1:{port_a}", "vera@example.org")
                sign_in(learner_page, f"http://127.0.0.1:{port_b}", "nour@example.org")
                for page, port in ((volunteer_page, port_a), (learner_page, port_b)):
                    page.goto(f"http://127.0.0.1:{port}/sessions/{booking}/room")
                    page.wait_for_selector("#messages[data-stream=open]", timeout=10_000)
                assert learner_page.evaluate("document.documentElement.dir") == "rtl"

                # Presence: the volunteer (process A) is told the learner (process B) joined, through Redis, and
                # sees her among who is here now; the learner's page shows the volunteer, in Arabic.
                volunteer_page.wait_for_selector("#messages li.joined", timeout=10_000)
                assert "نور has joined" in volunteer_page.inner_text("#messages li.joined")
                volunteer_page.wait_for_function(
                    "() => document.getElementById('room-here').innerText.includes('نور')", timeout=10_000)
                assert "Vera" in learner_page.inner_text("#room-here")
                assert "دخول Vera إلى الغرفة" in learner_page.inner_text("#messages li.joined")
                assert learner_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

                # Each sees the other's message, through the other process.
                send(volunteer_page, "Hello! What would you like to work on?")
                wait_for_text(learner_page, "What would you like to work on?")
                send(learner_page, "الكسور من فضلك")
                wait_for_text(volunteer_page, "الكسور من فضلك")

                # A phone number arrives masked; its writer is told why, in Arabic.
                send(learner_page, "رقمي ٠٥٥٥ ١٢٣ ٤٥٦٧ اتصل بي")
                wait_for_text(volunteer_page, "اتصل بي")
                assert "٤٥٦٧" not in volunteer_page.inner_text("#messages")
                assert "[•••]" in volunteer_page.inner_text("#messages")
                learner_page.wait_for_selector("#room-form .notice")
                assert "أُخفي رقم هاتف" in learner_page.inner_text("#room-form")
            finally:
                server_b.__exit__(None, None, None)  # the learner's stream drops

            # While the learner's server is down, the volunteer writes twice.
            learner_page.wait_for_selector("#messages[data-stream=down]", timeout=10_000)
            send(volunteer_page, "First while you were away")
            send(volunteer_page, "Second while you were away")
            wait_for_text(volunteer_page, "Second while you were away")
            with gunicorn(database_url, port_b, tmp_path, redis_prefix):
                wait_for_text(learner_page, "Second while you were away", timeout=30_000)
                learner_page.wait_for_timeout(1500)
                ids = message_ids(learner_page)
                assert len(ids) == len(set(ids)) == 5, ids  # every message once, none lost
                assert ids == message_ids(volunteer_page)
                assert "First while you were away" in learner_page.inner_text("#messages")
            assert not errors, errors
        finally:
            desk.close()
            phone.close()
