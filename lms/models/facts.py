"""Facts about each trainee as they stand today, kept by lms.reporting.facts in the same
transaction as every write that changes them. The operational lists (需要跟进: overdue,
stalled, records waiting) read this one table instead of rebuilding a schedule per trainee."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import db


class TraineeFacts(db.Model):
    __tablename__ = "trainee_facts"

    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    village: Mapped[str] = mapped_column(String(100), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # may log in
    enrolled_on: Mapped[date | None]  # first enrolment in the current programme
    last_activity_on: Mapped[date | None]  # a lesson learned, a quiz, a practice record logged
    last_visit_on: Mapped[date | None]
    next_due_on: Mapped[date | None]  # the next follow-up due, or the oldest one overdue
    closes_on: Mapped[date | None]  # the first open follow-up window to close: overdue after it
    due_reason: Mapped[str | None] = mapped_column(String(20))  # that follow-up's DueReason
    pending_count: Mapped[int] = mapped_column(default=0, server_default="0")
    pending_since: Mapped[date | None]  # the day the oldest record waiting was logged
