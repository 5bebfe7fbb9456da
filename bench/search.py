"""Server time of the volunteer search and of a volunteer's week, on SQLite and PostgreSQL, at 10,000 volunteers.

    python -m bench.search [--volunteers 10000] [--requests 200] [--only sqlite|postgresql]

Loads ``bench.data.generate(n)`` volunteers (zones, weekly rules, session
settings, 20 bookings each: 200,000 at the default size) plus subjects,
languages and kinds drawn here, into a temporary SQLite file and a throwaway
PostgreSQL database (``PG_ADMIN_URL``, default postgres@127.0.0.1:5432), both
built by the project's migrations. Rows go in with bulk inserts
(``executemany`` on SQLite, ``COPY`` on PostgreSQL).

Then, for each database, it times requests through the Flask test client
(the WSGI app in this process: routing, queries, slot computation and
template rendering, without the network): a trivial route, the search
page (a subject and a language, free any time in a 14-day range, viewer
in Asia/Kathmandu), the same search as an htmx request (results fragment
only), and one volunteer's week page. It prints p50 and p95 of the wall time
and of this process's CPU time, in milliseconds, and checks the targets
on the wall time: search p95 <= 100 ms, week view p95 <= 20 ms.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_migrate
import psycopg
from psycopg import sql
from sqlalchemy import make_url, text

from bench.data import BOOKINGS_PER_VOLUNTEER, Volunteer, generate
from tutoring import create_app
from tutoring.extensions import db
from tutoring.models import KINDS
from tutoring.textsearch import subject_terms

SEED = 20261125
LEARNERS = 2_000
SUBJECTS = (
    "Mathematics", "Physics", "Chemistry", "Biology", "English", "Arabic", "French", "History", "Geography",
    "Computer science", "Economics", "Art", "Music", "Philosophy", "Statistics", "Algebra", "Geometry",
    "Literature", "Writing", "Reading", "Programming", "Accounting", "Business", "Psychology", "Study skills",
    "Career advice", "University applications", "Spanish", "German", "Urdu",
)
# Weighted: most volunteers speak English or Arabic, some another language too.
LANGUAGES = ("en",) * 6 + ("ar",) * 4 + ("fr", "es", "ur", "ne", "hi", "sw", "de", "fa")
# The searches timed: common subjects with common languages (cycled through, so no one query is favoured).
SEARCHES = (("Mathematics", "en"), ("Physics", "ar"), ("English", "en"), ("Chemistry", "en"), ("History", "ar"))
VIEWER_ZONE = "Asia/Kathmandu"
RANGE_DAYS = 14
TARGET_SEARCH_P95_MS = 100.0
TARGET_WEEK_P95_MS = 20.0
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Any argon2 hash: nobody signs in during the bench.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$3f0k3NsJm4w5O9Xh2V7g6aFv2m1kRk9yJ9Yb3QeXc2Y"


# --- data --------------------------------------------------------------------------------------


def rows_for(volunteers: list[Volunteer], now: datetime) -> dict[str, list[dict]]:
    """Table rows for the generated volunteers, their rules and bookings, and some learners (ids from 1)."""
    rng = random.Random(SEED)
    users, profiles, terms, rules, sessions, bookings = [], [], [], [], [], []
    for volunteer in volunteers:
        user_id = volunteer.index + 1
        availability = volunteer.availability
        settings = availability.settings
        users.append({
            "id": user_id, "email": f"volunteer{user_id}@bench.example", "password_hash": PASSWORD_HASH,
            "role": "volunteer", "display_name": f"Volunteer {user_id:05d}", "timezone": availability.timezone,
            "language": rng.choice(("ar", "en")), "created_at": now, "is_active": True,
            "calendar_token": secrets.token_urlsafe(32),
        })
        profiles.append({
            "user_id": user_id, "state": "approved", "bio": "",
            "subjects": rng.sample(SUBJECTS, rng.randint(1, 3)),
            "languages": sorted(set(rng.sample(LANGUAGES, rng.randint(1, 2)))),
            "kinds": [kind for kind in KINDS if rng.random() < 0.7] or ["tutoring"],
            "session_minutes": settings.session_minutes, "buffer_minutes": settings.buffer_minutes,
            "min_notice_hours": settings.min_notice_hours, "horizon_days": settings.horizon_days,
            "max_sessions_per_week": settings.max_sessions_per_week,
        })
        # As the model's validator writes them when a profile is saved.
        for term in subject_terms(profiles[-1]["subjects"]):
            terms.append({"id": len(terms) + 1, "volunteer_id": user_id, "term": term})
        for rule in availability.rules:
            rules.append({
                "id": len(rules) + 1, "volunteer_id": user_id, "weekday": rule.weekday,
                "start_minute": rule.start.hour * 60 + rule.start.minute,
                "end_minute": rule.end.hour * 60 + rule.end.minute,
                "valid_from_on": rule.valid_from, "valid_until_on": rule.valid_until,
            })
    first_learner = len(volunteers) + 1
    for number in range(LEARNERS):
        user_id = first_learner + number
        users.append({
            "id": user_id, "email": f"learner{user_id}@bench.example", "password_hash": PASSWORD_HASH,
            "role": "learner", "display_name": f"Learner {user_id}", "timezone": VIEWER_ZONE,
            "language": "en", "created_at": now, "is_active": True, "calendar_token": secrets.token_urlsafe(32),
        })
    for volunteer in volunteers:
        buffer = timedelta(minutes=volunteer.availability.settings.buffer_minutes)
        for busy in volunteer.bookings:
            session_id = len(sessions) + 1
            sessions.append({
                "id": session_id, "volunteer_id": volunteer.index + 1, "kind": "tutoring",
                "start_at": busy.start_at, "end_at": busy.end_at, "blocked_until_at": busy.end_at + buffer,
                "status": "confirmed", "capacity": 1, "created_at": now, "updated_at": now,
            })
            bookings.append({
                "id": session_id, "session_id": session_id, "learner_id": first_learner + rng.randrange(LEARNERS),
                "status": "confirmed", "note": "", "uid": f"bench-{session_id}@bench.example", "sequence": 0,
                "series_id": None, "cancel_reason": None, "created_at": now, "updated_at": now,
            })
    return {"users": users, "volunteer_profiles": profiles, "subject_terms": terms, "availability_rules": rules,
            "sessions": sessions, "bookings": bookings}


# Not in the migrations (no migration this round): what the search would like on PostgreSQL.
def load(app, tables: dict[str, list[dict]]) -> float:
    """Bulk-insert the rows (COPY on PostgreSQL, executemany on SQLite); returns the seconds it took."""
    started = time.perf_counter()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            _copy(engine, tables)
        else:
            with engine.begin() as connection:
                for name, rows in tables.items():
                    # Core executemany: the column types (UTCDateTime, JSON) format each value as the app does.
                    connection.execute(db.metadata.tables[name].insert(), rows)
        # As a live database would be after autovacuum: statistics, and on
        # PostgreSQL the GIN indexes' pending lists merged (VACUUM), else the
        # planner skips those indexes and every search reads all profiles.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - started


def _copy(engine, tables: dict[str, list[dict]]) -> None:
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:
            for name, rows in tables.items():
                columns = list(rows[0])
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, columns))
                )
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row([json.dumps(value) if isinstance(value, list) else value
                                        for value in row.values()])
                if "id" in columns:
                    cursor.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), {})").format(
                        sql.Literal(name), sql.Literal(len(rows))))
        connection.commit()
    finally:
        raw.close()


# --- databases ---------------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    """A temporary SQLite file's URL."""
    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


