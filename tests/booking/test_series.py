"""Weekly series (SPEC §4, issue 9): one transaction, the volunteer's fixed local time, skipped weeks, cancel from a date.

The DST tables list, for a change on one side only, each week's booked UTC
instant: it always equals the volunteer's fixed wall-clock time, and the
learner's local time moves by the hour the other zone changed.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import tutoring.booking.operations as booking_service
import tutoring.booking.series as series_service
from tests.api.helpers import assert_error
from tutoring.extensions import db
from tutoring.models import AvailabilityRule, AwayPeriod, Booking, OutboxMessage, Series
from tutoring.booking.errors import InvalidBooking, SlotUnavailable
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.booking.series import book_series, cancel_series_from, preview_series, weekly_starts

# Monday 1 March 2027, 08:00 UTC. London goes to summer time on Sunday 28 March 2027.
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
LONDON, RIYADH = "Europe/London", "Asia/Riyadh"
NEW_YORK, CAIRO = "America/New_York", "Africa/Cairo"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """Services that read the clock (the API) read NOW."""
    monkeypatch.setattr(booking_service, "utcnow", lambda: NOW)
    monkeypatch.setattr(series_service, "utcnow", lambda: NOW)


@pytest.fixture
def london(make_user):
    """A volunteer in London (Tuesdays 18:00-20:00, a year ahead) and a learner in Riyadh (no DST, UTC+3)."""
    volunteer = make_user("volunteer", timezone=LONDON, rules=[(1, "18:00", "20:00")], horizon_days=365,
                          session_minutes=45, buffer_minutes=15)
    learner = make_user("learner", timezone=RIYADH, name="Noor")
    return volunteer, learner


def starts_of(app, series_id: int) -> list[tuple[datetime, str]]:
    with app.app_context():
        series = db.session.get(Series, series_id)
        return [(b.session.start_at, b.status) for b in series_service.occurrences(series)]


# --- the pure part ---------------------------------------------------------------------


def test_weekly_starts_keep_the_wall_clock_of_the_zone_across_its_clock_change():
    # 18:00 in London every Tuesday: 18:00Z in winter, 17:00Z from 30 March (BST).
    starts = weekly_starts(utc("2027-03-16T18:00:00Z"), LONDON, 4)
    assert starts == [utc("2027-03-16T18:00:00Z"), utc("2027-03-23T18:00:00Z"),
                      utc("2027-03-30T17:00:00Z"), utc("2027-04-06T17:00:00Z")]


def test_a_wall_clock_time_that_does_not_exist_that_day_takes_the_offset_before_the_gap():
    # 01:30 on Sundays in London; on 28 March 2027 01:30 doesn't exist: read with GMT (fold=0, RFC 5545).
    starts = weekly_starts(utc("2027-03-21T01:30:00Z"), LONDON, 2)
    assert starts[1] == utc("2027-03-28T01:30:00Z")


def test_an_ambiguous_wall_clock_time_is_its_first_occurrence():
    # 01:30 on 31 October 2027 in London happens twice: the first one is BST (00:30Z).
    starts = weekly_starts(utc("2027-10-24T00:30:00Z"), LONDON, 2)
    assert starts[1] == utc("2027-10-31T00:30:00Z")


# --- DST on one side only ----------------------------------------------------------------------


def test_london_volunteer_riyadh_learner_each_week_is_18_00_in_london(app, london):
    volunteer, learner = london
    with app.app_context():
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 4, "tutoring", now=NOW)
        assert result.skipped == []
        rows = [(b.session.start_at, b.series_id) for b in result.bookings]
        series_id = result.series.id
    assert [start for start, _ in rows] == [utc("2027-03-16T18:00:00Z"), utc("2027-03-23T18:00:00Z"),
                                            utc("2027-03-30T17:00:00Z"), utc("2027-04-06T17:00:00Z")]
    assert {sid for _, sid in rows} == {series_id}
    assert [start.astimezone(ZoneInfo(LONDON)).time() for start, _ in rows] == [time(18, 0)] * 4
    # Riyadh doesn't change: the learner's time moves from 21:00 to 20:00.
    assert [start.astimezone(ZoneInfo(RIYADH)).time() for start, _ in rows] == [time(21)] * 2 + [time(20)] * 2


def test_new_york_volunteer_cairo_learner_both_changes_keep_10_00_in_new_york(app, make_user):
    # New York changes on 14 March 2027, Cairo (DST again since 2023) on 30 April 2027.
    volunteer = make_user("volunteer", timezone=NEW_YORK, rules=[(0, "10:00", "12:00")], horizon_days=365)
    learner = make_user("learner", timezone=CAIRO)
    with app.app_context():
        result = book_series(learner.id, volunteer.id, utc("2027-03-08T15:00:00Z"), 10, "tutoring", now=NOW)
        starts = [b.session.start_at for b in result.bookings]
    assert starts == [utc("2027-03-08T15:00:00Z")] + [
        utc(f"{day}T14:00:00Z") for day in ("2027-03-15", "2027-03-22", "2027-03-29", "2027-04-05", "2027-04-12",
                                            "2027-04-19", "2027-04-26", "2027-05-03", "2027-05-10")
    ]
    assert {s.astimezone(ZoneInfo(NEW_YORK)).time() for s in starts} == {time(10, 0)}
    cairo = [s.astimezone(ZoneInfo(CAIRO)).strftime("%H:%M") for s in starts]
    assert cairo == ["17:00"] + ["16:00"] * 7 + ["17:00"] * 2


# --- skipped weeks and the first week ------------------------------------------------------------


def test_weeks_that_are_not_free_are_skipped_with_their_reason_and_the_rest_booked(app, london, make_user):
    volunteer, learner = london
    other = make_user("learner")
    with app.app_context():
        book_session(other.id, volunteer.id, utc("2027-03-23T18:00:00Z"), "tutoring", now=NOW)  # week 2 taken
        db.session.add(AwayPeriod(volunteer_id=volunteer.id, first_on=date(2027, 4, 5), last_on=date(2027, 4, 7)))
        db.session.commit()
        plan = preview_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 4, now=NOW)
        assert [o.reason for o in plan] == [None, "booked", None, "away"]
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 4, "tutoring", now=NOW)
        assert [b.session.start_at for b in result.bookings] == [utc("2027-03-16T18:00:00Z"), utc("2027-03-30T17:00:00Z")]
        assert [(o.start_at, o.reason) for o in result.skipped] == [
            (utc("2027-03-23T18:00:00Z"), "booked"), (utc("2027-04-06T17:00:00Z"), "away")]
        assert result.series.weeks == 4


def test_a_full_week_and_the_horizon_are_named_too(app, make_user):
    volunteer = make_user("volunteer", timezone=LONDON, rules=[(1, "18:00", "20:00"), (2, "18:00", "20:00")],
                          horizon_days=30, max_sessions_per_week=1)
    learner, other = make_user("learner", timezone=RIYADH), make_user("learner")
    with app.app_context():
        book_session(other.id, volunteer.id, utc("2027-03-10T18:00:00Z"), "tutoring", now=NOW)  # Wednesday, week 2
        plan = preview_series(learner.id, volunteer.id, utc("2027-03-02T18:00:00Z"), 6, now=NOW)
    assert [o.reason for o in plan] == [None, "week_full", None, None, None, "beyond_horizon"]


def test_the_learners_own_other_session_skips_that_week(app, london, make_user):
    volunteer, learner = london
    elsewhere = make_user("volunteer", timezone=RIYADH, rules=[(1, "20:30", "22:30")], horizon_days=365)
    with app.app_context():
        book_session(learner.id, elsewhere.id, utc("2027-03-23T17:30:00Z"), "tutoring", now=NOW)
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 3, "tutoring", now=NOW)
        assert [o.reason for o in result.skipped] == ["learner_busy"]


def test_when_the_first_week_is_not_offered_nothing_is_booked(app, london, make_user):
    volunteer, learner = london
    other = make_user("learner")
    with app.app_context():
        book_session(other.id, volunteer.id, utc("2027-03-16T18:00:00Z"), "tutoring", now=NOW)
        with pytest.raises(SlotUnavailable):
            book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 4, "tutoring", now=NOW)
        assert db.session.scalars(select(Series)).all() == []
        assert len(db.session.scalars(select(Booking)).all()) == 1


def test_every_week_is_an_ordinary_booking_with_its_own_uid_and_invites(app, london):
    volunteer, learner = london
    with app.app_context():
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 3, "tutoring", "Fractions", now=NOW)
        uids = {b.uid for b in result.bookings}
        assert len(uids) == 3
        assert {b.note for b in result.bookings} == {"Fractions"}
        invites = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booked")).all()
        assert len(invites) == 6  # one per week and person


# --- weeks in a group window ------------------------------------------------------------------------


@pytest.fixture
def group_window(app, make_user):
    """The London volunteer's Tuesday 18:00-20:00 window as a group window of 2 seats."""
    volunteer = make_user("volunteer", timezone=LONDON, rules=[(1, "18:00", "20:00")], horizon_days=365,
                          session_minutes=45, buffer_minutes=15)
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = 2
        db.session.commit()
    return volunteer


