"""A feed poll is cheap when nothing changed, and never stale when something did.

A poll asks the cache with one small query (the feed's stamps); only a miss
reads the rows and renders. These tests hold both halves: an unchanged feed
is answered from the cache with two SELECTs and no rendering, and after each
kind of change the feed served equals one rendered from scratch (and, where
the change shows, has new bytes and a new ETag). Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, event, select, update

import tutoring.feeds.service as service
import tutoring.feeds.views as views
from tests.booking.test_group_calendar import book_all, group, learners  # noqa: F401  (fixtures)
from tests.notices.test_outbox_support import NOW, TUE_10, TUE_11, pair, the_same_events  # noqa: F401  (fixtures)
from tests.test_query_plans import Recorder, loaded, plans, scans  # noqa: F401  (fixture)
from tutoring.calendar.feed import event_blocks
from tutoring.extensions import db
from tutoring.feeds.service import feed_cache
from tutoring.models import Booking, Session, User
from tutoring.booking.operations import book_session, cancel_booking, reschedule_booking
from tutoring.booking.groups import cancel_session
from tutoring.timeutil import utcnow

@pytest.fixture(autouse=True)
def _fresh_cache():
    feed_cache.clear()
    event_blocks.clear()
    yield
    feed_cache.clear()
    event_blocks.clear()


@pytest.fixture
def clock(monkeypatch):
    """The feed view's clock: set ``clock.now``."""

    class Clock:
        now = utcnow()

    monkeypatch.setattr(views, "utcnow", lambda: Clock.now)
    return Clock


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """How many feeds were rendered (a cache miss renders; a hit doesn't)."""
    count = [0]
    real = service.feed_ics

    def counted(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "feed_ics", counted)
    return count


def path_of(app, user) -> str:
    with app.app_context():
        return f"/calendar/{db.session.get(User, user.id).calendar_token}.ics"


def change(app, statement) -> None:
    """Run one UPDATE/DELETE straight on the tables (no ORM: no ``updated_at`` moves) and commit."""
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def served_is_fresh(client, path: str):
    """The feed as served equals the feed rendered from scratch (bytes, ETag, Last-Modified); returns it."""
    served = client.get(path)
    assert served.status_code == 200
    feed_cache.clear()
    event_blocks.clear()  # from scratch: no remembered events either
    fresh = client.get(path)
    assert served.data == fresh.data
    assert served.headers["ETag"] == fresh.headers["ETag"]
    assert served.headers["Last-Modified"] == fresh.headers["Last-Modified"]
    return served


def test_an_unchanged_feed_is_a_304_from_two_selects_and_no_rendering(app, client, pair, renders):
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    path = path_of(app, learner)
    first = client.get(path)
    assert first.status_code == 200 and renders[0] == 1
    selects = []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        polls = [client.get(path, headers={"If-None-Match": first.headers["ETag"]}) for _ in range(3)]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [poll.status_code for poll in polls] == [304, 304, 304]
    assert renders[0] == 1  # from the cache: the stamps matched
    assert len(selects) == 2 * 3  # the owner, then the stamps
    # A client without a copy gets the cached bytes.
    again = client.get(path)
    assert again.data == first.data and renders[0] == 1


def test_each_booking_change_gives_both_feeds_new_bytes(app, client, pair):
    volunteer, learner = pair
    paths = [path_of(app, volunteer), path_of(app, learner)]
    seen = {path: [served_is_fresh(client, path)] for path in paths}

    def check(expected_events):
        for path in paths:
            served = served_is_fresh(client, path)
            old_etag = seen[path][-1].headers["ETag"]
            assert served.headers["ETag"] != old_etag
            assert client.get(path, headers={"If-None-Match": old_etag}).status_code == 200
            assert [(e.start, e.status) for e in the_same_events(served.data)] == expected_events
            seen[path].append(served)

    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW).id
    check([(TUE_10, "CONFIRMED")])
    with app.app_context():
        reschedule_booking(learner.id, booking_id, TUE_11, now=NOW)
    check([(TUE_11, "CONFIRMED")])
    with app.app_context():
        cancel_booking(learner.id, booking_id, now=NOW)
    check([(TUE_11, "CANCELLED")])
    # A row deleted outright (an admin's clean-up) leaves the feed too.
    change(app, delete(Booking).where(Booking.id == booking_id))
    check([])
    for path in paths:  # back to the feed before the booking, byte for byte
        assert seen[path][-1].data == seen[path][0].data


