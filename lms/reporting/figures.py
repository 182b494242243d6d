"""Each trainee's row of a period, computed once and kept: the dashboard, the lists behind its
numbers and its exports read a period's trainees (their row as lms.reporting.indicators.trainees
gives it, every part included, for every member of the programme by the end, with whether they
were enrolled at the end), their monthly sales and their climbs from period_figures,
period_sales and period_climbs, instead of gathering every record of the period again (at
100,000 trainees that took seconds; reading the kept rows takes tens of milliseconds).

Kept exact by a version. Every refresh of a trainee's facts (lms.reporting.facts, in the same
transaction as the write that changed them) adds one to trainee_facts.version; a kept row carries
the version it was computed from, read in the same statement as the records; before a page reads
a period, `keep` computes again the rows of every trainee in scope whose version is not the
current one (or who has none), so a page always reads what a live computation would give. A
write committed while a row was being computed leaves the row with the older version: it is
computed again the next time. The figures row is written before the months and the climbs, so a
trainee whose months were computed after a write also has the older version on their row.

Two pages filling one period wait for each other (the UPDATE of its report_periods row holds the
row till commit), and the second finds nothing left to do. At most KEEP periods per programme are
kept, the most recently used; `flask --app wsgi jobs tick` keeps the dashboard's preset periods
of every programme current, so the first dashboard of a day finds them computed.
"""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, delete, func, literal, or_, select, text, update

from lms.clock import local_today, utcnow
from lms.db import db, insert_once
from lms.models import (
    Cohort,
    PeriodClimb,
    PeriodFigures,
    PeriodSales,
    Programme,
    ReportPeriod,
    TraineeFacts,
)
from lms.reporting import indicators as ind
from lms.reporting import sales
from lms.reporting.scope import Period, Scope, members

KEEP = 8  # periods per programme (the dashboard's presets and a few of a lead's own)
CHUNK = 5000  # trainees per statement when only some are out of date
WHOLE = 0.2  # with more than this share out of date, the scope is computed whole
PRESETS = {"30d": 30, "90d": 90, "365d": 365, "730d": 730}  # days up to today (lead dashboard)
TABLES = (PeriodFigures, PeriodSales, PeriodClimb)


def keep(scope: Scope, period: Period) -> int:
    """The id of the period kept for the scope's programme, with the figures of every trainee
    of the scope current. Commits."""
    period_id = _period_id(scope.programme_id, period)
    # The row lock till commit: another page filling this period waits, then finds it filled.
    db.session.execute(
        update(ReportPeriod).where(ReportPeriod.id == period_id).values(used_at=utcnow())
    )
    ids = scope.narrowed(period)
    m = members(scope.programme_id, period, ids)
    f, t = PeriodFigures, TraineeFacts
    out_of_date = or_(f.trainee_id.is_(None), f.version != func.coalesce(t.version, 0))

    def checked(*columns):  # every member beside their kept row and their facts' version
        return (
            select(*columns)
            .select_from(m)
            .outerjoin(t, t.trainee_id == m.c.trainee_id)
            .outerjoin(f, and_(f.period_id == period_id, f.trainee_id == m.c.trainee_id))
        )

    total, stale = db.session.execute(checked(func.count(), func.sum(ind.flag(out_of_date)))).one()
    if (stale or 0) > WHOLE * total:
        _fill(scope.programme_id, period, period_id, ids)
        if db.session.get_bind().dialect.name == "postgresql":
            # Statistics for the rows just written, before a page plans its reads of them
            # (autovacuum would come to them only later).
            names = ", ".join(model.__tablename__ for model in TABLES)
            db.session.execute(text(f"ANALYZE {names}"))
    elif stale:
        found = checked(m.c.trainee_id).where(out_of_date).order_by(m.c.trainee_id)
        trainee_ids = list(db.session.scalars(found))
        for i in range(0, len(trainee_ids), CHUNK):
            _fill(scope.programme_id, period, period_id, trainee_ids[i : i + CHUNK])
    db.session.commit()
    return period_id


def _period_id(programme_id: int, period: Period) -> int:
    """The period's report_periods row, added if new (and then the least recently used beyond
    KEEP dropped, with their figures)."""
    values = dict(
        programme_id=programme_id, starts_on=period.start, ends_on=period.end, used_at=utcnow()
    )
    added = insert_once(ReportPeriod, values, "programme_id", "starts_on", "ends_on")
    period_id = db.session.scalar(
        select(ReportPeriod.id).where(
            ReportPeriod.programme_id == programme_id,
            ReportPeriod.starts_on == period.start,
            ReportPeriod.ends_on == period.end,
        )
    )
    if added:
        older = (
            select(ReportPeriod.id)
            .where(ReportPeriod.programme_id == programme_id)
            .order_by(ReportPeriod.used_at.desc(), ReportPeriod.id.desc())
            .offset(KEEP)
        )
        forget(list(db.session.scalars(older)))
    return period_id


