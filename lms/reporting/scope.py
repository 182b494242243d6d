"""What an indicator is about: a scope (a programme, or one cohort or village of it) and a period,
and the one rule for time: **as it stood at the end of the period** (docs/indicators.md).

A scope's trainees at the end of the period are those with an enrolment in a cohort of the
programme that began on or before the end and had not ended by then; the cohort a trainee is
counted in is that enrolment's. Each trainee counts from their first enrolment in the programme
(`since`): moving to another cohort never restarts a clock. A period runs from `start` to `end`
inclusive, in local (Asia/Shanghai) dates.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, or_, select

from lms.clock import LOCAL_TZ
from lms.db import db
from lms.models import Cohort, Enrollment, ProgrammeFacts, TraineeFacts, TraineeProfile


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


@dataclass(frozen=True)
class Scope:
    programme_id: int
    cohort_id: int | None = None
    village: str | None = None

    def enrolled_at_end(self, period: Period, trainee_id):
        """The condition that the trainee of the column `trainee_id` is in scope as the period
        ended: an enrolment in the programme (in the cohort, if one is asked for) that began on
        or before the end and had not ended by then (the village is the caller's to check: it
        is the profile's)."""
        enrolled = (
            select(Enrollment.id)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(
                Enrollment.trainee_id == trainee_id,
                Cohort.programme_id == self.programme_id,
                Enrollment.enrolled_on <= period.end,
                or_(Enrollment.left_on.is_(None), Enrollment.left_on > period.end),
            )
        )
        if self.cohort_id:
            enrolled = enrolled.where(Enrollment.cohort_id == self.cohort_id)
        return enrolled.exists()

    def at_end(self, period: Period, *, every_member: bool = False, ids=None):
        """The trainees in scope as the period ended: their programme_facts row (with `since`,
        the first enrolment in the programme) and their cohort now. With `every_member`, every
        member of the programme by the end instead (of `ids` only, if given), with `in_scope`
        1 or 0 (what lms.reporting.figures keeps)."""
        in_scope = self.enrolled_at_end(period, ProgrammeFacts.trainee_id)
        query = (
            select(ProgrammeFacts, TraineeFacts.cohort_id)
            .outerjoin(TraineeFacts, TraineeFacts.trainee_id == ProgrammeFacts.trainee_id)
            .where(
                ProgrammeFacts.programme_id == self.programme_id,
                ProgrammeFacts.since <= period.end,
            )
        )
        if ids is not None:
            query = query.where(ProgrammeFacts.trainee_id.in_(ids))
        if every_member:
            query = query.add_columns(case((in_scope, 1), else_=0).label("in_scope"))
        else:
            query = query.where(in_scope)
        return query.subquery("in_scope")

    def ids_at_end(self, period: Period):
        """The ids of the trainees in scope as the period ended (a select)."""
        ids = select(self.at_end(period).c.trainee_id)
        return ids.where(ids.selected_columns[0].in_(self.villagers())) if self.village else ids

    def narrowed(self, period: Period):
        """The ids of a cohort's or a village's trainees as the period ended (a select), or None
        for a whole programme: what is gathered per member is gathered for these only."""
        return self.ids_at_end(period) if self.cohort_id or self.village else None

    def villagers(self):
        """The ids of the trainees whose profile says they live in the scope's village."""
        return select(TraineeProfile.user_id).where(TraineeProfile.village == self.village)


def members(programme_id: int, period: Period, ids=None):
    """(trainee_id, programme_id, since) of everyone enrolled in the programme by the end of the
    period (or of those of `ids`, a list or a select of ids): a light stand-in for
    `Scope.at_end` inside the joins that gather a fact per trainee (their result is joined to
    the exact scope once, not filtered by it in every part)."""
    query = select(
        ProgrammeFacts.trainee_id, ProgrammeFacts.programme_id, ProgrammeFacts.since
    ).where(ProgrammeFacts.programme_id == programme_id, ProgrammeFacts.since <= period.end)
    if ids is not None:
        query = query.where(ProgrammeFacts.trainee_id.in_(ids))
    return query.subquery("members")


def computed_once(query, name: str):
    """`query` as a CTE the database computes once, whole (MATERIALIZED on PostgreSQL), so
    the planner can neither re-run it per row of a misjudged outer query nor plan it around an
    outer LIMIT; SQLite plans a CTE well without being told."""
    return query.cte(name).prefix_with("MATERIALIZED", dialect="postgresql")


def rows(statement):
    """Plain rows through the session's connection: aggregates over many thousands of rows,
    where Core skips the ORM's per-row bookkeeping."""
    return db.session.connection().execute(statement)