def test_a_change_without_a_change_instant_still_shows(app, client, pair, renders):
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW).id
        session_id = db.session.get(Booking, booking_id).session_id
    path = path_of(app, learner)
    before = served_is_fresh(client, path)
    # Moved by hand, keeping updated_at: the feed doesn't trust change stamps, it compares the values.
    change(app, update(Session).where(Session.id == session_id).values(
        start_at=TUE_11, end_at=TUE_11 + timedelta(minutes=45), blocked_until_at=TUE_11 + timedelta(hours=1),
        updated_at=Session.updated_at))
    after = served_is_fresh(client, path)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert [e.start for e in the_same_events(after.data)] == [TUE_11]


@pytest.mark.parametrize("whose", ["volunteer", "learner"])
def test_the_other_person_renamed_changes_the_feed(app, client, pair, whose):
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    other, owner = (volunteer, learner) if whose == "volunteer" else (learner, volunteer)
    path = path_of(app, owner)
    before = served_is_fresh(client, path)
    change(app, update(User).where(User.id == other.id).values(display_name="Renamed Person"))
    after = served_is_fresh(client, path)
    assert after.headers["ETag"] != before.headers["ETag"] and b"Renamed Person" in after.data


@pytest.mark.parametrize("values", [
    {"email": "maya.new@example.org"},
    {"language": "ar"},
    {"timezone": "Asia/Tokyo"},
])
def test_any_field_of_the_other_person_is_read_again(app, client, pair, renders, values):
    """Fields the feed may or may not show: a change renders again, and what's served is what a fresh render gives."""
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    path = path_of(app, volunteer)
    client.get(path)
    assert renders[0] == 1
    change(app, update(User).where(User.id == learner.id).values(**values))
    client.get(path)
    assert renders[0] == 2
    served_is_fresh(client, path)


def test_values_cannot_pass_for_their_neighbours(app, client, pair, renders):
    """A name and an address that would join to the same text as before, were each value not marked off."""
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    path = path_of(app, volunteer)
    change(app, update(User).where(User.id == learner.id).values(display_name='Maya|x,"(', email="y@example.org"))
    client.get(path)
    change(app, update(User).where(User.id == learner.id).values(display_name="Maya", email='x,"(|y@example.org'))
    after = client.get(path)
    assert renders[0] == 2 and b"Maya|x" not in after.data
    served_is_fresh(client, path)


@pytest.mark.parametrize("values", [{"display_name": "Amira H."}, {"timezone": "Asia/Tokyo"}, {"language": "en"}])
def test_the_owners_own_changes_show(app, client, pair, renders, values):
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    path = path_of(app, volunteer)
    before = client.get(path)
    change(app, update(User).where(User.id == volunteer.id).values(**values))
    after = client.get(path)
    assert renders[0] == 2
    served_is_fresh(client, path)
    if "language" in values:  # the calendar's name and titles are in the owner's language
        assert after.headers["ETag"] != before.headers["ETag"] and b"Tutoring sessions" in after.data


def test_a_session_leaves_the_feed_at_midnight_utc_a_year_after_it_ended(app, client, pair, clock):
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    path = path_of(app, learner)
    # It ended 8 January 2030 10:45Z; shown while it ended within 365 days of today's 00:00 UTC.
    clock.now = datetime(2031, 1, 8, 23, 59, 59, tzinfo=UTC)
    last_day = client.get(path)
    assert [e.start for e in the_same_events(last_day.data)] == [TUE_10]
    assert client.get(path, headers={"If-None-Match": last_day.headers["ETag"]}).status_code == 304
    clock.now = datetime(2031, 1, 9, 0, 0, tzinfo=UTC)
    gone = client.get(path, headers={"If-None-Match": last_day.headers["ETag"]})
    assert gone.status_code == 200 and the_same_events(gone.data) == []
    assert served_is_fresh(client, path).data == gone.data


