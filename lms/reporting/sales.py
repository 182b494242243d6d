"""Verified sales over a period, exactly and cheaply: the whole months from the activity_months
rollup kept on write, less the sales in them verified after the period's end, and the partial
months at either edge from the records (docs/indicators.md, "Scope and period")."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select, union_all

from lms.models import ActivityMonth, PracticeKind, PracticeRecord, RecordStatus, TraineeProfile
from lms.reporting.scope import Period, Scope, members, rows

INCOME_DAYS = 30  # "income now": verified sales in the 30 days up to the end


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


def verified_sales(s, period: Period, first_day: date):
    """The conditions on a verified sale counted for a trainee in scope, dated from
    `first_day` to the end of the period."""
    return and_(
        SALE,
        verified_by(period),
        PracticeRecord.happened_on >= first_day,
        PracticeRecord.happened_on <= period.end,
        PracticeRecord.happened_on >= s.c.since,
    )


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


def of_rollup(s):
    """The join of the activity_months rollup to the trainees of `s`, in its programme."""
    return and_(
        s.c.trainee_id == ActivityMonth.trainee_id, s.c.programme_id == ActivityMonth.programme_id
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def sales_by_month(s, period: Period):
    """(trainee_id, y, m, n, fen) of the verified sales in the period, exactly: whole months
    from the activity_months rollup, less the sales in them verified after the period's end; the
    partial months at either edge from the records themselves."""
    year = func.extract("year", PracticeRecord.happened_on)
    month = func.extract("month", PracticeRecord.happened_on)

    def raw(first: date, last: date, condition, sign: int):
        return (
            select(
                PracticeRecord.trainee_id,
                year.label("y"),
                month.label("m"),
                (sign * func.count()).label("n"),
                (sign * func.coalesce(func.sum(PracticeRecord.amount_fen), 0)).label("fen"),
            )
            .join(s, s.c.trainee_id == PracticeRecord.trainee_id)
            .where(
                SALE,
                VERIFIED,
                PracticeRecord.happened_on >= first,
                PracticeRecord.happened_on <= last,
                PracticeRecord.happened_on >= s.c.since,
                condition,
            )
            .group_by(PracticeRecord.trainee_id, year, month)
        )

    months, edges = split(period)
    parts = [raw(first, last, verified_by(period), 1) for first, last in edges]
    if months:
        first, last = months
        parts += [
            select(
                ActivityMonth.trainee_id,
                func.extract("year", ActivityMonth.month).label("y"),
                func.extract("month", ActivityMonth.month).label("m"),
                ActivityMonth.sales.label("n"),
                ActivityMonth.fen.label("fen"),
            )
            .join(s, of_rollup(s))
            .where(
                ActivityMonth.month >= first, ActivityMonth.month <= last, ActivityMonth.sales > 0
            ),
            raw(first, last, PracticeRecord.reviewed_at >= period.end_utc, -1),  # verified later
        ]
    return union_all(*parts).subquery("sales_by_month")


def per_trainee(s, period: Period):
    """Per trainee: verified sales in the period (number, fen) and in the 30 days to its end."""
    months = sales_by_month(s, period)
    totals = (
        select(
            months.c.trainee_id,
            func.sum(months.c.n).label("sales"),
            func.sum(months.c.fen).label("sales_fen"),
        )
        .group_by(months.c.trainee_id)
        .subquery()
    )
    income_from = period.end - timedelta(days=INCOME_DAYS - 1)
    recent = (
        select(
            PracticeRecord.trainee_id,
            func.sum(PracticeRecord.amount_fen).label("income_now_fen"),
        )
        .join(s, s.c.trainee_id == PracticeRecord.trainee_id)
        .where(verified_sales(s, period, income_from))
        .group_by(PracticeRecord.trainee_id)
        .subquery()
    )
    both = union_all(
        select(totals.c.trainee_id, totals.c.sales, totals.c.sales_fen, literal(0).label("i")),
        select(recent.c.trainee_id, literal(0), literal(0), recent.c.income_now_fen),
    ).subquery()
    return (
        select(
            both.c.trainee_id,
            whole(func.sum(both.c.sales)).label("sales"),
            whole(func.sum(both.c.sales_fen)).label("sales_fen"),
            whole(func.sum(both.c.i)).label("income_now_fen"),
        )
        .group_by(both.c.trainee_id)
        .subquery()
    )


def monthly(scope: Scope, period: Period) -> list[tuple[str, int, int, int, Decimal]]:
    """(month, verified sales, total fen, active sellers, median per seller) per month."""
    sellers = per_seller(scope, period)
    ranked = select(
        sellers,
        func.row_number()
        .over(partition_by=(sellers.c.y, sellers.c.m), order_by=sellers.c.v)
        .label("i"),
        func.count().over(partition_by=(sellers.c.y, sellers.c.m)).label("sellers"),
    ).subquery()
    picked = or_(
        ranked.c.i == (ranked.c.sellers + 1) // 2, ranked.c.i == (ranked.c.sellers + 2) // 2
    )
    found = rows(
        select(
            ranked.c.y,
            ranked.c.m,
            func.sum(ranked.c.n),
            func.sum(ranked.c.v),
            func.max(ranked.c.sellers),
            func.avg(case((picked, ranked.c.v))),
        )
        .group_by(ranked.c.y, ranked.c.m)
        .order_by(ranked.c.y, ranked.c.m)
    ).all()
    return [
        (f"{int(y)}-{int(m):02d}", int(n), int(fen or 0), sellers, Decimal(str(middle)))
        for y, m, n, fen, sellers, middle in found
    ]


def per_seller(scope: Scope, period: Period):
    """(y, m, trainee_id, n, v): each active seller's verified sales and total of each month."""
    s = scope.at_end(period)
    months = sales_by_month(members(scope.programme_id, period), period)
    query = (
        select(
            months.c.y,
            months.c.m,
            months.c.trainee_id,
            whole(func.sum(months.c.n)).label("n"),
            whole(func.sum(months.c.fen)).label("v"),
        )
        .where(months.c.trainee_id.in_(select(s.c.trainee_id)))
        .group_by(months.c.y, months.c.m, months.c.trainee_id)
        .having(func.sum(months.c.n) > 0)
    )
    if scope.village:
        query = query.where(in_village(scope, months.c.trainee_id))
    return query.subquery("per_seller")


def in_village(scope: Scope, trainee_id):
    return trainee_id.in_(
        select(TraineeProfile.user_id).where(TraineeProfile.village == scope.village)
    )
