"""A roster of more than ROSTER_JOB_ROWS rows is imported by a job, with the same rules and the
same all-or-nothing write as a smaller one imported inside the request
(lms.services.roster_import): the preview the lead confirmed, every row's checks, consent and
guardians, renames confirmed row by row, nothing outside the programme.

The slow part, an argon2 hash per new trainee, comes first, outside any write, with progress
stored as it goes; then every row is written in one transaction that commits with the job's
"done". A failure anywhere leaves nothing imported, and SQLite's single writer is held only
for the writing. The staged file is removed when the job ends, however it ends, so a token
imports once. New trainees' initial passwords are kept for their owner in a file
(lms.jobs.kept) until printed, or for a day.
"""

import json
import time

from sqlalchemy.exc import IntegrityError

from lms.db import db
from lms.errors import StaleVersion
from lms.jobs.kept import keep_file
from lms.jobs.runner import Done, JobFailed, job, progress
from lms.models import Job, Programme, User
from lms.services import files, roster_import
from lms.services.roster_files import RosterUnreadable

ROSTER_JOB_ROWS = 300  # above this, an import runs as a job (argon2 costs ~20 ms a new row)
PROGRESS_EVERY = 1.0  # seconds between two progress updates (each a short transaction)

FAILURES = (
    (RosterUnreadable, "roster_unreadable"),
    (roster_import.RosterInvalid, "roster_invalid"),
    (roster_import.NamesNotConfirmed, "names_not_confirmed"),
    (roster_import.PreviewChanged, "roster_changed"),
    (StaleVersion, "roster_changed"),
    (IntegrityError, "roster_conflict"),  # someone else imported one of these phones meanwhile
)


def job_key(programme: Programme, token: str) -> str:
    """One job per staged upload: a second confirm of the same preview finds the first job."""
    return f"roster:{programme.id}:{token}"


@job("roster.import")
def import_roster(job: Job) -> Done:
    programme = db.session.get(Programme, job.programme_id)
    owner = db.session.get(User, job.owner_id)
    path = files.folder("rosters") / job.args["file"]
    if programme is None or not path.is_file():
        raise JobFailed("roster_gone")
    try:
        return _import(job, owner, programme, path.name, path.read_bytes())
    except Exception as error:
        files.discard(path)  # nothing imported: the lead uploads the file again
        for kind, code in FAILURES:
            if isinstance(error, kind):
                raise JobFailed(code) from error
        raise


def _import(job: Job, owner: User, programme: Programme, name: str, data: bytes) -> Done:
    confirmed = {"digest": job.args["digest"], "confirmed": set(job.args["confirmed"])}
    checked = roster_import.check(programme, name, data, **confirmed)
    progress(job, 0, len(checked.rows))
    passwords, reported = {}, time.monotonic()
    for i, row in enumerate(checked.rows, start=1):
        if row.action == "new":
            passwords[row.values["phone"]] = roster_import.new_password()
        if time.monotonic() - reported >= PROGRESS_EVERY:
            progress(job, i)
            reported = time.monotonic()
    progress(job, len(checked.rows))
    result = roster_import.import_roster(
        owner, programme, name, data, **confirmed, passwords=passwords
    )
    files.remove_after_commit("rosters", name)
    sheet = None
    if result.created:
        people = [[user.name, user.phone, password] for user, password in result.created]
        sheet = keep_file(job, json.dumps(people, ensure_ascii=False).encode(), "json")
    summary = {
        "created": len(result.created),
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    return Done(summary, file=sheet)


def initial_passwords(path) -> list[tuple[str, str, str]]:
    """(name, phone, initial password) of each new trainee, from a job's kept file."""
    return [tuple(person) for person in json.loads(path.read_bytes())]
