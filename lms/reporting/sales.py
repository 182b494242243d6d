"""Verified sales month by month over a period, exactly and cheaply: the whole months from the
activity_months rollup kept on write, less the sales in them verified after the period's end, and
the partial months at either edge from the records (docs/indicators.md, "Scope and period"). How a
period splits into whole and partial months is here too; each trainee's totals over the period are
in lms.reporting.activity."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, and_, cast, func, literal, select, union_all

from lms.models import ActivityMonth, PeriodSales, PracticeKind, PracticeRecord, RecordStatus
from lms.reporting.medians import summarise
from lms.reporting.scope import Period, Scope, members


def stated(column, value):
    """`column = 'value'`, with the value written into the SQL: the partial indexes on verified
    records (WHERE status = 'verified') serve only queries that state their condition literally
    (SQLite never proves it from a bound parameter)."""
    return column == literal(value.value, literal_execute=True)


VERIFIED = stated(PracticeRecord.status, RecordStatus.VERIFIED)
SALE = stated(PracticeRecord.kind, PracticeKind.SALE)


def verified_by(period: Period):
    """A record counts as verified if a mentor had verified it by the end of the period."""
    return and_(VERIFIED, PracticeRecord.reviewed_at < period.end_utc)


def whole(total):
    """A SUM as a whole number (PostgreSQL sums integers to numeric): counts and fen stay int."""
    return cast(total, BigInteger)


def full_months(period: Period) -> tuple[date, date] | None:
    """The first day of the first whole month in the period and the last day of the last one,
    or None when the period holds no whole month."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    ends_a_month = (period.end + timedelta(days=1)).day == 1
    last = period.end if ends_a_month else period.end.replace(day=1) - timedelta(days=1)
    return (first, last) if first <= last else None


def split(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The period as its whole months (read from the rollup) and the partial months at its
    edges (read from the records): (None, [the whole period]) when it holds no whole month."""
    months = full_months(period)
    if months is None:
        return None, [(period.start, period.end)]
    first, last = months
    edges = []
    if period.start < first:
        edges.append((period.start, first - timedelta(days=1)))
    if last < period.end:
        edges.append((last + timedelta(days=1), period.end))
    return months, edges


def _within(days: tuple[date, date] | None, month: date) -> tuple[date, date] | None:
    """The days of `days` (first, last) in the month that begins on `month`, or None."""
    if days is None:
        return None
    first, last = max(days[0], month), min(days[1], _next_month(month) - timedelta(days=1))
    return (first, last) if first <= last else None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def sales_by_month(programme_id: int, period: Period, ids=None, month: date | None = None):
    """(trainee_id, y, m, n, fen), one row per member of the programme and month, of the
    verified sales in the period, exactly: whole months from the activity_months rollup (which
    counts from each trainee's first enrolment) less the sales in them verified after the
    period's end, and the partial months at either edge from the records (joined to the members
    for `since`); for the members of `ids` only (a select of ids), and of the month that begins
    on `month` only, if given (each part is narrowed to it, so the planner can count it)."""
    m = members(programme_id, period, ids)

    def per_month(parts):
        """The records of `parts` ((first, last, condition, sign) each), per trainee and month."""
        raw = union_all(
            *(
                select(
                    PracticeRecord.trainee_id,
                    PracticeRecord.happened_on.label("day"),
                    literal(sign).label("n"),
                    (sign * PracticeRecord.amount_fen).label("fen"),
                ).where(SALE, VERIFIED, PracticeRecord.happened_on.between(first, last), when)
                for first, last, when, sign in parts
            )
        ).subquery()
        year, month = func.extract("year", raw.c.day), func.extract("month", raw.c.day)
        return (  # grouped by the members' column, not the union's (lms.reporting.activity)
            select(
                m.c.trainee_id,
                year.label("y"),
                month.label("m"),
                func.sum(raw.c.n).label("n"),
                func.coalesce(func.sum(raw.c.fen), 0).label("fen"),
            )
            .join(m, m.c.trainee_id == raw.c.trainee_id)
            .where(raw.c.day >= m.c.since)
            .group_by(m.c.trainee_id, year, month)
        )

    months, edges = split(period)
    if month is not None:  # a month of the period (dashboard.month_condition checks)
        months = _within(months, month)
        edges = [e for e in (_within(edge, month) for edge in edges) if e]
    found = []
    if edges:
        found.append(per_month([(first, last, verified_by(period), 1) for first, last in edges]))
    if months:
        later = per_month([(*months, PracticeRecord.reviewed_at >= period.end_utc, -1)]).subquery()
        a = ActivityMonth
        y, mo = func.extract("year", a.month), func.extract("month", a.month)
        found.append(
            select(
                a.trainee_id,
                y.label("y"),
                mo.label("m"),
                (a.sales + func.coalesce(later.c.n, 0)).label("n"),
                (a.fen + func.coalesce(later.c.fen, 0)).label("fen"),
            )
            .outerjoin(
                later, and_(later.c.trainee_id == a.trainee_id, later.c.y == y, later.c.m == mo)
            )
            .where(a.programme_id == programme_id, a.month.between(*months), a.sales > 0)
            .where(literal(True) if ids is None else a.trainee_id.in_(ids))
        )
    return union_all(*found).subquery("sales_by_month")


def kept_by_month(period_id: int, month: date | None = None):
    """sales_by_month's rows as kept for a period (lms.reporting.figures)."""
    s = PeriodSales
    query = select(
        s.trainee_id, s.year.label("y"), s.month.label("m"), s.n.label("n"), s.fen.label("fen")
    ).where(s.period_id == period_id)
    if month is not None:
        query = query.where(s.year == month.year, s.month == month.month)
    return query.subquery("sales_by_month")


def monthly(
    scope: Scope, period: Period, kept: int | None = None, in_scope=None
) -> list[tuple[str, int, int, int, Decimal]]:
    """(month, verified sales, total fen, active sellers, median per seller) per month."""
    sellers = per_seller(scope, period, kept=kept, in_scope=in_scope)
    found = summarise(sellers, keys=("y", "m"), medians=("v",), sums=("n", "v"))
    return [
        (f"{int(y)}-{int(m):02d}", f["sum_n"], f["sum_v"], f["count"], f["median_v"])
        for (y, m), f in sorted(found.items())
    ]


def per_seller(scope: Scope, period: Period, month=None, kept=None, in_scope=None):
    """(y, m, trainee_id, n, v): each active seller's verified sales and total of each month
    (or of the month that begins on `month`), from the records or as kept (`kept`, a
    report_periods id); `in_scope`: the scope's ids at the end, if the caller has them."""
    ids = scope.narrowed(period)
    if kept is None:
        months = sales_by_month(scope.programme_id, period, ids, month)
    else:
        months = kept_by_month(kept, month)
    if in_scope is None:
        in_scope = ids if ids is not None else scope.ids_at_end(period)
    return (
        select(
            months.c.y,
            months.c.m,
            months.c.trainee_id,
            whole(months.c.n).label("n"),
            whole(months.c.fen).label("v"),
        )
        .where(months.c.n > 0, months.c.trainee_id.in_(in_scope))
        .subquery("per_seller")
    )