def test_a_series_week_joins_the_open_group_session_that_week_instead_of_being_skipped(app, group_window, make_user):
    learner, first, second = make_user("learner", timezone=RIYADH), make_user("learner"), make_user("learner")
    week2, week3 = utc("2027-03-23T18:00:00Z"), utc("2027-03-30T17:00:00Z")
    with app.app_context():
        open_group = book_session(first.id, group_window.id, week2, "tutoring", now=NOW).session_id
        full = book_session(first.id, group_window.id, week3, "tutoring", now=NOW).session_id
        book_session(second.id, group_window.id, week3, "tutoring", now=NOW)  # week 3: both seats taken
        plan = preview_series(learner.id, group_window.id, utc("2027-03-16T18:00:00Z"), 3, now=NOW)
        assert [o.reason for o in plan] == [None, None, "group_full"]
        result = book_series(learner.id, group_window.id, utc("2027-03-16T18:00:00Z"), 3, "tutoring", now=NOW)
        week1, joined = result.bookings
        assert joined.session_id == open_group  # a seat beside the first learner, not a second session
        assert (joined.series_id, week1.series_id) == (result.series.id, result.series.id)
        assert week1.session.capacity == 2 and week1.session_id not in (open_group, full)
        assert [(o.start_at, o.reason) for o in result.skipped] == [(week3, "group_full")]
        with app.test_request_context():
            assert result.skipped[0].reason_text == "The group session that week is full."
        seats = db.session.scalars(select(Booking).where(Booking.session_id == open_group)).all()
        assert sorted(b.learner_id for b in seats) == sorted([first.id, learner.id])


