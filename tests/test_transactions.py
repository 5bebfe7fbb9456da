"""A request's open transaction ends with COMMIT only when it wrote nothing (tutoring/transactions.py).

A read-only request ends with COMMIT, so PostgreSQL keeps the statements
psycopg prepared on the connection; a request that wrote without
committing, whether through the ORM or a Core statement, or that has
unflushed changes, or that failed, is still rolled back and changes
nothing. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import event, func, insert, select, text

from tutoring.config import PREPARE_THRESHOLD_DEFAULT, engine_options, prepare_threshold
from tutoring.extensions import db
from tutoring.models import User
from tutoring.services.people.accounts import create_user


def ends(app) -> list[str]:
    """'commit' / 'rollback' for each transaction the app's engine ends from now on."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda _connection: seen.append("commit"))
    event.listen(engine, "rollback", lambda _connection: seen.append("rollback"))
    return seen


def users_named(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User).where(User.display_name == name))


@pytest.fixture
def routes(make_app):
    """An app with views that leave their transaction open in each way a view can."""
    app = make_app()

    def orm_write_then_error():
        create_user(email="orm@example.org", password="correct horse battery staple", display_name="Left open",
                    role="learner", timezone="UTC")
        db.session.flush()
        return "refused", 400

    def core_write_then_error():
        db.session.execute(insert(User).values(email="core@example.org", display_name="Left open",
                                               role="learner", timezone="UTC", language="en",
                                               password_hash="x", calendar_token="core-token"))
        return "refused", 400

    def unflushed_then_error():
        db.session.add(User(email="pending@example.org", display_name="Left open", role="learner",
                            timezone="UTC", language="en", password_hash="x", calendar_token="pending-token"))
        return "refused", 400

    def write_then_raise():
        db.session.execute(insert(User).values(email="raise@example.org", display_name="Left open",
                                               role="learner", timezone="UTC", language="en",
                                               password_hash="x", calendar_token="raise-token"))
        abort(409)

    def read_only():
        return str(db.session.scalar(select(func.count()).select_from(User)))

    for view in (orm_write_then_error, core_write_then_error, unflushed_then_error, write_then_raise, read_only):
        app.add_url_rule(f"/_test/{view.__name__}", view.__name__, view)
    yield app
    with app.app_context():
        db.session.execute(User.__table__.delete().where(User.display_name == "Left open"))
        db.session.commit()
        db.engine.dispose()


def test_a_read_only_request_ends_with_commit(routes):
    seen = ends(routes)
    response = routes.test_client().get("/_test/read_only")
    assert response.status_code == 200
    assert seen == ["commit"]


@pytest.mark.parametrize("view", ["orm_write_then_error", "core_write_then_error", "unflushed_then_error",
                                  "write_then_raise"])
def test_a_request_that_wrote_without_committing_changes_nothing(routes, view):
    seen = ends(routes)
    response = routes.test_client().get(f"/_test/{view}")
    assert response.status_code in (400, 409)
    assert "commit" not in seen
    assert users_named(routes, "Left open") == 0


def test_a_committed_write_is_kept_and_the_next_read_commits(routes, client):
    # The flag that says "wrote" belongs to one transaction: after a write
    # that committed, a later read-only request commits again.
    with routes.app_context():
        create_user(email="kept@example.org", password="correct horse battery staple", display_name="Left open",
                    role="learner", timezone="UTC")
        db.session.commit()
    seen = ends(routes)
    assert routes.test_client().get("/_test/read_only").status_code == 200
    assert seen == ["commit"]
    assert users_named(routes, "Left open") == 1


def test_prepared_statements_outlive_the_request(make_app, dialect):
    # Prepared on the first run (threshold 0), a read-only request's statement
    # is still prepared on the connection afterwards; a rollback would have
    # made psycopg deallocate it. SQLite has no such statements: there the
    # request must simply not have been rolled back.
    app = make_app(DB_PREPARE_THRESHOLD=0)
    app.add_url_rule("/_test/count", "count", lambda: str(db.session.scalar(
        select(func.count()).select_from(User).where(User.role == "volunteer"))))
    seen = ends(app)
    try:
        assert app.test_client().get("/_test/count").status_code == 200
        assert seen == ["commit"]
        if dialect == "postgresql":
            with app.app_context():
                statements = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
            assert any("FROM users" in statement and "role" in statement for statement in statements), statements
    finally:
        with app.app_context():
            db.engine.dispose()


def test_prepare_threshold_setting():
    assert prepare_threshold(None) == PREPARE_THRESHOLD_DEFAULT == 5
    assert prepare_threshold("") == 5
    assert prepare_threshold(0) == 0
    assert prepare_threshold("12") == 12
    assert prepare_threshold("none") is None
    assert prepare_threshold("OFF") is None
    with pytest.raises(ValueError):
        prepare_threshold(-1)
    with pytest.raises(ValueError):
        prepare_threshold("sometimes")
    options = engine_options({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x", "DB_PREPARE_THRESHOLD": "none"})
    assert options["connect_args"] == {"prepare_threshold": None}
    assert "connect_args" not in engine_options({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})


def test_rows_read_stay_loaded_after_the_context_ends(routes):
    # The read-only transaction's COMMIT doesn't expire what it read (a
    # rollback at close didn't either): rows kept past the context still read.
    with routes.app_context():
        user = create_user(email="read@example.org", password="correct horse battery staple",
                           display_name="Left open", role="learner", timezone="UTC")
        db.session.commit()
        user_id = user.id
    with routes.app_context():
        seen = db.session.get(User, user_id)
    assert (seen.email, seen.display_name) == ("read@example.org", "Left open")
