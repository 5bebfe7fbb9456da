"""Session rooms under load: N rooms x two open streams, each party posting every few seconds (issue 20).

    .venv/bin/python -m bench.room [--rooms 200] [--duration 60] [--interval 5] [--workers 2]
                                   [--worker-class gthread|gevent] [--threads 256] [--port 8766]

1. A throwaway PostgreSQL database (``PG_ADMIN_URL``), migrated; ``--rooms``
   one-to-one sessions starting in five minutes (live rooms), each with a
   volunteer and a learner, an API token and a signed session cookie each.
2. ``gunicorn -c gunicorn.conf.py wsgi:app`` on 127.0.0.1 with ``--workers``
   processes of ``--worker-class`` (``GUNICORN_WORKER_CLASS``), Redis
   (``REDIS_URL``, default redis://127.0.0.1:6379/0, a key prefix of its own)
   carrying notices between them, rate limits off.
3. Every party opens the room's stream (``GET /sessions/<id>/room/stream``,
   the page's EventSource) with one asyncio client, so 2 x rooms streams;
   once all are open, each party posts ``POST /api/v1/bookings/<id>/messages``
   every ``--interval`` seconds on average (exponential, first post at a random
   offset) for ``--duration`` seconds, then the clients wait 5 s for stragglers.
4. Delivery latency: from just before the POST to the moment the event with
   that message's id arrives on a stream; both streams of the room must get
   every message of the room (the writer's own stream too): the expected
   deliveries minus those seen are the lost messages. Server CPU: the
   gunicorn processes' and PostgreSQL backends' CPU seconds (Linux /proc)
   over the posting phase, per message posted.

Prints p50/p95/p99/max delivery latency, messages, deliveries, lost, errors,
server CPU per message and PASS/FAIL against the target (p95 <= 1 s, 0 lost).
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.load import ServerCPU, database

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def seed(url: str, rooms: int, instance: Path, secret: str) -> list[dict]:
    """Rooms with their two parties; returns per room the booking id and each party's token and cookie."""
    import flask_migrate

    from tutoring import create_app
    from tutoring.extensions import db
    from tutoring.models import Booking, Session, User
    import tutoring.models.user as user_model
    from tutoring.services.people.accounts import create_user, issue_api_token

    # One real hash for every bench account: hashing hundreds of passwords would only slow the seeding.
    hashed = user_model.hash_password("bench-password-1")
    user_model.hash_password = lambda _password: hashed

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "INSTANCE_PATH": str(instance),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        flask_migrate.upgrade()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    out = []
    with app.app_context(), app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        for number in range(rooms):
            volunteer = create_user(f"v{number}@bench.example", role="volunteer", display_name=f"Volunteer {number}",
                                    timezone="Europe/London", password="bench-password-1", language="en",
                                    kinds=["tutoring"], approved=True, trained=["tutoring"])
            learner = create_user(f"l{number}@bench.example", role="learner", display_name=f"Learner {number}",
                                  timezone="Asia/Riyadh", password="bench-password-1", language="ar")
            db.session.flush()
            session = Session(volunteer_id=volunteer.id, kind="tutoring", start_at=start,
                              end_at=start + timedelta(minutes=45), blocked_until_at=start + timedelta(minutes=45))
            booking = Booking(session=session, learner_id=learner.id)
            db.session.add_all([session, booking])
            db.session.flush()
            parties = []
            for user in (volunteer, learner):
                token = issue_api_token(db.session.get(User, user.id))
                cookie = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
                parties.append({"user_id": user.id, "token": token, "cookie": cookie})
            out.append({"booking": booking.id, "parties": parties})
        db.session.commit()
    return out


