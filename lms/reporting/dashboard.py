"""Programme dashboards: the counts the tables are built from, their cells, and the list of the
trainees behind every number (the tables themselves are in lms.reporting.tables).

All counting is in the database: one GROUP BY over lms.reporting.indicators.trainees() gives
every count of every table, split by household category, gender, age band and rung; a few more
queries give the per-mentor, per-month and median figures. A list behind a number is the same
select, filtered by the indicator's condition, paged in SQL.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, false, func, literal, select, union

from lms.db import db
from lms.display import format_yuan
from lms.models import (
    Enrollment,
    MentorAssignment,
    OutcomeKind,
    Rung,
    Tier,
    TraineeFacts,
    User,
)
from lms.permissions import assignment_is_current
from lms.reporting import activity, figures, sales
from lms.reporting import indicators as ind
from lms.reporting.medians import summarise
from lms.reporting.scope import Period, Scope, computed_once, rows

SPLITS = ("category", "gender", "age_band", "baseline_rung", "rung_now")
ATTENTION = ("visits", "verified")  # totals of mentor attention (lms.reporting.activity)


def half_up(value, places: int = 0) -> Decimal:
    """The one rounding rule, shown and exported alike: halves round away from zero (¥0.005 →
    ¥0.01, 12.5% → 13%), as PostgreSQL's round() and Excel's ROUND do."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def yuan(fen: int | float | Decimal | None) -> str:
    """Money for a table cell: a median may be a half fen, and "—" stands for no value."""
    return "—" if fen is None else format_yuan(int(half_up(fen)))


@dataclass
class Cell:
    value: Any
    text: str = ""
    link: dict[str, Any] | None = None  # trainee-list filter behind the number

    def __post_init__(self):
        if not self.text:
            self.text = "—" if self.value is None else str(self.value)


def share(part: int, whole: int, link: dict | None = None) -> Cell:
    """'45% (9/20)'; the value exported is the fraction, to four places."""
    if not whole:
        return Cell(None, "—")
    percent = int(half_up(Decimal(100 * part) / whole))
    return Cell(float(half_up(Decimal(part) / whole, 4)), f"{percent}% ({part}/{whole})", link)


@dataclass
class Table:
    key: str
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    chart: list[tuple[str, list[tuple[str, float]]]] | None = None  # (label, [(series, value)])
    shown: int | None = None  # rows the page shows (the export has them all); None: every row

    @property
    def hidden(self) -> int:
        return 0 if self.shown is None else max(0, len(self.rows) - self.shown)


class Counts:
    """How many trainees each indicator picks, per split (category, gender, age band, rung at
    enrolment, rung now), from one GROUP BY. `n()` adds up the splits a cell asks for; `total()`
    adds up a column of the trainees' rows (visits, verified records) the same way."""

    def __init__(self, trainees, keys: list[tuple[str, Any]], totals: tuple[str, ...] = ()):
        self.keys = [*keys, *((f"total:{name}", None) for name in totals)]
        sums = [func.sum(ind.flag(ind.INDICATORS[k][1](trainees, a))) for k, a in keys]
        sums += [func.sum(trainees.c[name]) for name in totals]
        groups = [trainees.c[c] for c in SPLITS]
        self.rows = [
            ({c: _plain(v) for c, v in zip(SPLITS, row[:5], strict=True)}, row[5:])
            for row in rows(select(*groups, *sums).group_by(*groups)).all()
        ]
        self.index = {key: i for i, key in enumerate(self.keys)}
        self._sums: dict[tuple, list[int]] = {}

    def total(self, column: str, **groups) -> int:
        return self.n(f"total:{column}", **groups)

    def n(self, indicator: str, arg=None, **groups) -> int:
        split = {ind.GROUPS.get(k, k): v for k, v in groups.items() if v is not None}
        i = self.index[(indicator, None if arg is None else str(arg))]
        return self._sums_of(tuple(sorted(split.items())))[i]

    def _sums_of(self, split: tuple) -> list[int]:
        """Every column added up over the rows of one split, once per split (a dashboard asks
        hundreds of cells of a few dozen splits)."""
        if split not in self._sums:
            totals = [0] * len(self.keys)
            for key, sums in self.rows:
                if all(key.get(c) == v for c, v in split):
                    for i, value in enumerate(sums):
                        totals[i] += int(value or 0)
            self._sums[split] = totals
        return self._sums[split]


