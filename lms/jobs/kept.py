"""Files a job keeps for its owner (an export, new trainees' initial passwords) under
UPLOAD_FOLDER/jobs/, named `<job id>-<hex>.<suffix>`: written under a temporary name and moved
into place by the commit that marks the job done (lms.services.files), kept for KEEP_FILES,
then removed by the tick; removed at once when the owner asks, or when a trainee of the
job's programme is erased (DESIGN §5 "Erasure": exports kept are copies of the person).

Functions here flush, never commit, except where a job (which owns its transactions) uses them.
"""

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from lms.clock import utcnow
from lms.db import db
from lms.models import Job, JobState
from lms.services import files

KEEP_FILES = timedelta(hours=24)
FOLDER = "jobs"


def keep_file(job: Job, data: bytes, suffix: str) -> str:
    """Write a file the job keeps; its name, for `Done(file=…)`."""
    name = f"{job.id}-{secrets.token_hex(16)}.{suffix}"
    files.place_after_commit(FOLDER, name, data)
    return name


def path_of(job: Job, *, now: datetime | None = None) -> Path | None:
    """The job's kept file, if it is still there and not past its time."""
    if not job.file or job.expires_at is None or job.expires_at <= (now or utcnow()):
        return None
    path = files.folder(FOLDER) / job.file
    return path if path.is_file() else None


def forget(job: Job) -> None:
    """Remove the job's file after the commit (the owner printed the passwords, say)."""
    files.remove_after_commit(FOLDER, job.file)
    job.file, job.expires_at = None, None
    db.session.flush()


def erase_programmes(programme_ids: list[int]) -> int:
    """An erased trainee's copies in jobs of these programmes: every kept file goes (after the
    commit), and an export still queued or running fails ("erased"), so it keeps nothing of
    the person it may have read. How many files go."""
    if not programme_ids:
        return 0
    in_scope = Job.programme_id.in_(programme_ids)
    db.session.execute(
        update(Job)
        .where(in_scope, Job.kind == "export", Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .values(state=JobState.FAILED, error="erased", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    removed = 0
    folder = files.folder(FOLDER)
    for job in db.session.scalars(select(Job).where(in_scope)):
        for stray in folder.glob(f"{job.id}-*"):  # files of a job that died before its end
            if stray.name != job.file:
                stray.unlink(missing_ok=True)
        if job.file:
            forget(job)
            removed += 1
    db.session.flush()
    return removed


def expire(now: datetime) -> int:
    """Remove every kept file past its time (after the commit); how many."""
    jobs = db.session.scalars(select(Job).where(Job.file.is_not(None), Job.expires_at <= now)).all()
    for job in jobs:
        forget(job)
    return len(jobs)


def sweep_orphans(now: datetime) -> int:
    """Remove files in the folder that no job names and that are older than a day (a job that
    died between writing its file and its commit)."""
    named = set(db.session.scalars(select(Job.file).where(Job.file.is_not(None))))
    cutoff = (now - files.KEEP_STAGED).timestamp()
    removed = 0
    for path in files.folder(FOLDER).iterdir():
        if path.name not in named and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
