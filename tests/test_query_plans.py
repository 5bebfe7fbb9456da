"""The hot queries use indexes at scale: no sequential scan of sessions, bookings or the outbox.

Loads 1,000 volunteers with 20 sessions and bookings each (20,000 of both),
2,000 learners and 20,000 outbox rows (sent) plus a few due ones, runs
ANALYZE, then calls the real code (not copies of its queries) while
recording every SELECT it sends, and reads the database's plan for each:
``EXPLAIN`` on PostgreSQL (fails on "Seq Scan on sessions|bookings|
outbox_messages"), ``EXPLAIN QUERY PLAN`` on SQLite (fails on "SCAN
bookings" etc. without an index).

The hot paths: the busy-session lookup behind every slot list, a person's
sessions list (learner and volunteer), their calendar feed, booking and
cancelling (the re-checks under the lock) and the outbox claim. The worker's
reminder sweep is checked for a usable index (see its test).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text

from bench.data import generate
from bench.search import rows_for
from tutoring.extensions import db
from tutoring.models import OutboxMessage, Session, User, VolunteerProfile
from tutoring.booking.engine import bookings_for
from tutoring.booking.operations import book_session, cancel_booking
from tutoring.services.notices.outbox import claim
from tutoring.services.notices.reminders import queue_due_reminders
from tutoring.services.discovery.search import SearchFilters, matching_ids
from tutoring.booking.slots import busy_by_volunteer, slots_in_range
from tutoring.feeds.service import feed_rows

VOLUNTEERS = 1_000  # x 20 bookings each = 20,000 sessions and bookings
OUTBOX_ROWS = 20_000
HOT_TABLES = ("sessions", "bookings", "outbox_messages")
PG_SEQ_SCAN = re.compile(r"Seq Scan on (%s)\b" % "|".join(HOT_TABLES))
# SQLite names the table or its alias (SQLAlchemy's "sessions_1"); "SCAN x USING INDEX" is an index walk.
SQLITE_SCAN = re.compile(r"\bSCAN (%s)(_\d+)?\b(?! USING)" % "|".join(HOT_TABLES))


@pytest.fixture
def loaded(app):
    """The database filled at scale; returns (now, a volunteer id, a learner id)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    tables = rows_for(generate(VOLUNTEERS, now=now), now)
    first_learner = VOLUNTEERS + 1
    outbox = [
        {"id": number + 1, "created_at": now - timedelta(days=1), "kind": "booked", "sender": "s@example.org",
         "recipient": "r@example.org", "subject": "", "message": b"x", "dedupe_key": f"plan-{number}",
         "booking_id": None, "attempts": 1, "next_attempt_at": now - timedelta(days=1),
         "sent_at": None if number % 1000 == 0 else now - timedelta(hours=number % 600)}
        for number in range(OUTBOX_ROWS)
    ]
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            for name, rows in {**tables, "outbox_messages": outbox}.items():
                connection.execute(db.metadata.tables[name].insert(), rows)
            if engine.dialect.name == "postgresql":
                for name in ("users", "sessions", "bookings", "availability_rules", "outbox_messages"):
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                            f"(SELECT max(id) FROM {name}))"))
            connection.execute(text("ANALYZE"))
    # A learner who holds bookings (rows_for spreads them over the learners).
    learner_id = next(row["learner_id"] for row in tables["bookings"])
    assert learner_id >= first_learner
    return now, 1, learner_id


class Recorder:
    """Collects (statement, parameters) of every SELECT sent while active."""

    def __init__(self) -> None:
        self.selects: list[tuple[str, object]] = []

    def __call__(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.selects.append((statement, parameters))


def plans(connection, recorded: list[tuple[str, object]]) -> list[tuple[str, str]]:
    """(statement, plan text) for each recorded SELECT, by the database's own EXPLAIN."""
    prefix = "EXPLAIN " if connection.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    found = []
    for statement, parameters in recorded:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
        plan = "\n".join(str(row[0]) if len(row) == 1 else str(row[-1]) for row in rows)
        found.append((statement, plan))
    return found


def scans(dialect: str, plan: str) -> list[str]:
    pattern = PG_SEQ_SCAN if dialect == "postgresql" else SQLITE_SCAN
    return [match.group(0) for match in pattern.finditer(plan)]


def run_hot_paths(app, now, volunteer_id: int, learner_id: int) -> Recorder:
    """Call the hot paths once each, recording their SELECTs."""
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", recorder)
        try:
            profiles = list(db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.user_id.in_(range(1, 21)))))
            busy_by_volunteer(profiles, now, now + timedelta(days=14))
            profile = db.session.get(VolunteerProfile, volunteer_id)
            slots = slots_in_range(profile, now + timedelta(days=1), now + timedelta(days=15), now)
            bookings_for(learner_id)
            bookings_for(volunteer_id)
            feed_rows(learner_id, now)
            feed_rows(volunteer_id, now)
            db.session.rollback()
            assert slots, "the volunteer should have free slots in the next two weeks"
            learner = db.session.scalar(select(User).where(User.role == "learner", User.id != learner_id))
            booking = book_session(learner.id, volunteer_id, slots[-1].start_at, profile.kinds[0], "", now=now)
            cancel_booking(learner.id, booking.id, now=now)
            claim("plan-test", 20, timedelta(minutes=5), now=now)
        finally:
            event.remove(engine, "before_cursor_execute", recorder)
    return recorder