@contextlib.contextmanager
def postgresql_database() -> Iterator[str]:
    """A throwaway PostgreSQL database's URL, dropped afterwards."""
    admin_url = os.environ.get("PG_ADMIN_URL", DEFAULT_ADMIN_URL)
    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"tutoring_bench_{secrets.token_hex(4)}"
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def bench_app(url: str, instance: Path, **config):
    """The app on ``url`` (rate limits off, ``config`` on top), migrated, with a trivial route to compare against."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance),
        "RATELIMIT_ENABLED": False, "BASE_URL": "http://bench.example", **config,
    })
    app.add_url_rule("/_bench/trivial", "bench_trivial", lambda: "ok")
    with app.app_context():
        flask_migrate.upgrade()
    return app


# --- timing ------------------------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def timed(client, paths: list[str], repeat: int, headers: dict | None = None) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per request over ``repeat`` requests cycling through ``paths`` (after a warm-up).

    Wall time is the server time a client waits for. CPU time is what this
    process spent on the request: on a busy machine the wall time also holds
    the time the process waited for a CPU (and, on PostgreSQL, the database
    server's work, which runs in another process).
    """
    for path in paths:
        assert client.get(path, headers=headers).status_code == 200, path
    wall, cpu = [], []
    for number in range(repeat):
        path = paths[number % len(paths)]
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return wall, cpu


