"""The Alembic migrations build the models' schema from an empty database, and undo it."""
import secrets

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url

from tutoring.extensions import db


@pytest.fixture
def empty_database_url(database_url, dialect, tmp_path):
    """A new, empty database of the same kind as the test database."""
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"tutoring_test_empty_{secrets.token_hex(4)}"
    server = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def schema_differences(connection):
    """What autogenerate would still write: empty when migrations and models agree."""
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
    return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_builds_exactly_the_models_schema_and_downgrade_removes_it(make_app, empty_database_url, dialect):
    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {table.name for table in db.metadata.sorted_tables} | {"alembic_version"} == tables
            assert schema_differences(connection) == []
            if dialect == "postgresql":
                constraints = connection.exec_driver_sql(
                    "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid = 'sessions'::regclass"
                ).scalars().all()
                assert constraints == ["ex_sessions_no_overlap"]
            else:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after migrating

        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        flask_migrate.upgrade()  # and again, from empty
        assert "sessions" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_the_test_database_is_at_the_latest_revision(app):
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        assert current == head


def test_0011_carries_programme_training_over_to_training_records(make_app, empty_database_url):
    """Volunteers marked trained in a programme whose `support` needs training keep `support` (issue 18)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from tutoring.models import Programme, ProgrammeMember, TrainingRecord

    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(revision="0010")  # the revision before training records
        # Rows written through tables read from the database at 0010, not the models: later revisions add
        # columns (users.address_form in 0018) that an ORM insert would name before they exist.
        tables = sa.MetaData()
        users = sa.Table("users", tables, autoload_with=db.engine)
        profiles = sa.Table("volunteer_profiles", tables, autoload_with=db.engine)
        people = {}
        for name in ("trained", "untrained", "elsewhere"):
            people[name] = db.session.execute(users.insert().values(
                email=f"{name}@example.org", password_hash="x", role="volunteer", display_name=name, timezone="UTC",
                language="en", created_at=datetime(2026, 1, 1, tzinfo=UTC), is_active=True,
                calendar_token=f"token-{name}").returning(users.c.id)).scalar_one()
            db.session.execute(profiles.insert().values(user_id=people[name], state="approved"))
        line = Programme(slug="line", name="Listening line", kinds=["support"], support_needs_training=True)
        maths = Programme(slug="maths", name="Maths", kinds=["tutoring"], support_needs_training=False)
        db.session.add_all([line, maths])
        db.session.flush()
        joined = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
        db.session.add_all([
            ProgrammeMember(programme_id=line.id, volunteer_id=people["trained"], trained=True, added_at=joined),
            ProgrammeMember(programme_id=line.id, volunteer_id=people["untrained"], trained=False, added_at=joined),
            ProgrammeMember(programme_id=maths.id, volunteer_id=people["elsewhere"], trained=True, added_at=joined),
        ])
        db.session.commit()
        db.session.remove()

        flask_migrate.upgrade()
        records = db.session.scalars(select(TrainingRecord)).all()
        assert [(r.volunteer_id, r.kind, r.trained_on, r.expires_on, r.trained_by_id) for r in records] == [
            (people["trained"], "support", date(2026, 3, 4), None, None)]
        assert "Listening line" in records[0].note
        db.session.remove()
        db.engine.dispose()


def test_0013_removes_the_other_partys_address_from_queued_and_kept_invites(make_app, empty_database_url):
    """Invites written before issue 19 listed both people; after 0013 no row holds the other's address."""
    import email
    from datetime import UTC, datetime
    from email import policy
    from pathlib import Path

    import icalendar
    from sqlalchemy import select

    from tutoring.models import OutboxMessage

    data = Path(__file__).parent / "data"
    volunteer, learner = "amira.vol-7Q2@volunteers.example.net", "maya.learner+x9k@learners.example.com"
    old = {who: (data / f"invite_before_0013_to_{who}.eml").read_bytes() for who in ("learner", "volunteer")}
    # The fixtures are what the old writer sent: each copy held both addresses (in folded ATTENDEE lines).
    for message in old.values():
        assert all(address.lower() in unfolded_calendars(message) for address in (volunteer, learner))
    at = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
    reminder = b"Subject: a reminder\r\nTo: x@example.org\r\n\r\nno calendar here\r\n"

    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        flask_migrate.upgrade(revision="0012")
        db.session.add_all([
            OutboxMessage(kind="rescheduled", sender="tutoring@example.org", recipient=learner, subject="Moved",
                          message=old["learner"], dedupe_key="a", created_at=at, next_attempt_at=at),
            OutboxMessage(kind="rescheduled", sender="tutoring@example.org", recipient=volunteer.lower(),
                          subject="Moved", message=old["volunteer"], dedupe_key="b", created_at=at,
                          next_attempt_at=at, sent_at=at),  # sent, kept until the retention purge
            OutboxMessage(kind="reminder", sender="tutoring@example.org", recipient="x@example.org", subject="r",
                          message=reminder, dedupe_key="c", created_at=at, next_attempt_at=at),
        ])
        db.session.commit()
        db.session.remove()

        flask_migrate.upgrade()
        rows = {row.dedupe_key: bytes(row.message) for row in db.session.scalars(select(OutboxMessage))}
        to_learner, to_volunteer = unfolded_calendars(rows["a"]), unfolded_calendars(rows["b"])
        assert volunteer.lower() not in to_learner and learner.lower() in to_learner
        assert learner.lower() not in to_volunteer and volunteer.lower() in to_volunteer
        assert rows["c"] == reminder
        for key, before in (("a", old["learner"]), ("b", old["volunteer"])):
            after = email.message_from_bytes(rows[key], policy=policy.default)
            original = email.message_from_bytes(before, policy=policy.default)
            assert not after.defects and after["Message-ID"] == original["Message-ID"]
            assert after.get_body(("plain",)).get_content() == original.get_body(("plain",)).get_content()
            calendars = [p.get_payload(decode=True) for p in after.walk()
                         if p.get_content_type() in ("text/calendar", "application/ics")]
            assert len(calendars) == 2 and calendars[0] == calendars[1]
            [event] = icalendar.Calendar.from_ical(calendars[0]).walk("VEVENT")
            assert str(event["ATTENDEE"]).lower() == f"mailto:{(learner if key == 'a' else volunteer).lower()}"
            assert str(event["ORGANIZER"]) == "mailto:tutoring@example.org"
        db.session.remove()
        db.engine.dispose()


def unfolded_calendars(message: bytes) -> str:
    """Every calendar part of ``message``, decoded and unfolded, lower-cased."""
    import email
    from email import policy

    parsed = email.message_from_bytes(message, policy=policy.default)
    return "\n".join(part.get_payload(decode=True).replace(b"\r\n ", b"").decode().lower()
                     for part in parsed.walk() if part.get_content_type() in ("text/calendar", "application/ics"))
