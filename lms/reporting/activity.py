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

from sqlalchemy import case, func, literal, select, union_all

from lms.models import ActivityMonth, FollowUpVisit, PracticeKind, PracticeRecord
from lms.reporting.sales import VERIFIED, split, verified_by, whole
from lms.reporting.scope import Period, members

INCOME_DAYS = 30  # "income now": verified sales in the 30 days up to the end
COLUMNS = ("sales", "sales_fen", "income_now_fen", "visits", "verified")


def per_trainee(programme_id: int, period: Period, ids=None):
    """(trainee_id, sales, sales_fen, income_now_fen, visits, verified) per member of the
    programme by the end of the period (or of those of `ids`, a list or a select of ids) who
    has any of them."""
    m = members(programme_id, period, ids)
    sale = PracticeRecord.kind == literal(PracticeKind.SALE.value, literal_execute=True)

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
            sales=case((sale, sign), else_=0),
            sales_fen=case((sale, sign * PracticeRecord.amount_fen), else_=0),
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
            sale,
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
    parts = [
        select(raw.c.trainee_id, *(func.sum(raw.c[c]).label(c) for c in COLUMNS))
        .join(m, m.c.trainee_id == raw.c.trainee_id)
        .where(raw.c.day >= m.c.since)
        .group_by(raw.c.trainee_id)
    ]
    if months:
        first, last = months
        rollup = select(
            ActivityMonth.trainee_id,
            ActivityMonth.sales,
            ActivityMonth.fen,
            literal(0),
            ActivityMonth.visits,
            ActivityMonth.verified,
        ).where(
            ActivityMonth.programme_id == programme_id,
            ActivityMonth.month.between(first, last),
        )
        if ids is not None:
            rollup = rollup.where(ActivityMonth.trainee_id.in_(ids))
        parts.append(rollup)
    both = union_all(*parts).subquery()
    key, *values = both.c
    return (
        select(
            key.label("trainee_id"),
            *(whole(func.sum(v)).label(c) for v, c in zip(values, COLUMNS, strict=True)),
        )
        .group_by(key)
        .subquery("activity")
    )
