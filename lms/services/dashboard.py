"""Programme dashboards: the indicators of lms.services.indicators as tables of numbers.

Each table is plain data (title, definition, columns, rows of cells), rendered as HTML with SVG
charts, and exported as CSV or XLSX from the same data. Every count carries the filter that
lists the trainees behind it (`Cell.link`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lms.db import db
from lms.models import (
    Course,
    Enrollment,
    Gender,
    HouseholdCategory,
    MentorAssignment,
    OutcomeKind,
    Rung,
    Tier,
    User,
)
from lms.services import schedule
from lms.services.indicators import (
    AGE_BANDS,
    STILL_PRACTISING,
    Facts,
    Period,
    Scope,
    gather,
    monthly_sales,
)


def yuan(fen: int | float | None) -> str:
    if fen is None:
        return "—"
    fen = round(fen)
    return f"¥{fen // 100:,}.{fen % 100:02d}"


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
    current = or_(MentorAssignment.ends_on.is_(None), MentorAssignment.ends_on >= today)
    ids = scope.trainee_ids()
    for mentor_id, trainee_id in db.session.execute(
        select(MentorAssignment.mentor_id, MentorAssignment.trainee_id).where(
            MentorAssignment.trainee_id.in_(ids), MentorAssignment.starts_on <= today, current
        )
    ).all():
        followed[mentor_id].add(trainee_id)
    for mentor_id, trainee_id in db.session.execute(
        select(MentorAssignment.mentor_id, Enrollment.trainee_id)
        .join(Enrollment, Enrollment.cohort_id == MentorAssignment.cohort_id)
        .where(
            Enrollment.trainee_id.in_(ids),
            Enrollment.left_on.is_(None),
            MentorAssignment.starts_on <= today,
            current,
        )
    ).all():
        followed[mentor_id].add(trainee_id)
    late = {
        i for i, s in schedule.schedules(trainee_query=ids, today=today).items() if s.is_overdue
    }
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
            except (TypeError, ValueError):
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


def _count(ctx: Context, indicator: str, arg: Any = None, facts=None, **groups) -> Cell:
    chosen = matching(ctx, indicator, arg)
    pool = _ids(facts)
    n = len(chosen if pool is None else chosen & pool)
    return Cell(n, str(n), {"indicator": indicator, "arg": arg, **groups})


def _share(ctx, indicator, arg, base_indicator, base_arg=None, facts=None, **groups) -> Cell:
    base = matching(ctx, base_indicator, base_arg)
    pool = _ids(facts)
    if pool is not None:
        base = base & pool
    part = len(matching(ctx, indicator, arg) & base)
    return share(part, len(base), {"indicator": indicator, "arg": arg, **groups})


# --- the tables -------------------------------------------------------------------------------


def tables(ctx: Context) -> list[Table]:
    return [
        _rungs(ctx),
        _transitions(ctx),
        _climb_days(ctx),
        _funnel(ctx),
        _loop(ctx),
        _mentors(ctx),
        _sales(ctx),
        _income(ctx),
        _lasting(ctx),
        _equity(ctx),
    ]


def _rungs(ctx: Context) -> Table:
    table = Table(
        "rungs",
        _("能力阶梯：入学时与现在"),
        _("每一级的学员人数：入学时的基线级别，与期末的级别（最近一次导师确认的晋级或更正）。"),
        [_("级别"), _("入学时"), _("现在")],
    )
    chart = []
    for level in range(7):
        at_start = _count(ctx, "baseline", level)
        now = _count(ctx, "rung", level)
        label = f"{level} {ctx.rung_names.get(level, '')}"
        table.rows.append([Cell(label), at_start, now])
        chart.append((label, [(_("入学时"), at_start.value), (_("现在"), now.value)]))
    table.chart = chart
    return table


def _transitions(ctx: Context) -> Table:
    table = Table(
        "transitions",
        _("级别变化：从入学时到现在"),
        _("行是入学时的级别，列是现在的级别；对角线以外的格子是升级或更正的学员。"),
        [_("入学时 \\ 现在")] + [str(level) for level in range(7)],
    )
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for f in ctx.facts.values():
        counts[(f.baseline_rung, f.current_rung)] += 1
    for a in range(7):
        row = [Cell(str(a))]
        for b in range(7):
            n = counts.get((a, b), 0)
            row.append(
                Cell(
                    n,
                    str(n) if n else "·",
                    {"indicator": "transition", "arg": f"{a}-{b}"} if n else None,
                )
            )
        table.rows.append(row)
    return table


def _climb_days(ctx: Context) -> Table:
    table = Table(
        "climb_days",
        _("升一级用了多少天（中位数）"),
        _("本期内导师确认的每次晋级，从上一级（或入学）到这一级的天数。"),
        [_("升到"), _("晋级人次"), _("天数中位数")],
    )
    by_rung: dict[int, list[int]] = defaultdict(list)
    for f in ctx.facts.values():
        for to, days in f.climbs:
            by_rung[to].append(days)
    for level in range(1, 7):
        days = by_rung.get(level, [])
        table.rows.append(
            [
                Cell(f"{level} {ctx.rung_names.get(level, '')}"),
                Cell(len(days), str(len(days)), {"indicator": "climbed_to", "arg": level}),
                Cell(median(days) if days else None),
            ]
        )
    return table


def _funnel(ctx: Context) -> Table:
    total = len(ctx.facts)
    table = Table(
        "funnel",
        _("课程完成漏斗（按课程层级）"),
        _(
            "开始学：学过这一层至少一课；学完一门：完成这一层至少一门课；全部学完：完成这一层全部课程。分母是范围内全部学员。"
        ),
        [_("课程层级"), _("开始学"), _("学完一门"), _("全部学完")],
    )
    chart = []
    for tier in ctx.tiers:
        cells = [
            _share(ctx, key, tier.id, "all")
            for key in ("tier_started", "tier_completed_any", "tier_completed_all")
        ]
        title = tier.localized("title", ctx.locale)
        table.rows.append([Cell(title)] + cells)
        chart.append(
            (
                title,
                [
                    (c, cells[i].value * 100 if cells[i].value is not None else 0)
                    for i, c in enumerate(table.columns[1:])
                ],
            )
        )
    table.chart = chart if total else None
    return table


def _loop(ctx: Context) -> Table:
    table = Table(
        "loop",
        _("培训—实践—跟踪闭环"),
        _(
            "学完后实践：本期内学完有实践任务的课（且到期末已满14天）的学员中，14天内有导师核实过的实践记录的比例。回访覆盖：最近30天内被回访过的学员比例。"
        ),
        [_("指标"), _("数值")],
    )
    table.rows.append(
        [Cell(_("学完后14天内有核实的实践")), _share(ctx, "pac", None, "pac_eligible")]
    )
    table.rows.append([Cell(_("最近30天回访覆盖")), _share(ctx, "visited", None, "all")])
    return table


def _mentors(ctx: Context) -> Table:
    table = Table(
        "mentors",
        _("各位导师的回访"),
        _(
            "跟踪人数：导师现在负责的学员（直接分配或整班分配）。逾期：按回访计划，现在已过回访窗口还没回访的学员。"
        ),
        [_("导师"), _("跟踪人数"), _("最近30天回访过"), _("逾期未回访")],
    )
    for mentor_id, name in sorted(ctx.mentors.items(), key=lambda m: m[1]):
        mine = [ctx.facts[i] for i in ctx.followed[mentor_id] if i in ctx.facts]
        visited = sum(1 for f in mine if f.visited_recently)
        table.rows.append(
            [
                Cell(name),
                Cell(len(mine), str(len(mine)), {"indicator": "followed_by", "arg": mentor_id}),
                share(visited, len(mine)),
                Cell(
                    len(ctx.overdue[mentor_id]),
                    str(len(ctx.overdue[mentor_id])),
                    {"indicator": "overdue", "arg": mentor_id},
                ),
            ]
        )
    return table


def _sales(ctx: Context) -> Table:
    table = Table(
        "sales",
        _("每月核实的销售"),
        _(
            "导师核实过的销售记录，按销售日期所在月份。在售学员：当月至少有一笔核实销售的学员；中位数是他们当月销售额的中位数。"
        ),
        [_("月份"), _("笔数"), _("金额（元）"), _("在售学员"), _("人均中位数（元）")],
    )
    chart = []
    for y, m, count, total, sellers in monthly_sales(ctx.scope, ctx.period):
        label = f"{y}-{m:02d}"
        table.rows.append(
            [
                Cell(label),
                Cell(count),
                Cell(total / 100, yuan(total)),
                Cell(len(sellers)),
                Cell(median(sellers) / 100, yuan(median(sellers))),
            ]
        )
        chart.append((label, [(_("金额（元）"), total / 100)]))
    table.chart = chart or None
    table.rows.append(
        [Cell(_("本期有核实销售的学员")), _count(ctx, "sold"), Cell(""), Cell(""), Cell("")]
    )
    return table


def _income(ctx: Context) -> Table:
    facts = list(ctx.facts.values())
    table = Table(
        "income",
        _("网上月收入：与基线相比"),
        _("现在的月收入：期末前30天导师核实的销售额。基线：入学时登记的月网店收入。"),
        [_("指标"), _("数值")],
    )
    if facts:
        baseline = median(f.baseline_income_fen for f in facts)
        now = median(f.income_now_fen for f in facts)
        change = median(f.income_now_fen - f.baseline_income_fen for f in facts)
        table.rows += [
            [Cell(_("基线月收入（中位数）")), Cell(baseline / 100, yuan(baseline))],
            [Cell(_("现在月收入（中位数）")), Cell(now / 100, yuan(now))],
            [Cell(_("变化（中位数）")), Cell(change / 100, yuan(change))],
            [Cell(_("高于基线的学员")), _share(ctx, "income_up", None, "all")],
        ]
    return table


def _lasting(ctx: Context) -> Table:
    table = Table(
        "lasting",
        _("持续能力与成效"),
        _(
            "仍在实践：入学后第N天之前的30天内有实践记录（未被退回）；分母是入学已满N天的学员。成效：到期末有过这类成效的学员占全部学员的比例。"
        ),
        [_("指标"), _("数值")],
    )
    for days in STILL_PRACTISING:
        table.rows.append(
            [
                Cell(_("入学%(n)d天后仍在实践", n=days)),
                _share(ctx, "practising", days, "practising_eligible", days),
            ]
        )
    for kind in OutcomeKind:
        table.rows.append([Cell(kind.label), _share(ctx, "outcome", kind.value, "all")])
    return table


def equity_groups() -> list[tuple[str, str, str]]:
    """(group key, value, label) for each equity split."""
    groups = [("category", c.value, c.label) for c in HouseholdCategory]
    groups += [("gender", g.value, g.label) for g in Gender]
    groups += [("age", label, _("%(band)s岁", band=label)) for _low, _high, label in AGE_BANDS]
    return groups


EQUITY_COLUMNS = [
    (_l("升过级"), "climbed", None, "all", None),
    (_l("学完至少一门课"), "completed_any", None, "all", None),
    (_l("学完后14天内实践"), "pac", None, "pac_eligible", None),
    (_l("最近30天回访过"), "visited", None, "all", None),
    (_l("本期有核实销售"), "sold", None, "all", None),
    (_l("入学90天后仍在实践"), "practising", 90, "practising_eligible", 90),
    (_l("有成效"), "any_outcome", None, "all", None),
]


def _equity(ctx: Context) -> Table:
    table = Table(
        "equity",
        _("公平：按农户类别、性别、年龄"),
        _(
            "每一组学员在主要指标上的比例。最后一行是示范户与其他学员的差距（百分点），正数表示示范户更高。"
        ),
        [_("人群"), _("学员")] + [str(c[0]) for c in EQUITY_COLUMNS],
    )
    everyone = list(ctx.facts.values())

    def row(label, pool, groups):
        cells = [Cell(label), Cell(len(pool), str(len(pool)), {"indicator": "all", **groups})]
        for _label, key, arg, base, base_arg in EQUITY_COLUMNS:
            cells.append(_share(ctx, key, arg, base, base_arg, facts=pool, **groups))
        return cells

    table.rows.append(row(_("全部学员"), everyone, {}))
    for group, value, label in equity_groups():
        pool = [f for f in everyone if GROUPS[group](f, value)]
        table.rows.append(row(str(label), pool, {group: value}))
    demo = [f for f in everyone if f.category == HouseholdCategory.DEMONSTRATION.value]
    others = [f for f in everyone if f.category != HouseholdCategory.DEMONSTRATION.value]
    gap = [Cell(_("示范户 − 其他（百分点）")), Cell("")]
    for _label, key, arg, base, base_arg in EQUITY_COLUMNS:
        a = _share(ctx, key, arg, base, base_arg, facts=demo).value
        b = _share(ctx, key, arg, base, base_arg, facts=others).value
        points = None if a is None or b is None else round(100 * (a - b))
        gap.append(Cell(points, "—" if points is None else f"{points:+d}"))
    table.rows.append(gap)
    return table
