"""Background jobs (lms.jobs): who asked for what, for which programme, how far it got and what
came of it. Pages read this row, so any web worker can show a job run by any other process."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.db import db, str_enum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    # What the job is for, once: a resent form names the job it already started (e.g. the
    # staged roster it imports), and the unique key refuses a second one.
    key: Mapped[str | None] = mapped_column(String(100), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    # What the job needs, as plain values: ids, a staged file's name, filters. No personal data.
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED, index=True)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a summary for the page
    # A file the job keeps under UPLOAD_FOLDER/jobs/ (an export, new trainees' initial
    # passwords) until `expires_at`; removed by the periodic tick and by erasure.
    file: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(50))  # a stable code, never a traceback
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)
