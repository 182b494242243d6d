"""Medians, with the counts and sums beside them, in one pass over a subquery.

The median of an even number of values is the mean of the middle two, kept exact (a half fen or
a half day stays a half); it is rounded once, half up, where it is shown (dashboard.half_up).
PostgreSQL computes it with `percentile_cont(0.5)`, SQLite with an aggregate of our own that
gives the same value (lms.sqlfuncs.median).
"""

from decimal import Decimal

from sqlalchemy import func, select

from lms.reporting.scope import rows
from lms.sqlfuncs import median


def summarise(values, keys=(), medians=(), sums=()) -> dict[tuple, dict]:
    """Per group of the columns `keys` of the subquery `values`: the number of rows ("count"),
    the sum of each column of `sums` ("sum_<column>") and the median of each column of
    `medians` ("median_<column>", None when a group has no value), as {key tuple: {name:
    value}}."""
    found = {}
    for row in rows(_query(values, keys, medians, sums)).all():
        figures = row._mapping
        key = tuple(figures[k] for k in keys)
        found[key] = {"count": int(figures["count"])}
        found[key] |= {f"sum_{s}": int(figures[f"sum_{s}"] or 0) for s in sums}
        for m in medians:
            value = figures[f"median_{m}"]
            found[key][f"median_{m}"] = None if value is None else Decimal(str(value))
    return found


def _query(values, keys, medians, sums):
    part = [values.c[k] for k in keys]
    return select(
        *part,
        func.count().label("count"),
        *(func.sum(values.c[s]).label(f"sum_{s}") for s in sums),
        *(median(values.c[m]).label(f"median_{m}") for m in medians),
    ).group_by(*part)