def test_a_series_whose_first_week_is_an_open_group_joins_it_and_another_kind_is_refused(app, group_window, make_user):
    learner, first = make_user("learner", timezone=RIYADH), make_user("learner")
    week1 = utc("2027-03-16T18:00:00Z")
    with app.app_context():
        open_group = book_session(first.id, group_window.id, week1, "mentoring", now=NOW).session_id
        with pytest.raises(InvalidBooking):
            book_series(learner.id, group_window.id, week1, 2, "tutoring", now=NOW)
        assert db.session.scalars(select(Series)).all() == []
        result = book_series(learner.id, group_window.id, week1, 2, "mentoring", now=NOW)
        assert [b.session_id == open_group for b in result.bookings] == [True, False]
        assert result.series.first_start_at == week1


# --- cancelling and moving -------------------------------------------------------------------------


def test_cancel_one_week_then_all_from_a_date_and_move_one(app, london):
    volunteer, learner = london
    with app.app_context():
        result = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 6, "tutoring", now=NOW)
        series_id, ids = result.series.id, [b.id for b in result.bookings]
        cancel_booking(learner.id, ids[2], now=NOW)
        reschedule_booking(volunteer.id, ids[1], utc("2027-03-23T19:00:00Z"), now=NOW)
        cancelled = cancel_series_from(volunteer.id, series_id, date(2027, 4, 12), LONDON, "Term ends", now=NOW)
        assert [b.id for b in cancelled] == ids[4:]
    assert starts_of(app, series_id) == [
        (utc("2027-03-16T18:00:00Z"), "confirmed"), (utc("2027-03-23T19:00:00Z"), "confirmed"),
        (utc("2027-03-30T17:00:00Z"), "cancelled"), (utc("2027-04-06T17:00:00Z"), "confirmed"),
        (utc("2027-04-13T17:00:00Z"), "cancelled"), (utc("2027-04-20T17:00:00Z"), "cancelled"),
    ]


