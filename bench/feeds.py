"""Calendar feeds: a volunteer's ``/calendar/<token>.ics`` with 500 sessions, and its 304 path.

    python -m bench.feeds [--sessions 500] [--repeat 200]
    python scripts/with_pg_database.py -- .venv/bin/python -m bench.feeds   # on PostgreSQL

Builds one volunteer with ``--sessions`` bookings (half past, half to come,
one in ten cancelled within the last 30 days, 40 learners, all three kinds)
in a fresh database (a temporary SQLite file, or ``DATABASE_URL``, which
must be empty), then times through the Flask test client, in one run:

* ``trivial``: a route returning ``ok`` (the floor: Flask, Werkzeug, the test client);
* ``feed, rendered``: the feed with the feed cache and the event blocks emptied
  before every request (the stamps query, the rows, 500 VEVENTs written, SHA-256 ETag);
* ``feed, cached``: the same request with the caches warm (the stamps query, a fingerprint);
* ``feed, 304``: ``If-None-Match`` with the current ETag.

Prints median and p95 in milliseconds and the sizes involved.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import make_url

from tutoring import create_app
from tutoring.extensions import db
from tutoring.calendar.feed import event_blocks
from tutoring.feeds.service import day_start, feed_cache
from tutoring.models import Booking, Session
from tutoring.services.people.accounts import create_user
from tutoring.timeutil import utcnow

KINDS = ("tutoring", "mentoring", "support")


def build_data(sessions: int, seed: int = 7) -> str:
    """One volunteer with ``sessions`` bookings; returns the volunteer's feed token."""
    rng = random.Random(seed)
    volunteer = create_user("bench-volunteer@example.org", role="volunteer", display_name="Amira Hassan",
                            timezone="Africa/Cairo", password="bench password", language="ar", approved=True)
    learners = [
        create_user(f"bench-learner{n}@example.org", role="learner", display_name=f"Learner {n}",
                    timezone=rng.choice(["Asia/Kathmandu", "Europe/London", "America/New_York", "Asia/Riyadh"]),
                    password="bench password", language=rng.choice(["ar", "en"]))
        for n in range(40)
    ]
    db.session.flush()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(hours=2 * (sessions // 2))  # every two hours: half in the past, half to come
    for number in range(sessions):
        start = first + timedelta(hours=2 * number)
        cancelled = number % 10 == 3
        session = Session(volunteer_id=volunteer.id, kind=rng.choice(KINDS), start_at=start,
                          end_at=start + timedelta(minutes=45), blocked_until_at=start + timedelta(minutes=60),
                          status="cancelled" if cancelled else "confirmed", capacity=1)
        booking = Booking(session=session, learner_id=rng.choice(learners).id, note="a private note",
                          status="cancelled" if cancelled else "confirmed", sequence=1 if cancelled else 0,
                          uid=f"bench-{number}@tutoring.example")
        if cancelled:
            booking.updated_at = now - timedelta(days=rng.randint(0, 20))
        db.session.add_all([session, booking])
    db.session.commit()
    return volunteer.calendar_token


def timed(client, path: str, repeat: int, headers=None, before=None) -> tuple[list[float], object]:
    """Milliseconds of ``repeat`` GETs of ``path`` (after two warm-up requests), and the last response."""
    response = None
    for _ in range(2):
        if before:
            before()
        response = client.get(path, headers=headers)
    samples = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, response


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def empty_caches() -> None:
    """A first render: no finished feed and no event written before (both caches are per process)."""
    feed_cache.clear()
    event_blocks.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(workdir), "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "BASE_URL": "https://tutoring.example.org"})
    app.add_url_rule("/bench/trivial", "bench_trivial", lambda: "ok")
    with app.app_context():
        flask_migrate.upgrade()
        token = build_data(args.sessions)
        in_feed_since = day_start(utcnow()) - timedelta(days=365)
        shown = sum(1 for b in db.session.scalars(db.select(Booking)) if b.session.end_at >= in_feed_since)
    client = app.test_client()
    path = f"/calendar/{token}.ics"

    trivial, _ = timed(client, "/bench/trivial", args.repeat)
    rendered, response = timed(client, path, args.repeat, before=empty_caches)
    assert response.status_code == 200, response.status
    body, etag = response.data, response.headers["ETag"]
    cached, again = timed(client, path, args.repeat)
    assert again.data == body
    not_modified, response = timed(client, path, args.repeat, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""

    dialect = make_url(url).get_backend_name()
    print(f"bench.feeds: Python {platform.python_version()}, {dialect}, {args.repeat} requests each "
          f"(Flask test client, one process)")
    print(f"data: 1 volunteer, {args.sessions} sessions in the database, {body.count(b'BEGIN:VEVENT')} events "
          f"in the feed ({shown} expected), {len(body):,} bytes ({len(body) // max(shown, 1)} per event)")
    print(f"{'':<18}{'median ms':>10}{'p95 ms':>10}{'bytes':>10}")
    for name, samples, size in (("trivial route", trivial, 2), ("feed, rendered", rendered, len(body)),
                                ("feed, cached", cached, len(body)), ("feed, 304", not_modified, 0)):
        print(f"{name:<18}{statistics.median(samples):>10.2f}{p95(samples):>10.2f}{size:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
