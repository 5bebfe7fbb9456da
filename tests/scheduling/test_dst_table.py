"""The DST table: hand-checked slot instants for the scheduling core (SPEC §2).

Every expectation below is written out as literal UTC instants and was derived
by hand from the zone facts listed here (tzdata 2026; the 2026 facts used are
the same in the system zoneinfo 2025b and the ``tzdata`` 2026f package). Nothing
is computed with the code under test, and the test does not re-implement it.

Rules the table checks (SPEC §2 plus the team's readings where it is silent):

* A rule's window on a matching local date runs from local(date, start) to
  local(date, end), or to local(date + 1, end) when end <= start on the wall
  clock (end == start: a 24-hour wall-clock window). Local -> UTC as RFC 5545 /
  zoneinfo fold=0: an ambiguous time is its FIRST occurrence, a time in a
  spring-forward gap is read with the offset in force BEFORE the gap. A window
  whose end instant is not after its start instant is empty.
* valid_from / valid_until are inclusive and compare the local date the
  window STARTS on. Extra windows are read the same way on their date.
* Windows that overlap or touch as instants merge, but are always cut at local
  Monday 00:00 (fold=0). Slots are laid back to back in real elapsed time from
  each merged window's start: session_minutes long, next one buffer_minutes
  after the previous ends, last one must end at or before the window end.
* Offered only if: start >= now + min_notice_hours; start <= now + horizon_days
  * 24h; no overlap with an away period [local 00:00 of first_day, local 00:00
  after last_day); the volunteer-local ISO week of the start holds fewer than
  max_sessions_per_week bookings (bookings counted by their own start, in the
  volunteer's zone); no overlap with any booking widened by buffer on both
  sides, half-open.
* Bookings only remove slots; they never shift the grid.
* A slot is in [start_at, end_at) when its START instant is.

Zone facts used (offsets are UTC offsets):

* America/New_York: EST -05:00 / EDT -04:00.
  Sun 2026-03-08 02:00 EST -> 03:00 EDT at 07:00Z (local 02:00-03:00 missing).
  Sun 2026-11-01 02:00 EDT -> 01:00 EST at 06:00Z (local 01:00-02:00 twice).
* Europe/London: GMT +00:00 / BST +01:00.
  Sun 2026-03-29 01:00Z: 01:00 GMT -> 02:00 BST (local 01:00-02:00 missing).
  Sun 2026-10-25 01:00Z: 02:00 BST -> 01:00 GMT (local 01:00-02:00 twice).
* Australia/Lord_Howe: +10:30 standard / +11:00 DST (a 30-minute shift).
  Sun 2026-04-05 02:00 (+11) -> 01:30 (+10:30) at 2026-04-04T15:00Z
  (local 01:30-02:00 twice). Sun 2026-10-04 02:00 (+10:30) -> 02:30 (+11) at
  2026-10-03T15:30Z (local 02:00-02:30 missing).
* Asia/Kathmandu: +05:45 all year.
* Pacific/Chatham: +12:45 standard / +13:45 DST.
  Sun 2026-04-05 03:45 (+13:45) -> 02:45 (+12:45) at 2026-04-04T14:00Z
  (local 02:45-03:45 twice). Sun 2026-09-27 02:45 (+12:45) -> 03:45 (+13:45)
  at 2026-09-26T14:00Z (local 02:45-03:45 missing).
* Africa/Casablanca: +01:00, but +00:00 around Ramadan 2026:
  Sun 2026-02-15 03:00 (+01) -> 02:00 (+00) at 02:00Z (local 02:00-03:00
  twice); Sun 2026-03-22 02:00 (+00) -> 03:00 (+01) at 02:00Z (local
  02:00-03:00 missing). (Later 2026 Casablanca data differ between tzdata
  versions, so the table stays before September.)
* Pacific/Auckland: NZST +12:00 from 2026-04-05 to 2026-09-27.
* America/Los_Angeles: PDT -07:00 in June 2026.
* America/Havana: Sun 2026-03-08 00:00 (-05) -> 01:00 (-04) at 05:00Z, so
  local midnight does not exist that day.

Weekdays 2026: 03-07 Sat, 03-08 Sun, 05-31 Sun, 06-01 Mon, 06-06 Sat,
06-09 Tue, 02-11 Wed, 02-15 Sun, 03-22 Sun, 03-29 Sun, 04-05 Sun, 09-27 Sun,
10-04 Sun, 10-25 Sun, 11-01 Sun.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from tutoring.scheduling import (
    Availability,
    AwayPeriod,
    Busy,
    ExtraWindow,
    SessionSettings,
    Slot,
    WeeklyRule,
    day_range_bounds,
    is_offered,
    slots_between,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


# --------------------------------------------------------------------------
# Small readable builders. None of them knows anything about time zones.
# --------------------------------------------------------------------------

def Z(text: str) -> datetime:
    """An aware instant from ISO text, e.g. "2026-03-08T06:00:00Z"."""
    return datetime.fromisoformat(text)


def utc_text(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule(weekday: int, start: str, end: str, valid_from: str | None = None, valid_until: str | None = None) -> WeeklyRule:
    return WeeklyRule(
        weekday=weekday,
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
        valid_from=date.fromisoformat(valid_from) if valid_from else None,
        valid_until=date.fromisoformat(valid_until) if valid_until else None,
    )


def extra(on: str, start: str, end: str) -> ExtraWindow:
    return ExtraWindow(on=date.fromisoformat(on), start=time.fromisoformat(start), end=time.fromisoformat(end))


def away(first_day: str, last_day: str) -> AwayPeriod:
    return AwayPeriod(first_day=date.fromisoformat(first_day), last_day=date.fromisoformat(last_day))


def busy(start: str, end: str) -> Busy:
    return Busy(start_at=Z(start), end_at=Z(end))


def settings(session: int, buffer: int = 0, notice: int = 0, horizon: int = 365, cap: int | None = None) -> SessionSettings:
    """Defaults chosen so that only what a case names can remove a slot."""
    return SessionSettings(
        session_minutes=session,
        buffer_minutes=buffer,
        min_notice_hours=notice,
        horizon_days=horizon,
        max_sessions_per_week=cap,
    )


# Far enough back that min notice never matters, and with horizon 365 days
# every 2026 case is inside the horizon (2026-01-01 + 365 d = 2027-01-01).
EARLY = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class Case:
    id: str
    zone: str
    settings: SessionSettings
    range: tuple[str, str]  # [start_at, end_at) asked for
    expect: tuple[str, ...]  # expected slot starts, UTC, in order
    rules: tuple[WeeklyRule, ...] = ()
    extra: tuple[ExtraWindow, ...] = ()
    away: tuple[AwayPeriod, ...] = ()
    bookings: tuple[Busy, ...] = ()
    now: str = EARLY
    expect_ends: tuple[str, ...] | None = None  # given where the end is the point

    def availability(self) -> Availability:
        return Availability(
            timezone=self.zone,
            settings=self.settings,
            rules=self.rules,
            extra=self.extra,
            away=self.away,
        )


NY = "America/New_York"
LONDON = "Europe/London"
LORD_HOWE = "Australia/Lord_Howe"
KATHMANDU = "Asia/Kathmandu"
CHATHAM = "Pacific/Chatham"
CASABLANCA = "Africa/Casablanca"
AUCKLAND = "Pacific/Auckland"

# A plain London Tuesday used by the buffer / notice / horizon / range cases:
# Tue 2026-06-09 09:00-13:00 BST = 08:00Z-12:00Z, 45-minute sessions with a
# 15-minute buffer, so the grid is 08:00, 09:00, 10:00, 11:00Z (each 45 min;
# 12:00-12:45 would end after the window).
LONDON_TUESDAY = (rule(TUE, "09:00", "13:00"),)
LONDON_TUESDAY_DAY = ("2026-06-09T00:00:00Z", "2026-06-10T00:00:00Z")


CASES = [
    # ======================================================================
    # America/New_York, spring forward Sun 2026-03-08 (EST -5 -> EDT -4 at 07:00Z)
    # ======================================================================
    Case(
        # 00:00 EST = 05:00Z; 04:00 EDT = 08:00Z: 3 real hours, not 4.
        # Slots at local 00:00, 01:00 EST and 03:00 EDT; no 02:00 slot.
        id="ny-spring-window-00-04-is-3h",
        zone=NY, rules=(rule(SUN, "00:00", "04:00"),), settings=settings(60),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T05:00:00Z", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"),
        expect_ends=("2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
    ),
    Case(
        # 01:00 EST = 06:00Z; 03:00 EDT = 07:00Z: one real hour, two 30-min slots.
        id="ny-spring-window-01-03-is-1h",
        zone=NY, rules=(rule(SUN, "01:00", "03:00"),), settings=settings(30),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T06:00:00Z", "2026-03-08T06:30:00Z"),
    ),
    Case(
        # 02:30 does not exist; read with EST (before the gap): 07:30Z, which is
        # 03:30 EDT on the wall. End 04:00 EDT = 08:00Z. One 30-min slot.
        id="ny-spring-start-in-gap-read-as-EST",
        zone=NY, rules=(rule(SUN, "02:30", "04:00"),), settings=settings(30),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T07:30:00Z",),
        expect_ends=("2026-03-08T08:00:00Z",),
    ),
    Case(
        # Both ends missing, both read with EST: 02:00 -> 07:00Z, 02:30 -> 07:30Z.
        # The window is not empty: 30 real minutes, one slot 07:00Z-07:30Z.
        id="ny-spring-window-wholly-inside-gap",
        zone=NY, rules=(rule(SUN, "02:00", "02:30"),), settings=settings(30),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T07:00:00Z",),
        expect_ends=("2026-03-08T07:30:00Z",),
    ),
    Case(
        # 02:30-03:00: wall end after wall start, so same day (NOT next day).
        # 02:30 (gap, EST) = 07:30Z; 03:00 EDT = 07:00Z: end before start -> empty.
        # The second rule 05:00-06:00 EDT = 09:00Z-10:00Z shows the day still works.
        id="ny-spring-end-before-start-is-empty",
        zone=NY, rules=(rule(SUN, "02:30", "03:00"), rule(SUN, "05:00", "06:00")), settings=settings(30),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T09:00:00Z", "2026-03-08T09:30:00Z"),
    ),
    Case(
        # Sat 2026-03-07 22:00 EST = 2026-03-08T03:00Z; Sun 03:00 EDT = 07:00Z.
        # 5 wall hours but 4 real hours: 22:00, 23:00, 00:00, 01:00 EST.
        id="ny-spring-saturday-night-crossing-midnight-on-transition-night",
        zone=NY, rules=(rule(SAT, "22:00", "03:00"),), settings=settings(60),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T03:00:00Z", "2026-03-08T04:00:00Z", "2026-03-08T05:00:00Z", "2026-03-08T06:00:00Z"),
    ),
    Case(
        # Window 00:00 EST (05:00Z) - 05:00 EDT (09:00Z): grid 05, 06, 07, 08Z.
        # now = Sat 03:00 EST (08:00Z); 24 real hours later = Sun 08:00Z (04:00 EDT).
        # Only 08:00Z is far enough ahead (a wall-clock "+1 day" would be 07:00Z).
        id="ny-spring-min-notice-counts-real-hours",
        zone=NY, rules=(rule(SUN, "00:00", "05:00"),), settings=settings(60, notice=24),
        now="2026-03-07T08:00:00Z",
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T08:00:00Z",),
    ),
    Case(
        # Same grid 05, 06, 07, 08Z. now = Sun 03-01 03:00 EST (08:00Z); 7*24h later
        # = 03-08 08:00Z, inclusive, so 08:00Z is still offered (a wall-clock
        # "+7 days" would stop at 03:00 EDT = 07:00Z).
        id="ny-spring-horizon-counts-real-hours-inclusive",
        zone=NY, rules=(rule(SUN, "00:00", "05:00"),), settings=settings(60, horizon=7),
        now="2026-03-01T08:00:00Z",
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T05:00:00Z", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
    ),
    Case(
        # Extra window on the transition date, no rules: 01:30 EST = 06:30Z,
        # 03:30 EDT = 07:30Z: one real hour.
        id="ny-spring-extra-window-read-like-a-rule",
        zone=NY, extra=(extra("2026-03-08", "01:30", "03:30"),), settings=settings(30),
        range=("2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"),
        expect=("2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"),
    ),
    # ======================================================================
    # America/New_York, fall back Sun 2026-11-01 (EDT -4 -> EST -5 at 06:00Z)
    # ======================================================================
    Case(
        # 00:00 EDT = 04:00Z; 04:00 EST = 09:00Z: 5 real hours. Local starts:
        # 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST, 03:00 EST. Nothing deduplicated
        # by wall-clock time.
        id="ny-fall-window-00-04-is-5h",
        zone=NY, rules=(rule(SUN, "00:00", "04:00"),), settings=settings(60),
        range=("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
        expect=("2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z",
                "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"),
    ),
    Case(
        # 01:00 is ambiguous -> first occurrence, EDT: 05:00Z. 03:00 EST = 08:00Z.
        id="ny-fall-window-01-03-is-3h",
        zone=NY, rules=(rule(SUN, "01:00", "03:00"),), settings=settings(60),
        range=("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
        expect=("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"),
    ),
    Case(
        # 01:30 ambiguous -> EDT (first): 05:30Z. 02:30 EST = 07:30Z. Two hours.
        id="ny-fall-start-in-repeated-hour-is-first-occurrence",
        zone=NY, rules=(rule(SUN, "01:30", "02:30"),), settings=settings(60),
        range=("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
        expect=("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"),
        expect_ends=("2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"),
    ),
    Case(
        # Sat 10-31 22:00 EDT = 11-01 02:00Z; Sun 03:00 EST = 08:00Z: 6 real hours
        # (5 on the wall). 90-min slots: 02:00, 03:30, 05:00, 06:30 (ends 08:00).
        id="ny-fall-saturday-night-crossing-midnight-on-transition-night",
        zone=NY, rules=(rule(SAT, "22:00", "03:00"),), settings=settings(90),
        range=("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),
        expect=("2026-11-01T02:00:00Z", "2026-11-01T03:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T06:30:00Z"),
        expect_ends=("2026-11-01T03:30:00Z", "2026-11-01T05:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T08:00:00Z"),
    ),
    # ======================================================================
    # Europe/London 2026 (both changes at 01:00Z)
    # ======================================================================
    Case(
        # Sun 03-29: 00:00 GMT = 00:00Z; 03:00 BST = 02:00Z. Two hourly slots
        # (local 00:00 GMT and 02:00 BST).
        id="london-spring-window-00-03-is-2h",
        zone=LONDON, rules=(rule(SUN, "00:00", "03:00"),), settings=settings(60),
        range=("2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"),
        expect=("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z"),
    ),
    Case(
        # 01:30 missing -> GMT: 01:30Z (= 02:30 BST). 03:00 BST = 02:00Z.
        id="london-spring-start-in-gap-read-as-GMT",
        zone=LONDON, rules=(rule(SUN, "01:30", "03:00"),), settings=settings(30),
        range=("2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z"),
        expect=("2026-03-29T01:30:00Z",),
        expect_ends=("2026-03-29T02:00:00Z",),
    ),
    Case(
        # Sun 10-25: 00:00 BST = 10-24 23:00Z; 03:00 GMT = 03:00Z: 4 real hours.
        # The range is London's 10-25 (23:00Z to 00:00Z); the first slot has
        # the UTC date 10-24.
        id="london-fall-window-00-03-is-4h",
        zone=LONDON, rules=(rule(SUN, "00:00", "03:00"),), settings=settings(60),
        range=("2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z"),
        expect=("2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"),
    ),
    Case(
        # 01:15 ambiguous -> BST (first): 00:15Z. 02:15 GMT = 02:15Z: two hours.
        # 45 + 15 buffer: 00:15-01:00, 01:15-02:00; 02:15-03:00 would overrun.
        id="london-fall-start-in-repeated-hour-with-buffer",
        zone=LONDON, rules=(rule(SUN, "01:15", "02:15"),), settings=settings(45, buffer=15),
        range=("2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z"),
        expect=("2026-10-25T00:15:00Z", "2026-10-25T01:15:00Z"),
        expect_ends=("2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"),
    ),
    # ======================================================================
    # Australia/Lord_Howe (30-minute DST)
    # ======================================================================
    Case(
        # Sun 04-05: 01:00 (+11) = 04-04 14:00Z; 03:00 (+10:30) = 16:30Z:
        # 2.5 real hours. Local: 01:00, 01:30 (+11), 01:30, 02:00, 02:30 (+10:30).
        id="lord-howe-april-window-01-03-is-2h30",
        zone=LORD_HOWE, rules=(rule(SUN, "01:00", "03:00"),), settings=settings(30),
        range=("2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z"),
        expect=("2026-04-04T14:00:00Z", "2026-04-04T14:30:00Z", "2026-04-04T15:00:00Z",
                "2026-04-04T15:30:00Z", "2026-04-04T16:00:00Z"),
    ),
    Case(
        # 01:45 ambiguous -> first (+11): 14:45Z. 02:15 (+10:30) = 15:45Z: one hour.
        id="lord-howe-april-start-in-repeated-half-hour",
        zone=LORD_HOWE, rules=(rule(SUN, "01:45", "02:15"),), settings=settings(30),
        range=("2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z"),
        expect=("2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z"),
    ),
    Case(
        # Sun 10-04: 01:00 (+10:30) = 10-03 14:30Z; 03:00 (+11) = 16:00Z: 1.5 h.
        id="lord-howe-october-window-01-03-is-1h30",
        zone=LORD_HOWE, rules=(rule(SUN, "01:00", "03:00"),), settings=settings(30),
        range=("2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"),
        expect=("2026-10-03T14:30:00Z", "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z"),
    ),
    Case(
        # 02:15 missing -> +10:30: 15:45Z. 03:00 (+11) = 16:00Z: 15 minutes.
        id="lord-howe-october-start-in-gap-read-before-offset",
        zone=LORD_HOWE, rules=(rule(SUN, "02:15", "03:00"),), settings=settings(15),
        range=("2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"),
        expect=("2026-10-03T15:45:00Z",),
        expect_ends=("2026-10-03T16:00:00Z",),
    ),
    # ======================================================================
    # Asia/Kathmandu (+05:45, no DST)
    # ======================================================================
    Case(
        # Mon 06-01 09:00 = 03:15Z, 12:00 = 06:15Z. 45 + 15: 03:15, 04:15, 05:15
        # (ends 06:00); 06:15 would overrun.
        id="kathmandu-quarter-hour-offset",
        zone=KATHMANDU, rules=(rule(MON, "09:00", "12:00"),), settings=settings(45, buffer=15),
        range=("2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"),
        expect=("2026-06-01T03:15:00Z", "2026-06-01T04:15:00Z", "2026-06-01T05:15:00Z"),
        expect_ends=("2026-06-01T04:00:00Z", "2026-06-01T05:00:00Z", "2026-06-01T06:00:00Z"),
    ),
    # ======================================================================
    # Pacific/Chatham (+12:45 / +13:45, changes at 02:45 local)
    # ======================================================================
    Case(
        # Sun 04-05: 02:00 (+13:45, before the repeated 02:45-03:45) = 04-04 12:15Z;
        # 05:00 (+12:45) = 16:15Z: 4 real hours.
        id="chatham-april-window-02-05-is-4h",
        zone=CHATHAM, rules=(rule(SUN, "02:00", "05:00"),), settings=settings(60),
        range=("2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z"),
        expect=("2026-04-04T12:15:00Z", "2026-04-04T13:15:00Z", "2026-04-04T14:15:00Z", "2026-04-04T15:15:00Z"),
    ),
    Case(
        # Sun 09-27: 03:00 is in the gap 02:45-03:45 -> +12:45: 09-26 14:15Z.
        # 05:00 (+13:45) = 15:15Z: one real hour.
        id="chatham-september-start-in-gap",
        zone=CHATHAM, rules=(rule(SUN, "03:00", "05:00"),), settings=settings(30),
        range=("2026-09-26T00:00:00Z", "2026-09-27T00:00:00Z"),
        expect=("2026-09-26T14:15:00Z", "2026-09-26T14:45:00Z"),
    ),
    # ======================================================================
    # Africa/Casablanca (+01, +00 around Ramadan 2026)
    # ======================================================================
    Case(
        # Wed 10:00-12:00. Wed 02-11 is +01: 09:00Z, 10:00Z. Wed 02-18 is +00
        # (after the 02-15 change): 10:00Z, 11:00Z.
        id="casablanca-ramadan-offset-begins",
        zone=CASABLANCA, rules=(rule(WED, "10:00", "12:00"),), settings=settings(60),
        range=("2026-02-11T00:00:00Z", "2026-02-19T00:00:00Z"),
        expect=("2026-02-11T09:00:00Z", "2026-02-11T10:00:00Z", "2026-02-18T10:00:00Z", "2026-02-18T11:00:00Z"),
    ),
    Case(
        # Wed 03-18 is +00: 10:00Z, 11:00Z. Wed 03-25 is +01 again: 09:00Z, 10:00Z.
        id="casablanca-ramadan-offset-ends",
        zone=CASABLANCA, rules=(rule(WED, "10:00", "12:00"),), settings=settings(60),
        range=("2026-03-18T00:00:00Z", "2026-03-26T00:00:00Z"),
        expect=("2026-03-18T10:00:00Z", "2026-03-18T11:00:00Z", "2026-03-25T09:00:00Z", "2026-03-25T10:00:00Z"),
    ),
    Case(
        # Sun 02-15: 01:00 (+01) = 00:00Z; 04:00 (+00) = 04:00Z: 4 real hours.
        id="casablanca-falls-back-02-15-window-01-04-is-4h",
        zone=CASABLANCA, rules=(rule(SUN, "01:00", "04:00"),), settings=settings(60),
        range=("2026-02-15T00:00:00Z", "2026-02-16T00:00:00Z"),
        expect=("2026-02-15T00:00:00Z", "2026-02-15T01:00:00Z", "2026-02-15T02:00:00Z", "2026-02-15T03:00:00Z"),
    ),
    Case(
        # 02:30 is repeated on 02-15 -> first (+01): 01:30Z. 04:00 (+00) = 04:00Z.
        # 2.5 h: 01:30, 02:30 (ends 03:30); 03:30-04:30 overruns.
        id="casablanca-falls-back-02-15-start-in-repeated-hour",
        zone=CASABLANCA, rules=(rule(SUN, "02:30", "04:00"),), settings=settings(60),
        range=("2026-02-15T00:00:00Z", "2026-02-16T00:00:00Z"),
        expect=("2026-02-15T01:30:00Z", "2026-02-15T02:30:00Z"),
    ),
    Case(
        # Sun 03-22: 01:00 (+00) = 01:00Z; 04:00 (+01) = 03:00Z: 2 real hours.
        id="casablanca-springs-forward-03-22-window-01-04-is-2h",
        zone=CASABLANCA, rules=(rule(SUN, "01:00", "04:00"),), settings=settings(60),
        range=("2026-03-22T00:00:00Z", "2026-03-23T00:00:00Z"),
        expect=("2026-03-22T01:00:00Z", "2026-03-22T02:00:00Z"),
    ),
    # ======================================================================
    # Crossing midnight, Monday cut, merging
    # ======================================================================
    Case(
        # Sat 06-06 22:00 EDT = 06-07 02:00Z; Sun 02:00 EDT = 06:00Z.
        # 60 + 30 buffer: 02:00-03:00, 03:30-04:30, 05:00-06:00.
        id="saturday-22-02-crosses-midnight-with-buffer",
        zone=NY, rules=(rule(SAT, "22:00", "02:00"),), settings=settings(60, buffer=30),
        range=("2026-06-07T00:00:00Z", "2026-06-08T00:00:00Z"),
        expect=("2026-06-07T02:00:00Z", "2026-06-07T03:30:00Z", "2026-06-07T05:00:00Z"),
    ),
    Case(
        # Same window; the range is New York's Sunday (04:00Z to 04:00Z). The grid
        # still comes from Sat 22:00 (02:00Z): 03:30Z starts before the range,
        # 05:00Z is in it. Not re-anchored to the range start (no 04:00Z slot).
        id="range-starting-mid-window-keeps-window-grid",
        zone=NY, rules=(rule(SAT, "22:00", "02:00"),), settings=settings(60, buffer=30),
        range=("2026-06-07T04:00:00Z", "2026-06-08T04:00:00Z"),
        expect=("2026-06-07T05:00:00Z",),
    ),
    Case(
        # Sun 06-07 22:00 BST = 21:00Z; cut at Mon 00:00 BST = 23:00Z; ends Mon
        # 02:00 BST = 06-08 01:00Z. 50-min slots restart at the cut:
        # [21:00,23:00): 21:00, 21:50 (22:40 would end 23:30 > 23:00);
        # [23:00,01:00): 23:00, 23:50 (00:40 would end 01:30 > 01:00).
        # Uncut it would have been 21:00, 21:50, 22:40, 23:30.
        id="sunday-22-02-is-cut-at-monday-midnight",
        zone=LONDON, rules=(rule(SUN, "22:00", "02:00"),), settings=settings(50),
        range=("2026-06-07T00:00:00Z", "2026-06-09T00:00:00Z"),
        expect=("2026-06-07T21:00:00Z", "2026-06-07T21:50:00Z", "2026-06-07T23:00:00Z", "2026-06-07T23:50:00Z"),
        expect_ends=("2026-06-07T21:50:00Z", "2026-06-07T22:40:00Z", "2026-06-07T23:50:00Z", "2026-06-08T00:40:00Z"),
    ),
    Case(
        # Same, asking only for London's Monday 06-08 (06-07 23:00Z to 06-08 23:00Z):
        # the Monday part of the window gives the same 23:00Z, 23:50Z whatever
        # the range start is.
        id="monday-part-of-cut-window-independent-of-range",
        zone=LONDON, rules=(rule(SUN, "22:00", "02:00"),), settings=settings(50),
        range=("2026-06-07T23:00:00Z", "2026-06-08T23:00:00Z"),
        expect=("2026-06-07T23:00:00Z", "2026-06-07T23:50:00Z"),
    ),
    Case(
        # Sat 22:00-00:00 (end <= start: next day's 00:00) touches Sun 00:00-02:00.
        # Merged: Sat 06-06 22:00 (16:15Z) to Sun 02:00 (20:15Z). 90-min slots:
        # 16:15, 17:45 (19:15-20:45 overruns). Unmerged would give 16:15, 18:15.
        id="touching-rules-across-midnight-merge",
        zone=KATHMANDU, rules=(rule(SAT, "22:00", "00:00"), rule(SUN, "00:00", "02:00")), settings=settings(90),
        range=("2026-06-06T00:00:00Z", "2026-06-08T00:00:00Z"),
        expect=("2026-06-06T16:15:00Z", "2026-06-06T17:45:00Z"),
    ),
    Case(
        # Tue 06-02 10:00-11:00 and 11:00-12:00 touch: one window 04:15Z-06:15Z.
        # 45-min slots back to back: 04:15, 05:00 (05:45-06:30 overruns).
        # Separately they would give 04:15 and 05:15.
        id="touching-rules-merge-into-continuous-grid",
        zone=KATHMANDU, rules=(rule(TUE, "10:00", "11:00"), rule(TUE, "11:00", "12:00")), settings=settings(45),
        range=("2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"),
        expect=("2026-06-02T04:15:00Z", "2026-06-02T05:00:00Z"),
        expect_ends=("2026-06-02T05:00:00Z", "2026-06-02T05:45:00Z"),
    ),
    Case(
        # Wed 09:00-11:00 BST (08:00Z-10:00Z) and an extra on 06-10 10:30-12:00
        # (09:30Z-11:00Z) overlap: one window 08:00Z-11:00Z -> 08, 09, 10Z, no
        # 09:30Z slot. The next Wednesday has the rule only: 08, 09Z.
        id="rule-and-extra-window-overlap-merge",
        zone=LONDON, rules=(rule(WED, "09:00", "11:00"),), extra=(extra("2026-06-10", "10:30", "12:00"),),
        settings=settings(60),
        range=("2026-06-10T00:00:00Z", "2026-06-18T00:00:00Z"),
        expect=("2026-06-10T08:00:00Z", "2026-06-10T09:00:00Z", "2026-06-10T10:00:00Z",
                "2026-06-17T08:00:00Z", "2026-06-17T09:00:00Z"),
    ),
    Case(
        # 09:00-09:00 is a 24-hour window: Wed 06-03 09:00 (03:15Z) to Thu 09:00
        # (06-04 03:15Z). 240 + 120: 03:15, 09:15, 15:15, 21:15 (ends 01:15Z);
        # 03:15Z next day would end 07:15Z, after the window.
        id="end-equal-to-start-is-24-hour-window",
        zone=KATHMANDU, rules=(rule(WED, "09:00", "09:00"),), settings=settings(240, buffer=120),
        range=("2026-06-03T00:00:00Z", "2026-06-05T00:00:00Z"),
        expect=("2026-06-03T03:15:00Z", "2026-06-03T09:15:00Z", "2026-06-03T15:15:00Z", "2026-06-03T21:15:00Z"),
        expect_ends=("2026-06-03T07:15:00Z", "2026-06-03T13:15:00Z", "2026-06-03T19:15:00Z", "2026-06-04T01:15:00Z"),
    ),
    # ======================================================================
    # Bookings and buffer (London Tuesday grid 08:00, 09:00, 10:00, 11:00Z)
    # ======================================================================
    Case(
        # Booking 09:00-09:45 widened by 15: [08:45, 10:00). 08:00-08:45 ends where
        # it starts (kept); 09:00 removed; 10:00 starts where it ends (kept).
        id="booking-on-grid-removes-only-its-slot",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15),
        bookings=(busy("2026-06-09T09:00:00Z", "2026-06-09T09:45:00Z"),),
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T08:00:00Z", "2026-06-09T10:00:00Z", "2026-06-09T11:00:00Z"),
    ),
    Case(
        # Off-grid booking 09:20-10:05 widened: [09:05, 10:20). Removes 09:00-09:45
        # and 10:00-10:45. The grid is not shifted: no 10:20Z slot appears.
        id="off-grid-booking-removes-overlapped-slots-without-shifting",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15),
        bookings=(busy("2026-06-09T09:20:00Z", "2026-06-09T10:05:00Z"),),
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T08:00:00Z", "2026-06-09T11:00:00Z"),
    ),
    Case(
        # 07:00-07:45 widened [06:45, 08:00): the 08:00 slot starts exactly at its
        # end (kept). 12:15-13:00 widened [12:00, 13:15): 11:00-11:45 ends before.
        id="widened-bookings-touching-slots-are-half-open",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15),
        bookings=(busy("2026-06-09T07:00:00Z", "2026-06-09T07:45:00Z"),
                  busy("2026-06-09T12:15:00Z", "2026-06-09T13:00:00Z")),
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T08:00:00Z", "2026-06-09T09:00:00Z", "2026-06-09T10:00:00Z", "2026-06-09T11:00:00Z"),
    ),
    Case(
        # 07:01-07:46 widened [06:46, 08:01): one minute into the 08:00 slot.
        id="widened-booking-one-minute-into-slot-removes-it",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15),
        bookings=(busy("2026-06-09T07:01:00Z", "2026-06-09T07:46:00Z"),),
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T09:00:00Z", "2026-06-09T10:00:00Z", "2026-06-09T11:00:00Z"),
    ),
    # ======================================================================
    # Min notice and horizon (London Tuesday grid)
    # ======================================================================
    Case(
        # now 06-08 21:00Z + 12 h = 06-09 09:00Z; the 09:00Z slot is exactly at
        # the boundary and offered (inclusive).
        id="min-notice-boundary-inclusive",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15, notice=12),
        now="2026-06-08T21:00:00Z",
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T09:00:00Z", "2026-06-09T10:00:00Z", "2026-06-09T11:00:00Z"),
    ),
    Case(
        # One second later: threshold 09:00:01Z, so 09:00Z is too soon.
        id="min-notice-one-second-late",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15, notice=12),
        now="2026-06-08T21:00:01Z",
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T10:00:00Z", "2026-06-09T11:00:00Z"),
    ),
    Case(
        # now 06-02 08:00Z + 7 * 24 h = 06-09 08:00Z: the 08:00Z slot is offered
        # (inclusive), 09:00Z onwards is beyond the horizon.
        id="horizon-boundary-inclusive",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15, horizon=7),
        now="2026-06-02T08:00:00Z",
        range=LONDON_TUESDAY_DAY,
        expect=("2026-06-09T08:00:00Z",),
    ),
    # ======================================================================
    # Away periods
    # ======================================================================
    Case(
        # Away Tue 06-09 only (inclusive): Tuesday's 08, 09Z go, Wednesday stays.
        id="away-single-day-inclusive",
        zone=LONDON, rules=(rule(TUE, "09:00", "11:00"), rule(WED, "09:00", "11:00")), settings=settings(60),
        away=(away("2026-06-09", "2026-06-09"),),
        range=("2026-06-08T00:00:00Z", "2026-06-12T00:00:00Z"),
        expect=("2026-06-10T08:00:00Z", "2026-06-10T09:00:00Z"),
    ),
    Case(
        # Sat 06-06 22:00-02:00 = 16:15Z-20:15Z. Away Sun 06-07 = from Sun 00:00
        # local (06-06 18:15Z) to Mon 00:00 local (06-07 18:15Z). 16:15-17:15
        # kept; 17:15-18:15 ends exactly at the away start (kept); 18:15, 19:15
        # gone. (A UTC-midnight reading would keep all four.)
        id="away-bounds-are-local-midnights",
        zone=KATHMANDU, rules=(rule(SAT, "22:00", "02:00"),), settings=settings(60),
        away=(away("2026-06-07", "2026-06-07"),),
        range=("2026-06-06T00:00:00Z", "2026-06-08T00:00:00Z"),
        expect=("2026-06-06T16:15:00Z", "2026-06-06T17:15:00Z"),
    ),
    Case(
        # Away Sun 11-01 (fall back): from 00:00 EDT = 04:00Z to Mon 00:00 EST =
        # 11-02 05:00Z (a 25-hour day). Sat 22:00 EDT (02:00Z) - Sun 02:00 EST
        # (07:00Z), 90-min slots 02:00, 03:30, 05:00: 03:30-05:00 straddles the
        # away start and goes. Mon 00:00-01:30 EST = 05:00Z-06:30Z starts exactly
        # at the away end and stays.
        id="away-starting-on-fall-back-day",
        zone=NY, rules=(rule(SAT, "22:00", "02:00"), rule(MON, "00:00", "01:30")), settings=settings(90),
        away=(away("2026-11-01", "2026-11-01"),),
        range=("2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z"),
        expect=("2026-11-01T02:00:00Z", "2026-11-02T05:00:00Z"),
    ),
    Case(
        # Away Sun 03-08 (spring forward): 00:00 EST = 05:00Z to Mon 00:00 EDT =
        # 03-09 04:00Z (a 23-hour day). Sat 23:00-00:00 (04:00Z-05:00Z) touches
        # Sun 00:00-04:00 (05:00Z-08:00Z): one window, slots 04, 05, 06, 07Z; only
        # 04:00Z (ends at the away start) stays. Mon 00:00 EDT = 03-09 04:00Z
        # starts exactly at the away end and stays.
        id="away-on-spring-forward-day-is-23h",
        zone=NY, rules=(rule(SAT, "23:00", "00:00"), rule(SUN, "00:00", "04:00"), rule(MON, "00:00", "01:00")),
        settings=settings(60),
        away=(away("2026-03-08", "2026-03-08"),),
        range=("2026-03-08T00:00:00Z", "2026-03-10T00:00:00Z"),
        expect=("2026-03-08T04:00:00Z", "2026-03-09T04:00:00Z"),
    ),
    # ======================================================================
    # Extra windows and validity dates
    # ======================================================================
    Case(
        # No rules; extra Wed 06-10 14:00-16:00 = 08:15Z-10:15Z. Three weeks asked,
        # only that date has slots.
        id="extra-one-off-window",
        zone=KATHMANDU, extra=(extra("2026-06-10", "14:00", "16:00"),), settings=settings(60),
        range=("2026-06-01T00:00:00Z", "2026-06-22T00:00:00Z"),
        expect=("2026-06-10T08:15:00Z", "2026-06-10T09:15:00Z"),
    ),
    Case(
        # Extra 06-10 23:00-01:00 BST ends the next day: 22:00Z to 06-11 00:00Z.
        id="extra-window-crossing-midnight",
        zone=LONDON, extra=(extra("2026-06-10", "23:00", "01:00"),), settings=settings(60),
        range=("2026-06-10T00:00:00Z", "2026-06-12T00:00:00Z"),
        expect=("2026-06-10T22:00:00Z", "2026-06-10T23:00:00Z"),
        expect_ends=("2026-06-10T23:00:00Z", "2026-06-11T00:00:00Z"),
    ),
    Case(
        # Tuesdays 09:00 BST (08:00Z) valid 06-09..06-23 inclusive: 06-02 and
        # 06-30 excluded; 06-09, 06-16, 06-23 included.
        id="valid-from-and-until-inclusive",
        zone=LONDON, rules=(rule(TUE, "09:00", "10:00", "2026-06-09", "2026-06-23"),), settings=settings(60),
        range=("2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        expect=("2026-06-09T08:00:00Z", "2026-06-16T08:00:00Z", "2026-06-23T08:00:00Z"),
    ),
    Case(
        # Sat 23:00-01:00 valid 06-07 (a Sunday) .. 06-13 (a Saturday). The window
        # of Sat 06-06 starts on 06-06 -> excluded, although half of it is on
        # 06-07. The window of Sat 06-13 starts on 06-13 -> included whole,
        # including its slot at Sun 00:00 local (18:15Z). 06-20 excluded.
        id="valid-dates-apply-to-window-start-date",
        zone=KATHMANDU, rules=(rule(SAT, "23:00", "01:00", "2026-06-07", "2026-06-13"),), settings=settings(60),
        range=("2026-06-01T00:00:00Z", "2026-06-22T00:00:00Z"),
        expect=("2026-06-13T17:15:00Z", "2026-06-13T18:15:00Z"),
    ),
    Case(
        # Mondays 09:00 NZST (+12) valid only on Mon 06-08. That window starts
        # 06-07 21:00Z (a Sunday in UTC): validity compares the LOCAL date.
        # Mon 06-01 (05-31 21:00Z) and 06-15 (06-14 21:00Z) excluded.
        id="valid-dates-are-local-dates",
        zone=AUCKLAND, rules=(rule(MON, "09:00", "10:00", "2026-06-08", "2026-06-08"),), settings=settings(60),
        range=("2026-05-31T00:00:00Z", "2026-06-16T00:00:00Z"),
        expect=("2026-06-07T21:00:00Z",),
    ),
    # ======================================================================
    # Weekly cap (ISO week in the volunteer's zone, bookings by their start)
    # ======================================================================
    Case(
        # Cap 1. A booking at Mon 06-01 03:00 NPT = 05-31 21:15Z (Sunday in UTC)
        # fills the LOCAL week Mon 06-01..Sun 06-07. So Mon 06-01 10:00 (04:15Z)
        # goes; Sun 05-31 10:00 (05-31 04:15Z), previous local week, stays.
        # (A UTC-week count would do the opposite.)
        id="weekly-cap-local-iso-week-kathmandu",
        zone=KATHMANDU, rules=(rule(SUN, "10:00", "11:00"), rule(MON, "10:00", "11:00")),
        settings=settings(60, cap=1),
        bookings=(busy("2026-05-31T21:15:00Z", "2026-05-31T22:15:00Z"),),
        range=("2026-05-31T00:00:00Z", "2026-06-02T00:00:00Z"),
        expect=("2026-05-31T04:15:00Z",),
    ),
    Case(
        # Cap 1. Booking Mon 06-01 03:00 NZST = 05-31 15:00Z (Sunday UTC) fills
        # local week 06-01..06-07: Mon 06-01 10:00 NZST (05-31 22:00Z) goes,
        # Sun 05-31 10:00 NZST (05-30 22:00Z) stays.
        id="weekly-cap-local-iso-week-auckland",
        zone=AUCKLAND, rules=(rule(SUN, "10:00", "11:00"), rule(MON, "10:00", "11:00")),
        settings=settings(60, cap=1),
        bookings=(busy("2026-05-31T15:00:00Z", "2026-05-31T16:00:00Z"),),
        range=("2026-05-30T00:00:00Z", "2026-06-01T00:00:00Z"),
        expect=("2026-05-30T22:00:00Z",),
    ),
    Case(
        # Cap 1. Booking Sun 06-07 23:30-Mon 00:30 NPT (17:45Z-18:45Z) counts in
        # the week of its START (06-01..06-07): Sun 06-07 10:00 (04:15Z) goes,
        # Mon 06-08 10:00 (06-08 04:15Z) stays.
        id="weekly-cap-counts-booking-by-its-start",
        zone=KATHMANDU, rules=(rule(SUN, "10:00", "11:00"), rule(MON, "10:00", "11:00")),
        settings=settings(60, cap=1),
        bookings=(busy("2026-06-07T17:45:00Z", "2026-06-07T18:45:00Z"),),
        range=("2026-06-07T00:00:00Z", "2026-06-09T00:00:00Z"),
        expect=("2026-06-08T04:15:00Z",),
    ),
    Case(
        # Cap 2, Tuesdays 09:00-11:00 BST (08, 09Z). Week of 06-08: one booking
        # (Wed 06-10, later in the week still counts) -> below cap, offered.
        # Week of 06-15: two bookings (Mon, Fri) -> Tue 06-16 gone. Week of
        # 06-22: none -> offered. Range = London 06-08 .. 06-28.
        id="weekly-cap-below-and-at-limit",
        zone=LONDON, rules=(rule(TUE, "09:00", "11:00"),), settings=settings(60, cap=2),
        bookings=(busy("2026-06-10T15:00:00Z", "2026-06-10T16:00:00Z"),
                  busy("2026-06-15T12:00:00Z", "2026-06-15T13:00:00Z"),
                  busy("2026-06-19T12:00:00Z", "2026-06-19T13:00:00Z")),
        range=("2026-06-07T23:00:00Z", "2026-06-28T23:00:00Z"),
        expect=("2026-06-09T08:00:00Z", "2026-06-09T09:00:00Z", "2026-06-23T08:00:00Z", "2026-06-23T09:00:00Z"),
    ),
    # ======================================================================
    # The asked range
    # ======================================================================
    Case(
        # Range [08:30Z, 10:30Z): 08:00-08:45 overlaps it but starts before (out);
        # 10:00-10:45 ends after it but starts inside (in).
        id="range-membership-by-start-instant",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15),
        range=("2026-06-09T08:30:00Z", "2026-06-09T10:30:00Z"),
        expect=("2026-06-09T09:00:00Z", "2026-06-09T10:00:00Z"),
    ),
    Case(
        # The same range given with a -04:00 offset (04:30-04 = 08:30Z,
        # 06:30-04 = 10:30Z); the answer is still in UTC.
        id="range-bounds-with-non-utc-offset",
        zone=LONDON, rules=LONDON_TUESDAY, settings=settings(45, buffer=15),
        range=("2026-06-09T04:30:00-04:00", "2026-06-09T06:30:00-04:00"),
        expect=("2026-06-09T09:00:00Z", "2026-06-09T10:00:00Z"),
    ),
]


def _ids(cases):
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return ids


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_slots_table(case: Case) -> None:
    got = slots_between(
        case.availability(),
        sorted(case.bookings, key=lambda b: b.start_at),
        Z(case.range[0]),
        Z(case.range[1]),
        Z(case.now),
    )
    assert [utc_text(s.start_at) for s in got] == list(case.expect)
    if case.expect_ends is not None:
        assert [utc_text(s.end_at) for s in got] == list(case.expect_ends)
    session = timedelta(minutes=case.settings.session_minutes)
    for s in got:
        assert isinstance(s, Slot)
        assert s.start_at.utcoffset() == timedelta(0), "slots are UTC instants"
        assert s.end_at.utcoffset() == timedelta(0), "slots are UTC instants"
        assert s.end_at - s.start_at == session, "a slot lasts session_minutes of real time"


@pytest.mark.parametrize("case", [c for c in CASES if c.expect], ids=_ids([c for c in CASES if c.expect]))
def test_each_listed_slot_is_offered(case: Case) -> None:
    """is_offered agrees with the table: every expected start is offered as that slot."""
    session = timedelta(minutes=case.settings.session_minutes)
    bookings = sorted(case.bookings, key=lambda b: b.start_at)
    for start in case.expect:
        slot = is_offered(case.availability(), bookings, Z(start), Z(case.now))
        assert slot is not None, start
        assert slot == Slot(Z(start), Z(start) + session)
        assert slot.start_at.utcoffset() == timedelta(0)


# --------------------------------------------------------------------------
# day_range_bounds: a zone's local dates as UTC instants (fold=0)
# --------------------------------------------------------------------------

BOUNDS = [
    # (id, zone, first_day, last_day, expected start, expected end)
    # Spring-forward Sunday is 23 h: 00:00 EST = 05:00Z .. Mon 00:00 EDT = 04:00Z.
    ("ny-spring-forward-day-23h", NY, "2026-03-08", "2026-03-08",
     "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"),
    # Fall-back Sunday is 25 h: 00:00 EDT = 04:00Z .. Mon 00:00 EST = 05:00Z.
    ("ny-fall-back-day-25h", NY, "2026-11-01", "2026-11-01",
     "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"),
    # 00:00 BST = 10-24 23:00Z .. Mon 00:00 GMT = 10-26 00:00Z.
    ("london-fall-back-day", LONDON, "2026-10-25", "2026-10-25",
     "2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z"),
    # 00:00 (+10:30) = 10-03 13:30Z .. 10-05 00:00 (+11) = 10-04 13:00Z: 23.5 h.
    ("lord-howe-october-day-23h30", LORD_HOWE, "2026-10-04", "2026-10-04",
     "2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"),
    # 00:00 (+11) = 04-04 13:00Z .. 04-06 00:00 (+10:30) = 04-05 13:30Z: 24.5 h.
    ("lord-howe-april-day-24h30", LORD_HOWE, "2026-04-05", "2026-04-05",
     "2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z"),
    # 00:00 (+12:45) = 09-26 11:15Z .. 09-28 00:00 (+13:45) = 09-27 10:15Z: 23 h.
    ("chatham-september-day-23h", CHATHAM, "2026-09-27", "2026-09-27",
     "2026-09-26T11:15:00Z", "2026-09-27T10:15:00Z"),
    # A local week: Mon 06-01 00:00 NPT = 05-31 18:15Z .. Mon 06-08 00:00 = 06-07 18:15Z.
    ("kathmandu-week", KATHMANDU, "2026-06-01", "2026-06-07",
     "2026-05-31T18:15:00Z", "2026-06-07T18:15:00Z"),
    # Havana 03-08 00:00 does not exist (00:00 -> 01:00); read with -05: 05:00Z
    # (= 01:00 CDT, the real start of the day). Mon 00:00 (-04) = 03-09 04:00Z.
    ("havana-missing-midnight", "America/Havana", "2026-03-08", "2026-03-08",
     "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"),
    # PDT -07: 06-09 00:00 = 07:00Z .. 06-10 00:00 = 06-10 07:00Z.
    ("los-angeles-summer-day", "America/Los_Angeles", "2026-06-09", "2026-06-09",
     "2026-06-09T07:00:00Z", "2026-06-10T07:00:00Z"),
]


@pytest.mark.parametrize(
    "zone, first_day, last_day, start, end",
    [b[1:] for b in BOUNDS],
    ids=[b[0] for b in BOUNDS],
)
def test_day_range_bounds(zone, first_day, last_day, start, end) -> None:
    lo, hi = day_range_bounds(zone, date.fromisoformat(first_day), date.fromisoformat(last_day))
    assert (utc_text(lo), utc_text(hi)) == (start, end)
    assert lo.utcoffset() == timedelta(0) and hi.utcoffset() == timedelta(0)


def test_learner_zone_differs_from_volunteer_zone() -> None:
    """A learner in Los Angeles asks for Tue 06-09 (their date); the volunteer is in Kathmandu.

    LA 06-09 = [06-09 07:00Z, 06-10 07:00Z). Kathmandu Tue 06-09 09:00-12:00 is
    03:15Z-06:15Z on 06-09, before the range: none of it. Kathmandu Wed 06-10
    09:00-12:00 is 06-10 03:15Z-06:15Z, i.e. Tue evening in LA: all of it
    (45 + 15: 03:15, 04:15, 05:15Z).
    """
    lo, hi = day_range_bounds("America/Los_Angeles", date(2026, 6, 9), date(2026, 6, 9))
    assert (utc_text(lo), utc_text(hi)) == ("2026-06-09T07:00:00Z", "2026-06-10T07:00:00Z")
    availability = Availability(
        timezone=KATHMANDU,
        settings=settings(45, buffer=15),
        rules=(rule(TUE, "09:00", "12:00"), rule(WED, "09:00", "12:00")),
    )
    got = slots_between(availability, [], lo, hi, Z(EARLY))
    assert [utc_text(s.start_at) for s in got] == [
        "2026-06-10T03:15:00Z",
        "2026-06-10T04:15:00Z",
        "2026-06-10T05:15:00Z",
    ]


# --------------------------------------------------------------------------
# is_offered: the one slot starting exactly at an instant, or None
# --------------------------------------------------------------------------

LONDON_TUESDAY_AVAILABILITY = Availability(timezone=LONDON, settings=settings(45, buffer=15), rules=LONDON_TUESDAY)
LONDON_SUNDAY_NIGHT = Availability(timezone=LONDON, settings=settings(50), rules=(rule(SUN, "22:00", "02:00"),))
NY_SPRING_GAP = Availability(timezone=NY, settings=settings(30), rules=(rule(SUN, "02:30", "04:00"),))
NY_SATURDAY_NIGHT = Availability(timezone=NY, settings=settings(60, buffer=30), rules=(rule(SAT, "22:00", "02:00"),))
BOOKED_0900 = (busy("2026-06-09T09:00:00Z", "2026-06-09T09:45:00Z"),)

IS_OFFERED = [
    # (id, availability, bookings, now, asked start, expected slot (start, end) or None)
    # Grid 08, 09, 10, 11Z: 10:00Z is a slot.
    ("grid-slot", LONDON_TUESDAY_AVAILABILITY, (), EARLY, "2026-06-09T10:00:00Z",
     ("2026-06-09T10:00:00Z", "2026-06-09T10:45:00Z")),
    # 09:30Z is inside the window but not on the grid.
    ("off-grid-time", LONDON_TUESDAY_AVAILABILITY, (), EARLY, "2026-06-09T09:30:00Z", None),
    # 08:45Z is where a slot would start if the buffer were ignored.
    ("time-in-buffer-gap", LONDON_TUESDAY_AVAILABILITY, (), EARLY, "2026-06-09T08:45:00Z", None),
    # Booked 09:00-09:45: that slot is gone.
    ("booked-slot", LONDON_TUESDAY_AVAILABILITY, BOOKED_0900, EARLY, "2026-06-09T09:00:00Z", None),
    # The next slot starts exactly at the widened booking's end (09:45 + 15).
    ("slot-after-booked-slot", LONDON_TUESDAY_AVAILABILITY, BOOKED_0900, EARLY, "2026-06-09T10:00:00Z",
     ("2026-06-09T10:00:00Z", "2026-06-09T10:45:00Z")),
    # Min notice 0 here, but asking at an instant given as 11:00+01:00 (= 10:00Z).
    ("asked-with-offset-answered-in-utc", LONDON_TUESDAY_AVAILABILITY, (), EARLY, "2026-06-09T11:00:00+01:00",
     ("2026-06-09T10:00:00Z", "2026-06-09T10:45:00Z")),
    # Min notice 12 h: now 06-08 22:00:01Z + 12 h = 06-09 10:00:01Z, one second
    # after the 10:00Z grid slot, so it is too soon.
    ("too-soon", Availability(timezone=LONDON, settings=settings(45, buffer=15, notice=12), rules=LONDON_TUESDAY),
     (), "2026-06-08T22:00:01Z", "2026-06-09T10:00:00Z", None),
    # Window starts at 02:30 read as EST = 07:30Z.
    ("spring-gap-window-start", NY_SPRING_GAP, (), EARLY, "2026-03-08T07:30:00Z",
     ("2026-03-08T07:30:00Z", "2026-03-08T08:00:00Z")),
    # 07:00Z is 03:00 EDT on the wall, but the window only starts at 07:30Z.
    ("spring-gap-wall-time-is-not-a-slot", NY_SPRING_GAP, (), EARLY, "2026-03-08T07:00:00Z", None),
    # Sat 22:00 EDT grid 02:00, 03:30, 05:00Z (06-07): 05:00Z = Sun 01:00 EDT.
    ("late-slot-of-window-begun-the-day-before", NY_SATURDAY_NIGHT, (), EARLY, "2026-06-07T05:00:00Z",
     ("2026-06-07T05:00:00Z", "2026-06-07T06:00:00Z")),
    # Sun 00:00 EDT (04:00Z) is not on the grid, which starts at Sat 22:00.
    ("local-midnight-is-not-a-grid-start", NY_SATURDAY_NIGHT, (), EARLY, "2026-06-07T04:00:00Z", None),
    # Monday cut: 23:00Z (Mon 00:00 BST) is a slot; 22:40Z (uncut grid) is not.
    ("monday-cut-restarts-grid", LONDON_SUNDAY_NIGHT, (), EARLY, "2026-06-07T23:00:00Z",
     ("2026-06-07T23:00:00Z", "2026-06-07T23:50:00Z")),
    ("uncut-grid-time-not-offered", LONDON_SUNDAY_NIGHT, (), EARLY, "2026-06-07T22:40:00Z", None),
]


@pytest.mark.parametrize(
    "availability, bookings, now, asked, expected",
    [c[1:] for c in IS_OFFERED],
    ids=[c[0] for c in IS_OFFERED],
)
def test_is_offered(availability, bookings, now, asked, expected) -> None:
    got = is_offered(availability, list(bookings), Z(asked), Z(now))
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert (utc_text(got.start_at), utc_text(got.end_at)) == expected
        assert got.start_at.utcoffset() == timedelta(0)


def test_core_modules_import_no_web_or_database_code() -> None:
    """The scheduling core is plain Python: none of its modules imports Flask,
    SQLAlchemy or the rest of the app (checked statically, because importing
    ``tutoring.scheduling`` also runs ``tutoring/__init__.py``, the app factory)."""
    core = Path(__file__).resolve().parents[2] / "tutoring" / "scheduling"
    forbidden = ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug")
    offenders = []
    for module in sorted(core.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in forbidden or (top == "tutoring" and not name.startswith("tutoring.scheduling")):
                    offenders.append(f"{module.name}: {name}")
    assert offenders == []
