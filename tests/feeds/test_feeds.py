"""GET /calendar/<token>.ics (SPEC §5) and the page that shows and rotates the address."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import update

from tests.notices.test_outbox_support import (  # noqa: F401  (fixtures)
    NOW,
    SECRET_NOTE,
    SUPPORT_WORDS,
    TUE_10,
    TUE_11,
    events_by_parser,
    pair,
    the_same_events,
)
from tutoring.extensions import db
from tutoring.feeds.service import day_start, feed_cache
from tutoring.models import Booking, User
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.services.notices.meeting import meeting_url_for
from tutoring.timeutil import utcnow


@pytest.fixture(autouse=True)
def _fresh_cache():
    feed_cache.clear()
    yield
    feed_cache.clear()


def token_of(app, user) -> str:
    with app.app_context():
        return db.session.get(User, user.id).calendar_token


def book(app, learner, volunteer, start=TUE_10, kind="tutoring", note=SECRET_NOTE) -> int:
    with app.app_context():
        return book_session(learner.id, volunteer.id, start, kind, note, now=NOW).id


def unfolded(body: bytes) -> bytes:
    """The feed with folded lines joined (RFC 5545 §3.1), so a search can't miss a string split by folding."""
    return body.replace(b"\r\n ", b"").replace(b"\r\n\t", b"")


def test_the_feed_holds_the_owners_sessions_as_volunteer_and_as_learner(app, client, pair):
    volunteer, learner = pair
    first = book(app, learner, volunteer, TUE_10)
    book(app, learner, volunteer, TUE_11)
    with app.app_context():
        cancel_booking(learner.id, first, now=NOW)
    for owner in (volunteer, learner):
        response = client.get(f"/calendar/{token_of(app, owner)}.ics")
        assert response.status_code == 200
        events = the_same_events(response.data)
        assert [(e.start, e.end, e.status) for e in events] == [
            (TUE_10, TUE_10 + timedelta(minutes=45), "CANCELLED"),
            (TUE_11, TUE_11 + timedelta(minutes=45), "CONFIRMED"),
        ]
        assert b"METHOD" not in response.data  # a published calendar, not an invitation


