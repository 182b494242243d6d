"""Portable SQL for date arithmetic and medians, so indicators are computed in the database on
SQLite and on PostgreSQL alike (SQLAlchemy has no portable "date plus N days" or median)."""

import sqlite3

from sqlalchemy import Date, Engine, Float, Integer, event, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class date_plus(FunctionElement):  # noqa: N801
    """A DATE column plus a whole number of days, as a DATE (comparable with DATE columns)."""

    type = Date()  # so SQLite's text dates come back as dates
    inherit_cache = True

    def __init__(self, column, days: int):
        # The days travel as a literal clause, so they are part of the statement's cache key.
        super().__init__(column, literal_column(str(int(days))))


class local_date_plus(date_plus):  # noqa: N801
    """The China-local date of a naive-UTC DATETIME column, plus a whole number of days."""

    inherit_cache = True


def _parts(element, compiler, **kw) -> tuple[str, int]:
    column, days = element.clauses.clauses
    return compiler.process(column, **kw), int(days.name)


@compiles(date_plus, "sqlite")
def _plus_sqlite(element, compiler, **kw):
    column, days = _parts(element, compiler, **kw)
    return f"date({column}, '{days:+d} days')"


@compiles(date_plus, "postgresql")
def _plus_pg(element, compiler, **kw):
    column, days = _parts(element, compiler, **kw)
    return f"(({column}) + {days})"


@compiles(local_date_plus, "sqlite")
def _local_plus_sqlite(element, compiler, **kw):
    column, days = _parts(element, compiler, **kw)
    return f"date({column}, '+8 hours', '{days:+d} days')"


@compiles(local_date_plus, "postgresql")
def _local_plus_pg(element, compiler, **kw):
    column, days = _parts(element, compiler, **kw)
    return f"(CAST(({column}) + INTERVAL '8 hours' AS DATE) + {days})"


class day_number(FunctionElement):  # noqa: N801
    """A DATE as a whole number of days (since 2000-01-01), so two dates subtract to days."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    (column,) = element.clauses.clauses
    return f"CAST(julianday({compiler.process(column, **kw)}) - 2451544.5 AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_pg(element, compiler, **kw):
    (column,) = element.clauses.clauses
    return f"(({compiler.process(column, **kw)}) - DATE '2000-01-01')"


class median(FunctionElement):  # noqa: N801
    """The median of a column over a group, NULLs left out (None for a group with no value):
    the mean of the middle two of an even number, a half kept. PostgreSQL's percentile_cont(0.5)
    (a float, exact for any half below 2^52); on SQLite, which has none, the aggregate below,
    defined on every connection."""

    type = Float()
    inherit_cache = True


@compiles(median, "sqlite")
def _median_sqlite(element, compiler, **kw):
    (column,) = element.clauses.clauses
    return f"median({compiler.process(column, **kw)})"


@compiles(median, "postgresql")
def _median_pg(element, compiler, **kw):
    (column,) = element.clauses.clauses
    return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {compiler.process(column, **kw)})"


class _Median:
    """SQLite's median(x): the values of a group, sorted once at the end."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        values = sorted(self.values)
        n = len(values)
        return None if not n else (values[(n - 1) // 2] + values[n // 2]) / 2


@event.listens_for(Engine, "connect")
def _define_on_sqlite(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_aggregate("median", 1, _Median)
