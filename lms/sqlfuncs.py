"""Portable SQL for day arithmetic, so indicators are computed in the database on SQLite and on
PostgreSQL alike (SQLAlchemy has no portable date difference)."""

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class day_number(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """Whole days since a fixed epoch for a DATE column: subtract two to get days between."""

    type = Integer()
    inherit_cache = True


class local_day_number(FunctionElement):  # noqa: N801
    """day_number of a naive-UTC DATETIME column's date in China (UTC+8, no daylight saving)."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_pg(element, compiler, **kw):
    return f"(({compiler.process(element.clauses, **kw)}) - DATE '2000-01-01')"


@compiles(local_day_number, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    return (
        f"CAST(julianday(date({compiler.process(element.clauses, **kw)}, '+8 hours')) AS INTEGER)"
    )


@compiles(local_day_number, "postgresql")
def _local_day_pg(element, compiler, **kw):
    return (
        f"(CAST(({compiler.process(element.clauses, **kw)}) + INTERVAL '8 hours' AS DATE)"
        " - DATE '2000-01-01')"
    )
