"""Backup → damage → restore, on the database the suite runs on: nothing lost, rows or photos."""

import io
from pathlib import Path

from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import delete

from lms import create_app
from lms.clock import local_today
from lms.config import TestConfig
from lms.db import db
from lms.models import (
    ConsentRecord,
    FollowUpVisit,
    PracticeRecord,
    Role,
    TraineeFacts,
    TraineeProfile,
    User,
)
from lms.services import backup, files, practice
from tests.conftest import PASSWORD
from tests.factories import make_user


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "orange").save(out, "PNG")
    return out.getvalue()


def test_backup_damage_restore_loses_nothing(fresh_url, tmp_path):
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": fresh_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        trainee, mentor = make_user(name="王秀兰"), make_user(Role.MENTOR)
        data = practice.PracticeInput(
            kind="sale",
            happened_on=local_today(),
            channel="wechat_group",
            product="土鸡蛋",
            quantity="30",
            unit="个",
            amount="45.50",
            photo=photo(),
        )
        record, _ = practice.log_practice_record(trainee, data)
        db.session.add(
            FollowUpVisit(
                trainee_id=trainee.id,
                mentor_id=mentor.id,
                visited_on=local_today(),
                mode="phone",
                observations={},
            )
        )
        db.session.commit()
        photo_path = files.folder("practice") / record.photo
        photo_bytes = photo_path.read_bytes()
        before = backup.row_counts()

    archive = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and archive.stat().st_size > 0

    with app.app_context():  # damage: people and records gone, the photo overwritten
        for model in (
            TraineeFacts,
            ConsentRecord,
            FollowUpVisit,
            PracticeRecord,
            TraineeProfile,
            User,
        ):
            db.session.execute(delete(model))
        db.session.commit()
        photo_path.write_bytes(b"not a photo")
        (files.folder("practice") / "stray.jpg").write_bytes(b"x")

    refused = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert refused.exit_code != 0  # asks first
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        assert backup.row_counts() == before
        assert db.session.get(PracticeRecord, record.id).amount_fen == 4550
        assert photo_path.read_bytes() == photo_bytes
        assert sorted(p.name for p in files.folder("practice").iterdir()) == [record.photo]
    login = app.test_client().post("/login", data={"phone": trainee.phone, "password": PASSWORD})
    assert login.status_code == 302  # the restored database serves the app

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_archive_from_the_other_database_kind_is_refused(app, runner, tmp_path):
    import json
    import tarfile

    other = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "sqlite"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"database": other}))
    archive = tmp_path / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(manifest, "manifest.json")
    result = runner.invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 1 and f"holds a {other} database" in result.output
    assert Path(archive).exists()
