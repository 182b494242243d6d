"""Mentor attention over a period: per trainee, the follow-up visits dated in the period and the
practice records (of any kind) dated in it and verified by its end. Like sales
(lms.reporting.sales), whole months come from the activity_months rollup kept on write, less
the records in them verified after the end, and the partial months at the edges from the
records themselves. The equity table shows them per household category (seed 003 §3.3: does
attention drift to demonstration households?)."""

from datetime import date

from sqlalchemy import func, literal, select, union_all

from lms.models import ActivityMonth, FollowUpVisit, PracticeRecord
from lms.reporting.sales import VERIFIED, of_rollup, split, verified_by, whole
from lms.reporting.scope import Period


def per_trainee(s, period: Period):
    """(trainee_id, visits, verified) for the trainees of `s` (with `since`)."""
    parts = []

    def visits(first: date, last: date):
        day = FollowUpVisit.visited_on
        return (
            select(FollowUpVisit.trainee_id, func.count().label("visits"), literal(0))
            .join(s, s.c.trainee_id == FollowUpVisit.trainee_id)
            .where(day >= first, day <= last, day >= s.c.since)
            .group_by(FollowUpVisit.trainee_id)
        )

    def records(first: date, last: date, condition, sign: int):
        day = PracticeRecord.happened_on
        return (
            select(PracticeRecord.trainee_id, literal(0), (sign * func.count()).label("verified"))
            .join(s, s.c.trainee_id == PracticeRecord.trainee_id)
            .where(
                VERIFIED,
                day >= first,
                day <= last,
                day >= s.c.since,
                condition,
            )
            .group_by(PracticeRecord.trainee_id)
        )

    months, edges = split(period)
    if months:
        first, last = months
        parts.append(
            select(ActivityMonth.trainee_id, ActivityMonth.visits, ActivityMonth.verified)
            .join(s, of_rollup(s))
            .where(ActivityMonth.month >= first, ActivityMonth.month <= last)
        )
        parts.append(records(first, last, PracticeRecord.reviewed_at >= period.end_utc, -1))
    for first, last in edges:
        parts.append(visits(first, last))
        parts.append(records(first, last, verified_by(period), 1))
    both = union_all(*parts).subquery()
    columns = list(both.c)
    return (
        select(
            columns[0].label("trainee_id"),
            whole(func.sum(columns[1])).label("visits"),
            whole(func.sum(columns[2])).label("verified"),
        )
        .group_by(columns[0])
        .subquery("attention")
    )
