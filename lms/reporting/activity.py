"""What each trainee did over a period, in one pass: verified sales (number and fen) and "income
now" (verified sales in the 30 days up to the end), and the mentor attention they had (visits
dated in the period, practice records of any kind dated in it and verified by its end).

Whole months come from the activity_months rollup kept on write, read once for every figure,
less the records in them verified after the period's end; the partial months at either edge,
and the last 30 days, come from the records themselves (docs/indicators.md, "Scope and
period"). The rollup counts from each trainee's first enrolment in the programme already; the
records are joined to the members once, for that same rule.
"""

from datetime import date, timedelta

from sqlalchemy import case, func, literal, or_, select, union_all

from lms.models import ActivityMonth, FollowUpVisit, PracticeRecord
from lms.reporting.sales import SALE, VERIFIED, split, verified_by, whole
from lms.reporting.scope import Period, members

INCOME_DAYS = 30  # "income now": verified sales in the 30 days up to the end
COLUMNS = ("sales", "sales_fen", "income_now_fen", "visits", "verified")


def per_trainee(programme_id: int, period: Period, ids=None):
    """(trainee_id, sales, sales_fen, income_now_fen, visits, verified) per member of the
    programme by the end of the period (or of those of `ids`, a list or a select of ids) who
    has any of them."""
    m = members(programme_id, period, ids)

    def dated(trainee_id, day, **values):
        """A row of the figures, dated `day` (to keep only those from the trainee's `since`)."""
        figures = (values.get(c, literal(0)).label(c) for c in COLUMNS)
        return select(trainee_id.label("trainee_id"), day.label("day"), *figures)

    def records(first: date, last: date, condition, sign: int):
        """Verified records dated from `first` to `last` meeting `condition`, each counted
        `sign` times (a sale also in the sales)."""
        return dated(
            PracticeRecord.trainee_id,
            PracticeRecord.happened_on,
            sales=case((SALE, sign), else_=0),
            sales_fen=case((SALE, sign * PracticeRecord.amount_fen), else_=0),
            verified=literal(sign),
        ).where(VERIFIED, PracticeRecord.happened_on.between(first, last), condition)

    def visits(first: date, last: date):
        return dated(FollowUpVisit.trainee_id, FollowUpVisit.visited_on, visits=literal(1)).where(
            FollowUpVisit.visited_on.between(first, last)
        )

    income_from = period.end - timedelta(days=INCOME_DAYS - 1)
    found = [
        dated(
            PracticeRecord.trainee_id,
            PracticeRecord.happened_on,
            income_now_fen=PracticeRecord.amount_fen,
        ).where(
            VERIFIED,
            SALE,
            PracticeRecord.reviewed_at < period.end_utc,
            PracticeRecord.happened_on.between(income_from, period.end),
        )
    ]
    months, edges = split(period)
    for first, last in edges:
        found += [records(first, last, verified_by(period), 1), visits(first, last)]
    if months:  # in the rollup, but verified only after the end
        found.append(records(*months, PracticeRecord.reviewed_at >= period.end_utc, -1))
    raw = union_all(*found).subquery("dated")
    # Each part is grouped by a column of a table (never over a union), so the planner knows
    # about how many trainees it yields: told 200, it loops over the whole part for each trainee.
    edges = (
        select(m.c.trainee_id, *(func.sum(raw.c[c]).label(c) for c in COLUMNS))
        .join(m, m.c.trainee_id == raw.c.trainee_id)
        .where(raw.c.day >= m.c.since)
        .group_by(m.c.trainee_id)
        .subquery("edges")
    )
    parts = [edges]
    if months:
        a = ActivityMonth
        rollup = (
            select(
                a.trainee_id,
                func.sum(a.sales).label("sales"),
                func.sum(a.fen).label("sales_fen"),
                literal(0).label("income_now_fen"),
                func.sum(a.visits).label("visits"),
                func.sum(a.verified).label("verified"),
            )
            .where(a.programme_id == programme_id, a.month.between(*months))
            .where(literal(True) if ids is None else a.trainee_id.in_(ids))
            .group_by(a.trainee_id)
            .subquery("whole_months")
        )
        parts.append(rollup)
    query = select(
        m.c.trainee_id,
        *(whole(sum(func.coalesce(p.c[c], 0) for p in parts)).label(c) for c in COLUMNS),
    ).select_from(m)
    for part in parts:
        query = query.outerjoin(part, part.c.trainee_id == m.c.trainee_id)
    return query.where(or_(*(p.c.trainee_id.is_not(None) for p in parts))).subquery("activity")
