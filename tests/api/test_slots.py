"""GET /api/v1/volunteers/<id>/slots: dates in the asked zone, instants with offsets (SPEC §2, §4).

Expected instants are written out by hand; the comments say how each was
worked out.
"""
from __future__ import annotations


import pytest

from .helpers import assert_error

# Tests that need exact instants fix the API's "now" to this moment.
NOW = "2026-03-01T00:00:00Z"
# No notice and no buffer keep the hand arithmetic simple where that is not the point.
PLAIN = {"min_notice_hours": 0, "buffer_minutes": 0, "session_minutes": 60, "horizon_days": 60}
EVERY_DAY_9_TO_10 = [(weekday, "09:00", "10:00") for weekday in range(7)]


def slots(client, headers, volunteer_id, **query):
    response = client.get(f"/api/v1/volunteers/{volunteer_id}/slots", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def cairo_volunteer(make_user):
    """Africa/Cairo (UTC+2 in March 2026), Mondays 20:00-22:00, 45-minute sessions, 15-minute buffer."""
    return make_user(
        "volunteer",
        timezone="Africa/Cairo",
        rules=[(0, "20:00", "22:00")],
        session_minutes=45,
        buffer_minutes=15,
        min_notice_hours=0,
    )


def test_slots_in_an_offset_zone(client, make_user, bearer, freeze_api_now, cairo_volunteer):
    # Monday 2 March, Cairo 20:00 and 21:00 (+02:00) = 18:00Z and 19:00Z = Kathmandu (+05:45)
    # 23:45 on Monday and 00:45 on Tuesday: the second belongs to Tuesday 3 March in Kathmandu.
    freeze_api_now(NOW)
    headers = bearer(make_user())
    monday = slots(client, headers, cairo_volunteer.id, tz="Asia/Kathmandu", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert monday == {
        "tz": "Asia/Kathmandu",
        "slots": [
            {"start": "2026-03-02T23:45:00+05:45", "end": "2026-03-03T00:30:00+05:45", "start_utc": "2026-03-02T18:00:00Z"},
        ],
    }
    tuesday = slots(client, headers, cairo_volunteer.id, tz="Asia/Kathmandu", **{"from": "2026-03-03", "to": "2026-03-03"})
    assert tuesday["slots"] == [
        {"start": "2026-03-03T00:45:00+05:45", "end": "2026-03-03T01:30:00+05:45", "start_utc": "2026-03-02T19:00:00Z"},
    ]
    week = slots(client, headers, cairo_volunteer.id, tz="Asia/Kathmandu", **{"from": "2026-03-02", "to": "2026-03-09"})
    assert [slot["start_utc"] for slot in week["slots"]] == [
        "2026-03-02T18:00:00Z",
        "2026-03-02T19:00:00Z",
        "2026-03-09T18:00:00Z",  # Monday 9 March 23:45 in Kathmandu; its 00:45 sibling falls on the 10th
    ]


def test_the_volunteers_own_zone_shows_their_wall_clock(client, make_user, bearer, freeze_api_now, cairo_volunteer):
    freeze_api_now(NOW)
    body = slots(client, bearer(make_user()), cairo_volunteer.id, tz="Africa/Cairo", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert [(slot["start"], slot["end"]) for slot in body["slots"]] == [
        ("2026-03-02T20:00:00+02:00", "2026-03-02T20:45:00+02:00"),
        ("2026-03-02T21:00:00+02:00", "2026-03-02T21:45:00+02:00"),
    ]


def test_the_viewers_clock_change_shows_within_one_answer(client, make_user, bearer, freeze_api_now):
    # London 09:00 is 09:00Z all of early March. New York moves from EST (-05:00) to EDT (-04:00)
    # at 02:00 on Sunday 8 March, so the same instant-of-day reads 04:00 then 05:00 there.
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **PLAIN)
    body = slots(client, bearer(make_user()), volunteer.id, tz="America/New_York", **{"from": "2026-03-07", "to": "2026-03-09"})
    assert body["slots"] == [
        {"start": "2026-03-07T04:00:00-05:00", "end": "2026-03-07T05:00:00-05:00", "start_utc": "2026-03-07T09:00:00Z"},
        {"start": "2026-03-08T05:00:00-04:00", "end": "2026-03-08T06:00:00-04:00", "start_utc": "2026-03-08T09:00:00Z"},
        {"start": "2026-03-09T05:00:00-04:00", "end": "2026-03-09T06:00:00-04:00", "start_utc": "2026-03-09T09:00:00Z"},
    ]


def test_the_volunteers_clock_change_keeps_their_wall_clock(client, make_user, bearer, freeze_api_now):
    # London goes from GMT to BST at 01:00Z on Sunday 29 March: 09:00 stays 09:00 locally
    # but moves from 09:00Z to 08:00Z.
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **PLAIN)
    body = slots(client, bearer(make_user()), volunteer.id, tz="Europe/London", **{"from": "2026-03-28", "to": "2026-03-30"})
    assert [(slot["start"], slot["start_utc"]) for slot in body["slots"]] == [
        ("2026-03-28T09:00:00+00:00", "2026-03-28T09:00:00Z"),
        ("2026-03-29T09:00:00+01:00", "2026-03-29T08:00:00Z"),
        ("2026-03-30T09:00:00+01:00", "2026-03-30T08:00:00Z"),
    ]


def test_a_slot_across_the_change_has_two_offsets(client, make_user, bearer, freeze_api_now):
    # New York, Sunday 8 March 01:00-04:00 local: 01:00 EST = 06:00Z, 04:00 EDT = 08:00Z, so the
    # window holds two real hours. The first slot runs 06:00Z-07:00Z = 01:00 EST to 03:00 EDT.
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="America/New_York", rules=[(6, "01:00", "04:00")], **PLAIN)
    body = slots(client, bearer(make_user()), volunteer.id, tz="America/New_York", **{"from": "2026-03-08", "to": "2026-03-08"})
    assert body["slots"] == [
        {"start": "2026-03-08T01:00:00-05:00", "end": "2026-03-08T03:00:00-04:00", "start_utc": "2026-03-08T06:00:00Z"},
        {"start": "2026-03-08T03:00:00-04:00", "end": "2026-03-08T04:00:00-04:00", "start_utc": "2026-03-08T07:00:00Z"},
    ]


