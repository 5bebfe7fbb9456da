"""Overlapping weekly series booked at the same moment against a real multi-process server (issue 9).

The gunicorn server of tests/test_booking_race.py (4 processes x 12 threads,
same database as the test: SQLite file or PostgreSQL). Eight learners each
ask for 4 weeks of the same weekly time, starting in weeks 0-3, so every
pair of requests overlaps in some week; all arrive together. Each gets a
clear answer: 201 with the weeks it got and the weeks skipped as ``booked``
(taken by someone else), or 409 ``slot_unavailable`` when its first week was
taken. Afterwards no week is held twice, no two live sessions overlap, and
the database holds exactly the bookings the 201 answers listed.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from tests.booking.test_booking_race import assert_no_overlap, fire_together, live_sessions, server  # noqa: F401
from tutoring.extensions import db
from tutoring.models import Booking, VolunteerProfile
from tutoring.booking.slots import slots_in_range
from tutoring.timeutil import utcnow

LEARNERS = 8
WEEKS = 4


def test_overlapping_series_booked_at_once_each_get_a_clear_answer_and_no_week_twice(server, app, make_user, bearer):  # noqa: F811
    volunteer = make_user("volunteer", timezone="Asia/Riyadh", rules=[(1, "18:00", "19:00")], horizon_days=120)
    learners = [make_user("learner", timezone="Asia/Riyadh") for _ in range(LEARNERS)]
    headers = [bearer(learner) for learner in learners]
    with app.app_context():
        now = utcnow()
        profile = db.session.get(VolunteerProfile, volunteer.id)
        tuesdays = [slot.start_at for slot in slots_in_range(profile, now, now + timedelta(days=60), now)]
    assert len(tuesdays) >= WEEKS + 3

    calls = []
    for index in range(LEARNERS):
        start = tuesdays[index % 4]
        calls.append(("POST", "/api/v1/series", headers[index],
                      {"volunteer_id": volunteer.id, "start": start.isoformat(), "weeks": WEEKS, "kind": "tutoring"}))
    results = fire_together(server, calls)

    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, results
    booked_ids = []
    held_weeks = []
    for (status, body), (_method, _path, _headers, asked) in zip(results, calls, strict=True):
        if status == 409:
            assert set(body) == {"error"} and body["error"]["code"] == "slot_unavailable", body
            continue
        got = [b["start_utc"] for b in body["bookings"]]
        skipped = [s["start_utc"] for s in body["skipped"]]
        assert {s["reason"] for s in body["skipped"]} <= {"booked"}, body
        # Every asked week is answered: booked or skipped, never both, first one booked.
        first = tuesdays.index(next(t for t in tuesdays if t.isoformat() == asked["start"]))
        wanted = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in tuesdays[first:first + WEEKS]]
        assert sorted(got + skipped) == wanted and got[0] == wanted[0], body
        assert {b["series_id"] for b in body["bookings"]} == {body["id"]}
        booked_ids += [b["id"] for b in body["bookings"]]
        held_weeks += got
    assert len(held_weeks) == len(set(held_weeks)), "a week was booked twice"

    with app.app_context():
        sessions = assert_no_overlap(volunteer.id)
        assert len(sessions) == len(booked_ids)
        live = db.session.scalars(select(Booking.id).where(Booking.status == "confirmed")).all()
        assert sorted(live) == sorted(booked_ids)
        assert len(live_sessions(volunteer.id)) == len(set(held_weeks))
