"""Shared fixtures.

The database is ``DATABASE_URL`` if set (``make test`` runs the suite a second
time on a throwaway PostgreSQL database), else a temporary SQLite file. The
schema is built once per run by the Alembic migration, never ``create_all``,
so the migration is what gets tested; every table is emptied after each test.

Fixtures, Flask-tutorial style: ``app`` (no app context pushed: use
``with app.app_context():`` to touch the database; ``@pytest.mark.app_config(...)``
adds config), ``client``, ``runner``, ``make_app(**overrides)``.
Helpers: ``make_user`` (a committed user, volunteers approved by default),
``sign_in`` (the client acts as that user), ``bearer`` (Authorization header
with a fresh API token), ``dialect`` ("sqlite" or "postgresql"), and for
browser tests ``live_server`` and ``page`` (Playwright on Debian's chromium).

SQLite note: the app begins every transaction with BEGIN IMMEDIATE, so leave
(or commit) a ``with app.app_context():`` block that touched the database
before making requests, or the request waits for the write lock.
"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import psycopg
import pytest
import time_machine
from argon2 import PasswordHasher
from psycopg import sql
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import make_url
from flask import Flask
from werkzeug.serving import make_server

import tutoring.models.user as user_module
from tutoring import create_app
from tutoring.config import normalize_database_url
from tutoring.extensions import db, limiter
from tutoring.models import KINDS, AvailabilityRule, User
from tutoring.services.people.accounts import create_user, issue_api_token
from tutoring.timeutil import utcnow

TEST_PASSWORD = "correct horse battery staple"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def base_config(database_url: str, instance_path: Path) -> dict:
    """Config every test app gets; a test adds to it with ``@pytest.mark.app_config(...)``."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance_path),
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
        "MAIL_DEFAULT_SENDER": "tutoring@example.org",
    }


