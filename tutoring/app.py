"""The Flask application factory: configuration, extensions and blueprints."""
from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from tutoring.config import development_secret_key, engine_options, normalize_database_url, settings_from_env
from tutoring.extensions import babel, configure_sqlite, csrf, db, htmx, limiter, login_manager, migrate

# Flask-Migrate looks for "migrations" relative to the working directory by
# default; anchor it to the checkout so `flask` and pytest work from anywhere.
ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT / "migrations"


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a document nested too deeply to parse is malformed like any other."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """``json.loads``; its RecursionError (``[[[[...``) becomes the ValueError that ``get_json`` answers with 400."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class NamedFieldsOnly:
    """A request class mixin: form parts without a name are dropped.

    A malformed multipart part (``name="\\r"``, or no name at all) comes out of
    Werkzeug with the key None; no view can ask for it, and Flask-WTF's CSRF
    check, which calls ``key.endswith`` on every key, would crash on it.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for attribute in ("form", "files"):
            values = self.__dict__[attribute]
            if None in values:
                self.__dict__[attribute] = type(values)(
                    (key, value) for key, value in values.items(multi=True) if key is not None
                )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: environment defaults (SPEC §3), then ``TUTORING_*`` variables, then ``config``.

    ``config`` may also carry ``INSTANCE_PATH`` to put the instance folder
    (default database, development secret, mail outbox) somewhere else.
    """
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("TUTORING_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.json = JSONProvider(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.update(settings_from_env(os.environ, app.instance_path))
    app.config.from_prefixed_env("TUTORING")
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = development_secret_key(app.instance_path)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies, take the client's address (rate limits are
        # per IP) and scheme from X-Forwarded-For/-Proto, trusting N hops only.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from tutoring.services.support.training import parse_kinds

    app.config["KINDS_NEEDING_TRAINING"] = parse_kinds(app.config.get("KINDS_NEEDING_TRAINING"))  # fail early on a typo
    _init_extensions(app)
    # After htmx-flask installed its request class, which stays underneath.
    app.request_class = type("Request", (NamedFieldsOnly, app.request_class), {})
    _register_blueprints(app)

    from tutoring.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from tutoring import models  # noqa: F401  (registers every table on db.metadata)
    from tutoring.assets import init_assets
    from tutoring.formatting import register_template_helpers
    from tutoring.i18n import LANGUAGES, current_language, current_timezone, select_locale, select_timezone, text_direction
    from tutoring.security import init_security
    from tutoring.transactions import commit_read_only_transactions

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    commit_read_only_transactions(app, db)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    init_security(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    register_template_helpers(app)
    init_assets(app)  # fingerprinted static URLs, a year of caching, gzip (tutoring/assets.py)
    from tutoring.help_prompt import init_help_prompt

    init_help_prompt(app)  # help shown to whoever writes words of crisis (issue 18)

    @app.context_processor
    def _language_context() -> dict[str, Any]:
        return {
            "text_direction": text_direction,
            "current_language": current_language,
            "current_timezone": current_timezone,
            "languages": LANGUAGES,
        }


def _register_blueprints(app: Flask) -> None:
    from tutoring.account.routes import bp as account_bp
    from tutoring.api.routes import bp as api_bp
    from tutoring.auth.routes import bp as auth_bp
    from tutoring.booking.routes import bp as booking_bp
    from tutoring.feeds.routes import bp as feeds_bp
    from tutoring.main.routes import bp as main_bp
    from tutoring.volunteers.routes import bp as volunteers_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(booking_bp)
    _register_coordination(app)
    _register_scheduling_help(app)


def _register_coordination(app: Flask) -> None:
    """Issue 7: the coordinators' area, learners' reports and blocks, volunteers' certificates."""
    from tutoring.certificates.routes import bp as certificates_bp
    from tutoring.coordinator.routes import bp as coordinator_bp
    from tutoring.safeguarding.routes import bp as safeguarding_bp

    app.register_blueprint(coordinator_bp)
    app.register_blueprint(safeguarding_bp)
    app.register_blueprint(certificates_bp)


def _register_scheduling_help(app: Flask) -> None:
    """Issue 10: group sessions (the volunteer's page of one) and finding a time from a learner's free hours."""
    from tutoring.checkins.routes import bp as checkins_bp
    from tutoring.find.routes import bp as find_bp
    from tutoring.groups.routes import bp as groups_bp
    from tutoring.rooms.routes import bp as rooms_bp

    app.register_blueprint(groups_bp)
    app.register_blueprint(find_bp)
    app.register_blueprint(checkins_bp)  # issue 18: check-ins, escalation, debriefs
    app.register_blueprint(rooms_bp)  # issue 20: the session room


@login_manager.user_loader
def _load_user(user_id: str):
    from tutoring.models import User

    # "<id>:<password fingerprint>:<session generation>" (User.get_id): a session or
    # remember cookie made before the last password change or sign-out no longer
    # signs anyone in. Ids from before the generation existed count as generation 0.
    number, _, rest = user_id.partition(":")
    fingerprint, _, generation = rest.partition(":")
    generation = generation or "0"
    if not number.isdigit() or not fingerprint or not generation.isdigit():
        return None
    user = db.session.get(User, int(number))
    if user is None or not user.is_active or not hmac.compare_digest(fingerprint, user.password_fingerprint()):
        return None
    if int(generation) != user.session_generation:
        return None
    return user


# The sign-in page belongs to the auth blueprint (SPEC §3: /auth/login).
login_manager.login_view = "auth.login"
