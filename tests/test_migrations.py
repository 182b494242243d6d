"""Migrations upgrade, downgrade and upgrade again, and agree with the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.config import TestConfig
from lms.db import db


def test_upgrade_downgrade_upgrade_and_no_drift(fresh_url):
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": fresh_url,
        }
    )
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        db.engine.dispose()


def test_the_integrity_migration_keeps_what_existing_rows_meant(fresh_url):
    """Assignments get their programme (a cohort's, or the trainee's latest enrolment's) and an
    exclusive end one day later; promotions are numbered per trainee; both ways."""
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": fresh_url,
        }
    )
    with app.app_context():
        upgrade(revision="55e914df6e76")
        with db.engine.begin() as conn:
            for i, role in enumerate(["lead", "mentor", "trainee", "trainee"], start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO users (id, phone, name, role, password_hash, is_active,"
                        " session_token, failed_logins, created_at)"
                        " VALUES (:i, :p, 'x', :r, 'h', true, 't', 0, '2026-01-01')"
                    ),
                    {"i": i, "p": f"1390000000{i}", "r": role},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO programmes (id, name, organisation, description, villages,"
                    " lead_id, created_at) VALUES (7, 'p', '', '', '[]', 1, '2026-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO cohorts (id, programme_id, name, site, township, village,"
                    " starts_on) VALUES (5, 7, 'c', '', '', '', '2026-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO enrollments (cohort_id, trainee_id, enrolled_on)"
                    " VALUES (5, 3, '2026-01-01')"
                )
            )
            for i, trainee, cohort, ends in [
                (1, None, 5, "2026-03-31"),
                (2, 3, None, None),
                (3, 4, None, "2026-02-01"),  # trainee 4 was never enrolled: no programme
            ]:
                conn.execute(
                    sa.text(
                        "INSERT INTO mentor_assignments (id, mentor_id, trainee_id, cohort_id,"
                        " starts_on, ends_on) VALUES (:i, 2, :t, :c, '2026-01-01', :e)"
                    ),
                    {"i": i, "t": trainee, "c": cohort, "e": ends},
                )
            for i, signed in [(1, "2026-03-01"), (2, "2026-02-01")]:
                conn.execute(
                    sa.text(
                        "INSERT INTO rung_promotions (id, trainee_id, kind, from_rung, to_rung,"
                        " evidence, reason, signed_by_id, signed_at)"
                        " VALUES (:i, 3, 'promotion', 3, 4, '{}', '', 2, :s)"
                    ),
                    {"i": i, "s": signed},
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, programme_id, ends_on FROM mentor_assignments ORDER BY id")
            ).all()
            assert [(r[0], r[1], str(r[2]) if r[2] else None) for r in rows] == [
                (1, 7, "2026-04-01"),
                (2, 7, None),
            ]
            steps = conn.execute(sa.text("SELECT id, step FROM rung_promotions ORDER BY id")).all()
            assert [tuple(r) for r in steps] == [(1, 2), (2, 1)]  # numbered in signing order
        downgrade(revision="55e914df6e76")
        with db.engine.connect() as conn:
            ends = conn.execute(sa.text("SELECT ends_on FROM mentor_assignments WHERE id = 1"))
            assert str(ends.scalar()) == "2026-03-31"
        db.engine.dispose()


def test_the_platform_cards_migration_adds_and_removes_its_table(fresh_url):
    """From the head before it (tracks and routes) up to the cards and back again."""
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": fresh_url,
        }
    )
    with app.app_context():
        upgrade(revision="c4d8e2a17f35")
        assert "platform_cards" not in sa.inspect(db.engine).get_table_names()
        upgrade(revision="5c66121df54b")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO platform_cards (slug, position, name_zh, name_en, checked_on,"
                    " body_md, body_html, revision, content_hash)"
                    " VALUES ('taobao', 1, '淘宝', 'Taobao', '2026-12-03', 'x', '<p>x</p>', 1, 'h')"
                )
            )
            stored = conn.execute(sa.text("SELECT checked_on FROM platform_cards")).scalar()
        assert str(stored) == "2026-12-03"
        downgrade(revision="c4d8e2a17f35")
        assert "platform_cards" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        db.engine.dispose()


def test_the_practice_kind_fields_migration_keeps_records_and_checks_its_counts(fresh_url):
    """a3f6b9d1c2e8 adds link, minutes, viewers, orders and people (empty on existing records),
    with CHECKs that refuse a negative count; downgrading drops them and keeps the records."""
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": fresh_url,
        }
    )
    insert_record = sa.text(
        "INSERT INTO practice_records (id, uuid, trainee_id, kind, happened_on, channel, product,"
        " unit, amount_fen, note, status, reject_reason, created_at, updated_at, version)"
        " VALUES (:i, :u, 1, 'sale', '2026-11-01', 'wechat_group', '土鸡蛋', '斤', 4500, '',"
        " 'self_reported', '', '2026-11-01', '2026-11-01', 1)"
    )
    with app.app_context():
        upgrade(revision="5c66121df54b")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, phone, name, role, password_hash, is_active,"
                    " session_token, created_at)"
                    " VALUES (1, '13900000001', 'x', 'trainee', 'h', true, 't', '2026-01-01')"
                )
            )
            conn.execute(insert_record, {"i": 1, "u": "00000000-0000-4000-8000-000000000001"})
        upgrade(revision="a3f6b9d1c2e8")
        with db.engine.begin() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT amount_fen, link, minutes, viewers, orders, people"
                    " FROM practice_records"
                )
            ).one()
            assert tuple(row) == (4500, None, None, None, None, None)
            conn.execute(
                sa.text(
                    "UPDATE practice_records SET kind = 'livestream', minutes = 60, viewers = 0,"
                    " orders = 0, link = 'https://v.douyin.com/x/'"
                )
            )
        for column, value in [("minutes", 0), ("viewers", -1), ("orders", -1), ("people", 0)]:
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
                conn.execute(sa.text(f"UPDATE practice_records SET {column} = {value}"))
        downgrade(revision="5c66121df54b")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("practice_records")}
        assert not columns & {"link", "minutes", "viewers", "orders", "people"}
        with db.engine.begin() as conn:
            assert (
                conn.execute(sa.text("SELECT kind FROM practice_records")).scalar() == "livestream"
            )
        db.engine.dispose()