def run(
    dialect: str, url: str, tables: dict[str, list[dict]], volunteers: int, repeat: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Load the data into ``url`` and time the four requests; prints the load time and what a search finds."""
    with tempfile.TemporaryDirectory(prefix="bench-instance-") as instance:
        app = bench_app(url, Path(instance))
        seconds = load(app, tables)
        print(f"  {dialect}: loaded in {seconds:.1f} s", flush=True)
        client = app.test_client()
        client.set_cookie("tz", VIEWER_ZONE)
        today = datetime.now(UTC).astimezone(ZoneInfo(VIEWER_ZONE)).date()
        last = today + timedelta(days=RANGE_DAYS - 1)
        searches = [f"/?subject={subject}&language={language}&from={today}&to={last}" for subject, language in SEARCHES]
        rng = random.Random(SEED)
        weeks = [f"/volunteers/{rng.randint(1, volunteers)}" for _ in range(50)]

        body = client.get(searches[0]).get_data(as_text=True)
        cards = body.count('class="card"')
        print(f"  {dialect}: a search ({SEARCHES[0][0]}, {SEARCHES[0][1]}, {RANGE_DAYS} days) shows {cards} volunteers",
              flush=True)
        fragment = {"HX-Request": "true", "HX-Target": "results"}
        return {
            "trivial route": timed(client, ["/_bench/trivial"], repeat),
            "search page": timed(client, searches, repeat),
            "search (htmx fragment)": timed(client, searches, repeat, fragment),
            "week view": timed(client, weeks, repeat),
        }


def main(argv: list[str] | None = None) -> int:
    """Generate, load, time and print; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per row (default 200)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    volunteers = generate(args.volunteers, seed=SEED, now=now)
    tables = rows_for(volunteers, now)
    print(f"bench.search: Python {platform.python_version()} on {platform.machine()}; "
          f"{args.volunteers:,} volunteers, {len(tables['availability_rules']):,} weekly rules, "
          f"{len(tables['bookings']):,} bookings ({BOOKINGS_PER_VOLUNTEER} each, 4 weeks back to 8 ahead), "
          f"{LEARNERS:,} learners; generated in {time.perf_counter() - started:.1f} s", flush=True)
    print(f"Server time per request through the Flask test client (in process, no network), "
          f"{args.requests} requests a row after one warm-up round; viewer in {VIEWER_ZONE}.", flush=True)

    results: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for dialect, database in (("sqlite", sqlite_database), ("postgresql", postgresql_database)):
        if args.only and args.only != dialect:
            continue
        with database() as url:
            results[dialect] = run(dialect, url, tables, args.volunteers, args.requests)

    print()
    print(f"{'':24}" + "".join(f"{dialect + ' (wall | cpu)':>38}" for dialect in results))
    print(f"{'':24}" + "".join(f"{'p50':>9}{'p95':>9} |{'p50':>9}{'p95':>9}" for _ in results))
    failed = False
    for row in ("trivial route", "search page", "search (htmx fragment)", "week view"):
        cells = []
        for rows in results.values():
            wall, cpu = rows[row]
            p95 = percentile(wall, 0.95)
            cells.append(f"{statistics.median(wall):9.1f}{p95:9.1f} |{statistics.median(cpu):9.1f}"
                         f"{percentile(cpu, 0.95):9.1f}")
            target = TARGET_WEEK_P95_MS if row == "week view" else TARGET_SEARCH_P95_MS if "search" in row else None
            if target is not None and p95 > target:
                failed = True
        print(f"{row:24}" + "".join(cells))
    print("(milliseconds)")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) at the end of the run.")
    print(f"Targets (wall p95): search <= {TARGET_SEARCH_P95_MS:.0f} ms, week view <= {TARGET_WEEK_P95_MS:.0f} ms: "
          + ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
