"""Alembic environment, run through Flask-Migrate (``flask --app wsgi db ...``)."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Keep loggers that already exist (the app's, pytest's caplog) working.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    """The app's engine (Flask-SQLAlchemy 3)."""
    return target_db.engine


config.set_main_option("sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%"))


def get_metadata():
    """The models' metadata, for autogenerate."""
    return target_db.metadata


def run_migrations_offline():
    """Emit SQL to stdout instead of running it (``db upgrade --sql``)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=get_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a live connection, in one transaction on both databases."""

    def process_revision_directives(context, revision, directives):
        # An autogenerate that finds nothing writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # The app turns foreign keys on for every SQLite connection, but a
            # batch migration rebuilds a table by dropping it, which would
            # cascade-delete child rows. Turn them off for the migration
            # (before SQLAlchemy begins a transaction: the pragma is a no-op
            # inside one) and check them afterwards instead.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
            # The app begins SQLite transactions itself (BEGIN IMMEDIATE), so
            # DDL stays inside them and a failed upgrade rolls back whole.
            conf_args["transactional_ddl"] = True
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