def wipe_all_tables() -> None:
    """Delete every row, children before parents (fast on both databases, unlike recreating)."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2's real cost (~0.2 s a hash) would dominate the suite; tests don't need it."""
    patch = pytest.MonkeyPatch()
    patch.setattr(user_module, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues() -> None:
    """Compile .po to .mo when stale, so a bare ``pytest`` sees the Arabic texts too."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test database, migrated to head once for the whole run.

    With several pytest-xdist workers (``make test`` runs two), each has its
    own: a SQLite file in its own temporary folder, or on PostgreSQL a
    database of its own beside ``DATABASE_URL``'s, dropped at the end.
    """
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = normalize_database_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    own_database = worker is not None and make_url(url).get_backend_name() == "postgresql"
    if own_database:
        url = _create_worker_database(url, worker)
    app = create_app(base_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        flask_migrate.upgrade()
        wipe_all_tables()  # a reused database may hold rows from an interrupted run
        db.engine.dispose()
    yield url
    if own_database:
        _drop_database(url)


def _admin_connection(url: str):
    """An autocommit psycopg connection to the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def _create_worker_database(url: str, worker: str) -> str:
    name = f"{make_url(url).database}_{worker}"
    with _admin_connection(url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    with _admin_connection(url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(make_url(url).database)))


@pytest.fixture(scope="session")
def dialect(database_url: str) -> str:
    """``sqlite`` or ``postgresql``: tests branch on it where the databases differ."""
    return make_url(database_url).get_backend_name()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path):
    """``make_app(**overrides)``: another app with the test config (e.g. a different database)."""

    def make(**overrides):
        return create_app({**base_config(database_url, tmp_path / "instance"), **overrides})

    return make


# Instants that have broken schedulers (FIELD-NOTES), for tests marked
# ``@pytest.mark.any_instant``: each such test runs once at each of them, with
# the whole process clock moved there (and ticking on).
AWKWARD_INSTANTS = {
    # Sunday 23:50 in London: the demo week has no free time left (this broke the suite once).
    "sunday-late-utc": datetime(2026, 12, 6, 23, 50, tzinfo=UTC),
    # Sunday 23:50 where the day ends first (UTC+14) and where it ends last (UTC-12):
    # "this week" is nearly over for a viewer there, and a day ahead or behind UTC.
    "sunday-late-utc+14": datetime(2026, 12, 6, 9, 50, tzinfo=UTC),
    "sunday-late-utc-12": datetime(2026, 12, 7, 11, 50, tzinfo=UTC),
    # Europe springs forward at 01:00 UTC (London 01:00 -> 02:00, Cairo stays).
    "eu-spring-hour-before": datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
    "eu-spring-hour-after": datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    # The US falls back at 06:00 UTC (New York's 01:00-02:00 happens twice).
    "us-autumn-hour-before": datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
    "us-autumn-hour-after": datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
    "leap-day": datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    "new-years-eve": datetime(2026, 12, 31, 23, 55, tzinfo=UTC),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock", metavar="INSTANT",
        help="run the whole suite with this process's clock moved to INSTANT (ISO 8601 with an offset, or a name "
             "from AWKWARD_INSTANTS), ticking on: e.g. --clock=2026-12-06T23:50:00Z or --clock=new-years-eve",
    )


def python_on_this_clock(*args: str) -> list[str]:
    """``python -m MODULE ...`` for another process whose clock reads what this one's does.

    A test whose clock was moved (``--clock``, ``any_instant``) starts its
    helper processes (the worker command, servers) on the same moved time,
    ticking on; with the real clock it is just ``python -m MODULE ...``.
    """
    if args[:1] != ("-m",) or len(args) < 2:
        raise ValueError("python_on_this_clock('-m', 'flask', ...): it runs a module")
    offset = (utcnow() - _real_now()).total_seconds()
    if abs(offset) < 1:
        return [sys.executable, *args]
    module = args[1]
    bootstrap = (
        "import runpy, sys, time, time_machine;"
        f"time_machine.travel(time.time() + {offset!r}, tick=True).start();"
        f"sys.argv = [{module!r}, *sys.argv[1:]];"
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", bootstrap, *args[2:]]


def _real_now() -> datetime:
    """The machine's clock, past any time-machine travel (its escape hatch)."""
    if not time_machine.escape_hatch.is_travelling():
        return datetime.now(UTC)
    return datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)


@pytest.fixture(scope="session", autouse=True)
def _whole_run_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """``--clock``: every test of the run sees the moved clock (tests marked any_instant still move it further)."""
    value = request.config.getoption("--clock")
    if not value:
        yield
        return
    instant = AWKWARD_INSTANTS.get(value) or datetime.fromisoformat(value.replace("Z", "+00:00"))
    with time_machine.travel(instant, tick=True):
        yield


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.any_instant``: run the test at each of AWKWARD_INSTANTS (or the names it lists)."""
    marker = metafunc.definition.get_closest_marker("any_instant")
    if marker is None:
        return
    names = marker.args or tuple(AWKWARD_INSTANTS)
    metafunc.parametrize("process_clock", [AWKWARD_INSTANTS[name] for name in names], ids=names, indirect=True)


@pytest.fixture
def process_clock(request: pytest.FixtureRequest) -> Iterator[datetime | None]:
    """The instant this test runs at: the real now, or one of AWKWARD_INSTANTS under ``any_instant``.

    Requested by ``app``, so the clock moves before any data is made. (Not named ``clock``: test modules
    have fixtures of that name that patch one module's ``utcnow``, and would shadow this one.)
    """
    instant = getattr(request, "param", None)
    if instant is None:
        yield None
        return
    with time_machine.travel(instant, tick=True):
        yield instant


# Apps built so far, by their config overrides: building one (URL map, Jinja
# environment, compiled templates) costs more than most tests, so tests that
# ask for the same config share an app and only the database is emptied.
_SHARED_APPS: dict[str, Flask] = {}


@pytest.fixture
def app(request: pytest.FixtureRequest, process_clock, database_url: str, tmp_path_factory: pytest.TempPathFactory, make_app):
    """An app on the shared test database, emptied afterwards.

    Shared with the other tests of the same ``app_config``; a test that adds
    routes or handlers to it (or needs its own instance folder) marks itself
    ``@pytest.mark.fresh_app`` and gets one of its own.
    """
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker is not None else {}
    # Flask-Limiter keeps its on/off switch and counters on the one global limiter, set by the app
    # built last: apps with limits on are never shared, and a shared app turns limits back off.
    fresh = request.node.get_closest_marker("fresh_app") is not None or overrides.get("RATELIMIT_ENABLED")
    if fresh:
        app = make_app(**overrides)
    else:
        key = repr(sorted(overrides.items()))
        app = _SHARED_APPS.get(key)
        if app is None:
            app = create_app({**base_config(database_url, tmp_path_factory.mktemp("instance")), **overrides})
            _SHARED_APPS[key] = app
        limiter.enabled = False
    config, extensions = dict(app.config), set(app.extensions)
    instance = Path(app.instance_path)
    files = set(instance.iterdir()) if instance.exists() else set()
    yield app
    with app.app_context():
        wipe_all_tables()
        db.engine.dispose()  # connections never outlive a test (a lock or a prepared statement left behind)
    if not fresh:
        _reset_shared_app(app, config, extensions, files)


def _reset_shared_app(app: Flask, config: dict, extensions: set[str], files: set[Path]) -> None:
    """Undo what a test may have changed on a shared app: config, per-app caches, instance files (mail...)."""
    app.config.clear()
    app.config.update(config)
    for name in set(app.extensions) - extensions:
        del app.extensions[name]  # caches kept on the app, e.g. the search vocabulary
    instance = Path(app.instance_path)
    for path in set(instance.iterdir()) - files if instance.exists() else ():
        shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``app``'s commands (``runner.invoke(args=["users", ...])``)."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create and commit a user; returns it detached, with its profile and rules loaded.

    ``make_user("volunteer", rules=[(1, "18:00", "20:00")], session_minutes=30)``;
    volunteers are approved unless ``approved=False``, and trained for every
    kind they offer unless ``trained=`` lists fewer (``trained=()``: none;
    SPEC §7 training). Password: ``TEST_PASSWORD``.
    """
    counter = itertools.count(1)

    def make(
        role: str = "learner",
        *,
        email: str | None = None,
        name: str | None = None,
        timezone: str = "Europe/London",
        language: str = "en",
        password: str = TEST_PASSWORD,
        kinds: list[str] | None = None,
        approved: bool | None = None,
        rules: list[tuple[int, str, str]] = (),
        trained: tuple[str, ...] | list[str] | None = None,
        **profile_fields,
    ) -> User:
        number = next(counter)
        volunteer = role == "volunteer"
        with app.app_context():
            user = create_user(
                email or f"{role}{number}@example.org",
                role=role,
                display_name=name or f"{role.title()} {number}",
                timezone=timezone,
                password=password,
                language=language,
                kinds=kinds,
                approved=(True if approved is None else approved) if volunteer else False,
                trained=(list(kinds if kinds is not None else KINDS) if trained is None else trained) if volunteer else (),
            )
            if volunteer:
                for key, value in profile_fields.items():
                    setattr(user.volunteer_profile, key, value)
                for weekday, start, end in rules:
                    user.volunteer_profile.rules.append(AvailabilityRule(weekday=weekday, start=start, end=end))
            elif profile_fields or rules:
                raise TypeError("profile fields and rules are for volunteers")
            db.session.commit()
            # Load what tests usually read, before the session closes.
            if user.volunteer_profile is not None:
                _ = user.volunteer_profile.rules, user.volunteer_profile.user
            return user

    return make


@pytest.fixture
def sign_in(client):
    """``sign_in(user)``: the ``client`` is now signed in as ``user`` (no form, no password)."""

    def sign_in(user: User) -> None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    return sign_in


@pytest.fixture
def bearer(app):
    """``bearer(user)`` -> ``{"Authorization": "Bearer <new token>"}`` for API requests."""

    def bearer(user: User) -> dict[str, str]:
        with app.app_context():
            raw = issue_api_token(db.session.get(User, user.id))
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return bearer


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """``app`` served over real HTTP in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the run (PLAYWRIGHT_CHROMIUM_EXECUTABLE, default /usr/bin/chromium)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
    if not Path(executable).exists():
        raise RuntimeError(f"chromium not found at {executable}; `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        # Chromium refuses its sandbox as root (containers, CI).
        # The browser keeps the machine's own clock: a run under faketime moves the server's (LD_PRELOAD),
        # and Chromium's crash handler can't start on a faked clock.
        environment = {name: value for name, value in os.environ.items()
                       if name != "LD_PRELOAD" and not name.startswith("FAKETIME")}
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            env=environment,
        )
        yield browser
        browser.close()


@pytest.fixture
def open_context(browser):
    """``open_context(**options)`` -> a page in a new browser context (en-GB, Europe/London unless the options say
    otherwise; own cookies); console errors in ``page.console_errors``."""
    contexts = []

    def open_context(**options):
        context = browser.new_context(**{"locale": "en-GB", "timezone_id": "Europe/London", **options})
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_context):
    """A fresh browser page (own cookies); console errors are collected in ``page.console_errors``."""
    return open_context()
