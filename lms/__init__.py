"""乡村电商学堂: the application factory."""

import secrets

import click
from flask import Flask, g, has_request_context, session
from flask_babel import format_date, format_datetime
from flask_login import current_user
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.assets import init_assets
from lms.config import DEVELOPMENT_KEYS, ROOT, Config, engine_options
from lms.db import db
from lms.display import format_short_date, format_yuan, record_facts, ui_language
from lms.extensions import babel, compress, csrf, limiter, login_manager, migrate
from lms.inputs import IdConverter, refuse_control_characters
from lms.logs import install_redaction
from lms.offline import init_offline
from lms.reporting import facts as _facts  # noqa: F401  (its hooks keep trainee_facts true)
from lms.security import init_security


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=None,  # served by lms.assets, with fingerprinted names
        instance_path=str(ROOT / "instance"),
    )
    app.url_map.converters["id"] = IdConverter
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    _check_secret_key(app)
    install_redaction()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    limiter.init_app(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    init_assets(app, ROOT / "static")
    init_security(app)
    init_offline(app)
    refuse_control_characters(app)
    _init_login(app)

    from lms import models  # noqa: F401  (register every table)
    from lms.admin import bp as admin_bp
    from lms.api import bp as api_bp
    from lms.auth import bp as auth_bp
    from lms.cards import bp as cards_bp
    from lms.lead import bp as lead_bp
    from lms.learn import bp as learn_bp
    from lms.mentor import bp as mentor_bp

    for bp in (auth_bp, learn_bp, cards_bp, mentor_bp, lead_bp, admin_bp, api_bp):
        app.register_blueprint(bp)

    from lms.errors import register_error_pages

    register_error_pages(app)
    _init_templates(app)
    _init_health(app)

    from lms.cli import register_cli

    register_cli(app)
    return app


def _check_secret_key(app: Flask) -> None:
    """A server (gunicorn, `flask run`) refuses to start without a real secret key: sessions
    and CSRF tokens signed with a known key can be forged. Other commands (migrations, imports)
    sign nothing, and get a throwaway key."""
    if app.testing or (app.config.get("SECRET_KEY") or "") not in DEVELOPMENT_KEYS:
        return
    command = click.get_current_context(silent=True)
    if command is None or command.command.name == "run":
        raise RuntimeError(
            "LMS_SECRET_KEY is not set (or is the development key). Set it to a long random "
            "value, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    app.config["SECRET_KEY"] = secrets.token_urlsafe(32)


def select_locale() -> str:
    languages = Config.LANGUAGES
    if not has_request_context():
        return Config.BABEL_DEFAULT_LOCALE
    if g.get("plain_page"):  # an error page: never load the user from the database
        return session.get("locale") if session.get("locale") in languages else "zh_CN"
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return Config.BABEL_DEFAULT_LOCALE


def _init_login(app: Flask) -> None:
    from lms.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_active or user.session_token != token:
            return None
        return user


def _init_templates(app: Flask) -> None:
    from lms.models import Dimension, Observation, ProblemTag
    from lms.permissions import home_endpoint

    def label_of(enum_cls):
        def label(value: str) -> str:
            try:
                return enum_cls(value).label
            except ValueError:
                return value

        return label

    app.jinja_env.globals.update(
        home_endpoint=home_endpoint,
        languages=Config.LANGUAGES,
        dimension_label=label_of(Dimension),
        observation_label=label_of(Observation),
        problem_label=label_of(ProblemTag),
        record_facts=record_facts,
    )
    app.jinja_env.filters["yuan"] = format_yuan
    app.jinja_env.filters["short_date"] = format_short_date
    app.jinja_env.filters["qty"] = lambda d: "" if d is None else f"{d.normalize():f}"
    app.jinja_env.filters["t"] = lambda obj, field: obj.localized(field, ui_language())
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["datetime"] = lambda d, fmt="medium": format_datetime(d, fmt) if d else ""

    @app.context_processor
    def _locale():
        return {"current_locale": ui_language()}


def _init_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # any database failure means "not healthy"
            db.session.rollback()
            return {"status": "unavailable", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}