def test_cancel_from_a_date_is_for_the_two_people_only_and_needs_something_to_cancel(app, london, make_user):
    volunteer, learner = london
    stranger = make_user("learner")
    with app.app_context():
        series_id = book_series(learner.id, volunteer.id, utc("2027-03-16T18:00:00Z"), 2, "tutoring", now=NOW).series.id
        with pytest.raises(series_service.SeriesNotFound):
            cancel_series_from(stranger.id, series_id, date(2027, 3, 1), LONDON, now=NOW)
        with pytest.raises(booking_service.BookingStateError):
            cancel_series_from(learner.id, series_id, date(2027, 6, 1), LONDON, now=NOW)
    assert [status for _, status in starts_of(app, series_id)] == ["confirmed", "confirmed"]


# --- the API ------------------------------------------------------------------------------------------


@pytest.fixture
def api(london, bearer):
    volunteer, learner = london
    return {"volunteer": volunteer, "learner": learner, "as_learner": bearer(learner), "as_volunteer": bearer(volunteer)}


def post_series(client, api, start="2027-03-16T21:00:00+03:00", weeks=4, **body):
    payload = {"volunteer_id": api["volunteer"].id, "start": start, "weeks": weeks, "kind": "tutoring", **body}
    return client.post("/api/v1/series", json=payload, headers=api["as_learner"])


def test_post_series_answers_201_with_bookings_carrying_series_id_and_skipped_weeks(app, client, api, make_user):
    with app.app_context():
        book_session(make_user("learner").id, api["volunteer"].id, utc("2027-03-30T17:00:00Z"), "tutoring", now=NOW)
    response = post_series(client, api, note="Algebra")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/series/{body['id']}"
    assert body["weeks"] == 4
    assert [b["start"] for b in body["bookings"]] == [
        "2027-03-16T21:00:00+03:00", "2027-03-23T21:00:00+03:00", "2027-04-06T20:00:00+03:00"]
    assert {b["series_id"] for b in body["bookings"]} == {body["id"]}
    assert body["skipped"] == [{"start": "2027-03-30T20:00:00+03:00", "start_utc": "2027-03-30T17:00:00Z",
                                "reason": "booked", "message": "The volunteer already has a session at this time."}]
    shown = client.get(f"/api/v1/bookings/{body['bookings'][0]['id']}", headers=api["as_volunteer"]).get_json()
    assert shown["series_id"] == body["id"]


def test_post_series_409_when_the_first_week_is_not_offered_and_422_for_bad_weeks(client, api):
    assert_error(post_series(client, api, start="2027-03-16T20:00:00+03:00"), 409, "slot_unavailable")
    for weeks in (1, 27, "4", True, None):
        assert_error(post_series(client, api, weeks=weeks), 422, "validation_error", "weeks")


def test_get_and_cancel_series_from_a_date_over_the_api(client, api, make_user, bearer):
    body = post_series(client, api, weeks=4).get_json()
    stranger = bearer(make_user("learner"))
    assert_error(client.get(f"/api/v1/series/{body['id']}", headers=stranger), 404, "not_found")
    assert_error(client.post(f"/api/v1/series/{body['id']}/cancel", json={"from": "2027-03-01"}, headers=stranger),
                 404, "not_found")
    assert_error(client.post(f"/api/v1/series/{body['id']}/cancel", json={"from": "30/03/2027"},
                             headers=api["as_learner"]), 422, "validation_error", "from")
    response = client.post(f"/api/v1/series/{body['id']}/cancel", json={"from": "2027-03-30"}, headers=api["as_learner"])
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["cancelled"] == [b["id"] for b in body["bookings"][2:]]
    assert [b["status"] for b in after["bookings"]] == ["confirmed", "confirmed", "cancelled", "cancelled"]
    seen_by_volunteer = client.get(f"/api/v1/series/{body['id']}", headers=api["as_volunteer"]).get_json()
    assert [(b["id"], b["status"], b["start_utc"]) for b in seen_by_volunteer["bookings"]] == [
        (b["id"], b["status"], b["start_utc"]) for b in after["bookings"]]
    again = client.post(f"/api/v1/series/{body['id']}/cancel", json={"from": "2027-03-30"}, headers=api["as_learner"])
    assert_error(again, 409, "invalid_state")
