"""How a request's database transaction ends when the view left it open.

Flask-SQLAlchemy ends every request by closing the session, which rolls back
whatever transaction is still open, even one that only read. On PostgreSQL
that rollback costs more than it seems: psycopg forgets every statement it
has prepared on the connection whenever it rolls back (a rollback may undo
DDL the statements depend on). A page view reads, ends with a rollback, and
the connection's next request parses and plans every query again; psycopg's
automatic preparing (after a statement's fifth run) never takes hold, and
planning was about half of PostgreSQL's CPU per request in the load test
(docs/PERFORMANCE.md).

So a transaction that wrote nothing ends with COMMIT instead, which for a
read-only transaction has the same effect (nothing to keep) and leaves the
prepared statements in place. Anything that wrote, or has unflushed changes,
or ends in an error is rolled back exactly as before: a view that returns an
error after adding rows still changes nothing.

"Wrote" is decided per connection from the SQL sent since the transaction
began: any statement but a plain ``SELECT`` (or SQLite's ``BEGIN``) counts,
which errs towards the old rollback. ``SELECT … FOR UPDATE`` counts too: it
takes a transaction id, and committing one waits for the WAL to be flushed
where a rollback doesn't.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tutoring.extensions import db

log = logging.getLogger(__name__)

WROTE = "tutoring_wrote"


@contextmanager
def committing() -> Iterator[None]:
    """The block's changes committed together at its end, or all rolled back if it raises (the error goes on)."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def commit_read_only_transactions(app: Flask, db: SQLAlchemy) -> None:
    """End each request's read-only transaction with COMMIT (register after ``db.init_app``)."""
    with app.app_context():
        _watch_writes(db.engine)

    # Teardown functions run in reverse order of registration, so this one
    # runs before Flask-SQLAlchemy's own (which closes the session).
    @app.teardown_appcontext
    def _end_read_only(error: BaseException | None) -> None:
        if error is not None:
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        try:
            if session.connection().info.get(WROTE):
                return
            # As the rollback did, leave what was read loaded: the session
            # closes next, and objects kept past it (the app context's
            # current user, a test's rows) must still be readable.
            expire, session.expire_on_commit = session.expire_on_commit, False
            try:
                session.commit()
            finally:
                session.expire_on_commit = expire
        except SQLAlchemyError:
            # Nothing was written, so nothing is lost: the session's close,
            # next, rolls back whatever is left (a dropped connection, say).
            log.info("a read-only transaction could not commit; it is rolled back", exc_info=True)


def _watch_writes(engine: Engine) -> None:
    if not event.contains(engine, "before_cursor_execute", _note_write):  # once per engine, however many apps
        event.listen(engine, "before_cursor_execute", _note_write)
        event.listen(engine, "begin", _fresh)


def _note_write(connection: Connection, _cursor, statement: str, *_args) -> None:
    if not _only_reads(statement):
        connection.info[WROTE] = True


def _fresh(connection: Connection) -> None:
    connection.info.pop(WROTE, None)


def _only_reads(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    if head == "BEGIN ":  # SQLite's BEGIN IMMEDIATE (extensions.configure_sqlite)
        return True
    return head == "SELECT" and " FOR UPDATE" not in statement and " FOR SHARE" not in statement
