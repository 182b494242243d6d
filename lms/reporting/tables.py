"""The dashboard's tables, built from the counts of lms.reporting.dashboard (which holds the
context, the cells and the lists behind every number). Each table's builder runs only the
queries it needs, so an export of one table costs that table."""

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.models import Gender, HouseholdCategory, OutcomeKind
from lms.reporting.dashboard import (
    Cell,
    Context,
    Table,
    climb_days,
    count_cell,
    half_up,
    income_medians,
    mentor_rows,
    monthly_sales,
    share,
    share_cell,
    yuan,
)
from lms.reporting.indicators import AGE_BANDS, STILL_PRACTISING


def tables(ctx: Context) -> list[Table]:
    """Every table of the dashboard, from one set of counts over the trainees' rows."""
    return [build(ctx) for build in BUILDERS.values()]


def table(ctx: Context, key: str) -> Table:
    """One table alone (an export): its counts join only the parts it shows."""
    ctx.counted = COUNTED.get(key, ())
    return BUILDERS[key](ctx)


def _rungs(ctx: Context) -> Table:
    table = Table(
        "rungs",
        _("能力阶梯：入学时与现在"),
        _("每一级的学员人数：入学时的基线级别，与期末的级别（最近一次导师确认的晋级或更正）。"),
        [_("级别"), _("入学时"), _("现在")],
    )
    chart = []
    for level in range(7):
        at_start = count_cell(ctx, "baseline", level)
        now = count_cell(ctx, "rung", level)
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
    for a in range(7):
        row = [Cell(str(a))]
        for b in range(7):
            n = ctx.counts.n("all", baseline_rung=a, rung_now=b)
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
    for level, (n, days) in climb_days(ctx).items():
        table.rows.append(
            [
                Cell(f"{level} {ctx.rung_names.get(level, '')}"),
                Cell(n, str(n), {"indicator": "climbed_to", "arg": level}),
                Cell(None if days is None else float(days), _days(days)),
            ]
        )
    return table


def _days(days) -> str:
    return "—" if days is None else f"{days.normalize():f}"


def _funnel(ctx: Context) -> Table:
    total = ctx.total
    table = Table(
        "funnel",
        _("课程完成漏斗（按课程层级）"),
        _(
            "开始学：学过这一层至少一课；学完一门：完成这一层至少一门课；全部学完：完成这一层全部课程。分母是范围内全部学员。"
        ),
        [_("课程层级"), _("开始学"), _("学完一门"), _("全部学完")],
    )
    chart = []
    counts = ctx.tier_counts()
    for tier in ctx.tiers:
        found = counts.get(tier.id, (0, 0, 0))
        cells = [
            share(n, total, {"indicator": key, "arg": tier.id})
            for n, key in zip(
                found, ("tier_started", "tier_completed_any", "tier_completed_all"), strict=True
            )
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
        [Cell(_("学完后14天内有核实的实践")), share_cell(ctx, "pac", None, "pac_eligible")]
    )
    table.rows.append([Cell(_("最近30天回访覆盖")), share_cell(ctx, "visited", None, "all")])
    return table


MENTORS_SHOWN = 50  # a county programme has hundreds of mentors: the rest are in the export


def _mentors(ctx: Context) -> Table:
    table = Table(
        "mentors",
        _("各位导师的回访"),
        _(
            "跟踪人数：导师现在负责的学员（直接分配或整班分配）。逾期：按回访计划，现在已过回访窗口还没回访的学员。"
            "逾期多的导师排在前面；页面最多显示 50 位导师，导出的表有全部。"
        ),
        [_("导师"), _("跟踪人数"), _("最近30天回访过"), _("逾期未回访")],
        shown=MENTORS_SHOWN,
    )
    # Most overdue first, so that a page showing the first rows shows who needs help.
    for m in sorted(mentor_rows(ctx), key=lambda m: -m.overdue):
        table.rows.append(
            [
                Cell(m.name),
                Cell(m.followed, str(m.followed), {"indicator": "followed_by", "arg": m.mentor_id}),
                share(m.visited, m.followed, {"indicator": "visited", "mentor": m.mentor_id}),
                Cell(m.overdue, str(m.overdue), {"indicator": "overdue", "arg": m.mentor_id}),
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
    for label, count, total, sellers, middle in monthly_sales(ctx):
        table.rows.append(
            [
                Cell(label),
                Cell(count),
                Cell(total / 100, yuan(total)),
                Cell(sellers, str(sellers), {"indicator": "active_in", "arg": label}),
                Cell(float(half_up(middle) / 100), yuan(middle)),
            ]
        )
        chart.append((label, [(_("金额（元）"), total / 100)]))
    table.chart = chart or None
    table.rows.append(
        [Cell(_("本期有核实销售的学员")), count_cell(ctx, "sold"), Cell(""), Cell(""), Cell("")]
    )
    return table


def _income(ctx: Context) -> Table:
    table = Table(
        "income",
        _("网上月收入：与基线相比"),
        _("现在的月收入：期末前30天导师核实的销售额。基线：入学时登记的月网店收入。"),
        [_("指标"), _("数值")],
    )
    medians = income_medians(ctx)
    if medians["baseline"] is not None:
        table.rows += [
            [Cell(label), Cell(float(half_up(medians[key]) / 100), yuan(medians[key]))]
            for key, label in (
                ("baseline", _("基线月收入（中位数）")),
                ("now", _("现在月收入（中位数）")),
                ("change", _("变化（中位数）")),
            )
        ]
        table.rows.append([Cell(_("高于基线的学员")), share_cell(ctx, "income_up", None, "all")])
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
                share_cell(ctx, "practising", days, "practising_eligible", days),
            ]
        )
    for kind in OutcomeKind:
        table.rows.append([Cell(kind.label), share_cell(ctx, "outcome", kind.value, "all")])
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
# Mentor attention per trainee in the period (lms.reporting.activity): column → heading.
ATTENTION_COLUMNS = [("visits", _l("本期每人回访次数")), ("verified", _l("本期每人核实记录数"))]


