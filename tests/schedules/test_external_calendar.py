"""A volunteer's own calendar: busy times read from a real CalDAV server (Radicale, on loopback) and from an
ICS feed served by the test itself remove the slots they overlap, within one read.

The app may read loopback addresses here (``CALENDAR_ALLOW_PRIVATE``); a test
below checks that without it they are refused.
"""
from __future__ import annotations

import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import caldav
import pytest
from sqlalchemy import func, select, text

from tutoring.extensions import db
from tutoring.models import ExternalBusyTime, ExternalCalendar, VolunteerProfile
from tutoring.services.schedules import calendar_fetch
from tutoring.services.schedules import external_calendars as service
from tutoring.booking.errors import SlotUnavailable
from tutoring.booking.operations import book_session, cancel_booking
from tutoring.worker import Worker
from tutoring.booking.slots import slots_on_days

pytestmark = pytest.mark.app_config(CALENDAR_ALLOW_PRIVATE=True)

LONDON = ZoneInfo("Europe/London")
RADICALE_USER, RADICALE_PASSWORD = "alice", "radicale-" + secrets.token_hex(8)


# --- servers --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """A Radicale CalDAV server on loopback (htpasswd sign-in), in its own process; yields its base URL."""
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text(f"{RADICALE_USER}:{RADICALE_PASSWORD}\n")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", "",
         "--storage-filesystem-folder", str(folder / "collections"),
         "--server-hosts", f"127.0.0.1:{port}",
         "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users), "--auth-htpasswd-encryption", "plain",
         "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # up to ~10 s to start
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("radicale exited at start")
                time.sleep(0.1)
        else:
            raise RuntimeError("radicale did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def dav_calendar(radicale):
    """A new, empty calendar on the Radicale server (a caldav ``Calendar``)."""
    client = caldav.DAVClient(url=radicale + "/", username=RADICALE_USER, password=RADICALE_PASSWORD,
                              enable_rfc6764=False)
    calendar = client.principal().make_calendar(name="Work", cal_id=f"work-{uuid.uuid4().hex[:12]}")
    yield calendar
    calendar.delete()
    client.close()


class FeedServer:
    """A tiny HTTP server in a thread: serves ``body`` at any path, or answers ``status`` with no body."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.redirect_to: str | None = None
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                server.requests += 1
                if server.redirect_to and not self.path.startswith("/moved/"):
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.status != 200:
                    self.send_response(server.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/feeds/{secrets.token_urlsafe(16)}.ics"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


# --- helpers --------------------------------------------------------------------------------------


def next_weekday(weekday: int, at_least_days: int = 3) -> date:
    """The first London date on ``weekday`` at least ``at_least_days`` from today."""
    day = datetime.now(LONDON).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def london(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def ics(*lines: str) -> str:
    """A VCALENDAR holding one VEVENT made of ``lines`` (with its UID), or no event at all."""
    return calendar_of(lines) if lines else calendar_of()


def calendar_of(*events: tuple[str, ...]) -> str:
    """A VCALENDAR with one VEVENT per tuple of lines."""
    body = "".join(
        "BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\n" + "\r\n".join(event) + "\r\nEND:VEVENT\r\n" for event in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tutoring tests//EN\r\n{body}END:VCALENDAR\r\n"


def stamp(day: date, hour: int, minute: int = 0) -> str:
    return f"{day:%Y%m%d}T{hour:02d}{minute:02d}00"


@pytest.fixture
def volunteer(make_user):
    """A London volunteer free on Tuesdays and Wednesdays 09:00-17:00: 45-minute slots every hour, no notice needed."""
    return make_user("volunteer", timezone="Europe/London", rules=[(1, "09:00", "17:00"), (2, "09:00", "17:00")],
                     min_notice_hours=0, session_minutes=45, buffer_minutes=15)


def slots(app, volunteer, day: date) -> list[datetime]:
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        return [slot.start_at for slot in slots_on_days(profile, day, day, "Europe/London")]


def overlaps(slot_start: datetime, busy_start: datetime, busy_end: datetime) -> bool:
    return slot_start < busy_end and slot_start + timedelta(minutes=45) > busy_start


def csrf_token(client) -> str:
    body = client.get("/auth/reset").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)


def post(client, path, headers=None, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)}, headers=headers or {})


def connect(app, volunteer, kind: str, url: str, username: str = "", password: str = "") -> int:
    with app.app_context():
        return service.connect_calendar(volunteer.id, kind, url, username, password).id


def refresh(app, calendar_id: int) -> SimpleNamespace:
    """Read the calendar now; how it went (its status fields)."""
    with app.app_context():
        calendar = service.refresh_calendar(calendar_id)
        return SimpleNamespace(last_error=calendar.last_error, last_error_at=calendar.last_error_at,
                               last_success_at=calendar.last_success_at)


# --- CalDAV (Radicale) ----------------------------------------------------------------------------


def test_caldav_busy_events_remove_overlapping_slots_within_one_read_and_deleting_them_restores_them(
    app, volunteer, dav_calendar
):
    tuesday = next_weekday(1)
    next_tuesday = tuesday + timedelta(days=7)
    before = slots(app, volunteer, tuesday), slots(app, volunteer, next_tuesday)
    assert len(before[0]) == 8 and len(before[1]) == 8  # 09:00 ... 16:00

    calendar_id = connect(app, volunteer, "caldav", str(dav_calendar.url), RADICALE_USER, RADICALE_PASSWORD)
    assert slots(app, volunteer, tuesday) == before[0]  # nothing busy yet

    # One event created in New York's zone, and a weekly one that began a week before.
    new_york_start = london(tuesday, 10, 30).astimezone(ZoneInfo("America/New_York"))
    one_off = dav_calendar.save_event(ics(
        "UID:one-off@test",
        f"DTSTART;TZID=America/New_York:{new_york_start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=America/New_York:{new_york_start + timedelta(minutes=40):%Y%m%dT%H%M%S}",
    ))
    weekly = dav_calendar.save_event(ics(
        "UID:weekly@test",
        f"DTSTART;TZID=Europe/London:{stamp(tuesday - timedelta(days=7), 14, 15)}",
        f"DTEND;TZID=Europe/London:{stamp(tuesday - timedelta(days=7), 15, 15)}",
        "RRULE:FREQ=WEEKLY",
    ))
    assert refresh(app, calendar_id).last_error is None

    busy_tuesday = [(london(tuesday, 10, 30), london(tuesday, 11, 10)), (london(tuesday, 14, 15), london(tuesday, 15, 15))]
    after = slots(app, volunteer, tuesday)
    assert after == [s for s in before[0] if not any(overlaps(s, *busy) for busy in busy_tuesday)]
    assert [s.astimezone(LONDON).strftime("%H:%M") for s in after] == ["09:00", "12:00", "13:00", "16:00"]
    # The weekly event is busy the week after too; the one-off isn't.
    assert [s.astimezone(LONDON).strftime("%H:%M") for s in slots(app, volunteer, next_tuesday)] == [
        "09:00", "10:00", "11:00", "12:00", "13:00", "16:00"
    ]

    one_off.delete()
    weekly.delete()
    assert refresh(app, calendar_id).last_error is None
    assert (slots(app, volunteer, tuesday), slots(app, volunteer, next_tuesday)) == before


def test_caldav_account_address_reads_every_calendar_of_the_account(app, volunteer, dav_calendar, radicale):
    wednesday = next_weekday(2)
    dav_calendar.save_event(ics("UID:w@test", f"DTSTART:{stamp(wednesday, 9, 0)}", f"DTEND:{stamp(wednesday, 10, 0)}"))
    calendar_id = connect(app, volunteer, "caldav", f"{radicale}/{RADICALE_USER}/", RADICALE_USER, RADICALE_PASSWORD)
    assert refresh(app, calendar_id).last_error is None
    # A floating time: read in the volunteer's zone.
    assert london(wednesday, 9) not in slots(app, volunteer, wednesday)
    assert london(wednesday, 10) in slots(app, volunteer, wednesday)


def test_a_caldav_host_name_is_reached_only_at_the_addresses_that_were_checked(app, volunteer, dav_calendar, monkeypatch):
    url = str(dav_calendar.url).replace("127.0.0.1", "localhost")
    calendar_id = connect(app, volunteer, "caldav", url, RADICALE_USER, RADICALE_PASSWORD)
    # Pretend the check saw another address: the library must connect there, not where DNS says now.
    monkeypatch.setattr(calendar_fetch, "checked_addresses", lambda host, port, limits: ["127.0.0.2"])
    assert refresh(app, calendar_id).last_error == "unreachable"


def test_a_wrong_caldav_password_is_refused_and_nothing_is_saved(app, volunteer, dav_calendar):
    with app.app_context(), pytest.raises(service.CalendarError) as refused:
        service.connect_calendar(volunteer.id, "caldav", str(dav_calendar.url), RADICALE_USER, "wrong")
    assert refused.value.field == "password"
    assert "refused" in refused.value.message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalCalendar)) == 0


def test_booking_refuses_a_slot_the_calendar_made_busy(app, volunteer, make_user, dav_calendar):
    learner = make_user("learner")
    tuesday = next_weekday(1)
    dav_calendar.save_event(ics("UID:b@test", f"DTSTART;TZID=Europe/London:{stamp(tuesday, 13, 30)}",
                                f"DTEND;TZID=Europe/London:{stamp(tuesday, 13, 40)}"))
    connect(app, volunteer, "caldav", str(dav_calendar.url), RADICALE_USER, RADICALE_PASSWORD)
    with app.app_context():
        with pytest.raises(SlotUnavailable):
            book_session(learner.id, volunteer.id, london(tuesday, 13), "tutoring")
        assert book_session(learner.id, volunteer.id, london(tuesday, 12), "tutoring").status == "confirmed"


# --- ICS feed -------------------------------------------------------------------------------------


def test_an_all_day_event_in_an_ics_feed_takes_the_whole_local_day(app, volunteer, feed):
    tuesday, wednesday = next_weekday(1), next_weekday(2)
    before = slots(app, volunteer, wednesday)
    feed.body = ics("UID:day@test", f"DTSTART;VALUE=DATE:{tuesday:%Y%m%d}", f"DTEND;VALUE=DATE:{tuesday + timedelta(days=1):%Y%m%d}").encode()
    connect(app, volunteer, "ics", feed.url)
    assert slots(app, volunteer, tuesday) == []
    assert slots(app, volunteer, wednesday) == before


def test_copies_of_our_own_sessions_in_the_volunteers_calendar_are_not_busy_time(app, volunteer, make_user, feed):
    """A volunteer who subscribed their calendar to our feed: cancelling a session frees its slot at once."""
    learner = make_user("learner")
    tuesday = next_weekday(1)
    with app.app_context():
        booking = book_session(learner.id, volunteer.id, london(tuesday, 12), "tutoring")
        uid, booking_id = booking.uid, booking.id
    start = london(tuesday, 12)
    feed.body = ics(f"UID:{uid}", f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
                    f"DTEND:{start + timedelta(minutes=45):%Y%m%dT%H%M%SZ}").encode()
    connect(app, volunteer, "ics", feed.url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalBusyTime)) == 0
    assert london(tuesday, 12) not in slots(app, volunteer, tuesday)  # the session itself
    with app.app_context():
        cancel_booking(learner.id, booking_id)
    assert london(tuesday, 12) in slots(app, volunteer, tuesday)  # no read needed


def test_free_and_cancelled_events_in_a_feed_block_nothing(app, volunteer, feed):
    tuesday = next_weekday(1)
    before = slots(app, volunteer, tuesday)
    feed.body = calendar_of(
        ("UID:free@test", f"DTSTART:{stamp(tuesday, 9)}", f"DTEND:{stamp(tuesday, 12)}", "TRANSP:TRANSPARENT"),
        ("UID:cancelled@test", f"DTSTART:{stamp(tuesday, 13)}", f"DTEND:{stamp(tuesday, 16)}", "STATUS:CANCELLED"),
    ).encode()
    connect(app, volunteer, "ics", feed.url)
    assert slots(app, volunteer, tuesday) == before


def test_an_unreachable_calendar_keeps_the_last_good_copy_and_the_settings_page_warns(app, client, sign_in, volunteer, feed):
    tuesday = next_weekday(1)
    feed.body = ics("UID:x@test", f"DTSTART:{stamp(tuesday, 10)}", f"DTEND:{stamp(tuesday, 11)}").encode()
    calendar_id = connect(app, volunteer, "ics", feed.url)
    blocked = slots(app, volunteer, tuesday)
    assert london(tuesday, 10) not in blocked

    feed.status = 503
    failed = refresh(app, calendar_id)
    assert failed.last_error == "server_error" and failed.last_error_at is not None
    assert failed.last_success_at is not None and failed.last_success_at < failed.last_error_at
    assert slots(app, volunteer, tuesday) == blocked  # the last good copy still counts

    sign_in(volunteer)
    page = client.get("/me/profile").get_data(as_text=True)
    assert "read this calendar on" in page and "The calendar server answered with an error." in page
    assert "your slots follow the copy read on" in page

    with app.app_context():
        db.session.get(VolunteerProfile, volunteer.id).user.language = "ar"
        db.session.commit()
    arabic = client.get("/me/profile").get_data(as_text=True)
    assert "تعذّرت قراءة هذا التقويم" in arabic

    feed.status = 200
    feed.body = ics().encode()  # the event is gone and the server is back
    response = post(client, f"/me/calendars/{calendar_id}/refresh")
    assert response.status_code == 302
    assert london(tuesday, 10) in slots(app, volunteer, tuesday)
    assert "read this calendar on" not in client.get("/me/profile").get_data(as_text=True)


def test_a_server_that_is_down_is_unreachable(app, volunteer, feed):
    feed.body = ics().encode()
    calendar_id = connect(app, volunteer, "ics", feed.url)
    feed.close()
    assert refresh(app, calendar_id).last_error == "unreachable"


def test_redirects_are_followed_only_to_http_addresses(app, volunteer, feed):
    tuesday = next_weekday(1)
    feed.body = ics("UID:r@test", f"DTSTART:{stamp(tuesday, 9)}", f"DTEND:{stamp(tuesday, 10)}").encode()
    feed.redirect_to = "file:///etc/passwd"
    with app.app_context(), pytest.raises(service.CalendarError):
        service.connect_calendar(volunteer.id, "ics", feed.url)
    feed.redirect_to = feed.url.rsplit("/feeds/", 1)[0] + "/moved/calendar.ics"
    connect(app, volunteer, "ics", feed.url)
    assert london(tuesday, 9) not in slots(app, volunteer, tuesday)


def test_something_that_is_not_a_calendar_is_refused_on_connect(app, volunteer, feed):
    feed.body = b"<html><body>Sign in</body></html>"
    with app.app_context(), pytest.raises(service.CalendarError) as refused:
        service.connect_calendar(volunteer.id, "ics", feed.url)
    assert refused.value.field == "url"
    assert "did not give a calendar" in refused.value.message


# --- secrets, addresses, access -------------------------------------------------------------------


def test_credentials_and_the_address_are_stored_only_encrypted_and_never_shown_back(
    app, client, sign_in, volunteer, dav_calendar
):
    calendar_id = connect(app, volunteer, "caldav", str(dav_calendar.url), RADICALE_USER, RADICALE_PASSWORD)
    with app.app_context():
        raw = db.session.execute(text("SELECT host, secret FROM external_calendars WHERE id = :id"),
                                 {"id": calendar_id}).one()
        secret = bytes(raw.secret)
        assert RADICALE_PASSWORD.encode() not in secret
        assert b"work-" not in secret and RADICALE_USER.encode() not in secret
        assert raw.host == "127.0.0.1"
        source = service.unseal(secret)
        assert (source.url, source.username, source.password) == (str(dav_calendar.url), RADICALE_USER, RADICALE_PASSWORD)

    sign_in(volunteer)
    page = client.get("/me/profile").get_data(as_text=True)
    assert "127.0.0.1" in page
    assert RADICALE_PASSWORD not in page and dav_calendar.url.path not in page


def test_a_changed_key_makes_the_saved_details_unreadable_and_says_so(app, make_app, volunteer, feed):
    feed.body = ics().encode()
    calendar_id = connect(app, volunteer, "ics", feed.url)
    other = make_app(CALENDAR_ALLOW_PRIVATE=True, CALENDAR_KEY="another key")
    with other.app_context():
        calendar = service.refresh_calendar(calendar_id)
        assert calendar.last_error == "credentials_unreadable"


@pytest.mark.app_config(CALENDAR_ALLOW_PRIVATE=False)
def test_loopback_and_private_addresses_are_refused_by_default_before_any_connection(app, volunteer, feed, monkeypatch):
    feed.body = ics().encode()
    connections = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connections.append(address))
    for url in (feed.url, "http://10.1.2.3/cal.ics", "http://[::1]:8080/x.ics", "http://localhost:1/x.ics",
                "http://169.254.169.254/latest/meta-data/"):
        for kind in ("ics", "caldav"):
            with app.app_context(), pytest.raises(service.CalendarError) as refused:
                service.connect_calendar(volunteer.id, kind, url)
            assert "public internet" in refused.value.message
    assert connections == [] and feed.requests == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalCalendar)) == 0


@pytest.mark.parametrize(("value", "allowed"), [("no", False), ("false", False), ("yes", True), (True, True), (0, False)])
def test_the_private_address_setting_reads_words_as_the_other_flags_do(make_app, value, allowed):
    with make_app(CALENDAR_ALLOW_PRIVATE=value).app_context():
        assert service.limits().allow_private is allowed


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/cal.ics", "gopher://x", "javascript:alert(1)",
                                 "", "not an address", "http:///nohost"])
def test_addresses_other_than_http_are_refused(app, volunteer, url):
    with app.app_context(), pytest.raises(service.CalendarError) as refused:
        service.connect_calendar(volunteer.id, "ics", url)
    assert refused.value.field == "url"


def test_connecting_through_the_settings_form(app, client, sign_in, volunteer, feed):
    tuesday = next_weekday(1)
    feed.body = ics("UID:f@test", f"DTSTART:{stamp(tuesday, 16)}", f"DTEND:{stamp(tuesday, 16, 30)}").encode()
    sign_in(volunteer)
    bad = post(client, "/me/calendars", kind="ics", url="ftp://nope", password="hunter2")
    assert bad.status_code == 200 and "This is not a calendar address" in bad.get_data(as_text=True)
    assert "hunter2" not in bad.get_data(as_text=True)

    response = post(client, "/me/calendars", kind="ics", url=feed.url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/profile#own-calendars")
    assert london(tuesday, 16) not in slots(app, volunteer, tuesday)
    with app.app_context():
        calendar_id = db.session.scalar(select(ExternalCalendar.id))

    fragment = post(client, f"/me/calendars/{calendar_id}/refresh", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="own-calendars"' in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)

    assert post(client, f"/me/calendars/{calendar_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalBusyTime)) == 0
    assert london(tuesday, 16) in slots(app, volunteer, tuesday)


def test_the_worker_and_the_cli_read_calendars(app, runner, volunteer, feed):
    tuesday = next_weekday(1)
    feed.body = ics().encode()
    calendar_id = connect(app, volunteer, "ics", feed.url)
    feed.body = ics("UID:w@test", f"DTSTART:{stamp(tuesday, 9)}", f"DTEND:{stamp(tuesday, 9, 15)}").encode()
    with app.app_context():
        assert service.refresh_due_calendars() == 0  # not due yet
    assert london(tuesday, 9) in slots(app, volunteer, tuesday)
    # The mail worker's round reads calendars whose turn has come (15 minutes later).
    Worker(app, clock=lambda: datetime.now(UTC) + timedelta(minutes=16)).run(once=True)
    assert london(tuesday, 9) not in slots(app, volunteer, tuesday)
    with app.app_context():
        assert service.refresh_due_calendars(now=datetime.now(UTC) + timedelta(minutes=17)) == 0  # claimed: not twice

    feed.body = ics().encode()
    result = runner.invoke(args=["calendars", "refresh"])
    assert result.exit_code == 0 and "Read 1 calendars; 0 could not be read" in result.output
    assert london(tuesday, 9) in slots(app, volunteer, tuesday)


def test_only_the_owner_reaches_a_calendar(app, client, sign_in, make_user, volunteer, feed):
    feed.body = ics().encode()
    calendar_id = connect(app, volunteer, "ics", feed.url)
    paths = [f"/me/calendars/{calendar_id}/refresh", f"/me/calendars/{calendar_id}/delete"]
    connect_form = {"kind": "ics", "url": feed.url}
    for path in paths:  # signed out: to the sign-in page
        assert post(client, path).headers["Location"].startswith("/auth/login")
    assert post(client, "/me/calendars", **connect_form).headers["Location"].startswith("/auth/login")
    sign_in(make_user("volunteer"))
    for path in paths:
        assert post(client, path).status_code == 404
    sign_in(make_user("learner"))
    assert client.get("/me/calendars").status_code == 403
    assert post(client, "/me/calendars", **connect_form).status_code == 403
    for path in paths:
        assert post(client, path).status_code == 403
    assert feed.requests == 1  # only the owner's own connect read it
    with app.app_context():
        assert db.session.get(ExternalCalendar, calendar_id) is not None