def test_defaults_are_the_callers_zone_today_and_seven_days(client, make_user, bearer, freeze_api_now):
    # Now is 2026-03-01T00:00Z: 05:45 on 1 March in Kathmandu (default range 1..7 March there),
    # but still 16:00 on 28 February in Los Angeles (default range 28 February..6 March).
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **PLAIN)
    kathmandu = make_user("learner", timezone="Asia/Kathmandu")
    body = slots(client, bearer(kathmandu), volunteer.id)
    assert body["tz"] == "Asia/Kathmandu"
    assert [slot["start_utc"][:10] for slot in body["slots"]] == [f"2026-03-0{day}" for day in range(1, 8)]
    assert body["slots"][0]["start"] == "2026-03-01T14:45:00+05:45"

    los_angeles = make_user("learner", timezone="America/Los_Angeles")
    body = slots(client, bearer(los_angeles), volunteer.id)
    assert body["tz"] == "America/Los_Angeles"
    # 28 Feb..6 Mar in Los Angeles; the 28 Feb 09:00Z slot is already past.
    assert [slot["start"] for slot in body["slots"]][0] == "2026-03-01T01:00:00-08:00"
    assert body["slots"][-1]["start"] == "2026-03-06T01:00:00-08:00"

    only_from = slots(client, bearer(los_angeles), volunteer.id, **{"from": "2026-03-10"})
    assert [slot["start"][:10] for slot in only_from["slots"]] == [f"2026-03-{day}" for day in range(10, 17)]


