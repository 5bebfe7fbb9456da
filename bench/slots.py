"""Slot computation: the scheduling core against a naive baseline.

    python -m bench.slots [--sizes 1,100,10000] [--repeat N] [--baseline-only]

For each size, times ``slots_between`` over every volunteer for a two-week
range, and a naive baseline (each rule expanded with ``dateutil.rrule`` over the
whole horizon, then filtered) in the same run, and prints microseconds per
volunteer. Before timing, it checks that both produce identical slots for the
first volunteers, on the benchmark data and on richer data at several dates
around clock changes; a mismatch prints a diff and makes the exit status 1.
"""
from __future__ import annotations

import argparse
import bisect
import math
import platform
import sys
import time as clock
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import MO, WEEKLY, rrule

from bench.data import DEFAULT_NOW, DEFAULT_SEED, Volunteer, generate
from tutoring.scheduling.model import Availability, Busy, Slot

RANGE = timedelta(days=14)
TARGET_US_PER_VOLUNTEER = 50.0
TARGET_SPEEDUP = 20.0
# Further "now"s for the cross-check, each a two-week range across a change:
# the US spring-forward, Casablanca's Ramadan changes, Cairo, the southern
# spring-forward, the EU and US fall-back (and Cairo, Havana, Beirut).
CHECK_NOWS = (
    datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
    datetime(2026, 2, 9, 12, 0, tzinfo=UTC),
    datetime(2026, 3, 16, 12, 0, tzinfo=UTC),
    datetime(2026, 4, 18, 12, 0, tzinfo=UTC),
    datetime(2026, 9, 22, 12, 0, tzinfo=UTC),
    datetime(2026, 10, 21, 12, 0, tzinfo=UTC),
    datetime(2026, 10, 26, 12, 0, tzinfo=UTC),
)

SlotsFn = Callable[[Availability, Sequence[Busy], datetime, datetime, datetime], list[Slot]]


# --- the naive baseline ------------------------------------------------------


def baseline_slots(
    availability: Availability,
    bookings: Sequence[Busy],
    start_at: datetime,
    end_at: datetime,
    now: datetime,
) -> list[Slot]:
    """SPEC §2 done the obvious way: expand every rule with ``rrule`` over the
    whole horizon (a week before now to the horizon's end), turn windows into
    instants, cut them at local Mondays, merge, lay slots, then filter each slot
    by notice, horizon, range, away periods, weekly cap and every booking."""
    tz = ZoneInfo(availability.timezone)
    settings = availability.settings
    session = timedelta(minutes=settings.session_minutes)
    buffer = timedelta(minutes=settings.buffer_minutes)
    earliest = now + timedelta(hours=settings.min_notice_hours)
    latest = now + timedelta(days=settings.horizon_days)
    first_day = (now - timedelta(weeks=1)).astimezone(tz).date()
    last_day = latest.astimezone(tz).date()
    until = datetime.combine(last_day, time(23, 59, 59), tzinfo=tz)

    # 1. Every rule occurrence over the horizon as a window of instants (fold=0).
    windows = []
    for rule in availability.rules:
        dtstart = datetime.combine(first_day, rule.start, tzinfo=tz)
        for local_start in rrule(WEEKLY, byweekday=rule.weekday, dtstart=dtstart, until=until):
            day = local_start.date()
            if rule.valid_from is not None and day < rule.valid_from:
                continue
            if rule.valid_until is not None and day > rule.valid_until:
                continue
            windows.append(_window(day, rule.start, rule.end, tz))
    for extra in availability.extra:
        windows.append(_window(extra.on, extra.start, extra.end, tz))
    windows = [w for w in windows if w is not None]

    # 2. Cut at local Monday 00:00, merge what overlaps or touches within a week.
    mondays = [
        datetime.combine(d.date(), time(0), tzinfo=tz).astimezone(UTC)
        for d in rrule(
            WEEKLY,
            byweekday=MO,
            dtstart=datetime.combine(min([first_day] + [e.on for e in availability.extra]) - timedelta(days=14), time(0)),
            until=datetime.combine(max([last_day] + [e.on for e in availability.extra]) + timedelta(days=14), time(0)),
        )
    ]
    pieces = []
    for window_start, window_end in windows:
        week = bisect.bisect_right(mondays, window_start) - 1
        while mondays[week + 1] < window_end:
            pieces.append((window_start, mondays[week + 1], week))
            window_start = mondays[week + 1]
            week += 1
        pieces.append((window_start, window_end, week))
    pieces.sort()
    merged: list[list] = []
    for piece_start, piece_end, week in pieces:
        if merged and merged[-1][2] == week and piece_start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], piece_end)
        else:
            merged.append([piece_start, piece_end, week])

    # 3. Lay slots back to back in elapsed time from each window's start.
    candidates = []
    for window_start, window_end, _ in merged:
        slot_start = window_start
        while slot_start + session <= window_end:
            candidates.append((slot_start, slot_start + session))
            slot_start += session + buffer

    # 4. Filter.
    away = [
        (
            datetime.combine(a.first_day, time(0), tzinfo=tz).astimezone(UTC),
            datetime.combine(a.last_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC),
        )
        for a in availability.away
    ]
    cap = settings.max_sessions_per_week
    booked_per_week: dict[int, int] = {}
    if cap is not None:
        for booking in bookings:
            week = bisect.bisect_right(mondays, booking.start_at) - 1
            booked_per_week[week] = booked_per_week.get(week, 0) + 1

    slots = []
    for slot_start, slot_end in candidates:
        if slot_start < earliest or slot_start > latest:
            continue
        if slot_start < start_at or slot_start >= end_at:
            continue
        if any(slot_start < away_end and away_start < slot_end for away_start, away_end in away):
            continue
        if cap is not None:
            week = bisect.bisect_right(mondays, slot_start) - 1
            if booked_per_week.get(week, 0) >= cap:
                continue
        clash = False
        for booking in bookings:
            if slot_start < booking.end_at + buffer and booking.start_at - buffer < slot_end:
                clash = True
                break
        if clash:
            continue
        slots.append(Slot(start_at=slot_start, end_at=slot_end))
    slots.sort()
    return slots


