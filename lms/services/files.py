"""Files that follow the database transaction (DESIGN §5 "Files").

Uploads live under UPLOAD_FOLDER in four folders:

- `staging/`: files of forms in progress, named `<owner id>-<hex>.jpg`. A photo is written here
  first, so a form sent back with an error keeps it, and nothing outside staging exists before
  the commit that refers to it.
- `practice/`: evidence photos of practice records, named `<hex>.jpg`. A staged photo is moved
  here from the session's `after_commit` hook, never before; a photo replaced or removed is
  deleted there too. A rollback moves and deletes nothing.
- `rosters/`: roster files waiting for the lead to confirm the import (or for its job).
- `jobs/`: files a background job keeps for its owner for a day (an export, new trainees'
  initial passwords), written by `place_after_commit`; lms.jobs.tick removes them.

`sweep` removes what no live record needs: staged files and rosters older than a day, photos no
record names, and the photos of records the trainee deleted more than a day ago. Services call
`publish` and `remove_after_commit`; they never touch the final folders themselves.
"""

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select

from lms.clock import utcnow
from lms.db import db

KEEP_STAGED = timedelta(days=1)
STAGED_NAME = re.compile(r"^(\d+)-([0-9a-f]{32})\.jpg$")
TOKEN = re.compile(r"^[0-9a-f]{32}$")

_PENDING = "files_after_commit"  # key in session.info: [(action, args)] to run after commit


def folder(name: str) -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def stage(owner_id: int, data: bytes) -> str:
    """Write a JPEG to the staging area for `owner_id`; returns its token (a 32-hex string)."""
    token = secrets.token_hex(16)
    target = folder("staging") / f"{owner_id}-{token}.jpg"
    temporary = target.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return token


def staged_path(owner_id: int, token: str | None) -> Path | None:
    """The staged file of this owner with this token, if it is still there (None otherwise:
    a token never reaches another person's file)."""
    if not token or not TOKEN.match(token):
        return None
    path = folder("staging") / f"{owner_id}-{token}.jpg"
    return path if path.is_file() else None


def published_name(token: str) -> str:
    """The name a staged file has once published."""
    return f"{token}.jpg"


def publish(owner_id: int, token: str, into: str) -> str:
    """The final name of a staged file in folder `into`; the file moves there after commit."""
    name = published_name(token)
    _after_commit("move", folder("staging") / f"{owner_id}-{token}.jpg", folder(into) / name)
    return name


def remove_after_commit(into: str, name: str | None) -> None:
    if name:
        _after_commit("delete", folder(into) / name)


def place_after_commit(into: str, name: str, data: bytes) -> None:
    """Write `data` as `name` in folder `into`, visible only once the transaction commits: it
    waits under a temporary name (readable by this process's user alone) until then, and is
    removed if the transaction rolls back."""
    target = folder(into) / name
    temporary = target.with_name(f"{name}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    _after_commit("place", temporary, target)


def discard(path: Path | None) -> None:
    """Remove a file that no transaction refers to (e.g. a roster after its import) now."""
    if path is not None:
        path.unlink(missing_ok=True)


def _after_commit(action: str, *paths: Path) -> None:
    db.session.info.setdefault(_PENDING, []).append((action, paths))


@event.listens_for(db.session, "after_commit")
def _run_pending(session) -> None:
    for action, paths in session.info.pop(_PENDING, []):
        try:
            if action in ("move", "place"):
                os.replace(*paths)
            else:
                paths[0].unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # the sweep repairs a move that could not happen (see `sweep`)


@event.listens_for(db.session, "after_rollback")
def _drop_pending(session) -> None:
    for action, paths in session.info.pop(_PENDING, []):
        if action == "place":  # written for this transaction alone (a staged photo stays)
            paths[0].unlink(missing_ok=True)


@dataclass
class SweepReport:
    staged: int = 0
    rosters: int = 0
    orphans: int = 0
    deleted_records: int = 0
    repaired: int = 0

    def summary(self) -> str:
        return (
            f"files sweep: {self.staged} staged, {self.rosters} roster(s), {self.orphans} "
            f"orphan photo(s), {self.deleted_records} photo(s) of deleted records removed; "
            f"{self.repaired} photo(s) moved into place"
        )


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Remove every file no live record needs (see the module docstring).

    Clears the photo of deleted records older than a day (flushes; the caller commits).
    """
    from lms.models import PracticeRecord, RecordStatus

    now = now or utcnow()
    cutoff = (now - KEEP_STAGED).timestamp()
    report = SweepReport()
    named = set(
        db.session.scalars(select(PracticeRecord.photo).where(PracticeRecord.photo.is_not(None)))
    )
    practice = folder("practice")
    for path in folder("staging").iterdir():
        if path.stat().st_mtime >= cutoff:
            continue
        match = STAGED_NAME.match(path.name)
        final = f"{match.group(2)}.jpg" if match else None
        if final in named and not (practice / final).exists():
            os.replace(path, practice / final)  # committed, but the move never happened
            report.repaired += 1
        else:
            path.unlink(missing_ok=True)
            report.staged += 1
    for path in folder("rosters").iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            report.rosters += 1
    for record in db.session.scalars(
        select(PracticeRecord).where(
            PracticeRecord.status == RecordStatus.DELETED,
            PracticeRecord.photo.is_not(None),
            PracticeRecord.updated_at < now - KEEP_STAGED,
        )
    ):
        remove_after_commit("practice", record.photo)
        record.photo = None
        report.deleted_records += 1
    for path in practice.iterdir():
        if path.name not in named and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            report.orphans += 1
    db.session.flush()
    return report