def test_tz_parameter_overrides_the_callers_zone(client, make_user, bearer, freeze_api_now):
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **PLAIN)
    body = slots(client, bearer(make_user(timezone="Asia/Kathmandu")), volunteer.id, tz="UTC", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert body == {
        "tz": "UTC",
        "slots": [{"start": "2026-03-02T09:00:00+00:00", "end": "2026-03-02T10:00:00+00:00", "start_utc": "2026-03-02T09:00:00Z"}],
    }


def test_minimum_notice_and_horizon_apply(client, make_user, bearer, freeze_api_now):
    freeze_api_now("2026-03-02T08:30:00Z")
    volunteer = make_user(
        "volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **{**PLAIN, "min_notice_hours": 1, "horizon_days": 3}
    )
    body = slots(client, bearer(make_user()), volunteer.id, tz="UTC", **{"from": "2026-03-01", "to": "2026-03-10"})
    # 2 March 09:00Z is only 30 minutes away; 3 and 4 March are within three days (until
    # 5 March 08:30Z); 5 March 09:00Z is not.
    assert [slot["start_utc"] for slot in body["slots"]] == ["2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z"]


def test_a_range_of_exactly_62_days_is_allowed(client, make_user, bearer, freeze_api_now):
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **PLAIN)
    body = slots(client, bearer(make_user()), volunteer.id, tz="UTC", **{"from": "2026-03-01", "to": "2026-05-02"})
    # 63 dates, but the 60-day horizon ends on 30 April 00:00Z: 1 March..29 April.
    assert len(body["slots"]) == 60


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"from": "0001-01-01", "to": "0001-01-05"}, 0),
        ({"from": "9999-12-30"}, 0),
        ({"from": "9999-12-01", "to": "9999-12-31"}, 0),
        ({"from": "1900-01-01", "to": "1900-03-01"}, 0),
        ({"from": "2025-12-31", "to": "2026-03-01"}, 1),  # only 1 March 09:00Z is still ahead
    ],
)
def test_far_away_dates_are_valid_and_empty(client, make_user, bearer, freeze_api_now, dates, expected):
    # Speed is measured in bench/, not asserted here (timed assertions flake on a busy machine).
    freeze_api_now(NOW)
    volunteer = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY_9_TO_10, **PLAIN)
    body = slots(client, bearer(make_user()), volunteer.id, tz="Pacific/Kiritimati", **dates)
    assert len(body["slots"]) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"tz": "asia/kathmandu"}, "tz"),  # zone names are case-sensitive
        ({"tz": "+05:45"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"tz": "Asia/Kathmandu\x00"}, "tz"),
        ({"from": "2026-3-1"}, "from"),
        ({"from": "20260301"}, "from"),
        ({"from": "2026-W10-1"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-03-01T00:00"}, "from"),
        ({"from": "tomorrow"}, "from"),
        ({"from": "٢٠٢٦-٠٣-٠١"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"to": "0000-01-01"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-09"}, "to"),
        ({"from": "2026-03-01", "to": "2026-05-03"}, "to"),  # 63 days apart
        ({"from": "0001-01-01", "to": "9999-12-31"}, "to"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, make_user, bearer, cairo_volunteer, query, field):
    response = client.get(f"/api/v1/volunteers/{cairo_volunteer.id}/slots", headers=bearer(make_user()), query_string=query)
    error = assert_error(response, 422, "validation_error", field=field)
    assert field in error["message"]


def test_unknown_pending_paused_and_non_volunteer_ids_are_404(client, make_user, bearer):
    pending = make_user("volunteer", approved=False, rules=EVERY_DAY_9_TO_10)
    paused = make_user("volunteer", state="paused", rules=EVERY_DAY_9_TO_10)
    learner = make_user("learner")
    headers = bearer(make_user())
    for volunteer_id in (pending.id, paused.id, learner.id, 0, 999_999, 2**31, 10**30):
        response = client.get(f"/api/v1/volunteers/{volunteer_id}/slots", headers=headers)
        assert_error(response, 404, "not_found")
    assert_error(client.get("/api/v1/volunteers/-1/slots", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/volunteers/abc/slots", headers=headers), 404, "not_found")
