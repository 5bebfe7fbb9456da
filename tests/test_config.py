"""Settings from the environment (SPEC §3)."""
import pytest

from tutoring import create_app
from tutoring.config import days_setting, normalize_database_url, parse_bool, settings_from_env


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_use_psycopg3(given, expected):
    assert normalize_database_url(given) == expected


def test_defaults_without_environment(tmp_path):
    settings = settings_from_env({}, str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'tutoring.sqlite3'}"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["MAIL_SERVER"] is None
    assert settings["MAIL_OUTBOX_DIR"] == str(tmp_path / "outbox")
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_environment_is_read(tmp_path):
    env = {
        "DATABASE_URL": "postgresql://p@db/t", "MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "587",
        "MAIL_USE_TLS": "true", "RATELIMIT_ENABLED": "false", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "BASE_URL": "https://tutoring.example.org/", "MAIL_DEFAULT_SENDER": "sessions@example.org",
    }
    settings = settings_from_env(env, str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://p@db/t"
    assert (settings["MAIL_SERVER"], settings["MAIL_PORT"], settings["MAIL_USE_TLS"]) == ("smtp.example.org", 587, True)
    assert settings["RATELIMIT_ENABLED"] is False
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"
    assert settings["BASE_URL"] == "https://tutoring.example.org"
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_unclear_flags_are_an_error():
    with pytest.raises(ValueError):
        parse_bool("maybe", True)


def test_tutoring_prefixed_variables_become_settings_and_overrides_win(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTORING_FEED_REFRESH_HOURS", "6")
    monkeypatch.setenv("TUTORING_GREETING", "salam")
    monkeypatch.setenv("BASE_URL", "https://from-env.example")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "GREETING": "hello"})
    assert app.config["FEED_REFRESH_HOURS"] == 6
    assert app.config["GREETING"] == "hello"
    assert app.config["BASE_URL"] == "https://from-env.example"
    assert app.instance_path == str(tmp_path)


def test_development_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TUTORING_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == "from-the-environment"


def test_a_retention_period_is_read_as_whole_days_and_never_below_zero():
    assert days_setting({"NOTE_RETENTION_DAYS": "7"}, "NOTE_RETENTION_DAYS", 30) == 7
    assert days_setting({}, "NOTE_RETENTION_DAYS", 30) == 30
    with pytest.raises(ValueError, match="MESSAGE_RETENTION_DAYS must be 0 or more"):
        days_setting({"MESSAGE_RETENTION_DAYS": -1}, "MESSAGE_RETENTION_DAYS", 30)
