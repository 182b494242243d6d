"""Portable SQL for date arithmetic, so indicators are computed in the database on SQLite and on
PostgreSQL alike (SQLAlchemy has no portable "date plus N days")."""

from sqlalchemy import Date, Integer, literal_column
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