def _window(day: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """A local window (end at or before start: next day) as UTC instants, or None if empty."""
    end_day = day + timedelta(days=1) if end <= start else day
    window_start = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
    window_end = datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)
    return (window_start, window_end) if window_end > window_start else None


# --- cross-check -------------------------------------------------------------


def cross_check(core: SlotsFn, volunteers: list[Volunteer], now: datetime, label: str, out=sys.stdout) -> bool:
    """True when core and baseline give identical slots for every volunteer."""
    start_at, end_at = now, now + RANGE
    total = 0
    failures = []
    for v in volunteers:
        expected = baseline_slots(v.availability, v.bookings, start_at, end_at, now)
        try:
            got = list(core(v.availability, v.bookings, start_at, end_at, now))
        except Exception as exc:  # a crash is a mismatch too
            failures.append((v, expected, exc))
            continue
        total += len(expected)
        if got != expected or any(s.start_at.utcoffset() != timedelta(0) for s in got):
            failures.append((v, expected, got))
    head = f"cross-check {label}: {len(volunteers)} volunteers, now {now:%Y-%m-%dT%H:%MZ}, range {start_at:%Y-%m-%d %H:%M}Z..{end_at:%Y-%m-%d %H:%M}Z"
    if not failures:
        print(f"{head}: OK, {total} slots identical", file=out)
        return True
    print(f"{head}: MISMATCH for {len(failures)} volunteer(s)", file=out)
    for v, expected, got in failures[:5]:
        print(describe_mismatch(v, expected, got), file=out)
    if len(failures) > 5:
        print(f"  ... and {len(failures) - 5} more (volunteer indexes {[f[0].index for f in failures[5:]]})", file=out)
    return False


