"""Large exports as jobs. An export of more than EXPORT_JOB_ROWS rows is written to a file by a
job instead of inside the request, and downloaded from the job's page by the person who asked
for it, for a day (lms.jobs.kept); smaller ones stay immediate. The tables are the views' own:
each view registers the builder of its table here (`@table("needs", args=…)`), so the file is
the very table the immediate export gives, built in its owner's language."""

from collections.abc import Callable, Mapping
from typing import Any

from lms.db import db
from lms.jobs.kept import keep_file
from lms.jobs.queue import enqueue
from lms.jobs.runner import Done, JobFailed, job, progress
from lms.models import Job, Programme, User
from lms.reporting.dashboard import Table
from lms.services import exports

EXPORT_JOB_ROWS = 5000  # above this, an export runs as a job
FORMATS = ("csv", "xlsx")

# name → (builder, the query parameters it reads, what the job page calls it); a builder
# takes the programme and those parameters and returns the table and its file name (no suffix).
Builder = Callable[[Programme, Mapping[str, str]], tuple[Table, str]]
TABLES: dict[str, tuple[Builder, tuple[str, ...], Any]] = {}


def table(name: str, *, title, args: tuple[str, ...] = ()):
    """Register the builder of an exportable table under `name` (`title`: a lazy string)."""

    def register(builder: Builder) -> Builder:
        TABLES[name] = (builder, args, title)
        return builder

    return register


def is_large(rows: int) -> bool:
    return rows > EXPORT_JOB_ROWS


def start(name: str, owner: User, programme: Programme, fmt: str, query: Mapping) -> Job:
    """Queue the export of table `name` as the request asked for it (its own parameters only,
    each bounded). Flushes; the caller commits."""
    _builder, keys, _title = TABLES[name]
    filters = {k: str(query.get(k))[:200] for k in keys if query.get(k)}
    return enqueue("export", owner=owner, programme=programme, table=name, fmt=fmt, query=filters)


@job("export")
def export(job: Job) -> Done:
    programme = db.session.get(Programme, job.programme_id)
    name, fmt = job.args.get("table"), job.args.get("fmt")
    if programme is None or name not in TABLES or fmt not in FORMATS:
        raise JobFailed("not_found")
    builder, keys, _title = TABLES[name]
    query = job.args.get("query") or {}
    built, filename = builder(programme, {k: query[k] for k in keys if k in query})
    rows = len(built.rows)
    progress(job, 0, rows)
    body = exports.to_csv(built) if fmt == "csv" else exports.to_xlsx(built)
    progress(job, rows)
    summary = {"table": name, "format": fmt, "rows": rows, "filename": f"{filename}.{fmt}"}
    return Done(summary, file=keep_file(job, body, fmt))
