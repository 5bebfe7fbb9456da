"""The slot reader's per-volunteer cache (issue 17), on and off in the same run: app CPU per action.

    .venv/bin/python -m bench.slot_cache [volunteers=2000] [requests per action and round=100]

Seeds a throwaway PostgreSQL database as ``bench.load`` does, drives one app in
this process with ``bench.load``'s virtual users (search page, week page, the
booking's slots API and POST), four rounds alternating the cache on and off
(``slot_inputs(cached=False)``), and prints the median app CPU (the request
thread's clock, ``Server-Timing``) of each action both ways. PostgreSQL's own
CPU is not counted (bench.actions does that).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

import tutoring.booking.browse as browse
import tutoring.booking.slots as slots
import tutoring.services.search as search
from bench.actions import InProcessClient, make_app
from bench.load import Results, VirtualUser, database, seed

ACTIONS = ("search", "week", "book")


def main(argv: list[str]) -> int:
    volunteers = int(argv[0]) if argv else 2000
    requests = int(argv[1]) if len(argv) > 1 else 100
    original = slots.slot_inputs

    def uncached(*args, **kwargs):
        kwargs["cached"] = False
        return original(*args, **kwargs)

    with database() as url, tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        data = seed(url, volunteers, 10, instance)
        app = make_app(url, instance / "app", 5)
        learners = random.Random(1).sample(data["learners"], 20)
        users = [VirtualUser(InProcessClient(app), learner, data, random.Random(number), Results())
                 for number, learner in enumerate(learners)]
        for action in (*ACTIONS, "feed", "cancel"):  # warm-up
            for number in range(40):
                users[number % 20].step(action)
        cpu: dict[tuple[str, str], list[float]] = {}
        try:
            for round_number in range(4):
                for mode in (["on", "off"] if round_number % 2 == 0 else ["off", "on"]):
                    # search.py and browse.py import slot_inputs by name
                    slots.slot_inputs = search.slot_inputs = browse.slot_inputs = (
                        original if mode == "on" else uncached)
                    for action in ACTIONS:
                        results = Results()
                        for user in users:
                            user.results = results
                        for number in range(requests):
                            users[number % 20].step(action)
                        for label, values in results.app_cpu.items():
                            cpu.setdefault((mode, label), []).extend(values)
        finally:
            slots.slot_inputs = search.slot_inputs = browse.slot_inputs = original
    print(f"{volunteers:,} volunteers, {requests} requests per action, mode and round, 4 rounds; "
          f"load average {', '.join(f'{value:.2f}' for value in os.getloadavg())}")
    for label in ("search", "week", "slots (API)", "book (API)"):
        on, off = statistics.median(cpu[("on", label)]), statistics.median(cpu[("off", label)])
        print(f"{label:14} app CPU ms median: cache on {on:6.2f}  off {off:6.2f}  ({(on / off - 1) * 100:+.0f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