def forget(period_ids: list[int]) -> None:
    """Drop kept periods and their figures."""
    if not period_ids:
        return
    for model in TABLES:
        db.session.execute(delete(model).where(model.period_id.in_(period_ids)))
    db.session.execute(delete(ReportPeriod).where(ReportPeriod.id.in_(period_ids)))


def _fill(programme_id: int, period: Period, period_id: int, ids) -> None:
    """Compute and store the figures of the members of `ids` (a list or a select of ids; None:
    every member of the programme by the end of the period): the figures row first, with the
    version it was computed from, then the months and the climbs."""
    connection = db.session.connection()
    for model in TABLES:
        gone = delete(model).where(model.period_id == period_id)
        if ids is not None:
            gone = gone.where(model.trainee_id.in_(ids))
        connection.execute(gone)
    for model, query in _computed(programme_id, period, period_id, ids).items():
        names = list(query.selected_columns.keys())
        connection.execute(model.__table__.insert().from_select(names, query))


def _computed(programme_id: int, period: Period, period_id: int, ids) -> dict:
    """The rows of each table for the members of `ids`, as selects (in the order written)."""
    rows = ind.rows_to_keep(programme_id, period, ids).subquery()
    figures = (
        select(
            literal(period_id).label("period_id"),
            func.coalesce(TraineeFacts.version, 0).label("version"),
            *rows.c,
        )
        .select_from(rows)
        .outerjoin(TraineeFacts, TraineeFacts.trainee_id == rows.c.trainee_id)
    )
    found = sales.sales_by_month(programme_id, period, ids)
    climbs = ind.climbs_select(members(programme_id, period, ids), period).subquery()
    return {
        PeriodFigures: figures,
        PeriodSales: select(
            literal(period_id).label("period_id"),
            found.c.trainee_id,
            found.c.y.label("year"),
            found.c.m.label("month"),
            sales.whole(found.c.n).label("n"),
            sales.whole(found.c.fen).label("fen"),
        ),
        PeriodClimb: select(
            literal(period_id).label("period_id"),
            climbs.c.trainee_id,
            climbs.c.promotion_id,
            climbs.c.to_rung,
            climbs.c.days,
        ),
    }


def keep_presets(*, today=None) -> int:
    """Keep the dashboard's preset periods current for every programme with trainees (the
    periodic tick); the number of periods kept."""
    today = today or local_today()
    programmes = db.session.scalars(
        select(Programme.id).where(
            select(Cohort.id).where(Cohort.programme_id == Programme.id).exists()
        )
    ).all()
    n = 0
    for programme_id in programmes:
        for days in PRESETS.values():
            keep(Scope(programme_id), Period(today - timedelta(days=days - 1), today))
            n += 1
    return n


def differences(period_id: int) -> dict[str, tuple]:
    """Where the kept rows of a period that claim to be current (their version is the
    trainee's) differ from a live computation: table name → (kept rows, live rows), for the
    trainees of those rows (for checks and tests)."""
    kept = db.session.get(ReportPeriod, period_id)
    f, t = PeriodFigures, TraineeFacts
    ids = list(
        db.session.scalars(
            select(f.trainee_id)
            .outerjoin(t, t.trainee_id == f.trainee_id)
            .where(f.period_id == period_id, f.version == func.coalesce(t.version, 0))
            .order_by(f.trainee_id)
        )
    )
    if not ids:
        return {}
    period = Period(kept.starts_on, kept.ends_on)
    found = {}
    for model, query in _computed(kept.programme_id, period, period_id, ids).items():
        table = model.__table__
        names = [c.name for c in table.columns if c.name != "version"]
        live = _whole([row._mapping[n] for n in names] for row in db.session.execute(query))
        stored = select(*(table.c[n] for n in names)).where(
            table.c.period_id == period_id, table.c.trainee_id.in_(ids)
        )
        stored = _whole(db.session.execute(stored))
        if stored != live:
            found[table.name] = (stored, live)
    return found


def _whole(found) -> list[tuple]:
    """Rows in one shape, sorted: numbers as int (PostgreSQL's EXTRACT gives a numeric), enums
    as their values."""

    def plain(value):
        if isinstance(value, Decimal | float):
            return int(value)
        return getattr(value, "value", value)

    return sorted((tuple(plain(v) for v in row) for row in found), key=repr)
