"""Medians, with the counts and sums beside them, in one pass over a subquery.

The median of an even number of values is the mean of the middle two, kept exact (a half fen or
a half day stays a half); it is rounded once, half up, where it is shown (dashboard.half_up).
PostgreSQL computes it with `percentile_cont(0.5)`, an ordered-set aggregate (it returns a float,
exact for any half of a whole number below 2^52, read back as a Decimal); SQLite, which has none,
ranks each column by a window and averages the middle one or two. Both give the same value.
"""

from decimal import Decimal

from sqlalchemy import case, func, or_, select

from lms.db import db
from lms.reporting.scope import rows


def summarise(values, keys=(), medians=(), sums=()) -> dict[tuple, dict]:
    """Per group of the columns `keys` of the subquery `values`: the number of rows ("count"),
    the sum of each column of `sums` ("sum_<column>") and the median of each column of
    `medians` ("median_<column>", None when a group has no value), as {key tuple: {name:
    value}}."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = _ordered_set(values, keys, medians, sums)
    else:
        query = _ranked(values, keys, medians, sums)
    found = {}
    for row in rows(query).all():
        figures = row._mapping
        key = tuple(figures[k] for k in keys)
        found[key] = {"count": int(figures["count"])}
        found[key] |= {f"sum_{s}": int(figures[f"sum_{s}"] or 0) for s in sums}
        for m in medians:
            value = figures[f"median_{m}"]
            found[key][f"median_{m}"] = None if value is None else Decimal(str(value))
    return found


def _ordered_set(values, keys, medians, sums):
    part = [values.c[k] for k in keys]
    return select(
        *part,
        func.count().label("count"),
        *(func.sum(values.c[s]).label(f"sum_{s}") for s in sums),
        *(
            func.percentile_cont(0.5).within_group(values.c[m]).label(f"median_{m}")
            for m in medians
        ),
    ).group_by(*part)


def _ranked(values, keys, medians, sums):
    part = [values.c[k] for k in keys]
    ranked = select(
        values,
        *(
            func.row_number()
            .over(partition_by=part, order_by=(values.c[m].is_(None), values.c[m]))
            .label(f"i_{m}")
            for m in medians
        ),
        # Rows with no value rank last (as percentile_cont skips them); only those with one
        # are counted for the middle.
        *(func.count(values.c[m]).over(partition_by=part).label(f"n_{m}") for m in medians),
    ).subquery()

    def middle(m):
        i, n = ranked.c[f"i_{m}"], ranked.c[f"n_{m}"]
        picked = or_(i == (n + 1) // 2, i == (n + 2) // 2)
        return func.avg(case((picked, ranked.c[m]))).label(f"median_{m}")

    group = [ranked.c[k] for k in keys]
    return select(
        *group,
        func.count().label("count"),
        *(func.sum(ranked.c[s]).label(f"sum_{s}") for s in sums),
        *(middle(m) for m in medians),
    ).group_by(*group)