def describe_mismatch(v: Volunteer, expected: list[Slot], got) -> str:
    """A readable diff: the volunteer's data and the slots only one side offers."""
    av = v.availability
    tz = ZoneInfo(av.timezone)

    def show(s: Slot) -> str:
        return f"{s.start_at.astimezone(UTC):%Y-%m-%d %H:%M}Z..{s.end_at.astimezone(UTC):%H:%M}Z  (local {s.start_at.astimezone(tz):%a %Y-%m-%d %H:%M%z}..{s.end_at.astimezone(tz):%H:%M%z})"

    lines = [f"  volunteer #{v.index}: {av.timezone}, {av.settings}"]
    lines += [f"    rule {r}" for r in av.rules]
    lines += [f"    extra {e}" for e in av.extra]
    lines += [f"    away {a}" for a in av.away]
    lines += [f"    booking {b.start_at:%Y-%m-%d %H:%M}Z..{b.end_at:%H:%M}Z" for b in v.bookings]
    if isinstance(got, Exception):
        lines.append(f"    core raised {type(got).__name__}: {got}")
        return "\n".join(lines)
    got_set, expected_set = set(got), set(expected)
    for s in sorted(got_set - expected_set):
        lines.append(f"    only core:     {show(s)}")
    for s in sorted(expected_set - got_set):
        lines.append(f"    only baseline: {show(s)}")
    if got_set == expected_set:
        if len(got) != len(set(got)):
            lines.append("    core returned duplicate slots")
        elif list(got) != sorted(got):
            lines.append("    core's slots are not sorted")
        else:
            bad = [s for s in got if s.start_at.utcoffset() != timedelta(0)]
            lines.append(f"    core's slots are not in UTC, e.g. {bad[0].start_at.isoformat()}")
    return "\n".join(lines)


# --- timing ------------------------------------------------------------------


def time_run(fn: SlotsFn, volunteers: list[Volunteer], start_at, end_at, now, repeat: int) -> tuple[float, int]:
    """Best seconds per volunteer over ``repeat`` runs after one warm-up run,
    and the number of slots produced by one run over all volunteers."""
    calls = [(v.availability, v.bookings) for v in volunteers]
    produced = sum(len(fn(av, bookings, start_at, end_at, now)) for av, bookings in calls)  # warm-up
    # Small sets are looped several times per run so one run lasts long enough to time.
    loops = max(1, math.ceil(2000 / len(calls)))
    best = math.inf
    for _ in range(repeat):
        t0 = clock.process_time()
        for _ in range(loops):
            for av, bookings in calls:
                fn(av, bookings, start_at, end_at, now)
        best = min(best, clock.process_time() - t0)
    return best / (loops * len(calls)), produced


