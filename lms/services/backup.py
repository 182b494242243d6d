"""Backup and restore: the database and the evidence photos, in one archive.

An archive is a .tar.gz holding `manifest.json` (when, which database, the schema revision, row
counts), the database (`database.sqlite3` from SQLite's online backup API, or
`database.pgdump` from `pg_dump --format=custom`) and `uploads/practice/` (the evidence photos).
Staged uploads and roster files are left out on purpose: they are forms in progress and
phone lists waiting a day at most.

Restoring replaces the database and the photos with the archive's. Stop the web workers first;
run `flask --app wsgi db upgrade` afterwards if the archive is from an older release.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, make_url, select, text

from lms.clock import utcnow
from lms.db import db
from lms.errors import LmsError

PHOTOS = "uploads/practice"


class BackupFailed(LmsError):
    pass


@dataclass
class BackupReport:
    path: Path
    database: str
    rows: dict[str, int]
    photos: int

    def summary(self) -> str:
        rows, tables = sum(self.rows.values()), len(self.rows)
        return f"{self.path}: {self.database}, {rows} rows, {tables} tables, {self.photos} photos"


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq_url(url) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        # pg_dump's message names the failing object, never the rows: safe to show.
        raise BackupFailed(f"{command[0]} failed: {result.stderr.strip()[-500:]}")


def backup(target: Path) -> BackupReport:
    """Write an archive of the database and the evidence photos to `target`."""
    url = _url()
    photos = Path(current_app.config["UPLOAD_FOLDER"]) / "practice"
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    rows = row_counts()
    db.session.rollback()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            dump = work / "database.sqlite3"
            source = sqlite3.connect(_sqlite_path(url))
            with sqlite3.connect(dump) as copy:
                source.backup(copy)  # consistent while the app keeps running
            source.close()
        else:
            dump = work / "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq_url(url)])
        manifest = {
            "created_at": utcnow().isoformat() + "Z",
            "database": url.get_backend_name(),
            "revision": revision,
            "rows": rows,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = target.with_name(target.name + ".part")
        count = 0
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            for photo in sorted(photos.glob("*.jpg")) if photos.is_dir() else []:
                archive.add(photo, f"{PHOTOS}/{photo.name}")
                count += 1
        os.replace(partial, target)
    return BackupReport(target, url.get_backend_name(), rows, count)


def restore(source: Path) -> BackupReport:
    """Replace the database and the evidence photos with those in the archive `source`."""
    url = _url()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with tarfile.open(source, "r:gz") as archive:
            archive.extractall(work, filter="data")  # no paths outside `work`, no devices
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest["database"] != url.get_backend_name():
            raise BackupFailed(
                f"the archive holds a {manifest['database']} database, "
                f"this server uses {url.get_backend_name()}"
            )
        db.session.remove()
        db.engine.dispose()
        if url.get_backend_name() == "sqlite":
            with sqlite3.connect(work / "database.sqlite3") as saved:
                live = sqlite3.connect(_sqlite_path(url))
                saved.backup(live)
                live.close()
        else:
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={_libpq_url(url)}",
                    str(work / "database.pgdump"),
                ]
            )
        photos = Path(current_app.config["UPLOAD_FOLDER"]) / "practice"
        saved_photos = work / PHOTOS
        if photos.exists():
            shutil.rmtree(photos)
        photos.parent.mkdir(parents=True, exist_ok=True)
        if saved_photos.is_dir():
            shutil.copytree(saved_photos, photos)
        else:
            photos.mkdir()
    return BackupReport(source, manifest["database"], row_counts(), len(list(photos.glob("*.jpg"))))
