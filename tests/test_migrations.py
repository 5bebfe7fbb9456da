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
