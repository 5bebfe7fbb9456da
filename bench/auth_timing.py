"""Password reset: the time for an address with an account against one without (issue 21, finding 3).

    .venv/bin/python -m bench.auth_timing [--samples 50]

Known and unknown addresses are asked for alternately (the order swapping
each round, so drift falls on both alike), through the Flask test client on
a temporary SQLite database (``DATABASE_URL`` for another), after a few
warm-up rounds. Prints both medians and the two-sided Mann-Whitney U test's
p-value (normal approximation, tie-corrected; ``tests/auth/test_auth_timing.py``
tests the function): p well above 0.01 means no measurable difference. A
benchmark, not a test: timings depend on the machine and what else runs.
"""
from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from statistics import median

from tests.auth.test_auth_timing import mann_whitney_p
from tutoring import create_app
from tutoring.extensions import db
from tutoring.services.people.accounts import create_user

WARM_UP = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": folder,
                      "RATELIMIT_ENABLED": False, "TESTING": True})
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        create_user("known@example.org", role="learner", display_name="Known", timezone="UTC",
                    password="a long enough password")
        db.session.commit()
    client = app.test_client()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"',
                      client.get("/auth/reset").get_data(as_text=True)).group(1)

    def timed(address: str) -> float:
        started = time.perf_counter()
        response = client.post("/auth/reset", data={"csrf_token": token, "email": address})
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        return elapsed

    for _ in range(WARM_UP):
        timed("known@example.org")
        timed("unknown@example.org")
    known, unknown = [], []
    for sample in range(args.samples):
        pair = [("known@example.org", known), (f"unknown{sample}@example.org", unknown)]
        for address, times in pair if sample % 2 else reversed(pair):
            times.append(timed(address))
    print(f"password reset on {url.split(':', 1)[0]}, n={args.samples} each: "
          f"known median {median(known) * 1000:.2f} ms, unknown median {median(unknown) * 1000:.2f} ms, "
          f"Mann-Whitney p={mann_whitney_p(known, unknown):.3f}")


if __name__ == "__main__":
    main()
