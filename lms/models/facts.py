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


class ProgrammeFacts(db.Model):
    """A trainee's facts in one programme, each dated, so that any period can be answered by
    comparing dates with its end: counted from the first enrolment in the programme (`since`),
    kept with trainee_facts by lms.reporting.facts."""

    __tablename__ = "programme_facts"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    since: Mapped[date]  # first enrolment in the programme
    rung: Mapped[int]  # rung now: the latest promotion or correction, else the baseline
    rung_since: Mapped[date | None]  # the day that promotion was signed (None: the baseline)
    first_done_on: Mapped[date | None]  # first current course completed
    practised_90: Mapped[bool] = mapped_column(default=False)  # a record in days 61–90
    practised_180: Mapped[bool] = mapped_column(default=False)  # a record in days 151–180
    employed_on: Mapped[date | None]  # the first outcome of each kind
    shop_opened_on: Mapped[date | None]
    business_started_on: Mapped[date | None]


class TierFacts(db.Model):
    """When a trainee started a tier, first completed one of its current courses, and completed
    all of them, in one programme."""

    __tablename__ = "tier_facts"

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), primary_key=True)
    started_on: Mapped[date | None]
    first_done_on: Mapped[date | None]
    all_done_on: Mapped[date | None]


class PracticeWindow(db.Model):
    """A completed course with practice tasks, and the day a mentor first verified a practice
    record dated within 14 days after it (None: not yet), in one programme."""

    __tablename__ = "practice_windows"
    # A period's windows are one range of it, read without the table (lms.reporting.indicators).
    __table_args__ = (
        sa.Index(
            "ix_practice_windows_period",
            "programme_id",
            "completed_on",
            "trainee_id",
            "verified_on",
        ),
    )

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    completed_on: Mapped[date]
    verified_on: Mapped[date | None]


class ActivityMonth(db.Model):
    """A trainee's month in one programme, by the day each thing happened: mentor-verified sales
    (and their fen), mentor-verified practice records of any kind, and follow-up visits. The bulk
    of a period's figures is read from here, its edges from the records themselves."""

    __tablename__ = "activity_months"

    # Keyed programme, month, trainee: a period's whole months are one range of the key.
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    sales: Mapped[int] = mapped_column(default=0)
    fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    verified: Mapped[int] = mapped_column(default=0)  # verified records of any kind
    visits: Mapped[int] = mapped_column(default=0)
