"""Password reset takes the same time for addresses with and without an account (issue 21, finding 3).

Known and unknown addresses are asked for alternately, 50 times each, and
the two samples of response times are compared with a two-sided
Mann-Whitney U test (normal approximation, tie-corrected). The test fails
when the difference is significant (p < 0.01); it asserts nothing about
absolute times, which depend on the machine.
"""
from __future__ import annotations

import math
import re
import time
from statistics import median

SAMPLES = 50
WARM_UP = 5


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


def test_a_reset_for_a_known_address_takes_as_long_as_for_an_unknown_one(app, make_user):
    make_user("learner", email="known@example.org")
    client = app.test_client()
    body = client.get("/auth/reset").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', body).group(1)

    def timed(address: str) -> float:
        started = time.perf_counter()
        response = client.post("/auth/reset", data={"csrf_token": token, "email": address})
        elapsed = time.perf_counter() - started
        assert response.status_code == 302
        return elapsed

    for _ in range(WARM_UP):
        timed("known@example.org")
        timed("unknown@example.org")
    known, unknown = [], []
    for sample in range(SAMPLES):
        # Alternate which goes first, so drift (caches, other processes) falls on both alike.
        pair = [("known@example.org", known), (f"unknown{sample}@example.org", unknown)]
        for address, times in pair if sample % 2 else reversed(pair):
            times.append(timed(address))

    p_value = mann_whitney_p(known, unknown)
    print(f"reset timing: known median {median(known) * 1000:.2f} ms, unknown median {median(unknown) * 1000:.2f} ms, "
          f"n={SAMPLES} each, Mann-Whitney p={p_value:.3f}")
    assert p_value > 0.01, (median(known), median(unknown), p_value)
