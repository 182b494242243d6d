"""Programmes, their cohorts, who is enrolled where, and which mentor follows whom."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import db
from lms.models.people import User


class Programme(db.Model):
    """A training programme run by one organisation and owned by a programme lead."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    organisation: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The villages the programme works in: roster rows must name one of these.
    villages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The follow-up schedule (see lms.services.schedule), in days.
    followup_after_course_days: Mapped[int] = mapped_column(default=7, server_default="7")
    followup_after_first_sale_days: Mapped[int] = mapped_column(default=14, server_default="14")
    followup_early_every_days: Mapped[int] = mapped_column(default=14, server_default="14")
    followup_early_period_days: Mapped[int] = mapped_column(default=90, server_default="90")
    followup_later_every_days: Mapped[int] = mapped_column(default=30, server_default="30")
    followup_window_before_days: Mapped[int] = mapped_column(default=3, server_default="3")
    followup_window_after_days: Mapped[int] = mapped_column(default=7, server_default="7")

    lead: Mapped[User | None] = relationship()
    cohorts: Mapped[list["Cohort"]] = relationship(
        back_populates="programme", order_by="Cohort.starts_on"
    )


class Cohort(db.Model):
    """One class (培训班/期) of a programme, held at a site on given dates."""

    __tablename__ = "cohorts"
    __table_args__ = (
        UniqueConstraint("programme_id", "name"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    site: Mapped[str] = mapped_column(String(100), default="")
    township: Mapped[str] = mapped_column(String(50), default="")
    village: Mapped[str] = mapped_column(String(50), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    closed_on: Mapped[date | None]  # a closed cohort takes no new trainees

    programme: Mapped[Programme] = relationship(back_populates="cohorts")

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


class Enrollment(db.Model):
    """A trainee's place in a cohort."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("cohort_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enrolled_on: Mapped[date]
    left_on: Mapped[date | None]

    cohort: Mapped[Cohort] = relationship()
    trainee: Mapped[User] = relationship()


class MentorAssignment(db.Model):
    """A mentor follows one trainee, or a whole cohort, for a programme: from starts_on, up to
    but not including ends_on (an assignment ended today gives no access today)."""

    __tablename__ = "mentor_assignments"
    __table_args__ = (
        CheckConstraint("(trainee_id IS NULL) <> (cohort_id IS NULL)", name="trainee_xor_cohort"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]  # exclusive

    programme: Mapped[Programme] = relationship()
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    trainee: Mapped[User | None] = relationship(foreign_keys=[trainee_id])
    cohort: Mapped[Cohort | None] = relationship()