def test_the_feed_is_in_the_owners_language_with_names_and_meeting_links(app, client, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    body = unfolded(client.get(f"/calendar/{token_of(app, volunteer)}.ics").data).decode()
    assert "X-WR-CALNAME:جلسات الدروس" in body  # Amira reads Arabic
    assert "SUMMARY:درس مع Maya" in body
    with app.app_context():
        link = meeting_url_for(db.session.get(Booking, booking_id))
    assert f"LOCATION:{link}" in body and f"URL:{link}" in body
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body and "X-PUBLISHED-TTL:PT1H" in body
    english = unfolded(client.get(f"/calendar/{token_of(app, learner)}.ics").data).decode()
    assert "X-WR-CALNAME:Tutoring sessions" in english
    assert "SUMMARY:Tutoring with Amira Hassan" in english


def test_headers_say_what_it_is_how_long_to_keep_it_and_how_to_revalidate(app, client, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    response = client.get(f"/calendar/{token_of(app, learner)}.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/
    assert re.fullmatch(r"private, max-age=\d+", response.headers["Cache-Control"])
    assert response.last_modified is not None
    assert "Set-Cookie" not in response.headers


def test_a_matching_if_none_match_gets_304_and_nothing_else_does(app, client, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    path = f"/calendar/{token_of(app, learner)}.ics"
    first = client.get(path)
    etag = first.headers["ETag"]
    not_modified = client.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert not_modified.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert client.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    late = format_datetime(utcnow(), usegmt=True)
    assert client.get(path, headers={"If-None-Match": '"x"', "If-Modified-Since": late}).status_code == 200


def test_if_modified_since_gets_304_unless_older_than_last_modified(app, client, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    path = f"/calendar/{token_of(app, learner)}.ics"
    last_modified = client.get(path).last_modified
    assert last_modified >= day_start(utcnow())
    same = format_datetime(last_modified, usegmt=True)
    older = format_datetime(last_modified - timedelta(seconds=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": same}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": older}).status_code == 200
    future = format_datetime(utcnow() + timedelta(days=2), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": future}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_the_etag_stays_while_nothing_changes_and_changes_with_any_change(app, client, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer)
    path = f"/calendar/{token_of(app, volunteer)}.ics"
    first = client.get(path)
    feed_cache.clear()  # rendered again from scratch: the same bytes
    again = client.get(path)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    with app.app_context():
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
    moved = client.get(path)
    assert moved.headers["ETag"] != first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    [event] = the_same_events(moved.data)
    assert (event.start, event.sequence) == (TUE_11, 1)
    # A change without a new instant of its own (a renamed learner) changes the bytes too.
    with app.app_context():
        db.session.execute(update(User).where(User.id == learner.id).values(display_name="Maya R."))
        db.session.commit()
    renamed = client.get(path)
    assert renamed.headers["ETag"] != moved.headers["ETag"] and b"Maya R." in renamed.data


def test_cancellations_stay_for_thirty_days_then_leave_the_feed(app, client, pair):
    volunteer, learner = pair
    old, recent = book(app, learner, volunteer, TUE_10), book(app, learner, volunteer, TUE_11)
    with app.app_context():
        cancel_booking(learner.id, old, now=NOW)
        cancel_booking(learner.id, recent, now=NOW)
        db.session.execute(
            update(Booking).where(Booking.id == old).values(updated_at=day_start(utcnow()) - timedelta(days=31))
        )
        db.session.commit()
    events = the_same_events(client.get(f"/calendar/{token_of(app, learner)}.ics").data)
    assert [(e.start, e.status) for e in events] == [(TUE_11, "CANCELLED")]


def test_a_rotated_token_gets_404_and_the_new_one_works(app, client, pair):
    volunteer, learner = pair
    book(app, learner, volunteer)
    old = token_of(app, learner)
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    with app.app_context():
        new = db.session.get(User, learner.id).rotate_calendar_token()
        db.session.commit()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{old}.ics", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500, "%00", "..%2f..%2fetc", "é" * 43])
def test_unknown_or_malformed_tokens_get_404(client, pair, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_closed_accounts_feed_is_gone(app, client, pair):
    volunteer, learner = pair
    token = token_of(app, learner)
    with app.app_context():
        db.session.execute(update(User).where(User.id == learner.id).values(is_active=False))
        db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_no_note_and_no_support_topic_anywhere_in_a_feed(app, client, pair):
    volunteer, learner = pair
    booking_id = book(app, learner, volunteer, kind="support")
    with app.app_context():
        cancel_booking(learner.id, booking_id, reason="SECRET-REASON-4410", now=NOW)
    book(app, learner, volunteer, TUE_11, kind="support")
    for owner in (volunteer, learner):
        raw = client.get(f"/calendar/{token_of(app, owner)}.ics").data
        for data in (raw, unfolded(raw)):
            assert b"SECRET" not in data
            for word in SUPPORT_WORDS:
                assert word.encode() not in data
        assert b"mailto:" not in raw and b"@example.org" not in raw  # no addresses either


def test_the_dst_day_session_is_read_at_its_booked_instant_by_every_parser(app, client, make_user):
    # New York springs forward on Sunday 10 March 2030: a window 00:30-04:00
    # local is 05:30Z-08:00Z, and its second slot (01:30 EST) runs across the gap.
    volunteer = make_user("volunteer", timezone="America/New_York", rules=[(6, "00:30", "04:00")],
                          session_minutes=45, buffer_minutes=15)
    learner = make_user("learner", timezone="Asia/Kathmandu")
    start = datetime(2030, 3, 10, 6, 30, tzinfo=UTC)
    with app.app_context():
        book_session(learner.id, volunteer.id, start, "mentoring", "", now=datetime(2030, 3, 1, tzinfo=UTC))
    parsed = events_by_parser(client.get(f"/calendar/{token_of(app, volunteer)}.ics").data)
    for parser, events in parsed.items():
        assert [(e.start, e.end) for e in events] == [(start, start + timedelta(minutes=45))], parser


def test_many_requests_for_one_feed_are_limited(make_app, pair):
    app = make_app(RATELIMIT_ENABLED=True, FEED_LIMIT="3 per minute")
    client = app.test_client()
    volunteer, learner = pair
    path = f"/calendar/{token_of(app, learner)}.ics"
    assert [client.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]
    # Another person's feed has its own budget.
    assert client.get(f"/calendar/{token_of(app, volunteer)}.ics").status_code == 200


def test_unknown_tokens_from_one_address_do_not_lock_that_address_out_of_valid_feeds(make_app, pair):
    """Issue 21: 30 misses from a shared IP (a school, a café) used to answer 429 to everyone's real feeds too."""
    app = make_app(RATELIMIT_ENABLED=True, FEED_MISS_LIMIT="3 per minute", FEED_LIMIT="100 per minute")
    client = app.test_client()
    _volunteer, learner = pair
    misses = [client.get(f"/calendar/{'x' * 43}{n}.ics").status_code for n in range(5)]
    assert misses == [404, 404, 404, 429, 429]  # guessing is still slowed down
    assert client.get(f"/calendar/{token_of(app, learner)}.ics").status_code == 200


def test_the_http_cache_lifetime_and_the_feeds_refresh_interval_agree(client, pair):
    from tutoring.calendar.feed import REFRESH

    _volunteer, learner = pair
    response = client.get(f"/calendar/{token_of(client.application, learner)}.ics")
    assert response.headers["Cache-Control"] == f"private, max-age={int(REFRESH.total_seconds())}"
    assert f"REFRESH-INTERVAL;VALUE=DURATION:PT{int(REFRESH.total_seconds()) // 3600}H" in response.get_data(as_text=True)


# --- the calendar page -----------------------------------------------------------


def csrf_token(client, path: str = "/me/calendar") -> str:
    body = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def test_the_calendar_page_needs_an_account(client):
    response = client.get("/me/calendar")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/me/calendar/rotate").status_code in (302, 400)


def test_the_page_shows_the_address_as_https_and_webcal(make_app, make_user):
    app = make_app(BASE_URL="https://tutoring.example.org")
    user = make_user("learner")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    token = token_of(app, user)
    page = client.get("/me/calendar").get_data(as_text=True)
    assert f'value="https://tutoring.example.org/calendar/{token}.ics"' in page
    assert f'href="webcal://tutoring.example.org/calendar/{token}.ics"' in page
    assert "Keep this address private" in page


def test_rotating_needs_the_csrf_token_and_then_replaces_the_address(app, client, make_user, sign_in):
    user = make_user("learner")
    sign_in(user)
    old = token_of(app, user)
    assert client.post("/me/calendar/rotate").status_code == 400
    assert token_of(app, user) == old
    response = client.post("/me/calendar/rotate", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/calendar")
    new = token_of(app, user)
    assert new != old and len(new) >= 43
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "The old address no longer works" in page and new in page and old not in page
    assert client.get(f"/calendar/{old}.ics").status_code == 404


def test_rotating_with_htmx_swaps_in_the_new_address(app, client, make_user, sign_in):
    user = make_user("learner", language="ar")
    sign_in(user)
    old = token_of(app, user)
    token = csrf_token(client)
    response = client.post(
        "/me/calendar/rotate",
        headers={"HX-Request": "true", "HX-Target": "calendar-feed", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="calendar-feed"')
    assert "<html" not in body and "العنوان القديم لم يعد يعمل" in body
    assert token_of(app, user) in body and old not in body
    assert "HX-Request" in response.headers["Vary"]


def test_the_calendar_page_says_what_the_feed_does_with_cancelled_sessions(make_app, make_user):
    """Issue 21: the page said cancelled sessions disappear; the feed keeps them FEED_CANCELLED_DAYS as cancelled."""
    app = make_app(FEED_CANCELLED_DAYS=12)
    user = make_user("learner")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.get_id(), True
    body = client.get("/me/calendar").get_data(as_text=True)
    assert "disappear" not in body
    assert "A cancelled session stays in it for 12 days, marked as cancelled" in body
