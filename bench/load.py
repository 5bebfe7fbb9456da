"""Load test: gunicorn (gunicorn.conf.py) on 127.0.0.1 over PostgreSQL holding 10,000 volunteers and 100,000 bookings.

    .venv/bin/python -m bench.load [--users 100] [--duration 120] [--think 5] [--saturation 30]
                                   [--volunteers 10000] [--bookings-per-volunteer 10] [--port 8765]
                                   [--mix search=30,week=25,feed=20,book=15,cancel=10]

What it does, in order:

1. Creates a throwaway PostgreSQL database (``PG_ADMIN_URL``, default
   postgres@127.0.0.1:5432), builds it with the migrations and loads
   ``bench.data`` volunteers with ``bench.search.rows_for`` (zones, weekly
   rules, subjects, languages, kinds; 2,000 learners), keeping
   ``--bookings-per-volunteer`` of each volunteer's 20 bookings (100,000 at
   the defaults), plus an API token per learner; then ``VACUUM (ANALYZE)``.
2. Starts ``gunicorn -c gunicorn.conf.py 'bench.load:bench_app()'``: the
   production app (``tutoring.create_app`` from the environment:
   ``DATABASE_URL``, ``RATELIMIT_ENABLED=false``) plus one trivial route,
   ``/_bench/trivial``, so both are served by the same processes and settings.
3. **Mixed traffic**: ``--users`` virtual learners (threads, ``http.client``,
   keep-alive) for ``--duration`` seconds, each waiting ``--think`` seconds
   on average (exponential) between actions, as people do. Actions: search
   (home page with subject and language, 14 days), a volunteer's week page,
   polling their own calendar feed (with ``If-None-Match``), booking (the
   volunteer's free slots from the API, then ``POST /api/v1/bookings``), and
   cancelling one of their bookings. A 409 for a slot someone else just took
   is an outcome, not an error; errors are 5xx, other unexpected statuses and
   failed connections.
4. **Saturation**: the same users with no think time for ``--saturation``
   seconds on the mixed traffic, then on the trivial route: the ratio of the
   two throughputs compares the app's work with the server's own floor.
5. **Database checks**: no two live sessions of a volunteer overlap (buffers
   included), no session holds more live bookings than its capacity, no
   learner is in two live sessions at once; every booking made in the run
   has a ``booked`` outbox message per party, and every cancelled one a
   ``cancelled`` message per party.

Prints throughput, p50/p95/p99, the app's own CPU per request (the bench
app's ``Server-Timing`` header: the request thread's CPU time, so each action's
cost shows apart) and errors per phase and per action, the
checks, the machine (CPUs, load average) and PASS/FAIL against the targets:
0 errors, p99 <= 250 ms (mixed phase), mixed saturation throughput >= 25% of
the trivial route's. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 250.0
TARGET_RATIO = 0.25
SEARCHES = (("Mathematics", "en"), ("Physics", "ar"), ("English", "en"), ("Chemistry", "en"), ("History", "ar"),
            ("Biology", "en"), ("Arabic", "ar"), ("Computer science", "en"))
VIEWER_ZONE = "Asia/Kathmandu"
# Relative weights of the actions of one mixed-traffic step.
MIX = {"search": 30, "week": 25, "feed": 20, "book": 15, "cancel": 10}


def parse_mix(text: str) -> dict[str, float]:
    """``search=30,week=25,...`` as weights; every action must be one of MIX's, with a weight >= 0."""
    mix = {}
    for part in text.split(","):
        action, _, weight = part.partition("=")
        action = action.strip()
        if action not in MIX:
            raise argparse.ArgumentTypeError(f"unknown action {action!r}: choose from {', '.join(MIX)}")
        try:
            mix[action] = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{action}: weight {weight!r} is not a number") from None
        if mix[action] < 0:
            raise argparse.ArgumentTypeError(f"{action}: a weight can't be negative")
    if not any(mix.values()):
        raise argparse.ArgumentTypeError("give at least one action a weight above 0")
    return mix