def _plain(value):
    return getattr(value, "value", value)


@dataclass
class MentorRow:
    mentor_id: int
    name: str
    followed: int
    visited: int
    overdue: int


@dataclass
class Context:
    """Everything a dashboard is computed from."""

    scope: Scope
    period: Period
    today: date
    tiers: list[Tier]
    rung_names: dict[int, str]
    locale: str = "zh"
    counted: tuple[str, ...] = ("pac", "visited", "activity")  # parts the counts join
    figures: int | None = None  # the period's kept figures (None: computed from the records)
    _counts: Counts | None = None

    def trainees(self, parts=ind.PARTS):
        return ind.trainees(self.scope, self.period, parts, self.figures)

    @property
    def counts(self) -> Counts:
        if self._counts is None:
            totals = ATTENTION if "activity" in self.counted else ()
            self._counts = Counts(self.trainees(self.counted), count_keys(self), totals)
        return self._counts

    @property
    def total(self) -> int:
        return self.counts.n("all")

    def tier_counts(self) -> dict[int, tuple[int, int, int]]:
        return ind.tier_counts(self.scope, self.period, self.in_scope())

    def in_scope(self):
        """The ids of the trainees in scope at the end of the period (a select): read from the
        period's kept rows, when they are."""
        if self.figures is not None:
            return select(self.trainees().c.trainee_id)
        return self.scope.ids_at_end(self.period)


def build_context(
    scope: Scope, period: Period, *, today: date, locale: str, live: bool = False
) -> Context:
    """What a dashboard, a list or an export of the scope and period is computed from: the
    figures kept for the period, brought up to date first (a commit), or with `live` computed
    from the records (the two are equal: tests compare them)."""
    kept = None if live else figures.keep(scope, period)
    tiers = list(
        db.session.scalars(select(Tier).where(Tier.archived_at.is_(None)).order_by(Tier.position))
    )
    rung_names = {r.level: r.localized("name", locale) for r in db.session.scalars(select(Rung))}
    return Context(scope, period, today, tiers, rung_names, locale, figures=kept)


def count_keys(ctx: Context) -> list[tuple[str, Any]]:
    """Every (indicator, argument) a dashboard table counts (those the context's parts allow)."""
    keys = [
        (k, None)
        for k in (
            "all",
            "climbed",
            "completed_any",
            "pac_eligible",
            "pac",
            "visited",
            "sold",
            "income_up",
            "any_outcome",
        )
    ]
    keys += [
        (k, str(d)) for d in ind.STILL_PRACTISING for k in ("practising_eligible", "practising")
    ]
    keys += [("outcome", k.value) for k in OutcomeKind]
    return [(k, a) for k, a in keys if set(ind.INDICATORS[k][0]) <= set(ctx.counted)]


def count_cell(ctx: Context, indicator: str, arg: Any = None, **groups) -> Cell:
    if indicator == "baseline":
        n = ctx.counts.n("all", baseline_rung=int(arg), **groups)
    elif indicator == "rung":
        n = ctx.counts.n("all", rung_now=int(arg), **groups)
    else:
        n = ctx.counts.n(indicator, arg, **groups)
    return Cell(n, str(n), {"indicator": indicator, "arg": arg, **groups})


def share_cell(ctx, indicator, arg, base_indicator, base_arg=None, **groups) -> Cell:
    part = ctx.counts.n(indicator, arg, **groups)
    whole = ctx.counts.n(base_indicator, base_arg, **groups)
    return share(part, whole, {"indicator": indicator, "arg": arg, **groups})


# --- figures outside the grouped counts ------------------------------------------------------


