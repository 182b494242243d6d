"""Facts about each trainee as they stand today, kept by lms.reporting.facts in the same
transaction as every write that changes them. The operational lists (需要跟进: overdue,
stalled, records waiting) read this one table instead of rebuilding a schedule per trainee."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import db, str_enum
from lms.models.people import Gender, HouseholdCategory


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
    # One more on every refresh: what was computed from an older one is out of date.
    version: Mapped[int] = mapped_column(default=0, server_default="0")


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


class ReportPeriod(db.Model):
    """A period a dashboard, list or export of a programme was asked for: its trainees' figures
    are kept (period_figures, period_sales, period_climbs) so that the next page of the same
    period reads them instead of gathering every record again (lms.reporting.figures)."""

    __tablename__ = "report_periods"
    __table_args__ = (sa.UniqueConstraint("programme_id", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    used_at: Mapped[datetime]  # the least recently used go first (lms.reporting.figures.KEEP)


class PeriodFigures(db.Model):
    """A trainee's row of a kept period, as lms.reporting.indicators.trainees() gives it (every
    part), for every member of the programme by the end of the period: `in_scope` says whether
    they were enrolled in it at the end. Computed from trainee_facts.version `version` (a row of
    an older version is computed again before it is read)."""

    __tablename__ = "period_figures"

    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id"), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    version: Mapped[int]
    in_scope: Mapped[int]
    cohort_id: Mapped[int | None]  # the cohort now (trainee_facts)
    since: Mapped[date]
    village: Mapped[str] = mapped_column(String(100))
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, 10))
    category: Mapped[HouseholdCategory] = mapped_column(str_enum(HouseholdCategory))
    age_band: Mapped[str | None] = mapped_column(String(10))
    baseline_rung: Mapped[int]
    baseline_income_fen: Mapped[int] = mapped_column(sa.BigInteger)
    rung_now: Mapped[int]
    completed_any: Mapped[int]
    outcome_employed: Mapped[int]
    outcome_shop_opened: Mapped[int]
    outcome_business_started: Mapped[int]
    practising_eligible_90: Mapped[int]
    practising_90: Mapped[int]
    practising_eligible_180: Mapped[int]
    practising_180: Mapped[int]
    climbed_to_1: Mapped[int]
    climbed_to_2: Mapped[int]
    climbed_to_3: Mapped[int]
    climbed_to_4: Mapped[int]
    climbed_to_5: Mapped[int]
    climbed_to_6: Mapped[int]
    pac_eligible: Mapped[int]
    pac: Mapped[int]
    visited: Mapped[int]
    sales: Mapped[int]
    sales_fen: Mapped[int] = mapped_column(sa.BigInteger)
    income_now_fen: Mapped[int] = mapped_column(sa.BigInteger)
    visits: Mapped[int]
    verified: Mapped[int]


class PeriodSales(db.Model):
    """A trainee's verified sales (number and fen) in one month of a kept period."""

    __tablename__ = "period_sales"
    # A period's months in order, with every column read: the monthly figures and their
    # medians are read from the index alone.
    __table_args__ = (
        sa.Index("ix_period_sales_months", "period_id", "year", "month", "fen", "n", "trainee_id"),
    )

    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id"), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int]
    fen: Mapped[int] = mapped_column(sa.BigInteger)


class PeriodClimb(db.Model):
    """A climb signed in a kept period: the rung reached and the days it took."""

    __tablename__ = "period_climbs"

    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id"), primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    promotion_id: Mapped[int] = mapped_column(primary_key=True)  # its rung_promotions.id
    to_rung: Mapped[int]
    days: Mapped[int]