def bench_app():
    """The WSGI app gunicorn serves here: the production app plus a trivial route (factory: ``bench.load:bench_app()``)."""
    from tutoring import create_app

    app = create_app()
    app.add_url_rule("/_bench/trivial", "bench_trivial", lambda: "ok")
    app.wsgi_app = _timed(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _timed(wsgi_app):
    """``wsgi_app`` telling the bench, in ``Server-Timing: app;dur=…``, the CPU milliseconds its thread spent.

    Counted from the request's arrival to the moment the app starts its
    response (views, hooks, templates, SQL on the client side, gzip), by the
    thread's own clock, so other threads and processes don't count. Only the
    bench's app has it: it tells each action's own cost, which the
    per-process figures from /proc can't separate.
    """
    def app(environ, start_response):
        started = time.thread_time()

        def start(status, headers, exc_info=None):
            headers.append(("Server-Timing", f"app;dur={(time.thread_time() - started) * 1000:.3f}"))
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app


# --- data ----------------------------------------------------------------------------------------


def seed(url: str, volunteers: int, per_volunteer: int, instance: Path) -> dict:
    """Fill the database at ``url``; returns what the virtual users need (tokens, ids)."""
    import flask_migrate
    from sqlalchemy import text

    from bench.data import Volunteer, generate
    from bench.search import rows_for
    from bench.search import load as bulk_load
    from tutoring import create_app
    from tutoring.extensions import db
    from tutoring.models.token import hash_token

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    generated = [Volunteer(v.index, v.availability, v.bookings[::max(1, 20 // per_volunteer)][:per_volunteer])
                 for v in generate(volunteers, now=now)]
    tables = rows_for(generated, now)
    learners = [row for row in tables["users"] if row["role"] == "learner"]
    raw_tokens = {row["id"]: secrets.token_urlsafe(32) for row in learners}
    tables["api_tokens"] = [
        {"id": number + 1, "user_id": user_id, "token_hash": hash_token(raw), "created_at": now}
        for number, (user_id, raw) in enumerate(raw_tokens.items())
    ]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
    bulk_load(app, tables)
    with app.app_context(), db.engine.begin() as connection:
        counts = {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar()
                  for name in ("users", "volunteer_profiles", "sessions", "bookings")}
        db.engine.dispose()
    print(f"seeded in {time.perf_counter() - started:.0f} s: {counts['volunteer_profiles']:,} volunteers, "
          f"{counts['bookings']:,} bookings in {counts['sessions']:,} sessions, {len(learners):,} learners "
          f"({counts['users']:,} users)", flush=True)
    return {
        "volunteer_ids": [row["user_id"] for row in tables["volunteer_profiles"]],
        "kinds": {row["user_id"]: row["kinds"] for row in tables["volunteer_profiles"]},
        "learners": [{"id": row["id"], "token": raw_tokens[row["id"]], "feed": row["calendar_token"]}
                     for row in learners],
        "counts": counts,
    }


@contextlib.contextmanager
def database() -> Iterator[str]:
    from bench.search import postgresql_database

    with postgresql_database() as url:
        yield url


# --- the server -----------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(url: str, port: int, instance: Path):
    """gunicorn with gunicorn.conf.py on 127.0.0.1:``port``; yields its process."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "RATELIMIT_ENABLED": "false",
        "TUTORING_INSTANCE_PATH": str(instance),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOGLEVEL": "warning",
        # No worker replacement during the run (gunicorn.conf.py replaces one
        # after ~10,000 requests): a new worker starts with cold caches, and
        # the CPU accounting follows the same processes throughout.
        "GUNICORN_MAX_REQUESTS": "0",
    }
    log = open(instance / "gunicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "bench.load:bench_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {instance / 'gunicorn.log'}")
            try:
                status, _body, _headers, _ms = Client(port).request("GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.3)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- the client -------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection; reconnects when it has been idle near gunicorn's keep-alive limit."""

    IDLE_SECONDS = 3.0

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """(status, body bytes, response headers, milliseconds)."""
        started = time.perf_counter()
        if self.connection is None or started - self.last_used > self.IDLE_SECONDS:
            self.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=payload, headers=all_headers)
            response = self.connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        self.last_used = time.perf_counter()
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data, dict(response.getheaders()), (self.last_used - started) * 1000

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Results:
    """Latencies and outcomes of one phase, shared by its threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    app_cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # Server-Timing, ms
    outcomes: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    booked: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = 0.0
    ended: float = 0.0
    cpu: dict[str, float] | None = None  # server CPU seconds in the phase: {"app": ..., "db": ...}

    def add(self, action: str, status: int, ms: float, expected: tuple[int, ...], app_cpu: float | None = None) -> None:
        with self.lock:
            self.latencies[action].append(ms)
            if app_cpu is not None:
                self.app_cpu[action].append(app_cpu)
            self.outcomes[(action, status)] += 1
            if status not in expected:
                self.errors[f"{action}: HTTP {status}"] += 1

    def failed(self, action: str, error: BaseException) -> None:
        with self.lock:
            self.errors[f"{action}: {type(error).__name__}"] += 1

    @property
    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]

    @property
    def throughput(self) -> float:
        return len(self.all_latencies) / max(1e-9, self.ended - self.started)


def app_cpu_ms(headers: dict) -> float | None:
    """The app's own CPU milliseconds for a response, from the bench's ``Server-Timing`` header."""
    for part in headers.get("Server-Timing", "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name == "app":
            try:
                return float(duration)
            except ValueError:
                return None
    return None


class VirtualUser:
    """One learner: searches, looks at weeks, polls their feed, books and cancels."""

    def __init__(self, client: Client, learner: dict, data: dict, rng: random.Random, results: Results) -> None:
        self.client = client  # anything with Client's request() and close(): bench.actions passes an in-process one
        self.learner = learner
        self.data = data
        self.rng = rng
        self.results = results
        self.auth = {"Authorization": f"Bearer {learner['token']}", "Accept": "application/json"}
        self.page_headers = {"Cookie": f"tz={VIEWER_ZONE}", "Accept": "text/html"}
        self.etag: str | None = None
        self.mine: list[int] = []

    def call(self, action: str, method: str, path: str, expected: tuple[int, ...], body=None, headers=None):
        try:
            status, data, response_headers, ms = self.client.request(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.results.failed(action, error)
            return None, b"", {}
        self.results.add(action, status, ms, expected, app_cpu_ms(response_headers))
        return status, data, response_headers

    def step(self, only: str | None = None) -> None:
        mix = self.data.get("mix", MIX)
        action = only or self.rng.choices(list(mix), weights=list(mix.values()))[0]
        if action == "cancel" and not self.mine:
            action = "book"
        getattr(self, action)()

    def trivial(self) -> None:
        self.call("trivial", "GET", "/_bench/trivial", (200,))

    def search(self) -> None:
        subject, language = self.rng.choice(SEARCHES)
        today = datetime.now(UTC).date()
        query = urlencode({"subject": subject, "language": language, "from": today.isoformat(),
                           "to": (today + timedelta(days=13)).isoformat()})
        self.call("search", "GET", f"/?{query}", (200,), headers=self.page_headers)

    def week(self) -> None:
        volunteer = self.rng.choice(self.data["volunteer_ids"])
        self.call("week", "GET", f"/volunteers/{volunteer}", (200,), headers=self.page_headers)

    def feed(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        status, _data, response_headers = self.call("feed", "GET", f"/calendar/{quote(self.learner['feed'])}.ics",
                                                    (200, 304), headers=headers)
        if status == 200:
            self.etag = response_headers.get("ETag")

    def book(self) -> None:
        volunteer = self.rng.choice(self.data["volunteer_ids"])
        today = datetime.now(UTC).date()
        query = urlencode({"from": (today + timedelta(days=1)).isoformat(),
                           "to": (today + timedelta(days=14)).isoformat(), "tz": "UTC"})
        status, data, _ = self.call("slots (API)", "GET", f"/api/v1/volunteers/{volunteer}/slots?{query}", (200,),
                                    headers=self.auth)
        if status != 200:
            return
        slots = json.loads(data)["slots"]
        if not slots:
            return
        slot = self.rng.choice(slots)
        kind = self.rng.choice(self.data["kinds"][volunteer])
        # 409: someone else took it first, or this learner is busy then; both are answers, not errors.
        status, data, _ = self.call("book (API)", "POST", "/api/v1/bookings", (201, 409), headers=self.auth,
                                    body={"volunteer_id": volunteer, "start": slot["start_utc"], "kind": kind,
                                          "note": "load test"})
        if status == 201:
            booking_id = json.loads(data)["id"]
            self.mine.append(booking_id)
            with self.results.lock:
                self.results.booked.append(booking_id)

    def cancel(self) -> None:
        booking_id = self.mine.pop(self.rng.randrange(len(self.mine)))
        self.call("cancel (API)", "POST", f"/api/v1/bookings/{booking_id}/cancel", (200,), headers=self.auth,
                  body={"reason": "load test"})


class ServerCPU:
    """CPU seconds used by gunicorn's workers and by the PostgreSQL backends of the bench database (Linux /proc).

    The machine is shared, so wall-clock figures include waiting for a CPU;
    CPU per request is what one request costs the server, whatever else runs.
    """

    def __init__(self, master_pid: int, url: str) -> None:
        self.master_pid = master_pid
        self.url = url
        self.ticks = os.sysconf("SC_CLK_TCK")

    def _pids(self) -> tuple[list[int], list[int]]:
        import psycopg
        from sqlalchemy import make_url

        workers = []
        for task in Path(f"/proc/{self.master_pid}/task").glob("*/children"):
            workers += [int(pid) for pid in task.read_text().split()]
        conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as connection:
            backends = [row[0] for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        return workers, backends

    def _seconds(self, pid: int, children: bool = False) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        own = int(fields[11]) + int(fields[12])  # utime + stime
        reaped = int(fields[13]) + int(fields[14]) if children else 0  # cutime + cstime: workers that exited
        return (own + reaped) / self.ticks

    def snapshot(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far per process: {"app": {pid: s}, "db": {pid: s}}."""
        workers, backends = self._pids()
        # The master's entry also holds the CPU of workers gunicorn replaced
        # (max_requests) and reaped, so a replaced worker's work is not lost.
        app = {pid: self._seconds(pid) for pid in workers}
        app[self.master_pid] = self._seconds(self.master_pid, children=True)
        return {"app": app, "db": {pid: self._seconds(pid) for pid in backends}}

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        """CPU seconds used between two snapshots (processes that appeared count from zero)."""
        # A worker gone by the end (replaced) is in the master's reaped total
        # with its whole life, so its earlier share comes off. (The bench
        # turns worker replacement off, so this is a safety net.) A database
        # backend that closed takes its CPU with it: counted as nothing.
        used = {part: sum(seconds - before[part].get(pid, 0.0) for pid, seconds in after[part].items())
                for part in ("app", "db")}
        used["app"] -= sum(seconds for pid, seconds in before["app"].items() if pid not in after["app"])
        return used


def run_phase(name: str, port: int, data: dict, users: int, seconds: float, think: float, only: str | None,
              seed_value: int, cpu: ServerCPU | None = None) -> Results:
    """``users`` threads doing steps for ``seconds``; ``think`` mean seconds between steps (0: none)."""
    results = Results()
    stop = threading.Event()
    learners = random.Random(seed_value).sample(data["learners"], users)

    def run(number: int) -> None:
        rng = random.Random(seed_value * 1000 + number)
        user = VirtualUser(Client(port), learners[number], data, rng, results)
        if think:
            stop.wait(rng.uniform(0, think))  # spread the first requests
        while not stop.is_set():
            user.step(only)
            if think:
                stop.wait(rng.expovariate(1 / think))
        user.client.close()

    threads = [threading.Thread(target=run, args=(number,), daemon=True) for number in range(users)]
    before = cpu.snapshot() if cpu else None
    results.started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    results.ended = time.perf_counter()
    if cpu:
        results.cpu = ServerCPU.used(before, cpu.snapshot())
    print(f"  {name}: {len(results.all_latencies):,} requests in {results.ended - results.started:.0f} s", flush=True)
    return results


# --- reporting and checks ---------------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank quantile."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def table(title: str, results: Results) -> None:
    print(f"\n{title}")
    print(f"{'':18}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'app CPU ms':>12}")
    elapsed = results.ended - results.started
    cpu_rows = sorted(results.app_cpu.items()) + [("all", [v for vs in results.app_cpu.values() for v in vs])]
    cpu_means = {action: statistics.fmean(values) for action, values in cpu_rows if values}
    rows = sorted(results.latencies.items()) + [("all", results.all_latencies)]
    for action, values in rows:
        cpu_mean = f"{cpu_means[action]:>12.2f}" if action in cpu_means else f"{'':>12}"
        print(f"{action:18}{len(values):>10,}{len(values) / elapsed:>9.1f}{percentile(values, .5):>9.1f}"
              f"{percentile(values, .95):>9.1f}{percentile(values, .99):>9.1f}{max(values):>9.1f}{cpu_mean}")
    if results.cpu:
        count = max(1, len(results.all_latencies))
        print(f"server CPU per request: {results.cpu['app'] / count * 1000:.1f} ms in gunicorn + "
              f"{results.cpu['db'] / count * 1000:.1f} ms in PostgreSQL "
              f"({results.cpu['app'] + results.cpu['db']:.0f} CPU-seconds over {results.ended - results.started:.0f} s)")
    statuses = ", ".join(f"{action} {status}: {count}" for (action, status), count in sorted(results.outcomes.items()))
    print(f"statuses: {statuses}")
    print(f"errors: {sum(results.errors.values())}" + (f" ({dict(results.errors)})" if results.errors else ""))


def check_database(url: str, booked: list[int], since: datetime) -> list[str]:
    """The integrity checks after the run; returns the problems found (empty: all good)."""
    import psycopg
    from sqlalchemy import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    problems = []
    with psycopg.connect(conninfo) as connection:
        def scalar(query: str, *params):
            return connection.execute(query, params).fetchone()[0]

        overlaps = scalar("""
            SELECT count(*) FROM sessions a JOIN sessions b
              ON a.volunteer_id = b.volunteer_id AND a.id < b.id
             AND tstzrange(a.start_at, a.blocked_until_at) && tstzrange(b.start_at, b.blocked_until_at)
             WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'""")
        over_capacity = scalar("""
            SELECT count(*) FROM (SELECT s.id FROM sessions s JOIN bookings b ON b.session_id = s.id
             WHERE b.status <> 'cancelled' GROUP BY s.id, s.capacity HAVING count(*) > s.capacity) x""")
        learner_clashes = scalar("""
            SELECT count(*) FROM bookings b1 JOIN sessions s1 ON s1.id = b1.session_id
              JOIN bookings b2 ON b2.learner_id = b1.learner_id AND b2.id > b1.id
              JOIN sessions s2 ON s2.id = b2.session_id
             WHERE b1.status <> 'cancelled' AND b2.status <> 'cancelled' AND s1.status <> 'cancelled'
               AND s2.status <> 'cancelled' AND s1.id <> s2.id
               AND s1.start_at < s2.end_at AND s2.start_at < s1.end_at
               AND (b1.created_at >= %s OR b2.created_at >= %s)""", since, since)
        made = scalar("SELECT count(*) FROM bookings WHERE created_at >= %s", since)
        cancelled = scalar("SELECT count(*) FROM bookings WHERE created_at >= %s AND status = 'cancelled'", since)
        missing_booked = scalar("""
            SELECT count(*) FROM bookings b WHERE b.created_at >= %s AND (
              SELECT count(*) FROM outbox_messages o WHERE o.booking_id = b.id AND o.kind = 'booked') <> 2""", since)
        missing_cancelled = scalar("""
            SELECT count(*) FROM bookings b WHERE b.created_at >= %s AND b.status = 'cancelled' AND (
              SELECT count(*) FROM outbox_messages o WHERE o.booking_id = b.id AND o.kind = 'cancelled') <> 2""", since)
        outbox = scalar("SELECT count(*) FROM outbox_messages WHERE created_at >= %s", since)
    print(f"\nDatabase after the run: {made:,} bookings made in the run ({len(set(booked)):,} answered 201), "
          f"{cancelled:,} of them cancelled; {outbox:,} outbox messages queued")
    checks = [
        ("overlapping live sessions of one volunteer", overlaps),
        ("sessions holding more live bookings than their capacity", over_capacity),
        ("learners in two live sessions at once (run's bookings)", learner_clashes),
        ("run's bookings without a 'booked' message for each party", missing_booked),
        ("run's cancellations without a 'cancelled' message for each party", missing_cancelled),
        ("bookings answered 201 but not in the database", len(set(booked)) - made if made < len(set(booked)) else 0),
    ]
    for label, count in checks:
        print(f"  {label}: {count}  {'ok' if count == 0 else 'FAIL'}")
        if count:
            problems.append(f"{label}: {count}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=120, help="seconds of mixed traffic with think time")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds a user waits between actions")
    parser.add_argument("--saturation", type=float, default=30, help="seconds each of mixed and trivial, no think time")
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--bookings-per-volunteer", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--mix", type=parse_mix, default=MIX,
                        help="relative weights of the actions, e.g. search=30,week=25,feed=20,book=15,cancel=10 "
                             "(the default); actions left out don't happen")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM: still stop gunicorn and drop the throwaway database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print(f"bench.load: Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder, database() as url:
        instance = Path(folder)
        data = seed(url, args.volunteers, args.bookings_per_volunteer, instance / "seed")
        data["mix"] = args.mix
        print("mix: " + ", ".join(f"{action} {weight:g}" for action, weight in args.mix.items()), flush=True)
        since = datetime.now(UTC)
        (instance / "app").mkdir()
        with gunicorn(url, args.port, instance / "app") as server:
            config = subprocess.run([sys.executable, "-c", "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
                                     "print(c['workers'], c['threads'])"], cwd=ROOT, capture_output=True, text=True,
                                    env={**os.environ, "GUNICORN_BIND": f"127.0.0.1:{args.port}"}).stdout.split()
            print(f"gunicorn (pid {server.pid}): {config[0]} workers x {config[1]} threads (gthread), "
                  f"gunicorn.conf.py; RATELIMIT_ENABLED=false", flush=True)
            # Warm-up: every worker builds its caches (zones, Babel, slot texts) before anything is timed.
            cpu = ServerCPU(server.pid, url)
            warm_up = run_phase("warm-up", args.port, data, min(args.users, 20), 10, 0, None, 1)
            mixed = run_phase(f"mixed traffic, {args.users} users, think {args.think:g} s", args.port, data,
                              args.users, args.duration, args.think, None, 2, cpu)
            mixed_saturated = run_phase(f"mixed traffic, {args.users} users, no think time", args.port, data,
                                        args.users, args.saturation, 0, None, 3, cpu)
            trivial = run_phase(f"trivial route, {args.users} users, no think time", args.port, data, args.users,
                                args.saturation, 0, "trivial", 4, cpu)
            log_tail = (instance / "app" / "gunicorn.log").read_text()[-3000:]
        booked = warm_up.booked + mixed.booked + mixed_saturated.booked
        table(f"Mixed traffic: {args.users} users for {args.duration:g} s, mean think time {args.think:g} s", mixed)
        table(f"Mixed traffic at saturation: {args.users} users, no think time, {args.saturation:g} s", mixed_saturated)
        table(f"Trivial route at saturation: {args.users} users, no think time, {args.saturation:g} s", trivial)
        problems = check_database(url, booked, since)

    ratio = mixed_saturated.throughput / trivial.throughput
    errors = sum(sum(phase.errors.values()) for phase in (mixed, mixed_saturated, trivial))
    p99 = percentile(mixed.all_latencies, 0.99)
    print(f"\nThroughput: mixed {mixed_saturated.throughput:.1f} req/s vs trivial {trivial.throughput:.1f} req/s "
          f"at saturation: ratio {ratio:.1%}")
    if mixed_saturated.cpu and trivial.cpu:
        cost = {phase: (r.cpu["app"] + r.cpu["db"]) / max(1, len(r.all_latencies))
                for phase, r in (("mixed", mixed_saturated), ("trivial", trivial))}
        print(f"Server CPU per request (gunicorn + PostgreSQL): mixed {cost['mixed'] * 1000:.1f} ms, trivial "
              f"{cost['trivial'] * 1000:.2f} ms; on {os.cpu_count()} otherwise idle CPUs that is at most "
              f"{os.cpu_count() / cost['mixed']:.0f} mixed and {os.cpu_count() / cost['trivial']:.0f} trivial "
              f"requests a second (ratio {cost['trivial'] / cost['mixed']:.1%}), before the load generator's own share")
    print(f"Machine: {os.cpu_count()} CPUs, load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if "Traceback" in log_tail or "ERROR" in log_tail:
        print("gunicorn log (tail):\n" + log_tail)
    targets = [
        (f"errors = 0 (got {errors})", errors == 0),
        (f"p99 <= {TARGET_P99_MS:.0f} ms in the mixed phase (got {p99:.0f} ms)", p99 <= TARGET_P99_MS),
        (f"mixed throughput >= {TARGET_RATIO:.0%} of trivial (got {ratio:.1%})", ratio >= TARGET_RATIO),
        (f"database checks (got {len(problems)} problems)", not problems),
    ]
    for label, ok in targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _label, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
