"""Queueing a job: the row is written in the caller's transaction and the job is handed to a
queue only after that transaction commits (never if it rolls back), so whoever runs it finds
its row. RQ on Redis when JOB_QUEUE_URL is set, else this process's thread."""

import logging
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select, update

from lms.clock import utcnow
from lms.db import db, insert_once
from lms.jobs import redis_queue
from lms.jobs.runner import THREADS
from lms.models import Job, JobState, Programme, User

log = logging.getLogger(__name__)

_QUEUED = "lms.jobs.queued"  # session.info key: [(app, job id)] to hand over after commit


def enqueue(
    kind: str,
    *,
    owner: User,
    programme: Programme | None = None,
    key: str | None = None,
    total: int | None = None,
    **args: Any,
) -> Job:
    """Add a job of `kind` (a name registered with `@job`) with its `args` (plain JSON values);
    it is queued when the caller commits. With a `key`, a second job for the same thing is
    never made: the one already there is returned (a resent form, or two at once), and nothing
    more is queued. Flushes, never commits."""
    values = {
        "kind": kind,
        "key": key,
        "owner_id": owner.id,
        "programme_id": programme.id if programme else None,
        "args": args,
        "state": JobState.QUEUED,
        "progress_total": total,
    }
    if key is None:
        job = Job(**values)
        db.session.add(job)
        db.session.flush()
        created = True
    else:
        created = insert_once(Job, values, "key")
        job = find(key)
    if created:
        app = current_app._get_current_object()
        db.session.info.setdefault(_QUEUED, []).append((app, job.id))
    return job


def find(key: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.key == key))


def wait(job_id: int, timeout: float = 120) -> bool:
    """Block until this process's thread has run the job (tests; the app never waits)."""
    return THREADS.wait(job_id, timeout)


def put(app: Flask, job_id: int) -> None:
    """Hand a committed job to the configured queue. A queue that cannot take it marks the job
    failed ("queue_unavailable"), so its page says so instead of waiting for ever."""
    if not app.config.get("JOB_QUEUE_URL"):
        THREADS.put(app, job_id)
        return
    try:
        redis_queue.put(app, job_id)
    except Exception as error:  # Redis down or refusing: the page must not wait for ever
        log.error("job %d could not be queued: %s", job_id, type(error).__name__)
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.QUEUED)
                .values(state=JobState.FAILED, error="queue_unavailable", finished_at=utcnow())
            )


@event.listens_for(db.session, "after_commit")
def _hand_over(session) -> None:
    for app, job_id in session.info.pop(_QUEUED, []):
        put(app, job_id)


@event.listens_for(db.session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_QUEUED, None)
