"""No double booking, ever: 50 simultaneous requests against a real multi-process server.

The server is gunicorn in a subprocess (4 worker processes x 12 threads) on
the same database as the test (``DATABASE_URL``: the SQLite file of the
SQLite run, the throwaway PostgreSQL database of the PostgreSQL run), so the
requests race through separate processes, connections and transactions, as
in production. Each client thread opens its connection first and then waits
at a barrier, so all 50 requests arrive together.

What each scenario proves, and why it is built that way:

* Same slot, 50 learners: exactly one 201, 49 clean 409 ``slot_unavailable``.
* Different start times that conflict. On one volunteer's grid offered slots
  never overlap (SPEC §2 lays them back to back), so conflicting but
  *different* offered slots need the buffer: twelve 10-minute windows, one
  slot each, 11 minutes apart, with a 120-minute buffer. Every one of those
  slots is offered on its own, yet any two are within the buffer of each
  other, so booking one must withdraw all the others (on PostgreSQL their
  ``[start, blocked_until)`` ranges overlap, so the exclusion constraint
  agrees). The 50 requests mix new bookings of all twelve slots, off-grid
  starts inside them (never offered), and reschedules of existing bookings
  (from another day) onto them: exactly one request may win.
* A weekly cap of one and 50 *non-overlapping* slots of the same week: no
  range constraint can guard a count, only the per-volunteer lock does
  (FIELD-NOTES "Booking integrity"); exactly one wins.
* One learner, 50 volunteers, the same time: a learner can't be in two
  sessions at once; this is guarded by locking the learner, since the
  exclusion constraint is per volunteer; exactly one wins.

Afterwards the database itself is checked: no two live sessions of a
volunteer overlap (with their stored buffers, and with the SPEC's widening),
no learner holds two overlapping live sessions, and the cap holds.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, time as clock, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tutoring.extensions import db
from tutoring.models import Booking, Session, VolunteerProfile
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 50
WORKERS, THREADS = 4, 12
ALL_DAYS_9_TO_12 = [(weekday, "09:00", "12:00") for weekday in range(7)]


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    """gunicorn serving ``wsgi:app`` on the test database in a subprocess; yields (host, port, log lines)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "race-test-secret",
        # 50 requests from one address in a second: a load test turns limits off (README).
        "RATELIMIT_ENABLED": "false",
        "BASE_URL": "http://localhost",
        "MAIL_DEFAULT_SENDER": "tutoring@example.org",
        "TUTORING_INSTANCE_PATH": str(tmp_path_factory.mktemp("race-instance")),
    }
    command = [
        sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0",
        "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS),
        "--graceful-timeout", "5", "--log-level", "info", "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    log: list[str] = []
    listening = threading.Event()
    port: list[int] = []

    def drain() -> None:
        # Keep reading so the pipe never fills up and blocks the server.
        for line in process.stdout:
            log.append(line.rstrip())
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found and not port:
                port.append(int(found.group(1)))
                listening.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not listening.wait(30):
            raise RuntimeError("gunicorn did not start:\n" + "\n".join(log))
        _wait_until_healthy("127.0.0.1", port[0], log)
        yield "127.0.0.1", port[0], log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


def _wait_until_healthy(host: str, port: int, log: list[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn never answered /healthz:\n" + "\n".join(log))


def fire_together(server, calls: list[tuple[str, str, dict, dict]]) -> list[tuple[int, dict]]:
    """Send every (method, path, headers, body) at once from its own thread; [(status, json)] in order."""
    host, port, log = server
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def send(index: int) -> None:
        method, path, headers, body = calls[index]
        connection = http.client.HTTPConnection(host, port, timeout=90)
        try:
            connection.connect()  # connected before the barrier: the requests themselves start together
            barrier.wait(timeout=60)
            connection.request(method, path, body=json.dumps(body),
                               headers={**headers, "Content-Type": "application/json"})
            response = connection.getresponse()
            results[index] = (response.status, json.loads(response.read() or b"null"))
        except Exception as error:  # recorded, so the assertion shows it
            results[index] = (None, {"exception": repr(error)})
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results), "a request never finished\n" + "\n".join(log[-50:])
    return results


def assert_one_winner(results: list[tuple[int, dict]], server, winning_status: int = 201) -> dict:
    """Exactly one success; every other answer a clean 409 slot_unavailable in the SPEC error shape."""
    statuses = Counter(status for status, _body in results)
    log = server[2]
    assert statuses == {winning_status: 1, 409: len(results) - 1}, (statuses, results, log[-50:])
    for status, body in results:
        if status == 409:
            assert set(body) == {"error"} and body["error"]["code"] == "slot_unavailable", body
            assert body["error"]["message"]
    return next(body for status, body in results if status == winning_status)


def live_sessions(volunteer_id: int) -> list[Session]:
    """The volunteer's live sessions, by start."""
    return list(db.session.scalars(
        select(Session).where(Session.volunteer_id == volunteer_id, Session.status != "cancelled")
        .order_by(Session.start_at)
    ))


def assert_no_overlap(volunteer_id: int) -> list[Session]:
    """No two live sessions of the volunteer overlap, neither by stored blocks nor widened by today's buffer."""
    sessions = live_sessions(volunteer_id)
    buffer = timedelta(minutes=db.session.get(VolunteerProfile, volunteer_id).buffer_minutes)
    for index, first in enumerate(sessions):
        for second in sessions[index + 1:]:
            assert not (first.start_at < second.blocked_until_at and second.start_at < first.blocked_until_at), (
                first, second)
            assert not (first.start_at - buffer < second.end_at and second.start_at < first.end_at + buffer), (
                first, second)
    return sessions


def offered_between(volunteer_id: int, start_at: datetime, end_at: datetime) -> list[datetime]:
    """Offered slot starts of the volunteer in [start_at, end_at), now."""
    profile = db.session.get(VolunteerProfile, volunteer_id)
    return [slot.start_at for slot in slots_in_range(profile, start_at, end_at, utcnow())]


def iso(instant: datetime) -> str:
    """The instant as the API takes it."""
    return instant.isoformat()


def post_booking(headers: dict, volunteer_id: int, start: datetime, note: str = "") -> tuple[str, str, dict, dict]:
    """A POST /api/v1/bookings call for :func:`fire_together`."""
    return ("POST", "/api/v1/bookings", headers,
            {"volunteer_id": volunteer_id, "start": iso(start), "kind": "tutoring", "note": note})


def test_fifty_learners_racing_for_one_slot_get_one_booking_and_49_clean_409s(server, app, make_user, bearer):
    volunteer = make_user("volunteer", timezone="Asia/Kathmandu", rules=ALL_DAYS_9_TO_12, min_notice_hours=0)
    learners = [make_user("learner") for _ in range(REQUESTS)]
    with app.app_context():
        soon = utcnow() + timedelta(days=2)
        slot = offered_between(volunteer.id, soon, soon + timedelta(days=2))[0]
    calls = [post_booking(bearer(learner), volunteer.id, slot, note=f"learner {learner.id}") for learner in learners]

    winner = assert_one_winner(fire_together(server, calls), server)

    assert winner["start_utc"] == slot.strftime("%Y-%m-%dT%H:%M:%SZ")
    with app.app_context():
        sessions = assert_no_overlap(volunteer.id)
        assert len(sessions) == 1 and sessions[0].start_at == slot
        bookings = list(db.session.scalars(select(Booking)))
        assert len(bookings) == 1 and bookings[0].id == winner["id"]
        assert bookings[0].note == f"learner {bookings[0].learner_id}"  # the winner's own request


def test_conflicting_different_start_times_and_reschedules_have_one_winner(server, app, make_user, bearer):
    """Twelve offered slots that pairwise conflict through the buffer, booked, missed and rescheduled onto at once."""
    day = utcnow().date() + timedelta(days=3)
    windows = [(8 * 60 + 11 * k, 8 * 60 + 11 * k + 10) for k in range(12)]  # 08:00-08:10, 08:11-08:21, ...
    rules = [(day.weekday(), f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}") for a, b in windows]
    volunteer = make_user("volunteer", timezone="UTC", rules=rules, session_minutes=10, buffer_minutes=120,
                          min_notice_hours=0)
    starts = [datetime.combine(day, clock(a // 60, a % 60), UTC) for a, _b in windows]
    # Two slots conflict when their starts are less than session + buffer apart: all of these do.
    assert starts[-1] - starts[0] < timedelta(minutes=10 + 120)

    # Ten learners already hold sessions the next day (130 minutes apart, so they don't conflict either).
    movers = [make_user("learner") for _ in range(10)]
    existing = []
    with app.app_context():
        assert offered_between(volunteer.id, starts[0], starts[-1] + timedelta(minutes=1)) == starts
        for k, mover in enumerate(movers):
            start = datetime.combine(day + timedelta(days=1), clock(0), UTC) + timedelta(minutes=130 * k)
            session = Session(volunteer_id=volunteer.id, kind="tutoring", start_at=start,
                              end_at=start + timedelta(minutes=10), blocked_until_at=start + timedelta(minutes=130))
            booking = Booking(session=session, learner_id=mover.id, uid=f"race-{k}@localhost")
            db.session.add(booking)
            existing.append(booking)
        db.session.commit()
        existing_ids = [booking.id for booking in existing]

    calls = []
    for k in range(30):  # new bookings of each of the twelve slots
        calls.append(post_booking(bearer(make_user("learner")), volunteer.id, starts[k % 12]))
    for k in range(10):  # off-grid starts inside those slots: never offered
        calls.append(post_booking(bearer(make_user("learner")), volunteer.id, starts[k] + timedelta(minutes=5)))
    for k, (mover, booking_id) in enumerate(zip(movers, existing_ids, strict=True)):
        calls.append(("POST", f"/api/v1/bookings/{booking_id}/reschedule", bearer(mover),
                      {"start": iso(starts[(k * 5) % 12])}))
    random.Random(2030).shuffle(calls)
    assert len(calls) == REQUESTS

    results = fire_together(server, calls)
    statuses = Counter(status for status, _body in results)
    assert statuses[201] + statuses[200] == 1 and statuses[409] == REQUESTS - 1, (statuses, results)
    assert_one_winner(results, server, winning_status=201 if statuses[201] else 200)

    with app.app_context():
        sessions = assert_no_overlap(volunteer.id)
        contested = [s for s in sessions if s.start_at.date() == day]
        assert len(contested) == 1 and contested[0].start_at in starts
        assert len(sessions) == 10 + statuses[201]  # a reschedule moves a session, a booking adds one


def test_a_weekly_cap_of_one_holds_when_fifty_separate_slots_of_the_week_are_booked_at_once(
    server, app, make_user, bearer
):
    """The exclusion constraint can't count; only the per-volunteer lock keeps the cap under concurrency."""
    today = utcnow().date()
    monday = today + timedelta(days=7 - today.weekday())
    volunteer = make_user("volunteer", timezone="UTC", rules=[(0, "00:00", "00:00"), (1, "00:00", "00:00")],
                          session_minutes=30, buffer_minutes=0, min_notice_hours=0, max_sessions_per_week=1)
    first = datetime.combine(monday, clock(0), UTC)
    starts = [first + timedelta(minutes=30 * k) for k in range(REQUESTS)]
    with app.app_context():
        assert set(starts) <= set(offered_between(volunteer.id, first, first + timedelta(days=2)))
    calls = [post_booking(bearer(make_user("learner")), volunteer.id, start) for start in starts]

    assert_one_winner(fire_together(server, calls), server)

    with app.app_context():
        assert len(assert_no_overlap(volunteer.id)) == 1
        assert offered_between(volunteer.id, first, first + timedelta(days=7)) == []  # the week is full


def test_one_learner_booking_fifty_volunteers_at_the_same_time_gets_one_session(server, app, make_user, bearer):
    """The learner lock: each volunteer is free, but the learner can't be in two sessions at once."""
    volunteers = [make_user("volunteer", timezone="UTC", rules=ALL_DAYS_9_TO_12, min_notice_hours=0)
                  for _ in range(REQUESTS)]
    learner = make_user("learner")
    with app.app_context():
        soon = utcnow() + timedelta(days=2)
        slot = offered_between(volunteers[0].id, soon, soon + timedelta(days=2))[0]
        assert all(slot in offered_between(v.id, slot, slot + timedelta(seconds=1)) for v in volunteers)
    headers = bearer(learner)
    calls = [post_booking(headers, volunteer.id, slot) for volunteer in volunteers]

    assert_one_winner(fire_together(server, calls), server)

    with app.app_context():
        held = list(db.session.scalars(
            select(Session).join(Session.bookings)
            .where(Booking.learner_id == learner.id, Booking.status != "cancelled", Session.status != "cancelled")
        ))
        assert len(held) == 1 and held[0].start_at == slot


def test_the_server_logged_no_errors(server):
    """Every refusal above was a clean 409: no tracebacks, no 500s in the server's log."""
    log = "\n".join(server[2])
    assert "Traceback" not in log and "internal_error" not in log, log[-5000:]

