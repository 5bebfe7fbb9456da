"""Trained listeners only (SPEC §7 "Training", issue 18): one rule, every path that offers or books a kind.

A kind in ``KINDS_NEEDING_TRAINING`` (default `support`) is offered by a
volunteer only while a coordinator has them marked trained for it (through
its last day). Each test below covers one path: the booking service, a
series, a group seat, the waitlist, a reschedule (by either party), the API
(list and booking), the search page, the profile and booking pages,
find-a-time, the coordinator's page (mark, remove, audit), the volunteer's
dashboard, the setting itself and the CLI. SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tutoring.booking.errors import VolunteerNotTrained
from tutoring.booking.operations import book_session, reschedule_booking
from tutoring.booking.series import book_series
from tutoring.booking.waitlist import ask
from tutoring.extensions import db
from tutoring.booking.slots import slots_in_range
from tutoring.models import AuditEntry, AvailabilityRule, Booking, TrainingRecord, User, VolunteerProfile
from tutoring.timeutil import utcnow
from tutoring.services.coordinators.coordination import bookable_kinds, mark_trained, remove_training
from tutoring.services.discovery.find_time import FindRequest, find_volunteers
from tutoring.services.discovery.search import SearchFilters, matching_ids

# Monday 7 January 2030, 08:00 UTC. The volunteers (Europe/London, UTC in
# winter) offer Tuesdays 10:00-12:00: slots at 10:00 and 11:00 on 8 January.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TUE_10 = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
TUE_11 = datetime(2030, 1, 8, 11, 0, tzinfo=UTC)
TUESDAYS = [(1, "10:00", "12:00")]
EVERY_DAY = [(weekday, "00:00", "23:00") for weekday in range(7)]

pytestmark = pytest.mark.app_config(WTF_CSRF_ENABLED=False)


@pytest.fixture
def untrained(make_user):
    return make_user("volunteer", name="Uma Untrained", timezone="Europe/London", rules=TUESDAYS, trained=(),
                     min_notice_hours=0)


@pytest.fixture
def trained(make_user):
    return make_user("volunteer", name="Tariq Trained", timezone="Europe/London", rules=TUESDAYS,
                     min_notice_hours=0)


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Coco Coordinator")


def refused(call) -> VolunteerNotTrained:
    with pytest.raises(VolunteerNotTrained) as caught:
        call()
    assert caught.value.code == "volunteer_not_trained" and caught.value.status == 409
    return caught.value


# --- the booking service and what builds on it ---------------------------------------------------


def test_an_untrained_volunteer_cant_be_booked_for_support_but_can_for_other_kinds(app, make_user, untrained, trained):
    learner = make_user("learner")
    with app.app_context():
        refused(lambda: book_session(learner.id, untrained.id, TUE_10, "support", now=NOW))
        assert book_session(learner.id, untrained.id, TUE_10, "tutoring", now=NOW).status == "confirmed"
        assert book_session(learner.id, trained.id, TUE_11, "support", now=NOW).status == "confirmed"


def test_training_counts_through_its_last_day_and_not_after(app, make_user, untrained, coordinator):
    learner = make_user("learner")
    with app.app_context():
        mark_trained(db.session.get(User, coordinator.id), untrained.id, "support",
                     trained_on=date(2029, 1, 1), expires_on=date(2030, 1, 6))
        refused(lambda: book_session(learner.id, untrained.id, TUE_10, "support", now=NOW))  # expired yesterday
        assert bookable_kinds(untrained.id, ["support"], day=date(2030, 1, 6)) == ["support"]
        assert bookable_kinds(untrained.id, ["support"], day=date(2030, 1, 7)) == []
        mark_trained(db.session.get(User, coordinator.id), untrained.id, "support",
                     trained_on=date(2029, 1, 1), expires_on=date(2030, 1, 7))
        assert book_session(learner.id, untrained.id, TUE_10, "support", now=NOW).status == "confirmed"


def test_a_series_with_an_untrained_volunteer_is_refused(app, make_user, untrained):
    learner = make_user("learner")
    with app.app_context():
        refused(lambda: book_series(learner.id, untrained.id, TUE_10, 3, "support", now=NOW))


def test_a_seat_in_a_support_group_needs_training_when_it_is_taken(app, make_user, coordinator):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=TUESDAYS, min_notice_hours=0)
    first, second = make_user("learner"), make_user("learner")
    with app.app_context():
        for rule in db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.volunteer_id == volunteer.id)):
            rule.capacity = 3
        db.session.commit()
        seat = book_session(first.id, volunteer.id, TUE_10, "support", now=NOW)
        assert seat.session.capacity == 3
        remove_training(db.session.get(User, coordinator.id), volunteer.id, "support")
        refused(lambda: book_session(second.id, volunteer.id, TUE_10, "support", now=NOW))
        # The seat already taken stays (existing bookings are not touched).
        assert db.session.get(Booking, seat.id).status == "confirmed"


def test_the_waitlist_of_a_volunteer_with_nothing_bookable_is_refused(app, make_user):
    only_support = make_user("volunteer", timezone="Europe/London", rules=TUESDAYS, kinds=["support"], trained=())
    learner = make_user("learner", timezone="Europe/London")
    with app.app_context():
        refused(lambda: ask(db.session.get(User, learner.id), only_support.id, 17 * 60, 19 * 60, now=NOW))


def test_a_move_after_training_is_removed_is_refused_for_either_party(app, make_user, trained, coordinator):
    learner = make_user("learner")
    with app.app_context():
        booking_id = book_session(learner.id, trained.id, TUE_10, "support", now=NOW).id
        remove_training(db.session.get(User, coordinator.id), trained.id, "support")
        refused(lambda: reschedule_booking(learner.id, booking_id, TUE_11, now=NOW))
        refused(lambda: reschedule_booking(trained.id, booking_id, TUE_11, now=NOW))


@pytest.mark.app_config(KINDS_NEEDING_TRAINING="mentoring", WTF_CSRF_ENABLED=False)
def test_the_setting_names_the_kinds_that_need_training(app, make_user):
    volunteer = make_user("volunteer", timezone="Europe/London", rules=TUESDAYS, trained=(), min_notice_hours=0)
    learner = make_user("learner")
    with app.app_context():
        refused(lambda: book_session(learner.id, volunteer.id, TUE_10, "mentoring", now=NOW))
        assert book_session(learner.id, volunteer.id, TUE_11, "support", now=NOW).status == "confirmed"


def test_an_unknown_kind_in_the_setting_stops_the_app_starting(make_app):
    with pytest.raises(ValueError, match="dancing"):
        make_app(KINDS_NEEDING_TRAINING="support,dancing")


# --- the API ------------------------------------------------------------------------------------


def test_the_api_leaves_untrained_volunteers_out_of_support_and_refuses_to_book_them(
        client, bearer, make_user, untrained, trained):
    learner = make_user("learner")
    headers = bearer(learner)
    listed = client.get("/api/v1/volunteers?kind=support", headers=headers).get_json()
    assert [v["id"] for v in listed] == [trained.id]
    everyone = {v["id"]: v["kinds"] for v in client.get("/api/v1/volunteers", headers=headers).get_json()}
    assert "support" not in everyone[untrained.id] and "support" in everyone[trained.id]
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    answer = client.post("/api/v1/bookings", headers=headers,
                         json={"volunteer_id": untrained.id, "start": start, "kind": "support"})
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "volunteer_not_trained"


# --- pages --------------------------------------------------------------------------------------


def test_the_search_and_find_a_time_leave_untrained_volunteers_out_of_support(app, client, untrained, trained):
    html = client.get("/?kind=support").get_data(as_text=True)
    assert "Tariq Trained" in html and "Uma Untrained" not in html
    assert "Uma Untrained" in client.get("/?kind=tutoring").get_data(as_text=True)
    with app.app_context():
        assert matching_ids(SearchFilters(kind="support")) == [trained.id]
        wanted = FindRequest(cells=frozenset((d, h) for d in range(7) for h in range(24)),
                             first_day=date(2030, 1, 7), kind="support")
        assert [m.volunteer.id for m in find_volunteers(wanted, "UTC", NOW).matches] == [trained.id]


def test_the_profile_and_booking_pages_dont_offer_support_without_training(app, client, sign_in, make_user, untrained):
    sign_in(make_user("learner"))
    with app.app_context():
        now = utcnow()
        profile = db.session.get(VolunteerProfile, untrained.id)
        start = slots_in_range(profile, now, now + timedelta(days=8), now)[0].start_at
    profile = client.get(f"/volunteers/{untrained.id}").get_data(as_text=True)
    assert "Listening and support" not in profile and "Tutoring" in profile
    booking_page = client.get(f"/volunteers/{untrained.id}/book", query_string={"start": start.isoformat()})
    assert booking_page.status_code == 200
    assert 'value="support"' not in booking_page.get_data(as_text=True)
    assert 'value="tutoring"' in booking_page.get_data(as_text=True)
    series_page = client.get(f"/volunteers/{untrained.id}/series", query_string={"start": start.isoformat()})
    assert series_page.status_code == 200
    assert 'value="support"' not in series_page.get_data(as_text=True)


def test_a_coordinator_marks_a_volunteer_trained_and_removes_it_from_their_page(
        app, client, sign_in, make_user, untrained, coordinator):
    sign_in(coordinator)
    page = client.get(f"/coordinator/volunteers/{untrained.id}").get_data(as_text=True)
    assert "No training recorded." in page
    answer = client.post(f"/coordinator/volunteers/{untrained.id}/training",
                         data={"kind": "support", "trained_on": "2030-01-02", "expires_on": "2031-01-01",
                               "note": "Listening course, level 1"})
    assert answer.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.volunteer_id == untrained.id))
        assert (record.kind, record.trained_on, record.expires_on, record.trained_by_id) == (
            "support", date(2030, 1, 2), date(2031, 1, 1), coordinator.id)
        assert bookable_kinds(untrained.id, ["support"], day=date(2030, 6, 1)) == ["support"]
    page = client.get(f"/coordinator/volunteers/{untrained.id}").get_data(as_text=True)
    assert "Listening course, level 1" in page and "Training recorded" in page
    client.post(f"/coordinator/volunteers/{untrained.id}/training", data={"kind": "support", "action": "remove"})
    with app.app_context():
        assert bookable_kinds(untrained.id, ["support"], day=date(2030, 6, 1)) == []
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_user_id == untrained.id)
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["training.mark", "training.remove"]


@pytest.mark.parametrize("form", [
    {"kind": "support", "trained_on": "not a date"},
    {"kind": "support", "trained_on": "2030-01-02", "expires_on": "2029-01-01"},
    {"kind": "dancing", "trained_on": "2030-01-02"},
    {"kind": "support", "trained_on": "2030-01-02", "note": "x" * 1001},
])
def test_bad_training_forms_get_a_message_not_a_500(client, sign_in, untrained, coordinator, form):
    sign_in(coordinator)
    answer = client.post(f"/coordinator/volunteers/{untrained.id}/training", data=form)
    assert answer.status_code == 422 and 'role="alert"' in answer.get_data(as_text=True)


def test_only_coordinators_mark_training(client, sign_in, untrained, trained):
    sign_in(trained)
    answer = client.post(f"/coordinator/volunteers/{untrained.id}/training",
                         data={"kind": "support", "trained_on": "2030-01-02"})
    assert answer.status_code == 403


@pytest.mark.app_config()  # CSRF on, as in production
def test_the_training_form_needs_its_csrf_token(client, sign_in, untrained, coordinator):
    sign_in(coordinator)
    answer = client.post(f"/coordinator/volunteers/{untrained.id}/training",
                         data={"kind": "support", "trained_on": "2030-01-02"})
    assert answer.status_code == 400


def test_the_volunteers_dashboard_says_why_support_isnt_offered(app, client, sign_in, untrained, coordinator):
    sign_in(untrained)
    assert "needs training" in client.get("/me/").get_data(as_text=True)
    with app.app_context():
        mark_trained(db.session.get(User, coordinator.id), untrained.id, "support",
                     trained_on=date(2020, 1, 1), expires_on=date(2020, 12, 31))
    html = client.get("/me/").get_data(as_text=True)
    assert "Your training for" in html and "ended on" in html


@pytest.mark.parametrize("language", ["ar"])
def test_the_dashboard_says_it_in_arabic_too(client, sign_in, make_user, language):
    volunteer = make_user("volunteer", language=language, trained=())
    sign_in(volunteer)
    html = client.get("/me/").get_data(as_text=True)
    assert "training-notice" in html and "needs training" not in html


# --- the CLI ------------------------------------------------------------------------------------


def test_the_cli_creates_trained_volunteers_and_trains_them_later(app, runner):
    made = runner.invoke(args=["users", "create", "listener@example.org", "--role", "volunteer", "--name", "L",
                               "--timezone", "UTC", "--approved", "--trained", "support"],
                         input="a long enough password\n")
    assert made.exit_code == 0, made.output
    other = runner.invoke(args=["users", "create", "other@example.org", "--role", "volunteer", "--name", "O",
                                "--timezone", "UTC", "--approved"], input="a long enough password\n")
    assert other.exit_code == 0, other.output
    with app.app_context():
        listener, later = User.by_email("listener@example.org"), User.by_email("other@example.org")
        assert bookable_kinds(listener.id, ["support"]) == ["support"]
        assert bookable_kinds(later.id, ["support"]) == []
    trained = runner.invoke(args=["users", "train", "other@example.org", "--kind", "support", "--until", "2999-12-31"])
    assert trained.exit_code == 0, trained.output
    with app.app_context():
        assert bookable_kinds(User.by_email("other@example.org").id, ["support"]) == ["support"]
    assert runner.invoke(args=["users", "train", "nobody@example.org", "--kind", "support"]).exit_code != 0


def test_booking_support_from_the_page_without_training_is_the_engines_409(app, client, sign_in, make_user, untrained):
    sign_in(make_user("learner"))
    with app.app_context():
        now = utcnow()
        start = slots_in_range(db.session.get(VolunteerProfile, untrained.id), now, now + timedelta(days=8),
                               now)[0].start_at
    answer = client.post(f"/volunteers/{untrained.id}/book", query_string={"start": start.isoformat()},
                         data={"kind": "support"})
    assert answer.status_code == 409
    assert "until a coordinator marks them trained" in answer.get_data(as_text=True)
    assert client.post(f"/volunteers/{untrained.id}/book", query_string={"start": start.isoformat()},
                       data={"kind": "dancing"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Booking.id)) is None


def test_a_volunteer_offering_only_untrained_kinds_shows_no_empty_booking_form(app, client, sign_in, make_user):
    listener = make_user("volunteer", timezone="Europe/London", rules=EVERY_DAY, kinds=["support"], trained=(),
                         min_notice_hours=0)
    sign_in(make_user("learner"))
    with app.app_context():
        now = utcnow()
        start = slots_in_range(db.session.get(VolunteerProfile, listener.id), now, now + timedelta(days=8),
                               now)[0].start_at
    html = client.get(f"/volunteers/{listener.id}/book", query_string={"start": start.isoformat()}).get_data(
        as_text=True)
    assert "until a coordinator marks them trained" in html and "Book this session" not in html
