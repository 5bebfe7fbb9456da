"""What each load-test action costs the app and PostgreSQL, with and without prepared statements.

    python -m bench.actions [--volunteers 10000] [--requests 200] [--rounds 2]

Seeds a throwaway PostgreSQL database exactly as ``bench.load`` does
(10,000 volunteers, 100,000 bookings, 2,000 learners at the default size),
then drives the app in this process through Flask's test client with the
load test's own virtual users (``bench.load.VirtualUser``), one action at a
time: the trivial route, search page, week page, feed poll, booking (the
slots API, then the POST) and cancelling. For each action it reports the
app's CPU per request (the request thread's clock, as the load test's
``Server-Timing``) and PostgreSQL's CPU per request (the database's
backends, from /proc), as milliseconds and as multiples of the trivial
route's app CPU.

Two apps share the database: one with psycopg's prepared statements (the
default, ``DB_PREPARE_THRESHOLD`` 5) and one without (``none``), which is
how every request ran before read-only transactions ended with COMMIT
(tutoring/transactions.py). They take turns, action by action, for
``--rounds`` rounds (who goes first alternating), so both see the same
machine and the same data; each has its own learners.
No gunicorn, no network, no load generator: the figures are the work of
one request, not throughput (``bench.load`` measures that).
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
from pathlib import Path

from bench.load import Results, ServerCPU, VirtualUser, _timed, database, seed
from bench.search import bench_app

ACTIONS = ("trivial", "search", "week", "feed", "book", "cancel")
SETUPS = {"prepared": 5, "not prepared": "none"}


class InProcessClient:
    """``bench.load.Client``'s interface over Flask's test client: same requests, no network."""

    def __init__(self, app) -> None:
        self.client = app.test_client()

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        started = time.perf_counter()
        response = self.client.open(path, method=method, json=body, headers=headers)
        data = response.get_data()
        return response.status_code, data, dict(response.headers), (time.perf_counter() - started) * 1000

    def close(self) -> None:
        pass


def make_app(url: str, instance: Path, threshold: int | str):
    """``bench.search``'s app (the trivial route included) with this prepare threshold, telling its CPU per request."""
    app = bench_app(url, instance, DB_PREPARE_THRESHOLD=threshold)
    app.wsgi_app = _timed(app.wsgi_app)  # type: ignore[method-assign]
    return app


def run(users: list[VirtualUser], action: str, requests: int, database_cpu: ServerCPU) -> tuple[Results, float]:
    """``requests`` steps of ``action`` spread over ``users``; the results and PostgreSQL's CPU seconds."""
    results = Results()
    for user in users:
        user.results = results
    before = database_cpu.snapshot()
    for number in range(requests):
        users[number % len(users)].step(action)
    used = ServerCPU.used(before, database_cpu.snapshot())
    return results, used["db"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per action, setup and round")
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args(argv)
    print(f"bench.actions: Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"load average before: {', '.join(f'{value:.2f}' for value in os.getloadavg())}", flush=True)

    with database() as url, tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        data = seed(url, arguments.volunteers, 10, instance)
        apps = {name: make_app(url, instance / name.replace(" ", "-"), threshold)
                for name, threshold in SETUPS.items()}
        # The database's backends only (this process is the "server" too, so its own CPU isn't asked for).
        database_cpu = ServerCPU(os.getpid(), url)
        rng = random.Random(20261126)
        # Each setup has its own 20 learners: the feed's caches are the process's, so sharing them would let
        # the second setup's polls find the first's renderings.
        learners = rng.sample(data["learners"], 20 * len(apps))
        users = {name: [VirtualUser(InProcessClient(app), learner, data, random.Random(number), Results())
                        for number, learner in enumerate(learners[20 * index:20 * (index + 1)])]
                 for index, (name, app) in enumerate(apps.items())}
        app_cpu: dict[tuple[str, str], list[float]] = {}
        db_cpu: dict[tuple[str, str], list[float]] = {}
        counts: dict[tuple[str, str], int] = {}
        for _warm_up in range(2):
            for name in apps:
                for action in ACTIONS:
                    run(users[name], action, 20, database_cpu)
        for round_number in range(arguments.rounds):
            for action in ACTIONS:
                # Who goes first alternates by round: the search's and week's caches are shared too.
                for name in list(apps)[::1 if round_number % 2 == 0 else -1]:
                    results, database_seconds = run(users[name], action, arguments.requests, database_cpu)
                    for label, values in results.app_cpu.items():
                        app_cpu.setdefault((name, label), []).extend(values)
                    key = (name, action)
                    db_cpu.setdefault(key, []).append(database_seconds * 1000 / arguments.requests)
                    counts[key] = counts.get(key, 0) + arguments.requests
                    if results.errors:
                        print(f"  errors ({name}, {action}): {dict(results.errors)}", file=sys.stderr)
            print(f"  round {round_number + 1} of {arguments.rounds} done", flush=True)

    trivial = statistics.median(app_cpu[("prepared", "trivial")])
    print(f"\n{arguments.volunteers:,} volunteers, {data['counts']['bookings']:,} bookings; {arguments.requests} "
          f"requests per action, setup and round, {arguments.rounds} rounds (median app CPU; PostgreSQL CPU per "
          f"request of the action, the booking's slots request included in 'book')")
    print(f"{'':16}{'app CPU ms':>24}{'x trivial':>12}{'PostgreSQL CPU ms':>26}")
    print(f"{'':16}{'prepared':>12}{'not':>12}{'prepared':>12}{'prepared':>13}{'not':>13}")
    labels = ["trivial", "search", "week", "feed", "slots (API)", "book (API)", "cancel (API)"]
    phase = {"slots (API)": "book", "book (API)": "book", "cancel (API)": "cancel"}
    for label in labels:
        medians = [statistics.median(app_cpu.get((name, label), [float("nan")])) for name in SETUPS]
        action = phase.get(label, label)
        pg = [statistics.mean(db_cpu[(name, action)]) for name in SETUPS] if label != "slots (API)" else None
        pg_text = f"{pg[0]:>13.2f}{pg[1]:>13.2f}" if pg else f"{'(in book)':>26}"
        print(f"{label:16}{medians[0]:>12.2f}{medians[1]:>12.2f}{medians[0] / trivial:>12.1f}{pg_text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
