"""The page's offer and the engine's decision never disagree (issue 17): one slot reader for both.

For volunteers with random weekly windows, session lengths, buffers, notice,
zones and a few sessions already booked (some shortened buffers since), every
start on a five-minute grid over a week (every offered one, its neighbours,
and a random sample of the rest), at three moments of that week, is checked twice: is it on the page
(``slots_in_range``, what every page and the API list) and does the engine
accept it under its lock (``engine.offered_slot`` inside ``write_transaction``, after ``lock_volunteer``)?
The answers must be the same for every start.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tutoring.booking import engine
from tutoring.booking.errors import SlotUnavailable
from tutoring.booking.operations import book_session
from tutoring.booking.slots import slots_in_range
from tutoring.extensions import db
from tutoring.models import VolunteerProfile

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


def engine_accepts(volunteer_id: int, starts: list[datetime], now: datetime) -> set[datetime]:
    """The starts booking accepts at ``now``: its own check, under its lock, writing nothing."""
    accepted = set()
    with engine.write_transaction():
        volunteer = engine.lock_volunteer(volunteer_id)
        for start_at in starts:
            try:
                engine.offered_slot(volunteer, start_at, now)
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