def test_a_cancellation_leaves_the_feed_at_midnight_utc_after_thirty_days(app, client, pair, clock):
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW).id
        cancel_booking(learner.id, booking_id, now=NOW)
    cancelled_at = datetime(2030, 1, 7, 9, 30, tzinfo=UTC)
    change(app, update(Booking).where(Booking.id == booking_id).values(updated_at=cancelled_at))
    path = path_of(app, volunteer)
    clock.now = datetime(2030, 2, 6, 23, 0, tzinfo=UTC)  # today - 30 days = 7 January 00:00
    still = client.get(path)
    assert [e.status for e in the_same_events(still.data)] == ["CANCELLED"]
    clock.now = datetime(2030, 2, 7, 0, 0, tzinfo=UTC)
    gone = client.get(path, headers={"If-None-Match": still.headers["ETag"]})
    assert gone.status_code == 200 and the_same_events(gone.data) == []


def test_a_group_session_change_shows_in_the_volunteers_and_each_learners_feed(app, client, group, learners):
    with app.app_context():
        seats = book_all(group, learners[:2])
        session_id = seats[0].session_id
    paths = [path_of(app, group)] + [path_of(app, learner) for learner in learners[:2]]
    before = {path: served_is_fresh(client, path) for path in paths}
    with app.app_context():
        book_session(learners[2].id, group.id, TUE_10, "tutoring", "", now=NOW)
    # A third seat: the first two learners' feeds don't name other learners, so they may stay as they were.
    for path in paths:
        served_is_fresh(client, path)
    with app.app_context():
        cancel_session(group.id, session_id, now=NOW)
    for path in paths:
        after = served_is_fresh(client, path)
        assert after.headers["ETag"] != before[path].headers["ETag"]
        assert [e.status for e in the_same_events(after.data)] == ["CANCELLED"]


def test_settings_that_shape_the_bytes_are_part_of_the_key(make_app, pair):
    volunteer, learner = pair
    bodies = []
    for settings in (
        {"BASE_URL": "https://one.example.org"},
        {"BASE_URL": "https://two.example.org"},
        {"BASE_URL": "https://two.example.org", "MEETING_URL_TEMPLATE": "https://rooms.example.org/{token}"},
        {"BASE_URL": "https://two.example.org", "MEETING_URL_TEMPLATE": "https://rooms.example.org/{token}",
         "SECRET_KEY": "another-secret-key-for-the-rooms"},
    ):
        app = make_app(**settings)
        if not bodies:
            with app.app_context():
                book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
        client = app.test_client()
        path = path_of(app, learner)
        served = client.get(path).data  # the cache is shared by every app in the process
        feed_cache.clear()
        assert client.get(path).data == served
        bodies.append(served)
    assert len(set(bodies)) == len(bodies)
    assert b"one.example.org" in bodies[0] and b"rooms.example.org" in bodies[2]


def test_the_stamps_are_what_the_rows_say(app, pair, group, learners):
    """The one small query and the rows it stands for join to the same texts, on either database."""
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW).id
        book_session(learner.id, volunteer.id, TUE_11, "tutoring", "", now=NOW)
        cancel_booking(learner.id, booking_id, now=NOW)
        book_all(group, learners)
        db.session.execute(update(User).where(User.id == learner.id).values(display_name='Maya "M" (o|k), x'))
        db.session.commit()
        # Which part each owner's rows are in: one-to-one as volunteer, seats as learner, group sessions.
        for user, filled in ((volunteer, 0), (learner, 1), (group, 2), (learners[0], 1)):
            owner = service.Owner(*db.session.connection().execute(
                select(*(service._USERS.c[name] for name in service.Owner._fields))
                .where(service._USERS.c.id == user.id)).one())
            rows, stamps = service._load(owner, service.day_start(utcnow()))
            assert rows and service.feed_stamps(user.id, utcnow()) == stamps
            assert [bool(part) for part in stamps] == [n == filled for n in range(3)]


