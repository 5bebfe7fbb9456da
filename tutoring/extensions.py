"""Flask extensions, created once here and attached to each app in ``create_app``."""
from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints: Alembic can only alter or drop what has a name, and
# SQLite batch migrations need names to recreate tables faithfully.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model; carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()
# Limits are declared per view by the blueprints; the storage comes from
# RATELIMIT_STORAGE_URI (in-memory by default, Redis when several processes run).
limiter = Limiter(key_func=get_remote_address)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and serialize writers.

    pysqlite's own transaction handling begins lazily (DEFERRED), so a
    transaction that reads and then writes can fail with SQLITE_BUSY when
    another writer got there first. We switch the driver to autocommit and
    emit ``BEGIN IMMEDIATE`` ourselves, so every transaction takes the write
    lock up front and waits (busy timeout) instead of failing half-way.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers of other connections proceed while one writes.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # pragma: no cover - trivial
        connection.exec_driver_sql("BEGIN IMMEDIATE")
