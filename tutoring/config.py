"""Settings from the environment (SPEC §3).

``settings_from_env`` returns plain defaults; ``create_app`` then applies
``TUTORING_<NAME>`` variables and finally the overrides it was given.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def parse_bool(value: str | None, default: bool) -> bool:
    """Read an environment flag; unknown words are an error rather than a guess."""
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"expected a true/false value, got {value!r}")


def days_setting(config: Mapping[str, Any], name: str, default: int) -> int:
    """A whole number of days from the settings (a retention period): 0 or more, else a ValueError naming it."""
    days = int(config.get(name, default))
    if days < 0:
        raise ValueError(f"{name} must be 0 or more")
    return days


def normalize_database_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3, the only driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def development_secret_key(instance_path: str) -> str:
    """A secret generated once and kept in the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two processes start at once, the loser reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# PostgreSQL connection pool, per process (TUTORING_DB_POOL_SIZE etc.): a
# gunicorn worker with N threads needs at most N connections at once, so the
# defaults cover the 4 threads of gunicorn.conf.py with room for the worker's
# own housekeeping. Total connections = processes x (size + overflow): keep it
# under the server's max_connections (docs/DEPLOYMENT.md).
POOL_DEFAULTS = {"DB_POOL_SIZE": 5, "DB_MAX_OVERFLOW": 5, "DB_POOL_TIMEOUT": 10, "DB_POOL_RECYCLE": 1800}
# psycopg prepares a statement on the server after this many runs on one
# connection, which spares PostgreSQL parsing and planning it again
# (tutoring/transactions.py keeps them across requests). ``none`` turns it
# off, for PgBouncer in transaction mode older than 1.21 (docs/DEPLOYMENT.md).
PREPARE_THRESHOLD_DEFAULT = 5


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options for the configured database: pool sizes for PostgreSQL, pre-ping for all.

    Options already in ``SQLALCHEMY_ENGINE_OPTIONS`` win over these defaults.
    """
    options: dict[str, Any] = {"pool_pre_ping": True}
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        value = {name: int(config.get(name) or default) for name, default in POOL_DEFAULTS.items()}
        options.update(
            pool_size=value["DB_POOL_SIZE"],
            max_overflow=value["DB_MAX_OVERFLOW"],
            # Waiting longer for a free connection than a client waits for a page helps nobody.
            pool_timeout=value["DB_POOL_TIMEOUT"],
            # Managed databases and proxies drop idle connections; renew them before that.
            pool_recycle=value["DB_POOL_RECYCLE"],
            connect_args={"prepare_threshold": prepare_threshold(config.get("DB_PREPARE_THRESHOLD"))},
        )
    options.update(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    return options


def prepare_threshold(value: object) -> int | None:
    """``DB_PREPARE_THRESHOLD`` as psycopg wants it: a count >= 0, or None for never."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return PREPARE_THRESHOLD_DEFAULT
    if isinstance(value, str) and value.strip().lower() in {"none", "off", "never"}:
        return None
    count = int(value)  # type: ignore[call-overload]
    if count < 0:
        raise ValueError(f"DB_PREPARE_THRESHOLD must be >= 0 or 'none', got {value!r}")
    return count


def settings_from_env(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Configuration defaults for one app, read from ``env`` (normally ``os.environ``)."""
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'tutoring.sqlite3'}"
    base_url = env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or None,  # filled from the instance folder if still None
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": parse_bool(env.get("MAIL_USE_TLS"), False),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER") or "tutoring@localhost",
        # Without MAIL_SERVER, mail is written here as .eml files (SPEC §3).
        "MAIL_OUTBOX_DIR": str(Path(instance_path) / "outbox"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_ENABLED": parse_bool(env.get("RATELIMIT_ENABLED"), True),
        # Session-room notices between web processes (tutoring/services/sessions/room_events.py); else a redis://
        # RATELIMIT_STORAGE_URI is used, else notices stay in-process.
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RATELIMIT_HEADERS_ENABLED": True,
        # If Redis stops answering, count per process in memory until it is back
        # (limits stay on, just looser) rather than fail every request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Request bodies above this get 413 (tutoring/security.py); forms and JSON here are small.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "BASE_URL": base_url,
        # Kinds a volunteer offers only while a coordinator has them marked trained (SPEC §7; a comma list).
        "KINDS_NEEDING_TRAINING": "support",
        # The organisation named on hours certificates (TUTORING_ORGANISATION_NAME); empty: the service's name.
        "ORGANISATION_NAME": "",
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": base_url.startswith("https://"),
        # CSRF tokens live as long as the session; HTMX pages stay open for hours.
        "WTF_CSRF_TIME_LIMIT": None,
    }
