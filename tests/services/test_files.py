"""Files follow the transaction: visible after the commit, removed after it, nothing left behind
by a rollback; the sweep removes what no live record needs."""

import io
import os
import time
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import update

from lms.clock import local_today, utcnow
from lms.db import db
from lms.models import PracticeRecord, RecordStatus
from lms.services import files, practice
from tests.factories import make_record, make_user


def photo_bytes(colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def sale(**overrides) -> practice.PracticeInput:
    values = dict(
        kind="sale",
        happened_on=local_today(),
        channel="wechat_group",
        product="土鸡蛋",
        quantity="30",
        unit="个",
        amount="45",
    )
    values.update(overrides)
    return practice.PracticeInput(**values)


def names(folder: str) -> set[str]:
    return {p.name for p in files.folder(folder).iterdir()}


def age(path, days: float = 2) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


@pytest.fixture
def trainee(ctx):
    for folder in ("staging", "practice", "rosters"):
        for path in files.folder(folder).iterdir():
            path.unlink()
    user = make_user()
    db.session.commit()
    return user


def test_a_photo_appears_only_after_the_commit(trainee):
    record, _ = practice.log_practice_record(trainee, sale(photo=photo_bytes()))
    assert names("practice") == set()  # flushed, not committed: not visible yet
    assert len(names("staging")) == 1
    db.session.commit()
    assert names("practice") == {record.photo} and names("staging") == set()


def test_a_rollback_leaves_neither_an_orphan_nor_a_dangling_reference(trainee):
    practice.log_practice_record(trainee, sale(photo=photo_bytes()))
    db.session.rollback()  # e.g. the request failed after the service ran
    assert names("practice") == set()
    assert db.session.query(PracticeRecord).count() == 0
    # The staged copy is a form in progress; the sweep removes it after a day.
    (staged,) = files.folder("staging").iterdir()
    age(staged)
    assert files.sweep().staged == 1 and names("staging") == set()


def test_a_replaced_photo_is_removed_only_after_the_commit(trainee):
    record, _ = practice.log_practice_record(trainee, sale(photo=photo_bytes("red")))
    db.session.commit()
    old = record.photo
    practice.update_practice_record(
        record, sale(photo=photo_bytes("blue")), base_version=record.version
    )
    assert old in names("practice")
    db.session.rollback()  # the edit failed: the old photo is still there, and still named
    assert names("practice") == {old}
    assert db.session.get(PracticeRecord, record.id).photo == old
    practice.update_practice_record(
        record, sale(photo=photo_bytes("blue")), base_version=record.version
    )
    db.session.commit()
    assert names("practice") == {record.photo} and record.photo != old
    practice.update_practice_record(record, sale(), base_version=record.version, remove_photo=True)
    db.session.commit()
    assert names("practice") == set() and record.photo is None


def test_a_deleted_records_photo_is_swept_a_day_later(trainee):
    record, _ = practice.log_practice_record(trainee, sale(photo=photo_bytes()))
    db.session.commit()
    practice.delete_practice_record(record, base_version=record.version)
    db.session.commit()
    assert files.sweep().deleted_records == 0  # deleted today: kept for now
    db.session.commit()
    assert names("practice") == {record.photo}
    db.session.execute(update(PracticeRecord).values(updated_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    photo = record.photo
    report = files.sweep()
    assert names("practice") == {photo}  # removed only once the sweep commits
    db.session.commit()
    assert report.deleted_records == 1 and names("practice") == set()
    stored = db.session.get(PracticeRecord, record.id)
    assert stored.photo is None and stored.status is RecordStatus.DELETED


def test_the_sweep_removes_orphans_and_old_rosters_and_repairs_a_missed_move(trainee):
    practice_dir, staging, rosters = (files.folder(f) for f in ("practice", "staging", "rosters"))
    (practice_dir / f"{'0' * 32}.jpg").write_bytes(b"orphan")
    (rosters / "1-old.csv").write_bytes(b"phone numbers")
    (rosters / "1-new.csv").write_bytes(b"phone numbers")
    token = files.stage(trainee.id, b"jpeg")
    # A commit that named the photo, but the process died before moving it into place.
    make_record(trainee, photo=files.published_name(token))
    db.session.commit()
    for path in [*practice_dir.iterdir(), rosters / "1-old.csv", *staging.iterdir()]:
        age(path)
    report = files.sweep()
    db.session.commit()
    assert (report.orphans, report.rosters, report.repaired) == (1, 1, 1)
    assert names("practice") == {files.published_name(token)}
    assert names("rosters") == {"1-new.csv"} and names("staging") == set()


def test_flask_files_sweep(app, runner, trainee):
    stale = files.folder("rosters") / "1-x.csv"
    stale.write_bytes(b"x")
    age(stale)
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 roster(s)" in result.output and not stale.exists()
