"""Password reset does the same work for addresses with and without an account (issue 21, finding 3).

The suite asserts no timings: it checks the same statements run either way,
and the Mann-Whitney U test used by ``python -m bench.auth_timing`` (which
measures both, 50 samples each, and prints the medians and the p-value).
"""
from __future__ import annotations

import math
import re

from tutoring.extensions import db


def mann_whitney_p(first: list[float], second: list[float]) -> float:
    """The two-sided p-value of the Mann-Whitney U test, by the normal approximation with the tie correction."""
    n1, n2 = len(first), len(second)
    pooled = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    index = 0
    while index < len(pooled):
        end = index
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[index][0]:
            end += 1
        for k in range(index, end + 1):
            ranks[k] = (index + end) / 2 + 1
        size = end - index + 1
        ties += size**3 - size
        index = end + 1
    rank_sum = sum(rank for rank, (_value, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma  # continuity correction
    return math.erfc(max(z, 0) / math.sqrt(2))


def test_the_u_test_tells_different_samples_apart_and_not_equal_ones():
    assert mann_whitney_p([float(k) for k in range(50)], [k + 100.0 for k in range(50)]) < 1e-6
    assert mann_whitney_p([float(k) for k in range(0, 100, 2)], [float(k) for k in range(1, 100, 2)]) > 0.5


def test_a_reset_does_the_same_database_work_for_known_and_unknown_addresses(app, make_user):
    """What makes the two take the same time (``python -m bench.auth_timing`` measures it): the same statements,
    in the same order, whether or not the address has an account. No timing is asserted here."""
    from sqlalchemy import event

    make_user("learner", email="known@example.org")
    client = app.test_client()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"',
                      client.get("/auth/reset").get_data(as_text=True)).group(1)

    def statements_for(address: str) -> list[str]:
        seen: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            # (read or write, table): a known address's outbox row gets a no-op UPDATE where an unknown
            # one's stand-in row is DELETEd, the same cost.
            words = " ".join(statement.split()).upper()
            table = re.search(r"\b(?:INTO|FROM|UPDATE)\s+(\w+)", words)
            kind = "read" if words.startswith("SELECT") else "write" if words.split(" ", 1)[0] in (
                "INSERT", "UPDATE", "DELETE") else words.split(" ", 1)[0]
            seen.append(f"{kind} {table.group(1) if table else ''}".strip())

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                assert client.post("/auth/reset", data={"csrf_token": token, "email": address}).status_code == 302
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        return seen

    statements_for("known@example.org")  # warm: caches, prepared statements
    statements_for("unknown0@example.org")
    assert statements_for("known@example.org") == statements_for("unknown1@example.org")
