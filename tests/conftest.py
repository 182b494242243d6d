"""Fixtures: one app and schema per test session (built by the real migrations), clean tables per
test, and clients logged in as each role. Set LMS_TEST_DATABASE_URL to run on PostgreSQL."""

import contextlib
import os
import re
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from werkzeug.serving import make_server

from lms import create_app
from lms.config import TestConfig
from lms.db import db
from lms.extensions import limiter
from lms.models import ReportPeriod, TraineeProfile
from lms.reporting import facts, figures
from tests import factories

PASSWORD = factories.PASSWORD

# Property-based tests: "ci" (the default, used by `make test`) is bounded and repeatable;
# HYPOTHESIS_PROFILE=dev explores more, with fresh random examples each run.
settings.register_profile(
    "ci",
    max_examples=50,
    stateful_step_count=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_database(url: str) -> None:
    """Start from an empty database, whatever an earlier run left behind."""
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = database_url(tmp_path_factory)
    reset_database(url)
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


TABLES_KEPT = {"alembic_version"}


def empty_tables(app) -> None:
    """Every table emptied (the schema stays), as a fresh database would be."""
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in TABLES_KEPT]
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            with db.engine.begin() as conn:
                for table in tables:
                    conn.execute(table.delete())


def check_facts(app) -> None:
    """Whatever a test wrote, the facts kept on write equal a live computation from the records:
    every test of a write path is also a test that the facts followed it."""
    with app.app_context():
        db.session.remove()
        ids = sorted(db.session.scalars(sa.select(TraineeProfile.user_id)))
        wrong = facts.differences(ids)
        stale = {p: figures.differences(p) for p in db.session.scalars(sa.select(ReportPeriod.id))}
        db.session.remove()
    assert not wrong, f"trainee_facts differ from the live computation: {wrong}"
    # …and the figures kept for a period, where they claim to be current (lms.reporting.figures)
    assert not any(stale.values()), f"kept period figures differ from the live ones: {stale}"


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """After each test that used the app: check the facts kept on write, empty every table, and
    forget every login throttle count."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        check_facts(app)
        empty_tables(app)
        with app.app_context():
            limiter.reset()


@pytest.fixture
def ctx(app):
    """An app context with a clean session, for service tests."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(app, client):
    """login(user) logs the test client in through the real login form and returns the client."""

    def _login(user, password: str = PASSWORD, target=None):
        c = target or client
        response = c.post("/login", data={"phone": user.phone, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return _login


def form_errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html)


MINI_CURRICULUM = Path(__file__).resolve().parent / "data" / "mini"


@pytest.fixture
def mini_curriculum(app, monkeypatch):
    """The small fixture curriculum (2 courses, 3 lessons, 4 quiz items, 1 task), imported and
    configured as the app's curriculum folder (lesson pictures are served from there)."""
    from lms.services import curricula

    monkeypatch.setitem(app.config, "CURRICULA_PATH", str(MINI_CURRICULUM))
    with app.app_context():
        curricula.import_tree(MINI_CURRICULUM)
        db.session.commit()
    return MINI_CURRICULUM


@pytest.fixture
def count_queries(app):
    """count_queries(fn) → (result, number of SQL statements fn ran)."""
    from sqlalchemy import event

    def _count(fn):
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            result = fn()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return result, len(statements)

    return _count


@contextlib.contextmanager
def serving(app):
    """The app on a free local port, many requests at once (one thread each); yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def count_rows(app, model, **where) -> int:
    """How many rows of `model` match `where` (column = value), read in a fresh app context."""
    from sqlalchemy import func, select

    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


@pytest.fixture
def fresh_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on."""
    base = os.environ.get("LMS_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"lms_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(base).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
