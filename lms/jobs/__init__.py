"""Background jobs: work too long for a request (a large roster import, a large export) runs
outside it, with its state and progress in the `jobs` table, so a page on any web worker can
show it (lms.lead.jobs).

- `enqueue(kind, owner=…, programme=…, key=…, **args)` adds the row in the caller's
  transaction; the job is queued once that commits (`queue`).
- The queue is chosen by config: RQ on Redis when `JOB_QUEUE_URL` is set, run by
  `flask --app wsgi worker` (`redis_queue`); else, on the embedded default, a thread of the web
  process (`runner.ThreadQueue`), so `make run` needs nothing more.
- A job function is registered by name (`@job("roster.import")`), gets its row and runs in its
  own app context and database session; it reports `progress` in short transactions and ends
  with `Done` or raises (`JobFailed(code)`, or anything else: "internal") — see `runner`.
- Periodic work runs from one cron line, `flask --app wsgi jobs tick` (`tick`).
"""

from lms.jobs.kept import keep_file
from lms.jobs.queue import enqueue, find, wait
from lms.jobs.runner import Done, JobFailed, job, progress

__all__ = ["Done", "JobFailed", "enqueue", "find", "job", "keep_file", "progress", "wait"]

from lms.jobs import exports, roster  # noqa: E402, F401  (register the job functions)