def test_a_polls_queries_use_indexes_at_scale(app, loaded, dialect):
    """The owner and stamps queries on 20,000 sessions and bookings scan no whole table (see test_query_plans)."""
    now, volunteer_id, learner_id = loaded
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
        tokens = [db.session.get(User, user_id).calendar_token for user_id in (volunteer_id, learner_id)]
        event.listen(engine, "before_cursor_execute", recorder)
        try:
            for token in tokens:
                owner = service.owner_for_token(token)
                assert any(service.feed_stamps(owner.id, now))
        finally:
            event.remove(engine, "before_cursor_execute", recorder)
        db.session.rollback()
    assert len(recorder.selects) == 4
    with app.app_context(), db.engine.connect() as connection:
        explained = plans(connection, recorder.selects)
    failures = [(statement, plan) for statement, plan in explained
                if scans(dialect, plan) or (dialect == "postgresql" and "Seq Scan on users" in plan)]
    assert failures == [], "\n\n".join(f"{statement}\n--\n{plan}" for statement, plan in failures)


# --- validators shared by the worker processes ---------------------------------------------------------


def test_another_worker_answers_304_from_the_shared_validators(app, client, pair, renders):
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    path = path_of(app, learner)
    first = client.get(path)
    feed_cache.clear()  # what a worker that never rendered this feed holds
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and renders[0] == 1
    assert again.headers["ETag"] == first.headers["ETag"]
    modified_since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert modified_since.status_code == 304 and renders[0] == 1
    # Without a copy the client needs the bytes: rendered here, the same ones.
    whole = client.get(path)
    assert whole.status_code == 200 and whole.data == first.data and renders[0] == 2
    assert whole.headers["ETag"] == first.headers["ETag"]


def test_a_changed_feed_is_not_answered_from_the_shared_validators(app, client, pair, renders):
    volunteer, learner = pair
    with app.app_context():
        booking_id = book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW).id
    path = path_of(app, learner)
    first = client.get(path)
    with app.app_context():
        cancel_booking(learner.id, booking_id, now=NOW)
    feed_cache.clear()
    after = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]
    assert [e.status for e in the_same_events(after.data)] == ["CANCELLED"]


def test_the_shared_validators_hold_no_names_and_only_today(app, client, pair):
    volunteer, learner = pair
    with app.app_context():
        book_session(learner.id, volunteer.id, TUE_10, "tutoring", "", now=NOW)
    root = Path(app.instance_path) / "feed-validators"
    stale = root / "2020-01-01-0000000000000000"
    stale.mkdir(parents=True)
    (stale / ("f" * 64)).write_text("x")
    for user in (volunteer, learner):
        client.get(path_of(app, user))
    [today] = root.iterdir()  # the earlier day went when today's first feed was written
    assert today.name.startswith(datetime.now(UTC).date().isoformat())
    files = list(today.iterdir())
    assert len(files) == 2
    for file in files:
        text = file.read_text()
        for value in ("Amira", "Maya", "example.org", "http"):
            assert value not in text


def test_another_version_of_the_code_does_not_use_them(app, client, pair, renders, monkeypatch):
    volunteer, learner = pair
    path = path_of(app, learner)
    first = client.get(path)
    feed_cache.clear()
    monkeypatch.setattr(service, "_code_version", lambda: "another-release")
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and renders[0] == 2  # rendered again to know


@pytest.mark.app_config(FEED_VALIDATOR_DIR="")
def test_sharing_can_be_turned_off(app, client, pair, renders):
    volunteer, learner = pair
    path = path_of(app, learner)
    first = client.get(path)
    feed_cache.clear()
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert renders[0] == 2
    assert not (Path(app.instance_path) / "feed-validators").exists()