def followed_today(ctx: Context):
    """(mentor_id, trainee_id) for every trainee a mentor of the programme follows today."""
    current = assignment_is_current(ctx.today)
    direct = select(MentorAssignment.mentor_id, MentorAssignment.trainee_id).where(
        MentorAssignment.programme_id == ctx.scope.programme_id,
        MentorAssignment.trainee_id.is_not(None),
        current,
    )
    via_cohort = (
        select(MentorAssignment.mentor_id, Enrollment.trainee_id)
        .join(Enrollment, Enrollment.cohort_id == MentorAssignment.cohort_id)
        .where(
            MentorAssignment.programme_id == ctx.scope.programme_id,
            Enrollment.left_on.is_(None),
            current,
        )
    )
    return union(direct, via_cohort).subquery("followed")


def mentor_rows(ctx: Context) -> list[MentorRow]:
    """Per mentor: trainees in scope they follow today, of those visited in the 30 days up to
    the end of the period, and overdue today (lms.services.schedule, kept in trainee_facts)."""
    followed = followed_today(ctx)
    t = ctx.trainees(("visited",))
    overdue = func.sum(ind.flag(TraineeFacts.closes_on < ctx.today))
    per_mentor = (  # grouped by the id first: the names are joined to a row per mentor
        select(
            followed.c.mentor_id,
            func.count().label("n"),
            func.sum(t.c.visited).label("visited"),
            overdue.label("overdue"),
        )
        .join(t, t.c.trainee_id == followed.c.trainee_id)
        .outerjoin(TraineeFacts, TraineeFacts.trainee_id == followed.c.trainee_id)
        .group_by(followed.c.mentor_id)
        .subquery()
    )
    m = per_mentor.c
    found = rows(
        select(m.mentor_id, User.name, m.n, m.visited, m.overdue)
        .join(User, User.id == m.mentor_id)
        .order_by(User.name, m.mentor_id)
    ).all()
    return [MentorRow(m, name, n, int(v or 0), int(o or 0)) for m, name, n, v, o in found]


def income_medians(ctx: Context) -> dict[str, Decimal | None]:
    t = ctx.trainees(("activity",))
    values = select(
        t.c.baseline_income_fen.label("baseline"),
        t.c.income_now_fen.label("now"),
        (t.c.income_now_fen - t.c.baseline_income_fen).label("change"),
    ).subquery()
    found = summarise(values, medians=("baseline", "now", "change")).get((), {})
    return {name: found.get(f"median_{name}") for name in ("baseline", "now", "change")}


def climb_days(ctx: Context) -> dict[int, tuple[int, Decimal | None]]:
    """Per rung reached in the period: how many climbs, and the median days they took."""
    if ctx.figures is None:
        climbs = ind.climbs_select(ctx.scope.at_end(ctx.period), ctx.period)
    else:
        climbs = ind.kept_climbs(ctx.figures)
    climbs = climbs.where(climbs.selected_columns.trainee_id.in_(ctx.in_scope()))
    found = summarise(climbs.subquery(), keys=("to_rung",), medians=("days",))
    return {
        r: (found[(r,)]["count"], found[(r,)]["median_days"]) if (r,) in found else (0, None)
        for r in ind.RUNGS[1:]
    }


def monthly_sales(ctx: Context) -> list[tuple[str, int, int, int, Decimal]]:
    """(month, verified sales, total fen, active sellers, median per seller) per month."""
    return sales.monthly(ctx.scope, ctx.period, ctx.figures, ctx.in_scope())


# --- the trainees behind a number -----------------------------------------------------------


def month_condition(ctx: Context, trainees, month: str):
    """Active sellers of one month (YYYY-MM) of the period: a verified sale that month."""
    year, number = (int(x) for x in month.split("-"))
    first = date(year, number, 1)  # a bad month raises ValueError
    if not (ctx.period.start.replace(day=1) <= first <= ctx.period.end):
        return false()
    sellers = sales.per_seller(ctx.scope, ctx.period, first, ctx.figures)
    return trainees.c.trainee_id.in_(select(sellers.c.trainee_id))


