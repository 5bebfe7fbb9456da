"""Minors see and book only volunteers cleared for minors (SPEC §7 "Minors", issue 19): every path that offers or books.

One rule (``services.clearance``; under the booking lock
``safeguarding.check_may_book``), one test per path: the booking service, a
series, a group seat, the waitlist, a reschedule (by either party), the API
(list, slots, booking), the search page (plain and free-time), find-a-time,
the profile, week, booking and series pages, the coordinator's page (record,
remove, audit), the overview's reminder and the expiry round, and the CLI.
A clearance's ``expires_on`` is its *last valid day*, a UTC date (like
training): it counts through that day and not after. SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from tutoring.booking.errors import GuardianConsentRequired, VolunteerNotCleared
from tutoring.booking.operations import book_session, reschedule_booking
from tutoring.booking.series import book_series
from tutoring.booking.slots import slots_in_range
from tutoring.booking.waitlist import ask, check_waitlists
from tutoring.extensions import db
from tutoring.models import (
    AuditEntry,
    AvailabilityRule,
    Booking,
    Clearance,
    GuardianConsent,
    OutboxMessage,
    User,
    VolunteerProfile,
    WaitlistRequest,
)
from tutoring.services.minors import clearance
from tutoring.services.coordinators.coordination import clearance_expiry_round, mark_cleared, remove_clearance
from tutoring.services.discovery.find_time import FindRequest, find_volunteers
from tutoring.services.discovery.search import SearchFilters, matching_ids, matching_page
from tutoring.timeutil import utcnow

# Monday 7 January 2030, 08:00 UTC; the volunteers (Europe/London, UTC in winter) offer Tuesdays 10:00-12:00.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 11, 0, tzinfo=UTC)
TUESDAYS = [(1, "10:00", "12:00")]
EVERY_DAY = [(weekday, "00:00", "23:00") for weekday in range(7)]

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Coco Coordinator")


@pytest.fixture
def uncleared(make_user):
    return make_user("volunteer", name="Una Uncleared", rules=EVERY_DAY, min_notice_hours=0)


@pytest.fixture
def cleared(app, make_user):
    volunteer = make_user("volunteer", name="Clara Cleared", rules=EVERY_DAY, min_notice_hours=0)
    with app.app_context():
        mark_cleared(None, volunteer.id, checked_on=date(2020, 1, 1))
    return volunteer


@pytest.fixture
def make_minor(app, make_user):
    """A learner under 18 whose guardian consented (``consented=False``: still waiting)."""

    def make(consented: bool = True, **fields) -> User:
        learner = make_user("learner", **fields)
        with app.app_context():
            user = db.session.get(User, learner.id)
            user.is_minor = True
            db.session.add(GuardianConsent(learner_id=user.id, guardian_email=f"guardian{user.id}@example.net",
                                           status="consented" if consented else "pending"))
            db.session.commit()
        return learner

    return make


def refused(call) -> VolunteerNotCleared:
    with pytest.raises(VolunteerNotCleared) as caught:
        call()
    assert caught.value.code == "volunteer_not_cleared" and caught.value.status == 409
    return caught.value


def first_start(app, volunteer_id: int) -> datetime:
    with app.app_context():
        now = utcnow()
        return slots_in_range(db.session.get(VolunteerProfile, volunteer_id), now, now + timedelta(days=8), now)[0].start_at


# --- the booking service and what builds on it ---------------------------------------------------


def test_a_minor_books_only_cleared_volunteers_and_adults_anyone(app, make_user, make_minor, uncleared, cleared):
    minor, adult = make_minor(), make_user("learner")
    with app.app_context():
        refused(lambda: book_session(minor.id, uncleared.id, TUE_10, "tutoring", now=NOW))
        assert book_session(minor.id, cleared.id, TUE_10, "tutoring", now=NOW).status == "confirmed"
        assert book_session(adult.id, uncleared.id, TUE_11, "tutoring", now=NOW).status == "confirmed"


def test_a_minor_without_consent_books_nobody(app, make_minor, cleared):
    minor = make_minor(consented=False)
    with app.app_context(), pytest.raises(GuardianConsentRequired) as caught:
        book_session(minor.id, cleared.id, TUE_10, "tutoring", now=NOW)
    assert (caught.value.code, caught.value.status) == ("guardian_consent_required", 403)


def test_a_clearance_counts_through_its_last_day_and_not_after(app, make_minor, uncleared, coordinator):
    minor = make_minor()
    with app.app_context():
        mark_cleared(db.session.get(User, coordinator.id), uncleared.id, checked_on=date(2029, 1, 1),
                     expires_on=date(2030, 1, 6))
        refused(lambda: book_session(minor.id, uncleared.id, TUE_10, "tutoring", now=NOW))  # ended yesterday
        assert clearance.is_cleared(uncleared.id, date(2030, 1, 6))
        assert not clearance.is_cleared(uncleared.id, date(2030, 1, 7))
        mark_cleared(db.session.get(User, coordinator.id), uncleared.id, checked_on=date(2029, 1, 1),
                     expires_on=date(2030, 1, 7))
        assert book_session(minor.id, uncleared.id, TUE_10, "tutoring", now=NOW).status == "confirmed"


def test_a_series_with_an_uncleared_volunteer_is_refused(app, make_minor, uncleared, cleared):
    minor = make_minor()
    with app.app_context():
        refused(lambda: book_series(minor.id, uncleared.id, TUE_10, 3, "tutoring", now=NOW))
        assert len(book_series(minor.id, cleared.id, TUE_10, 3, "tutoring", now=NOW).bookings) == 3


def test_a_seat_in_a_group_needs_clearance_when_it_is_taken(app, make_user, make_minor, coordinator):
    volunteer = make_user("volunteer", rules=TUESDAYS, min_notice_hours=0)
    minor, other = make_minor(), make_minor()
    with app.app_context():
        mark_cleared(None, volunteer.id, checked_on=date(2020, 1, 1))
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = 3
        db.session.commit()
        seat = book_session(minor.id, volunteer.id, TUE_10, "tutoring", now=NOW)
        assert seat.session.capacity == 3
        remove_clearance(db.session.get(User, coordinator.id), volunteer.id)
        refused(lambda: book_session(other.id, volunteer.id, TUE_10, "tutoring", now=NOW))
        assert db.session.get(Booking, seat.id).status == "confirmed"  # existing bookings stay


def test_a_minor_cant_wait_for_an_uncleared_volunteer_nor_hear_of_one_no_longer_cleared(
        app, make_minor, uncleared, cleared, coordinator):
    minor = make_minor(timezone="Europe/London")
    with app.app_context():
        refused(lambda: ask(db.session.get(User, minor.id), uncleared.id, 17 * 60, 19 * 60, now=NOW))
        request = ask(db.session.get(User, minor.id), cleared.id, 0, 23 * 60, now=NOW)
        db.session.get(WaitlistRequest, request.id).told_starts = []  # every time is news again
        db.session.commit()
        remove_clearance(db.session.get(User, coordinator.id), cleared.id)
        assert check_waitlists([cleared.id], now=NOW) == 0
        mark_cleared(None, cleared.id, checked_on=date(2020, 1, 1))
        assert check_waitlists([cleared.id], now=NOW) == 1


def test_a_move_after_the_clearance_ends_is_refused_for_either_party(app, make_minor, cleared, coordinator):
    minor = make_minor()
    with app.app_context():
        booking_id = book_session(minor.id, cleared.id, TUE_10, "tutoring", now=NOW).id
        remove_clearance(db.session.get(User, coordinator.id), cleared.id)
        refused(lambda: reschedule_booking(minor.id, booking_id, TUE_11, now=NOW))
        refused(lambda: reschedule_booking(cleared.id, booking_id, TUE_11, now=NOW))
        assert db.session.get(Booking, booking_id).status == "confirmed"


# --- the API ------------------------------------------------------------------------------------


def test_the_api_shows_a_minor_only_cleared_volunteers_and_refuses_the_others(
        app, client, bearer, make_user, make_minor, uncleared, cleared):
    minor, adult = make_minor(), make_user("learner")
    as_minor, as_adult = bearer(minor), bearer(adult)
    assert [v["id"] for v in client.get("/api/v1/volunteers", headers=as_minor).get_json()] == [cleared.id]
    assert {v["id"] for v in client.get("/api/v1/volunteers", headers=as_adult).get_json()} == {cleared.id, uncleared.id}
    assert client.get(f"/api/v1/volunteers/{uncleared.id}/slots", headers=as_minor).status_code == 404
    assert client.get(f"/api/v1/volunteers/{cleared.id}/slots", headers=as_minor).status_code == 200
    start = first_start(app, uncleared.id).isoformat()
    answer = client.post("/api/v1/bookings", headers=as_minor,
                         json={"volunteer_id": uncleared.id, "start": start, "kind": "tutoring"})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "volunteer_not_cleared"
    answer = client.post("/api/v1/bookings", headers=as_minor,
                         json={"volunteer_id": cleared.id, "start": first_start(app, cleared.id).isoformat(),
                               "kind": "tutoring"})
    assert answer.status_code == 201, answer.get_json()


def test_a_series_through_the_api_is_refused_with_an_uncleared_volunteer(app, client, bearer, make_minor, uncleared):
    start = first_start(app, uncleared.id).isoformat()
    answer = client.post("/api/v1/series", headers=bearer(make_minor()),
                         json={"volunteer_id": uncleared.id, "start": start, "weeks": 3, "kind": "tutoring"})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "volunteer_not_cleared"


def test_the_reschedule_page_offers_a_minor_no_times_of_a_volunteer_no_longer_cleared(
        app, client, sign_in, make_minor, cleared, coordinator):
    minor = make_minor()
    with app.app_context():
        booking_id = book_session(minor.id, cleared.id, first_start(app, cleared.id), "tutoring").id
    sign_in(minor)
    assert client.get(f"/bookings/{booking_id}/reschedule").status_code == 200
    with app.app_context():
        remove_clearance(db.session.get(User, coordinator.id), cleared.id)
    assert client.get(f"/bookings/{booking_id}/reschedule").status_code == 404
    assert client.get(f"/bookings/{booking_id}").status_code == 200  # the booking itself stays theirs to see


def test_the_api_answers_403_until_the_guardian_consents(app, client, bearer, make_minor, cleared):
    waiting = make_minor(consented=False)
    answer = client.post("/api/v1/bookings", headers=bearer(waiting),
                         json={"volunteer_id": cleared.id, "start": first_start(app, cleared.id).isoformat(),
                               "kind": "tutoring"})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "guardian_consent_required"


# --- pages --------------------------------------------------------------------------------------


def test_the_search_shows_a_minor_only_cleared_volunteers(app, client, sign_in, make_minor, uncleared, cleared):
    assert "Una Uncleared" in client.get("/").get_data(as_text=True)  # visitors and adults see everyone
    sign_in(make_minor())
    for url in ("/", "/?subject=", "/?kind=tutoring", f"/?from={utcnow().date().isoformat()}", "/?time_from=00:00&time_to=24:00"):
        html = client.get(url).get_data(as_text=True)
        assert "Clara Cleared" in html and "Una Uncleared" not in html, url
    with app.app_context():
        assert matching_ids(SearchFilters(minor=True)) == [cleared.id]
        assert matching_page(SearchFilters(minor=True), 0, 10) == ([cleared.id], 1)
        assert matching_page(SearchFilters(), 0, 10)[1] == 2


def test_find_a_time_offers_a_minor_only_cleared_volunteers(app, client, sign_in, make_minor, uncleared, cleared):
    wanted = FindRequest(cells=frozenset((d, h) for d in range(7) for h in range(24)), first_day=date(2030, 1, 7))
    with app.app_context():
        assert [m.volunteer.id for m in find_volunteers(wanted, "UTC", NOW, minor=True).matches] == [cleared.id]
        assert {m.volunteer.id for m in find_volunteers(wanted, "UTC", NOW).matches} == {cleared.id, uncleared.id}
    sign_in(make_minor())
    html = client.get("/find", query_string={"cells": [f"{d}-{h}" for d in range(7) for h in range(24)]}).get_data(
        as_text=True)
    assert "Una Uncleared" not in html


def test_an_uncleared_volunteers_pages_are_not_found_for_a_minor(app, client, sign_in, make_minor, uncleared, cleared):
    sign_in(make_minor())
    start = first_start(app, uncleared.id).strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in (f"/volunteers/{uncleared.id}", f"/volunteers/{uncleared.id}/book?start={start}",
                 f"/volunteers/{uncleared.id}/series?start={start}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/volunteers/{uncleared.id}/book?start={start}", data={"kind": "tutoring"}).status_code == 404
    assert client.post(f"/volunteers/{uncleared.id}/waitlist", data={"from": "17:00", "to": "19:00"}).status_code == 404
    assert client.get(f"/volunteers/{cleared.id}").status_code == 200
    start = first_start(app, cleared.id).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"/volunteers/{cleared.id}/book?start={start}").status_code == 200


def test_the_booking_page_says_why_a_minor_waiting_for_consent_cant_book(app, client, sign_in, make_minor, cleared):
    sign_in(make_minor(consented=False))
    start = first_start(app, cleared.id).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = client.get(f"/volunteers/{cleared.id}/book?start={start}").get_data(as_text=True)
    assert "Waiting for your parent or guardian" in page and "Send the email again" in page
    answer = client.post(f"/volunteers/{cleared.id}/book?start={start}", data={"kind": "tutoring"})
    assert answer.status_code == 403
    assert "once your parent or guardian has agreed" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking.id)) is None


# --- coordinators --------------------------------------------------------------------------------


def test_a_coordinator_records_and_removes_a_clearance_from_the_volunteers_page(
        app, client, sign_in, uncleared, coordinator):
    sign_in(coordinator)
    assert "Not cleared for minors." in client.get(f"/coordinator/volunteers/{uncleared.id}").get_data(as_text=True)
    answer = client.post(f"/coordinator/volunteers/{uncleared.id}/clearance",
                         data={"checked_on": "2030-01-02", "expires_on": "2031-01-01", "note": "Checked by the council"})
    assert answer.status_code == 302
    with app.app_context():
        record = db.session.get(Clearance, uncleared.id)
        assert (record.checked_on, record.expires_on, record.checked_by_id) == (
            date(2030, 1, 2), date(2031, 1, 1), coordinator.id)
    page = client.get(f"/coordinator/volunteers/{uncleared.id}").get_data(as_text=True)
    assert "Checked by the council" in page and "Clearance for minors recorded" in page
    client.post(f"/coordinator/volunteers/{uncleared.id}/clearance", data={"action": "remove"})
    with app.app_context():
        assert db.session.get(Clearance, uncleared.id) is None
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_user_id == uncleared.id)
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["clearance.mark", "clearance.remove"]


@pytest.mark.parametrize("form", [
    {"checked_on": "not a date"},
    {"checked_on": "2030-01-02", "expires_on": "2029-01-01"},
    {"checked_on": "2030-01-02", "note": "x" * 1001},
    {"action": "remove"},  # nothing to remove
])
def test_bad_clearance_forms_get_a_message_not_a_500(client, sign_in, uncleared, coordinator, form):
    sign_in(coordinator)
    answer = client.post(f"/coordinator/volunteers/{uncleared.id}/clearance", data=form)
    assert answer.status_code in (404, 422)
    if answer.status_code == 422:
        assert 'role="alert"' in answer.get_data(as_text=True)


def test_only_coordinators_record_clearances(client, sign_in, uncleared, cleared):
    sign_in(cleared)
    assert client.post(f"/coordinator/volunteers/{uncleared.id}/clearance",
                       data={"checked_on": "2030-01-02"}).status_code == 403


@pytest.mark.app_config()  # CSRF on, as in production
def test_the_clearance_form_needs_its_csrf_token(client, sign_in, uncleared, coordinator):
    sign_in(coordinator)
    assert client.post(f"/coordinator/volunteers/{uncleared.id}/clearance",
                       data={"checked_on": "2030-01-02"}).status_code == 400


def test_a_clearance_ending_within_a_month_is_on_the_overview(app, client, sign_in, uncleared, coordinator):
    today = utcnow().date()
    with app.app_context():
        mark_cleared(None, uncleared.id, checked_on=today - timedelta(days=300), expires_on=today + timedelta(days=20))
    sign_in(coordinator)
    html = client.get("/coordinator/").get_data(as_text=True)
    assert "Clearances for minors ending soon" in html and "Una Uncleared" in html
    with app.app_context():
        assert [e.volunteer.user_id for e in clearance.ending_soon(NOW.replace(year=today.year + 5))] == []
        mark_cleared(None, uncleared.id, checked_on=today - timedelta(days=300), expires_on=today + timedelta(days=40))
    assert "Clearances for minors ending soon" not in client.get("/coordinator/").get_data(as_text=True)


def test_when_a_clearance_ends_minors_stop_seeing_them_and_coordinators_are_told_once(
        app, make_minor, uncleared, coordinator):
    minor = make_minor()
    with app.app_context():
        mark_cleared(None, uncleared.id, checked_on=date(2029, 1, 1), expires_on=date(2030, 1, 7))
        booked = book_session(minor.id, uncleared.id, TUE_10, "tutoring", now=NOW).id
        assert clearance_expiry_round(NOW) == 0  # its last day: still valid
        later = NOW + timedelta(days=1)  # 8 January: it ended
        assert clearance_expiry_round(later) == 1
        assert clearance_expiry_round(later + timedelta(hours=1)) == 0  # told once
        mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == coordinator.email)).all()
        assert len(mails) == 1
        body = message_from_bytes(mails[0].message, policy=default_policy).get_body(("plain",)).get_content()
        assert "Una Uncleared (2030-01-07)" in body
        assert db.session.get(Booking, booked).status == "confirmed"  # existing bookings stay
        assert not clearance.is_cleared(uncleared.id, later.date())
        assert db.session.scalars(clearance.cleared_ids(later.date())).all() == []
        refused(lambda: book_session(minor.id, uncleared.id, TUE_11 + timedelta(days=1), "tutoring", now=later))
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "clearance.expired"))


def test_the_worker_runs_the_expiry_round(app, make_user, uncleared, coordinator):
    from tutoring.worker import Worker

    with app.app_context():
        mark_cleared(None, uncleared.id, checked_on=date(2020, 1, 1), expires_on=date(2020, 12, 31))
        Worker(app, worker_id="test").housekeeping()
        assert db.session.get(Clearance, uncleared.id).expiry_told_on == date(2020, 12, 31)


# --- the CLI ------------------------------------------------------------------------------------


def test_the_cli_creates_and_clears_volunteers(app, runner):
    made = runner.invoke(args=["users", "create", "cleared@example.org", "--role", "volunteer", "--name", "C",
                               "--timezone", "UTC", "--approved", "--cleared-for-minors"],
                         input="a long enough password\n")
    assert made.exit_code == 0, made.output
    other = runner.invoke(args=["users", "create", "later@example.org", "--role", "volunteer", "--name", "L",
                                "--timezone", "UTC", "--approved"], input="a long enough password\n")
    assert other.exit_code == 0, other.output
    with app.app_context():
        assert clearance.is_cleared(User.by_email("cleared@example.org").id)
        assert not clearance.is_cleared(User.by_email("later@example.org").id)
    done = runner.invoke(args=["users", "clear", "later@example.org", "--until", "2999-12-31"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        record = db.session.get(Clearance, User.by_email("later@example.org").id)
        assert record.expires_on == date(2999, 12, 31) and record.checked_by_id is None
    assert runner.invoke(args=["users", "clear", "nobody@example.org"]).exit_code != 0
    refused = runner.invoke(args=["users", "create", "x@example.org", "--role", "learner", "--name", "X",
                                  "--timezone", "UTC", "--cleared-for-minors"], input="a long enough password\n")
    assert refused.exit_code != 0
