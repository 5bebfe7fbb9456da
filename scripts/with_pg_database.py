"""Run a command with DATABASE_URL pointing at a throwaway PostgreSQL database, then drop it.

    python scripts/with_pg_database.py -- pytest -q

The server comes from PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
Exits non-zero, loudly, if the server can't be reached.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin_conninfo(admin_url: str) -> str:
    """A libpq URL for psycopg (it doesn't understand SQLAlchemy's +driver suffix)."""
    return make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)


def main(argv: list[str]) -> int:
    """Create the database, run ``argv`` against it, drop it; returns the command's exit status."""
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    admin_url = os.environ.get("PG_ADMIN_URL", DEFAULT_ADMIN_URL)
    conninfo = _admin_conninfo(admin_url)
    name = f"tutoring_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        print(f"\nERROR: PostgreSQL is unreachable at {admin_url}:\n  {error}", file=sys.stderr)
        print("Start it (e.g. `pg_ctlcluster 15 main start`) or set PG_ADMIN_URL.\n", file=sys.stderr)
        return 3
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    print(f"== PostgreSQL run on throwaway database {name}", flush=True)
    try:
        env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
        return subprocess.call(argv, env=env)
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            # FORCE: a test that leaked a connection must not leave the database behind.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