EXTRA = ("followed_by", "overdue", "active_in", *ind.TIER_INDICATORS)  # lists of other figures


def condition(ctx: Context, trainees, indicator: str, arg, mentor: int | None = None):
    """The SQL condition of a list: the indicator's (raises KeyError/ValueError on a bad name
    or argument), narrowed to one mentor's trainees when `mentor` is given."""
    followed = followed_today(ctx)
    if indicator in ("followed_by", "overdue"):
        mentor, base = int(str(arg)), literal(True)
    elif indicator == "active_in":
        base = month_condition(ctx, trainees, str(arg))
    elif indicator in ind.TIER_INDICATORS:
        column = ind.TIER_INDICATORS[indicator]
        base = ind.tier_condition(ctx.scope, ctx.period, trainees, column, int(str(arg)))
    else:
        base = ind.INDICATORS[indicator][1](trainees, arg)
    if mentor is not None:
        mine = select(followed.c.trainee_id).where(followed.c.mentor_id == mentor)
        base = and_(base, trainees.c.trainee_id.in_(mine))
    if indicator == "overdue":
        late = select(TraineeFacts.trainee_id).where(TraineeFacts.closes_on < ctx.today)
        base = and_(base, trainees.c.trainee_id.in_(late))
    return base


def parts_of(indicator: str) -> tuple[str, ...]:
    """The parts of trainees() a list's condition reads."""
    return ind.INDICATORS[indicator][0] if indicator in ind.INDICATORS else ()


def listing(ctx: Context, indicator: str, arg, groups: dict, *, offset: int, limit: int):
    """(total, rows) of the trainees behind a number: village and name order, paged in SQL.
    Each row has the trainee's name, phone, village, cohort, rungs and sales in the period (the
    sales of the rows shown only, unless the condition reads them anyway)."""
    mentor = groups.pop("mentor", None)
    parts = parts_of(indicator)
    t = ctx.trainees(parts)
    where = [condition(ctx, t, indicator, arg, mentor)]
    where += [t.c[ind.GROUPS[k]] == v for k, v in groups.items() if k in ind.GROUPS and v]
    # The trainees picked (their ids and what they are sorted by) are computed whole first (on
    # PostgreSQL a materialised CTE, planned without the page's LIMIT: planned with it, a
    # misjudged condition became a nested loop over 100,000 trainees), then the page and the
    # total in one pass over them (a window); a page past the end has no rows to carry the
    # total, so it is counted on its own. Only the page's rows are then read whole.
    picked = computed_once(
        select(t.c.trainee_id, t.c.village, User.name)
        .join(User, User.id == t.c.trainee_id)
        .where(*where),
        "picked",
    )
    page = rows(
        select(picked.c.trainee_id, func.count().over().label("total_"))
        .order_by(picked.c.village, picked.c.name, picked.c.trainee_id)
        .offset(offset)
        .limit(limit)
    ).all()
    if not page:
        return db.session.scalar(select(func.count()).select_from(picked)), []
    total, ids = page[0].total_, [row.trainee_id for row in page]
    found = rows(
        select(t, User.name, User.phone)
        .join(User, User.id == t.c.trainee_id)
        .where(t.c.trainee_id.in_(ids))
    ).all()
    found.sort(key=lambda row: ids.index(row.trainee_id))
    # The sales of the rows shown: in their rows already (kept for the period, or a part the
    # condition read), else gathered for these only.
    if "sales" in t.c:
        return total, found
    sales_of = activity.per_trainee(ctx.scope.programme_id, ctx.period, ids)
    sold = {row.trainee_id: row for row in rows(select(sales_of)).all()}
    none = {"sales": 0, "sales_fen": 0, "income_now_fen": 0}

    def with_sales(row):
        mine = sold.get(row.trainee_id)
        return SimpleNamespace(**row._mapping, **{k: getattr(mine, k, 0) for k in none})

    return total, [with_sales(row) for row in found]
