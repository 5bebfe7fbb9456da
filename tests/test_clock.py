"""One clock: the app asks ``tutoring.timeutil.utcnow`` for "now", so tests can move it (issue 16).

Also checks that moving it works: a test marked ``any_instant`` runs with the
process clock at that instant, and the app's pages and services follow.
"""
from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tutoring.timeutil import utcnow

PACKAGE = Path(__file__).resolve().parent.parent / "tutoring"
# Calls that read the wall clock without going through timeutil.utcnow.
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
               ("time", "time"), ("time", "time_ns")}


def clock_reads(source: str) -> list[int]:
    """Lines of ``source`` that read the clock directly (``datetime.now(...)``, ``date.today()``, ``time.time()``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else None
            if (name, node.func.attr) in CLOCK_READS:
                lines.append(node.lineno)
    return lines


def test_the_check_finds_a_clock_read():
    assert clock_reads("from datetime import datetime, UTC\nx = datetime.now(UTC)\ny = date.today()") == [2, 3]
    assert clock_reads("x = utcnow()") == []


def test_only_timeutil_reads_the_clock():
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "timeutil.py" and (lines := clock_reads(path.read_text()))
    }
    assert found == {}, f"read the clock through tutoring.timeutil.utcnow instead: {found}"


@pytest.mark.any_instant("leap-day", "new-years-eve")
def test_any_instant_moves_the_apps_clock(process_clock, client, make_user):
    assert abs(utcnow() - process_clock) < timedelta(minutes=1)
    # A volunteer's page opens on the week of the moved "now", in the moved year, not the real one.
    volunteer = make_user("volunteer", rules=[(day, "10:00", "12:00") for day in range(7)])
    page = client.get(f"/volunteers/{volunteer.volunteer_profile.id}?tz=UTC").get_data(as_text=True)
    week_range = page.split('class="week-range"', 1)[1].split("</p>", 1)[0]
    assert str(process_clock.year) in week_range


def test_without_the_mark_the_clock_is_real(process_clock):
    assert process_clock is None
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