def per_trainee(total: int, n: int) -> Decimal | None:
    """A total shared out over the group's trainees, to one place (half up)."""
    return half_up(Decimal(total) / n, 1) if n else None


def _per_trainee_cell(value: Decimal | None, link: dict | None = None) -> Cell:
    return Cell(None, "—") if value is None else Cell(float(value), str(value), link)


def _equity(ctx: Context) -> Table:
    table = Table(
        "equity",
        _("公平：按农户类别、性别、年龄"),
        _(
            "每一组学员在主要指标上的比例，和导师给每位学员的关注：本期的回访次数与核实的实践记录数，"
            "平均到每人。最后一行是示范户与其他学员的差距（比例是百分点，每人次数是次），"
            "正数表示示范户更高。"
        ),
        [_("人群"), _("学员")]
        + [str(c[0]) for c in EQUITY_COLUMNS]
        + [str(c[1]) for c in ATTENTION_COLUMNS],
    )

    def row(label, groups):
        n = ctx.counts.n("all", **groups)
        link = {"indicator": "all", **groups}
        cells = [Cell(label), Cell(n, str(n), link)]
        for _label, key, arg, base, base_arg in EQUITY_COLUMNS:
            cells.append(share_cell(ctx, key, arg, base, base_arg, **groups))
        for column, _label in ATTENTION_COLUMNS:
            value = per_trainee(ctx.counts.total(column, **groups), n)
            cells.append(_per_trainee_cell(value, link))
        return cells

    table.rows.append(row(_("全部学员"), {}))
    for group, value, label in equity_groups():
        table.rows.append(row(str(label), {group: value}))
    demo = HouseholdCategory.DEMONSTRATION.value
    gap = [Cell(_("示范户 − 其他（百分点）")), Cell("")]
    for _label, key, arg, base, base_arg in EQUITY_COLUMNS:
        a = share_cell(ctx, key, arg, base, base_arg, category=demo).value
        part = ctx.counts.n(key, arg) - ctx.counts.n(key, arg, category=demo)
        whole = ctx.counts.n(base, base_arg) - ctx.counts.n(base, base_arg, category=demo)
        b = share(part, whole).value
        points = None if a is None or b is None else int(half_up(100 * (a - b)))
        gap.append(Cell(points, "—" if points is None else f"{points:+d}"))
    demo_n = ctx.counts.n("all", category=demo)
    other_n = ctx.counts.n("all") - demo_n
    for column, _label in ATTENTION_COLUMNS:
        demo_total = ctx.counts.total(column, category=demo)
        a = per_trainee(demo_total, demo_n)
        b = per_trainee(ctx.counts.total(column) - demo_total, other_n)
        difference = None if a is None or b is None else a - b
        text = "—" if difference is None else f"{difference:+}"
        gap.append(Cell(None if difference is None else float(difference), text))
    table.rows.append(gap)
    return table


# What each table's counts join beyond programme_facts (lms.reporting.indicators.PARTS).
COUNTED = {
    "loop": ("pac", "visited"),
    "sales": ("activity",),
    "income": ("activity",),
    "equity": ("pac", "visited", "activity"),
}
# Each table by its key, in the order the dashboard shows them; an export builds only its own.
BUILDERS = {
    "rungs": _rungs,
    "transitions": _transitions,
    "climb_days": _climb_days,
    "funnel": _funnel,
    "loop": _loop,
    "mentors": _mentors,
    "sales": _sales,
    "income": _income,
    "lasting": _lasting,
    "equity": _equity,
}
