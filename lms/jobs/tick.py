"""The periodic work, from one scheduler: cron runs `flask --app wsgi jobs tick` every hour on one
host (README "Production", docs/jobs.md). Every part is idempotent: a tick missed or run twice
does no harm.

- the files sweep (lms.services.files): staged uploads and rosters older than a day, photos no
  record names, photos of records deleted more than a day ago;
- jobs a worker lost (queued for a day, or running far past RQ's timeout) are given up;
- kept job files past their day are removed, and files of the jobs folder that no job names;
- finished jobs' rows older than KEEP_JOBS are deleted;
- the dashboard's preset periods of every programme are kept current (lms.reporting.figures),
  so that the first dashboard of a day finds its figures computed.

Commits.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update

from lms.clock import to_local, utcnow
from lms.db import db
from lms.jobs import kept
from lms.jobs.redis_queue import JOB_TIMEOUT
from lms.models import Job, JobState
from lms.reporting import figures
from lms.services import files

KEEP_JOBS = timedelta(days=30)  # a finished job's row (what it did, for its page)
GIVE_UP_QUEUED = timedelta(days=1)  # no worker took it (the queue was lost or never ran)
GIVE_UP_RUNNING = 4 * JOB_TIMEOUT  # its worker died without a word


@dataclass
class TickReport:
    files: files.SweepReport
    given_up: int = 0
    expired: int = 0
    orphans: int = 0
    removed_jobs: int = 0
    periods: int = 0

    def summary(self) -> str:
        return (
            f"{self.files.summary()}\njobs: {self.given_up} given up, {self.expired} kept "
            f"file(s) expired, {self.orphans} stray file(s) and {self.removed_jobs} old job(s) "
            f"removed\nreport periods: {self.periods} kept current"
        )


def tick(*, now: datetime | None = None) -> TickReport:
    now = now or utcnow()
    report = TickReport(files.sweep(now=now))
    report.given_up = db.session.execute(
        update(Job)
        .where(
            or_(
                and_(Job.state == JobState.QUEUED, Job.created_at < now - GIVE_UP_QUEUED),
                and_(Job.state == JobState.RUNNING, Job.started_at < now - GIVE_UP_RUNNING),
            )
        )
        .values(state=JobState.FAILED, error="interrupted", finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    report.orphans = kept.sweep_orphans(now)  # first: an expired file is still named here
    report.expired = kept.expire(now)
    old = select(Job).where(Job.finished_at < now - KEEP_JOBS)
    for job in db.session.scalars(old.where(Job.file.is_not(None))):
        kept.forget(job)
    report.removed_jobs = db.session.execute(
        delete(Job)
        .where(Job.finished_at < now - KEEP_JOBS)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    report.periods = figures.keep_presets(today=to_local(now).date())
    return report
