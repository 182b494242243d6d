"""Programme dashboards: the context the tables are built from, their cells, and the filters that
list the trainees behind every number (the tables themselves are in dashboard_tables).

Each table is plain data (title, definition, columns, rows of cells), rendered as HTML with SVG
charts, and exported as CSV or XLSX from the same data. Every count carries the filter that
lists the trainees behind it (`Cell.link`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from lms.db import db
from lms.display import format_yuan
from lms.models import (
    Course,
    Enrollment,
    MentorAssignment,
    Rung,
    Tier,
    TraineeFacts,
    User,
)
from lms.permissions import assignment_is_current
from lms.services.indicator_scope import Period, Scope
from lms.services.indicators import Facts, gather


def yuan(fen: int | float | None) -> str:
    """Money for a table cell: a median may be a half fen, and "—" stands for no value."""
    return "—" if fen is None else format_yuan(round(fen))


@dataclass
class Cell:
    value: Any
    text: str = ""
    link: dict[str, Any] | None = None  # trainee-list filter behind the number

    def __post_init__(self):
        if not self.text:
            self.text = "—" if self.value is None else str(self.value)


def share(part: int, whole: int, link: dict | None = None) -> Cell:
    """'45% (9/20)'; the value exported is the fraction."""
    if not whole:
        return Cell(None, "—")
    return Cell(round(part / whole, 4), f"{round(100 * part / whole)}% ({part}/{whole})", link)


@dataclass
class Table:
    key: str
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    chart: list[tuple[str, list[tuple[str, float]]]] | None = None  # (label, [(series, value)])


@dataclass
class Context:
    """Everything a dashboard and its trainee lists are computed from."""

    scope: Scope
    period: Period
    facts: dict[int, Facts]
    tiers: list[Tier]
    tier_courses: dict[int, set[int]]
    rung_names: dict[int, str]
    overdue: dict[int, set[int]]  # mentor id → overdue trainee ids
    followed: dict[int, set[int]]  # mentor id → trainee ids
    mentors: dict[int, str]
    locale: str = "zh"
    cache: dict = field(default_factory=dict)  # (indicator, arg) → matching trainee ids


def build_context(scope: Scope, period: Period, *, today: date, locale: str) -> Context:
    facts = gather(scope, period)
    tiers = list(
        db.session.scalars(select(Tier).where(Tier.archived_at.is_(None)).order_by(Tier.position))
    )
    tier_courses: dict[int, set[int]] = defaultdict(set)
    for course_id, tier_id in db.session.execute(
        select(Course.id, Course.tier_id).where(Course.archived_at.is_(None))
    ).all():
        tier_courses[tier_id].add(course_id)
    rung_names = {r.level: r.localized("name", locale) for r in db.session.scalars(select(Rung))}
    # Who follows whom today: direct assignments and whole cohorts.
    followed: dict[int, set[int]] = defaultdict(set)
    current = assignment_is_current(today)
    ids = scope.trainee_ids()
    for mentor_id, trainee_id in db.session.execute(
        select(MentorAssignment.mentor_id, MentorAssignment.trainee_id).where(
            MentorAssignment.trainee_id.in_(ids),
            MentorAssignment.programme_id == scope.programme_id,
            current,
        )
    ).all():
        followed[mentor_id].add(trainee_id)
    for mentor_id, trainee_id in db.session.execute(
        select(MentorAssignment.mentor_id, Enrollment.trainee_id)
        .join(Enrollment, Enrollment.cohort_id == MentorAssignment.cohort_id)
        .where(
            Enrollment.trainee_id.in_(ids),
            Enrollment.left_on.is_(None),
            current,
        )
    ).all():
        followed[mentor_id].add(trainee_id)
    late = set(  # overdue today, as the follow-up schedule stands (kept in trainee_facts)
        db.session.scalars(
            select(TraineeFacts.trainee_id).where(
                TraineeFacts.trainee_id.in_(ids), TraineeFacts.closes_on < today
            )
        )
    )
    overdue = {m: t & late for m, t in followed.items()}
    mentors = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(followed))).all()
    )
    return Context(
        scope, period, facts, tiers, tier_courses, rung_names, overdue, followed, mentors, locale
    )


# --- filters: the trainees behind a number --------------------------------------------------

GROUPS = {
    "category": lambda f, v: f.category == v,
    "gender": lambda f, v: f.gender == v,
    "age": lambda f, v: f.age_band == v,
}


def _completed_in(ctx: Context, f: Facts, tier_id: int) -> int:
    return f.completed_by_tier.get(tier_id, 0)


INDICATORS = {
    "all": lambda ctx, f, a: True,
    "baseline": lambda ctx, f, a: f.baseline_rung == int(a),
    "rung": lambda ctx, f, a: f.current_rung == int(a),
    "transition": lambda ctx, f, a: (
        (f.baseline_rung, f.current_rung) == tuple(int(x) for x in a.split("-"))
    ),
    "climbed": lambda ctx, f, a: f.climbed,
    "climbed_to": lambda ctx, f, a: any(to == int(a) for to, _ in f.climbs),
    "tier_started": lambda ctx, f, a: int(a) in f.tiers_started,
    "tier_completed_any": lambda ctx, f, a: _completed_in(ctx, f, int(a)) > 0,
    "tier_completed_all": lambda ctx, f, a: (
        bool(ctx.tier_courses.get(int(a)))
        and (_completed_in(ctx, f, int(a)) == len(ctx.tier_courses[int(a)]))
    ),
    "completed_any": lambda ctx, f, a: f.courses_completed > 0,
    "pac_eligible": lambda ctx, f, a: f.practice_after_course is not None,
    "pac": lambda ctx, f, a: f.practice_after_course is True,
    "visited": lambda ctx, f, a: f.visited_recently,
    "not_visited": lambda ctx, f, a: not f.visited_recently,
    "followed_by": lambda ctx, f, a: f.trainee_id in ctx.followed.get(int(a), ()),
    "overdue": lambda ctx, f, a: f.trainee_id in ctx.overdue.get(int(a), ()),
    "sold": lambda ctx, f, a: f.sales_in_period > 0,
    "income_up": lambda ctx, f, a: f.income_now_fen > f.baseline_income_fen,
    "practising_eligible": lambda ctx, f, a: f.practising.get(int(a)) is not None,
    "practising": lambda ctx, f, a: f.practising.get(int(a)) is True,
    "outcome": lambda ctx, f, a: a in f.outcomes,
    "any_outcome": lambda ctx, f, a: bool(f.outcomes),
}


def select_trainees(
    ctx: Context, indicator: str, arg: str | None = None, groups: dict[str, str] | None = None
) -> list[Facts]:
    test = INDICATORS.get(indicator)
    if test is None:
        return []
    chosen = []
    for f in ctx.facts.values():
        if all(GROUPS[k](f, v) for k, v in (groups or {}).items() if k in GROUPS and v):
            try:
                if test(ctx, f, arg):
                    chosen.append(f)
            except (TypeError, ValueError, AttributeError):  # a missing or malformed argument
                return []
    return sorted(chosen, key=lambda f: (f.village, f.name))


def matching(ctx: Context, indicator: str, arg: Any = None) -> frozenset[int]:
    """Ids of the trainees an indicator picks, computed once per context."""
    key = (indicator, None if arg is None else str(arg))
    if key not in ctx.cache:
        test = INDICATORS[indicator]
        ctx.cache[key] = frozenset(i for i, f in ctx.facts.items() if test(ctx, f, arg))
    return ctx.cache[key]


def _ids(facts) -> frozenset[int] | None:
    return None if facts is None else frozenset(f.trainee_id for f in facts)


def count_cell(ctx: Context, indicator: str, arg: Any = None, facts=None, **groups) -> Cell:
    chosen = matching(ctx, indicator, arg)
    pool = _ids(facts)
    n = len(chosen if pool is None else chosen & pool)
    return Cell(n, str(n), {"indicator": indicator, "arg": arg, **groups})


def share_cell(ctx, indicator, arg, base_indicator, base_arg=None, facts=None, **groups) -> Cell:
    base = matching(ctx, base_indicator, base_arg)
    pool = _ids(facts)
    if pool is not None:
        base = base & pool
    part = len(matching(ctx, indicator, arg) & base)
    return share(part, len(base), {"indicator": indicator, "arg": arg, **groups})