def run_sweeps(app, now) -> Recorder:
    """The worker's periodic sweeps over everyone's sessions (reminders), recording their SELECTs."""
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", recorder)
        try:
            queue_due_reminders(now=now)
        finally:
            event.remove(engine, "before_cursor_execute", recorder)
    return recorder


def test_hot_queries_use_indexes_at_scale(app, loaded, dialect):
    now, volunteer_id, learner_id = loaded
    recorder = run_hot_paths(app, now, volunteer_id, learner_id)
    hot = [(statement, parameters) for statement, parameters in recorder.selects
           if any(re.search(rf"\b{table}\b", statement) for table in HOT_TABLES)]
    assert len(hot) >= 10, "the hot paths should have sent their queries"
    with app.app_context(), db.engine.connect() as connection:
        explained = plans(connection, hot)
    failures = [(statement, plan) for statement, plan in explained if scans(dialect, plan)]
    assert failures == [], "\n\n".join(f"{statement}\n--\n{plan}" for statement, plan in failures)


def test_the_sweeps_have_an_index_to_use(app, loaded, dialect):
    """The reminder sweep (once per worker poll, not per request) must be servable by an index.

    At this size PostgreSQL may rightly prefer one sequential read of bookings
    for a day's worth of sessions, so here the planner is told to avoid
    sequential scans: one that still appears means no index could serve it.
    """
    now, *_ = loaded
    recorder = run_sweeps(app, now)
    hot = [(statement, parameters) for statement, parameters in recorder.selects if re.search(r"\bsessions\b", statement)]
    assert hot, "the reminder sweep should have read sessions"
    with app.app_context(), db.engine.connect() as connection:
        if dialect == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
        explained = plans(connection, hot)
        connection.rollback()
    failures = [(statement, plan) for statement, plan in explained if scans(dialect, plan)]
    assert failures == [], "\n\n".join(f"{statement}\n--\n{plan}" for statement, plan in failures)


def test_the_plan_check_can_fail(app, loaded, dialect):
    """A query with no usable index is caught (so the test above means something)."""
    with app.app_context(), db.engine.connect() as connection:
        statement = "SELECT * FROM bookings WHERE note = 'x'"
        ((_, plan),) = plans(connection, [(statement, {} if dialect == "postgresql" else ())])
    assert scans(dialect, plan)


def test_the_outbox_has_due_rows_and_they_are_claimed(app, loaded):
    """Sanity of the data: the claim in the hot paths found work (its plan was read on real rows)."""
    now, *_ = loaded
    with app.app_context():
        claimed = claim("sanity", 50, timedelta(minutes=5), now=now)
        assert len(claimed) == OUTBOX_ROWS // 1000
        assert db.session.scalar(select(db.func.count()).select_from(Session)) == VOLUNTEERS * 20
        assert db.session.get(OutboxMessage, claimed[0].id).locked_by == "sanity"


def test_a_subject_search_reads_a_range_of_the_terms_index(app, loaded, dialect):
    """The forgiving subject filter (issue 22) is index ranges of ``subject_terms``, never a read of every term.

    As for the sweeps, PostgreSQL is told to avoid sequential scans at this
    size: one that still appears means no index could serve the filter.
    """
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", recorder)
        try:
            found = matching_ids(SearchFilters(subject="رياضيات", rank_language="ar"))
        finally:
            event.remove(engine, "before_cursor_execute", recorder)
    assert found, "some generated volunteers teach Mathematics"
    (searched,) = [(statement, parameters) for statement, parameters in recorder.selects if "subject_terms" in statement]
    with app.app_context(), db.engine.connect() as connection:
        if dialect == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
        ((_, plan),) = plans(connection, [searched])
        connection.rollback()
    if dialect == "postgresql":
        assert "Seq Scan on subject_terms" not in plan and "ix_subject_terms_term" in plan, plan
    else:
        assert re.search(r"SEARCH subject_terms USING (COVERING )?INDEX ix_subject_terms_term", plan), plan
