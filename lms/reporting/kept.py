"""Rows computed once and read many times within one request: written to a temporary table of
the session's own connection (no other session sees it), dropped when the block ends."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import select

from lms.db import db

NAME = "dashboard_trainees"
_TABLES: dict[tuple, sa.Table] = {}


@contextmanager
def kept_rows(query) -> Iterator[sa.Table]:
    """The rows of the subquery `query`, written once; the block reads them from the table."""
    table = _table_for(tuple((c.name, c.type) for c in query.c))
    connection = db.session.connection()
    # A drop inside a transaction that is rolled back comes back (SQLite runs the CREATE
    # outside one): the name is cleared first, on this connection only.
    connection.execute(sa.schema.DropTable(table, if_exists=True))
    table.create(connection)
    connection.execute(table.insert().from_select(list(query.c.keys()), select(query)))
    if connection.dialect.name == "postgresql":  # autovacuum never sees a temporary table
        connection.execute(sa.text(f"ANALYZE {NAME} (trainee_id)"))
    try:
        yield table
    finally:
        connection.execute(sa.schema.DropTable(table, if_exists=True))


def _table_for(columns: tuple) -> sa.Table:
    """The temporary table for rows of these (name, type) columns, one object per shape: the
    statements over it are then compiled once for every request (a new Table object each time
    grew SQLAlchemy's statement cache, and the worker's memory, with every dashboard)."""
    key = tuple((name, repr(kind)) for name, kind in columns)
    if key not in _TABLES:
        _TABLES[key] = sa.Table(
            NAME,
            sa.MetaData(),
            *(sa.Column(name, kind) for name, kind in columns),
            prefixes=["TEMPORARY"],
        )
    return _TABLES[key]
