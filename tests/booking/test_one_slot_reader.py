"""The page's offer and the engine's decision never disagree (issue 17): one slot reader for both.

For volunteers with random weekly windows, session lengths, buffers, notice,
zones and a few sessions already booked (some shortened buffers since), every
start on a five-minute grid over a week (every offered one, its neighbours,
and a random sample of the rest), at three moments of that week, is checked twice: is it on the page
(``slots_in_range``, what every page and the API list) and does the engine
accept it under its lock (``engine.offered_slot`` inside ``write_transaction``, after ``lock_volunteer``)?
The answers must be the same for every start.

With the support weekly cap in play (``TUTORING_SUPPORT_WEEKLY_CAP``, held by
the slot reader per kind), the same is asked per kind: volunteers offering
support and tutoring (or support only), some support sessions booked so that
a week of their zone is at the cap, pages read for ``support``, ``tutoring``
and no kind, the engine asked for the same kind.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.coordinators.coordinator_support import add_session
from tutoring.booking import engine
from tutoring.booking.errors import SlotUnavailable
from tutoring.booking.operations import book_session
from tutoring.booking.slots import slot_inputs, slots_in_range
from tutoring.extensions import db
from tutoring.models import VolunteerProfile
from tutoring.scheduling import slots_between

NOW = datetime(2027, 3, 24, 9, 7, tzinfo=UTC)  # a Wednesday; Europe changes its clocks that Sunday
WEEK = timedelta(days=7)
ZONES = ["Europe/London", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe", "Africa/Cairo"]


def random_volunteer(make_user, rng: random.Random):
    rules = []
    for weekday in rng.sample(range(7), rng.randint(1, 4)):
        start = rng.randrange(0, 22 * 60, 15)
        end = min(start + rng.choice([120, 180, 240]), 24 * 60 - 15)
        rules.append((weekday, f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"))
    return make_user(
        "volunteer", timezone=rng.choice(ZONES), rules=rules,
        session_minutes=rng.choice([20, 30, 45, 60]), buffer_minutes=rng.choice([0, 5, 15, 30]),
        min_notice_hours=rng.choice([0, 2, 12, 48]),
    )


def engine_accepts(volunteer_id: int, starts: list[datetime], now: datetime, kind: str | None = None) -> set[datetime]:
    """The starts booking (of ``kind``) accepts at ``now``: its own check, under its lock, writing nothing."""
    accepted = set()
    with engine.write_transaction():
        volunteer = engine.lock_volunteer(volunteer_id)
        for start_at in starts:
            try:
                engine.offered_slot(volunteer, start_at, now, kind=kind)
            except SlotUnavailable:
                continue
            accepted.add(start_at)
        db.session.rollback()
    return accepted


@pytest.mark.parametrize("seed", range(6))
def test_every_start_the_page_offers_the_engine_accepts_and_no_other(app, make_user, seed):
    rng = random.Random(seed)
    volunteer = random_volunteer(make_user, rng)
    learners = [make_user("learner") for _ in range(3)]
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        offered = slots_in_range(profile, NOW, NOW + WEEK, now=NOW)
        for learner, slot in zip(learners, rng.sample(offered, min(len(offered), len(learners)))):
            book_session(learner.id, volunteer.id, slot.start_at, "tutoring", now=NOW)
        if rng.random() < 0.5:  # a buffer shortened after booking: old sessions keep what they blocked
            profile = db.session.get(VolunteerProfile, volunteer.id)
            profile.buffer_minutes = 0
            db.session.commit()
        disagree = []
        # Three moments of the week: notice, horizon and "today" fall differently at each.
        for now in (NOW, NOW + timedelta(days=2, hours=5, minutes=13), NOW + timedelta(days=4, hours=11, minutes=41)):
            profile = db.session.get(VolunteerProfile, volunteer.id)
            on_page = {slot.start_at for slot in slots_in_range(profile, now, now + WEEK, now=now)}
            first = now.replace(minute=now.minute - now.minute % 5, second=0) + timedelta(minutes=5)
            grid = [first + timedelta(minutes=5 * n) for n in range(int(WEEK / timedelta(minutes=5)))]
            # Every start of the first two days (notice, "today"), every offered one and its neighbours,
            # and a random sample of the rest.
            near = {start + timedelta(minutes=delta) for start in on_page for delta in (-5, 5)}
            soon = {start for start in grid if start < now + timedelta(days=2)}
            candidates = sorted(on_page | soon | (near & set(grid)) | set(rng.sample(grid, 150)))
            accepted = engine_accepts(volunteer.id, candidates, now)
            disagree += [start for start in candidates if (start in on_page) != (start in accepted)]
    assert offered, "the example should offer something"
    assert disagree == [], f"page and engine disagree at {disagree[:5]}"


def candidates_near(on_page: set[datetime], now: datetime, rng: random.Random, span: timedelta) -> list[datetime]:
    first = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0) + timedelta(minutes=5)
    grid = [first + timedelta(minutes=5 * n) for n in range(int(span / timedelta(minutes=5)))]
    near = {start + timedelta(minutes=delta) for start in on_page for delta in (-5, 5)}
    return sorted(on_page | (near & set(grid)) | set(rng.sample(grid, 200)))


@pytest.mark.app_config(SUPPORT_WEEKLY_CAP=2)
@pytest.mark.parametrize("seed", range(6))
def test_with_the_support_weekly_cap_the_page_and_the_engine_agree_for_every_kind(app, make_user, seed):
    rng = random.Random(1000 + seed)
    kinds = ["support"] if seed % 3 == 0 else ["tutoring", "support"]
    rules = [(weekday, "06:00", "22:00") for weekday in range(7)]
    volunteer = make_user(
        "volunteer", timezone=rng.choice(ZONES), kinds=kinds, rules=rules,
        session_minutes=rng.choice([30, 60]), buffer_minutes=rng.choice([0, 15]), min_notice_hours=rng.choice([0, 12]),
    )
    learner = make_user("learner")
    other = make_user("volunteer", rules=[(0, "09:00", "10:00")])
    span = 2 * WEEK  # crosses at least one week boundary of the volunteer's zone
    with app.app_context():
        profile = db.session.get(VolunteerProfile, volunteer.id)
        offered = slots_in_range(profile, NOW, NOW + span, now=NOW)
        assert offered, "the example should offer something"
        # Sessions at offered times (each then no longer offered): support ones around the first week's end (so one
        # week reaches the cap, its neighbour may not), a tutoring one, and a cancelled support one (which counts not).
        taken: list[datetime] = []
        for kind, status in [("support", "confirmed")] * rng.randint(2, 4) + [("tutoring", "confirmed"),
                                                                             ("support", "cancelled")]:
            profile = db.session.get(VolunteerProfile, volunteer.id)
            free = [slot for slot in slots_in_range(profile, NOW, NOW + span, now=NOW)
                    if slot.start_at < NOW + timedelta(days=rng.choice([5, 9, 12]))]
            if not free:
                continue
            slot = rng.choice(free)
            minutes = int((slot.end_at - slot.start_at).total_seconds() // 60)
            add_session(volunteer.id, learner.id, slot.start_at, minutes=minutes, status=status,
                        kind=kind if kind in kinds else "support")
            taken.append(slot.start_at)
        disagree = []
        for now in (NOW, NOW + timedelta(days=3, hours=7, minutes=17)):
            for kind in ("support", "tutoring", None):
                if kind == "tutoring" and "tutoring" not in kinds:
                    continue
                profile = db.session.get(VolunteerProfile, volunteer.id)
                on_page = {slot.start_at for slot in slots_in_range(profile, now, now + span, now=now, kind=kind)}
                # As a search reads it: with another volunteer, through the per-volunteer cache.
                known, busy = slot_inputs([profile, db.session.get(VolunteerProfile, other.id)], now, now + span,
                                          kind=kind)
                listed = slots_between(known[profile.id], busy.get(profile.id, []), now, now + span, now)
                assert {slot.start_at for slot in listed} == on_page
                candidates = candidates_near(on_page, now, rng, span)
                accepted = engine_accepts(volunteer.id, candidates, now, kind)
                disagree += [(kind, start) for start in candidates if (start in on_page) != (start in accepted)]
        # The cap was really in play: for a volunteer of several kinds, some tutoring slot is not a support slot.
        if kinds == ["tutoring", "support"]:
            profile = db.session.get(VolunteerProfile, volunteer.id)
            support = set(slots_in_range(profile, NOW, NOW + span, now=NOW, kind="support"))
            tutoring = set(slots_in_range(profile, NOW, NOW + span, now=NOW, kind="tutoring"))
            assert support < tutoring
    assert disagree == [], f"page and engine disagree at {disagree[:5]}"
