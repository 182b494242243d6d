"""Running one job: claim its row, call its function, record how it ended. And the embedded
default's queue: one thread of this process that runs queued jobs one after another.

A job function owns its transactions, like a CLI command. `progress()` commits, so it is
called between units of work, never with work pending that must stay all-or-nothing; that
work is left pending when the function returns `Done`, and commits with the row's "done". A
failure rolls it all back and records a stable code in the row (never a traceback or a person);
the log says which job failed and why, without SQL parameters (lms.logs).
"""

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import NotFound

from lms.clock import utcnow
from lms.db import db
from lms.errors import LmsError
from lms.jobs.kept import KEEP_FILES
from lms.models import Job, JobState, User

log = logging.getLogger(__name__)

REGISTRY: dict[str, Callable[[Job], "Done"]] = {}


def job(kind: str):
    """Register a job function under `kind`: `@job("roster.import") def f(job: Job) -> Done`."""

    def register(function):
        REGISTRY[kind] = function
        return function

    return register


@dataclass
class Done:
    """How a job function ends well: a summary for the page, and maybe a file it keeps (written
    with lms.jobs.kept.keep_file, moved into place by the commit that marks the job done)."""

    result: dict[str, Any] = field(default_factory=dict)
    file: str | None = None


class JobFailed(LmsError):
    """A failure the job page explains: `code` is stable (the page turns it into words)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def progress(job: Job, done: int, total: int | None = None) -> None:
    """Store how far the job got, in a short transaction of its own (commits: call it between
    units of work). Best effort: a database too busy to take it (SQLite's one writer) skips
    this report, never the job."""
    values: dict[str, Any] = {"progress_done": done}
    if total is not None:
        values["progress_total"] = total
    try:
        db.session.execute(update(Job).where(Job.id == job.id).values(**values))
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.info("job %d: progress not stored (database busy)", job.id)


def run(job_id: int) -> JobState | None:
    """Run a queued job to its end, in the current app context; its final state. A job that is
    not queued (delivered twice, or given up by the tick) is left alone: None."""
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        log.info("job %d is not queued: not run again", job_id)
        return None
    job = db.session.get(Job, job_id)
    kind = job.kind
    try:
        function = REGISTRY.get(kind)
        if function is None:
            raise JobFailed("unknown_kind")
        owner = db.session.get(User, job.owner_id)
        with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            done = function(job)
        return _finish(job_id, kind, done)
    except Exception as error:
        db.session.rollback()
        return _fail(job_id, kind, error)


def _finish(job_id: int, kind: str, done: Done) -> JobState:
    now = utcnow()
    values: dict[str, Any] = {"state": JobState.DONE, "finished_at": now, "result": done.result}
    if done.file:
        values |= {"file": done.file, "expires_at": now + KEEP_FILES}
    # Only a job still running ends well: one failed meanwhile (an erasure of someone it
    # holds) keeps nothing, and its pending work and file are rolled back.
    stored = db.session.execute(
        update(Job).where(Job.id == job_id, Job.state == JobState.RUNNING).values(**values)
    ).rowcount
    if not stored:
        db.session.rollback()
        log.warning("job %d (%s) was stopped while it ran: nothing kept", job_id, kind)
        return JobState.FAILED
    db.session.commit()
    log.info("job %d (%s) done", job_id, kind)
    return JobState.DONE


def failure_code(error: BaseException) -> str:
    if isinstance(error, JobFailed):
        return error.code
    if isinstance(error, NotFound):
        return "not_found"  # what it was for is gone, or no longer the owner's to see
    if type(error).__name__ == "JobTimeoutException":  # RQ stopped it (lms.jobs.redis_queue)
        return "timeout"
    return "internal"


def _fail(job_id: int, kind: str, error: BaseException) -> JobState:
    code = failure_code(error)
    if code == "internal":  # a bug or an outage: the traceback, redacted (lms.logs)
        log.error("job %d (%s) failed: %s", job_id, kind, code, exc_info=error)
    else:
        log.warning("job %d (%s) failed: %s", job_id, kind, code)
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(state=JobState.FAILED, error=code, finished_at=utcnow())
    )
    db.session.commit()
    return JobState.FAILED


class ThreadQueue:
    """The embedded default: one thread of this process runs the jobs it queued, one at a time,
    each in its own app context (and so its own database session). Nothing here is needed by
    another worker: a job's state is in the database. `wait` lets a test (or a CLI command)
    join a job; the app behaves the same without it."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: dict[int, threading.Event] = {}

    def put(self, app: Flask, job_id: int) -> None:
        with self._lock:
            self._running[job_id] = threading.Event()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="lms-jobs", daemon=True)
                self._thread.start()
        self._jobs.put((app, job_id))

    def _work(self) -> None:
        while True:
            app, job_id = self._jobs.get()
            try:
                with app.app_context():
                    run(job_id)
            except Exception:  # the database itself failed: the tick gives the job up later
                log.exception("job %d could not be run", job_id)
            finally:
                with self._lock:
                    finished = self._running.pop(job_id, None)
                if finished is not None:
                    finished.set()

    def wait(self, job_id: int, timeout: float = 120) -> bool:
        """Block until this process has run the job (True at once if it holds no such job)."""
        with self._lock:
            finished = self._running.get(job_id)
        return finished is None or finished.wait(timeout)

    def wait_all(self, timeout: float = 120) -> bool:
        with self._lock:
            events = list(self._running.values())
        return all(event.wait(timeout) for event in events)


THREADS = ThreadQueue()