def time_cold(fn: SlotsFn, volunteers: list[Volunteer], start_at, end_at, now, repeat: int) -> float:
    """Like ``time_run``, but the core's cross-call caches (shared instants,
    slots, compiled rules and their plain-week grids; not the per-zone offset
    tables) are emptied before every run, as for a server's first request."""
    from tutoring.scheduling import slots as slots_module
    from tutoring.scheduling import zones as zones_module

    calls = [(v.availability, v.bookings) for v in volunteers]
    best = math.inf
    for _ in range(repeat):
        slots_module._known_slots.clear()
        zones_module._instants.clear()
        slots_module._compiled_rules.clear()
        t0 = clock.process_time()
        for av, bookings in calls:
            fn(av, bookings, start_at, end_at, now)
        best = min(best, clock.process_time() - t0)
    return best / len(calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,10000", help="comma-separated volunteer counts (default 1,100,10000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement, best is kept (default 5)")
    parser.add_argument("--baseline-only", action="store_true", help="time only the baseline (no core, no cross-check)")
    parser.add_argument("--baseline-sample", type=int, default=1000, help="time the baseline on at most this many volunteers (default 1000)")
    parser.add_argument("--check", type=int, default=200, help="volunteers in each cross-check (default 200; 0 skips it)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--now", default=DEFAULT_NOW.strftime("%Y-%m-%dT%H:%MZ"), help="reference now, UTC (default %(default)s)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    now = datetime.strptime(args.now, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    start_at, end_at = now, now + RANGE

    core: SlotsFn | None = None
    if not args.baseline_only:
        from tutoring.scheduling import slots_between as core

    volunteers = generate(max(sizes + [args.check]), seed=args.seed, now=now)
    if core is not None:
        try:
            core(volunteers[0].availability, volunteers[0].bookings, start_at, end_at, now)
        except NotImplementedError:
            print("tutoring.scheduling.slots_between is not implemented yet; run with --baseline-only", file=sys.stderr)
            return 2
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.machine()}")
    print(f"now {now:%Y-%m-%dT%H:%MZ}; range [now, now + 14 days) = {start_at:%Y-%m-%d %H:%M}Z .. {end_at:%Y-%m-%d %H:%M}Z")
    print(
        f"data: seed {args.seed}, {len(volunteers)} volunteers in {len({v.availability.timezone for v in volunteers})} zones, "
        f"{sum(len(v.availability.rules) for v in volunteers)} weekly rules, "
        f"{sum(len(v.bookings) for v in volunteers)} bookings (5 rules, 20 bookings each; "
        f"bookings over [now - 4 weeks, now + 8 weeks))"
    )

    ok = True
    if core is not None and args.check:
        print()
        checks = [(volunteers[: args.check], now, "benchmark data")]
        checks += [(generate(args.check, seed=args.seed, now=now, rich=True), now, "rich data")]
        for other in CHECK_NOWS:
            checks.append((generate(args.check, seed=args.seed, now=other), other, "benchmark data"))
            checks.append((generate(args.check, seed=args.seed, now=other, rich=True), other, "rich data"))
        for vols, check_now, label in checks:
            ok = cross_check(core, vols, check_now, label) and ok
        print("CROSS-CHECK: " + ("core and baseline agree" if ok else "FAILED, core and baseline disagree (see above)"))

    print()
    print(f"Each figure: best of {args.repeat} timed runs after one warm-up run over the same volunteers")
    print("(so per-zone caches are built, as in a long-running server); two weeks of slots per volunteer,")
    print("all 20 bookings of each volunteer passed in.")
    sampled = [n for n in sizes if n > args.baseline_sample]
    if sampled:
        print(f"NOTE: for {', '.join(f'{n:,}' for n in sampled)} volunteers the baseline is timed on a SAMPLE of the "
              f"first {args.baseline_sample:,} volunteers only (µs per volunteer).")
    print()
    header = f"{'volunteers':>10}  {'slots':>9}  {'core µs/vol':>12}  {'baseline µs/vol':>16}  {'ratio':>7}"
    print(header)
    print("-" * len(header))
    results = {}
    for n in sizes:
        subset = volunteers[:n]
        sample = subset[: args.baseline_sample]
        base_s, base_slots = time_run(baseline_slots, sample, start_at, end_at, now, args.repeat)
        base_cell = f"{base_s * 1e6:.1f}" + ("*" if len(sample) < n else "")
        if core is None:
            print(f"{n:>10,}  {base_slots:>9,}  {'-':>12}  {base_cell:>16}  {'-':>7}")
            continue
        core_s, core_slots = time_run(core, subset, start_at, end_at, now, args.repeat)
        results[n] = (core_s, base_s)
        print(f"{n:>10,}  {core_slots:>9,}  {core_s * 1e6:>12.1f}  {base_cell:>16}  {base_s / core_s:>6.1f}x")
    if sampled:
        print(f"* baseline timed on the first {args.baseline_sample:,} volunteers")
    if core is None:
        print("(baseline only: slots column is the baseline's)")
        return 0

    largest = max(results)
    core_s, base_s = results[largest]
    cold_s = time_cold(core, volunteers[:largest], start_at, end_at, now, args.repeat)
    print(
        f"{largest:>10,}  {'(cold)':>9}  {cold_s * 1e6:>12.1f}  {'':>16}  {base_s / cold_s:>6.1f}x"
        "   <- cross-call caches emptied before each run"
    )
    print()
    print(
        f"target at {largest:,} volunteers: <= {TARGET_US_PER_VOLUNTEER:.0f} µs/volunteer: "
        f"{core_s * 1e6:.1f} -> {'PASS' if core_s * 1e6 <= TARGET_US_PER_VOLUNTEER else 'FAIL'}; "
        f">= {TARGET_SPEEDUP:.0f}x the baseline: {base_s / core_s:.1f}x -> {'PASS' if base_s / core_s >= TARGET_SPEEDUP else 'FAIL'}"
    )
    if not ok:
        print("WARNING: the core's output does not match the baseline (see CROSS-CHECK above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
