"""App-wide behaviour: health check, translation catalogs."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from lms import create_app
from lms.config import TestConfig

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_healthz_503_when_database_unreachable():
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/x.sqlite3",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_both_catalogs_translate_every_message(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            "--ignore-dirs",
            ".* instance",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert len(wanted) > 50
    for locale in ("zh_CN", "en"):
        with (ROOT / "lms" / "translations" / locale / "LC_MESSAGES" / "messages.po").open(
            "rb"
        ) as f:
            catalog = read_po(f, locale=locale)
        translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
        missing = wanted - translated
        assert not missing, f"{locale} lacks {sorted(missing)[:5]} (run make extract-messages)"


def test_money_is_shown_in_yuan_with_its_sign(app):
    from lms.display import format_yuan
    from lms.reporting.dashboard import yuan

    assert format_yuan(12850) == "¥128.50" and format_yuan(123456789) == "¥1,234,567.89"
    assert format_yuan(-7250) == "-¥72.50"  # not ¥-73.50: floor division of negatives
    # Half a fen (a median of two) rounds half away from zero, as PostgreSQL's round() and
    # Excel's ROUND do: the screen and the export agree.
    assert yuan(7250.5) == "¥72.51" and yuan(-7250.5) == "-¥72.51" and yuan(7250.49) == "¥72.50"
    assert yuan(None) == "—"


def test_every_member_of_every_labelled_enum_has_a_label(app):
    import lms.services.schedule  # noqa: F401  (DueReason lives in a service)
    from lms.models.labelled import Labelled

    enums = Labelled.__subclasses__()
    assert len(enums) >= 12
    with app.test_request_context():
        for enum in enums:
            assert all(member.label for member in enum), enum


def test_a_server_refuses_to_start_without_a_real_secret_key():
    import click
    import pytest

    base = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    for key in ("", "dev-only-change-me"):
        config = {**base, "TESTING": False, "SECRET_KEY": key}
        with pytest.raises(RuntimeError, match="LMS_SECRET_KEY"):
            create_app(config)  # as gunicorn would
        with click.Context(click.Command("run")), pytest.raises(RuntimeError):
            create_app(config)  # flask run
        with click.Context(click.Command("upgrade")):  # a command that signs nothing
            app = create_app(config)
        assert app.config["SECRET_KEY"] not in ("", "dev-only-change-me")


def test_behind_a_proxy_the_client_is_the_forwarded_address(app):
    from lms.db import db
    from tests.factories import make_user

    proxied = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PROXY_COUNT": 1,
        }
    )
    with proxied.app_context():
        user = make_user()
        db.session.commit()

    def fail(forwarded_for):
        return proxied.test_client().post(
            "/login",
            data={"phone": user.phone, "password": "wrong"},
            headers={"X-Forwarded-For": forwarded_for},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},  # nginx
        )

    assert [fail("203.0.113.5").status_code for _ in range(6)] == [401] * 5 + [429]
    assert fail("198.51.100.7").status_code == 401  # another phone, another count
    with proxied.app_context():
        from lms.extensions import limiter

        limiter.reset()
        db.session.remove()
        db.engine.dispose()
