"""What an indicator is about: a scope (a programme, or one cohort or village of it) and a period.

A scope's trainees are those with a current enrolment (not left) in a cohort of the programme;
each counts from their first enrolment in it (`Scope.starts`). A period runs from `start` to
`end` inclusive, in local dates.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from lms.clock import LOCAL_TZ
from lms.db import db
from lms.models import Cohort, Enrollment, TraineeProfile


@dataclass(frozen=True)
class Scope:
    programme_id: int
    cohort_id: int | None = None
    village: str | None = None

    def enrolments(self, *columns):
        """A select of `columns` over the current enrolments in scope (joined to cohorts)."""
        query = (
            select(*columns)
            .select_from(Enrollment)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.programme_id == self.programme_id, Enrollment.left_on.is_(None))
        )
        if self.cohort_id:
            query = query.where(Cohort.id == self.cohort_id)
        if self.village:
            query = query.join(
                TraineeProfile, TraineeProfile.user_id == Enrollment.trainee_id
            ).where(TraineeProfile.village == self.village)
        return query

    def trainee_ids(self):
        """A select of the trainee ids in scope, for IN clauses on other tables. Queries over
        enrollments themselves use `enrolments` instead: SQLite plans such an IN badly."""
        return self.enrolments(Enrollment.trainee_id)

    def starts(self):
        """(trainee_id, since): each trainee's first enrolment date in the programme."""
        return (
            select(Enrollment.trainee_id, func.min(Enrollment.enrolled_on).label("since"))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.programme_id == self.programme_id)
            .group_by(Enrollment.trainee_id)
            .subquery()
        )


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period, as naive UTC."""
        local = datetime.combine(self.end + timedelta(days=1), time(), LOCAL_TZ)
        return local.astimezone(UTC).replace(tzinfo=None)

    @property
    def start_utc(self) -> datetime:
        local = datetime.combine(self.start, time(), LOCAL_TZ)
        return local.astimezone(UTC).replace(tzinfo=None)


def rows(statement):
    """Plain rows through the session's connection: these are aggregates over many thousands
    of rows, and Core skips the ORM's per-row bookkeeping (a third of the time)."""
    return db.session.connection().execute(statement)