@contextlib.contextmanager
def gunicorn(url: str, port: int, instance: Path, secret: str, workers: int, worker_class: str, threads: int):
    env = {
        **os.environ,
        "DATABASE_URL": url, "SECRET_KEY": secret, "RATELIMIT_ENABLED": "false",
        "TUTORING_INSTANCE_PATH": str(instance), "BASE_URL": f"http://127.0.0.1:{port}",
        "REDIS_URL": REDIS_URL, "TUTORING_RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(4)}-",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOGLEVEL": "warning", "GUNICORN_MAX_REQUESTS": "0",
        "WEB_CONCURRENCY": str(workers),
        # Hundreds of greenlets per worker share the pool; each holds a connection only while it reads.
        "TUTORING_DB_POOL_SIZE": os.environ.get("TUTORING_DB_POOL_SIZE", "10"),
        "TUTORING_DB_MAX_OVERFLOW": os.environ.get("TUTORING_DB_MAX_OVERFLOW", "10"),
        "TUTORING_DB_POOL_TIMEOUT": os.environ.get("TUTORING_DB_POOL_TIMEOUT", "30"), "GUNICORN_WORKER_CLASS": worker_class, "GUNICORN_THREADS": str(threads),
    }
    log = open(instance / "gunicorn.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        import urllib.request

        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {instance / 'gunicorn.log'}")
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200:
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


class Run:
    """What the clients saw."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.room_of: dict[int, int] = {}
        self.seen: dict[tuple[int, int], set[int]] = defaultdict(set)  # (room, party) -> message ids
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.pending: dict[int, list[tuple[int, float]]] = defaultdict(list)  # message id -> arrivals before its POST answered
        self.open_streams = 0


async def stream(port: int, room: dict, index: int, party: int, run: Run, opened: asyncio.Event, total: int,
                 stop: asyncio.Event) -> None:
    """One party's EventSource: read events, note each message id's arrival time."""
    await asyncio.sleep(index * 0.02)  # people arrive over a few seconds, not all in one instant
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    cookie = room["parties"][party]["cookie"]
    writer.write((f"GET /sessions/{room['booking']}/room/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Accept: text/event-stream\r\nCookie: session={cookie}\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        run.errors.append(f"stream {index}/{party}: {status!r}")
        return
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    run.open_streams += 1
    if run.open_streams == total:
        opened.set()
    try:
        while not stop.is_set():
            line = await asyncio.wait_for(reader.readline(), timeout=60)
            if not line:
                run.errors.append(f"stream {index}/{party} closed by the server")
                return
            # Chunked transfer: size lines and event lines both come through; only "id: N" matters.
            if line.startswith(b"id: "):
                now = time.perf_counter()
                message_id = int(line[4:].strip())
                run.seen[(index, party)].add(message_id)
                sent = run.sent_at.get(message_id)
                if sent is None:
                    run.pending[message_id].append((index, now))
                else:
                    run.latencies.append(now - sent)
    except (asyncio.TimeoutError, ConnectionError) as error:
        if not stop.is_set():
            run.errors.append(f"stream {index}/{party}: {error!r}")
    finally:
        writer.close()


async def post(port: int, room: dict, index: int, party: int, run: Run) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"text": f"Question from party {party}: what is 12 × 12 = 144?"}).encode()
    started = time.perf_counter()
    writer.write((f"POST /api/v1/bookings/{room['booking']}/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Authorization: Bearer {room['parties'][party]['token']}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    head, _, payload = answer.partition(b"\r\n\r\n")
    if b" 201 " not in head.split(b"\r\n", 1)[0]:
        run.errors.append(f"post {index}/{party}: {head[:60]!r}")
        return
    message_id = json.loads(payload)["id"]
    run.sent_at[message_id] = started
    run.room_of[message_id] = index
    for _room, arrived in run.pending.pop(message_id, []):
        run.latencies.append(arrived - started)


async def party_loop(port: int, room: dict, index: int, party: int, run: Run, interval: float, until: float,
                     rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, interval))
    tasks = []
    while time.perf_counter() < until:
        tasks.append(asyncio.create_task(post(port, room, index, party, run)))
        await asyncio.sleep(rng.expovariate(1 / interval))
    await asyncio.gather(*tasks)


async def drive(port: int, rooms: list[dict], duration: float, interval: float, cpu: ServerCPU) -> tuple[Run, dict]:
    run, opened, stop = Run(), asyncio.Event(), asyncio.Event()
    total = 2 * len(rooms)
    streams = [asyncio.create_task(stream(port, room, index, party, run, opened, total, stop))
               for index, room in enumerate(rooms) for party in (0, 1)]
    try:
        await asyncio.wait_for(opened.wait(), timeout=120)
    except asyncio.TimeoutError:
        raise RuntimeError(f"only {run.open_streams} of {total} streams opened; errors: {run.errors[:5]}") from None
    print(f"{run.open_streams} streams open", flush=True)
    before = cpu.snapshot()
    rng = random.Random(20)
    until = time.perf_counter() + duration
    await asyncio.gather(*(party_loop(port, room, index, party, run, interval, until, rng)
                           for index, room in enumerate(rooms) for party in (0, 1)))
    await asyncio.sleep(5)  # stragglers
    used = ServerCPU.used(before, cpu.snapshot())
    stop.set()
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    return run, used


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=256)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    secret = secrets.token_urlsafe(32)
    import tempfile

    with tempfile.TemporaryDirectory() as folder, database() as url:
        instance = Path(folder)
        started = time.perf_counter()
        rooms = seed(url, args.rooms, instance, secret)
        print(f"seeded {len(rooms)} rooms in {time.perf_counter() - started:.0f} s", flush=True)
        with gunicorn(url, args.port, instance, secret, args.workers, args.worker_class, args.threads) as server:
            cpu = ServerCPU(server.pid, url)
            try:
                run, used = asyncio.run(drive(args.port, rooms, args.duration, args.interval, cpu))
            finally:
                log_tail = (instance / "gunicorn.log").read_text()[-3000:]
                if sys.exc_info()[0] is not None:
                    print(log_tail)
    messages = len(run.sent_at)
    expected = {(run.room_of[m], party): set() for m in run.sent_at for party in (0, 1)}
    for message_id, room in run.room_of.items():
        for party in (0, 1):
            expected[(room, party)].add(message_id)
    lost = sum(len(ids - run.seen.get(key, set())) for key, ids in expected.items())
    deliveries = sum(len(ids & run.seen.get(key, set())) for key, ids in expected.items())
    p95 = percentile(run.latencies, 0.95)
    print(f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; gunicorn "
          f"{args.workers} x {args.worker_class}" + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
          + f", Redis fan-out, PostgreSQL")
    print(f"rooms {args.rooms}, open streams {2 * args.rooms}, posting every {args.interval:g} s per party "
          f"for {args.duration:g} s")
    print(f"messages {messages}, deliveries {deliveries} of {2 * messages}, lost {lost}, errors {len(run.errors)}")
    if run.latencies:
        print("delivery latency ms: " + ", ".join(
            f"p{int(share * 100)} {percentile(run.latencies, share) * 1000:.0f}" for share in (0.5, 0.95, 0.99))
            + f", max {max(run.latencies) * 1000:.0f}")
    if messages:
        print(f"server CPU per message: {used['app'] / messages * 1000:.1f} ms gunicorn + "
              f"{used['db'] / messages * 1000:.1f} ms PostgreSQL")
    for error in run.errors[:10]:
        print("error:", error)
    ok = lost == 0 and not run.errors and p95 <= 1.0
    print("PASS" if ok else "FAIL", "(target: p95 <= 1 s, 0 lost, 0 errors)")
    if not ok:
        print(log_tail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
