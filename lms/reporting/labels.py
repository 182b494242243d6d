"""What a list behind a number holds, in words, for its heading."""

from flask_babel import gettext as _

from lms.db import db
from lms.models import Gender, HouseholdCategory, OutcomeKind, User


def describe(ctx, indicator: str, arg, groups: dict, mentor: int | None) -> str:
    """What a list holds, in words: "现在第4级 · 示范户", never the raw filter."""
    tiers = {str(t.id): t.localized("title", ctx.locale) for t in ctx.tiers}
    rung = lambda a: f"{a} {ctx.rung_names.get(int(a), '')}".strip()  # noqa: E731
    name = lambda a: db.session.get(User, int(a)).name if db.session.get(User, int(a)) else a  # noqa: E731
    words = {
        "all": lambda a: _("全部学员"),
        "baseline": lambda a: _("入学时第%(r)s级", r=rung(a)),
        "rung": lambda a: _("现在第%(r)s级", r=rung(a)),
        "transition": lambda a: _(
            "入学时第%(a)s级、现在第%(b)s级", a=a.split("-")[0], b=a.split("-")[1]
        ),
        "climbed": lambda a: _("升过级"),
        "climbed_to": lambda a: _("本期升到第%(r)s级", r=rung(a)),
        "tier_started": lambda a: _("开始学“%(t)s”", t=tiers.get(a, a)),
        "tier_completed_any": lambda a: _("学完“%(t)s”至少一门课", t=tiers.get(a, a)),
        "tier_completed_all": lambda a: _("学完“%(t)s”全部课程", t=tiers.get(a, a)),
        "completed_any": lambda a: _("学完至少一门课"),
        "pac_eligible": lambda a: _("本期学完有实践任务的课"),
        "pac": lambda a: _("学完后14天内有核实的实践"),
        "visited": lambda a: _("最近30天回访过"),
        "not_visited": lambda a: _("最近30天没有回访"),
        "followed_by": lambda a: _("导师%(m)s跟踪的学员", m=name(a)),
        "overdue": lambda a: _("导师%(m)s的逾期未回访学员", m=name(a)),
        "sold": lambda a: _("本期有核实销售"),
        "active_in": lambda a: _("%(m)s有核实销售", m=a),
        "income_up": lambda a: _("月收入高于基线"),
        "practising_eligible": lambda a: _("入学已满%(n)s天", n=a),
        "practising": lambda a: _("入学%(n)s天后仍在实践", n=a),
        "outcome": lambda a: _("成效：%(k)s", k=OutcomeKind(a).label),
        "any_outcome": lambda a: _("有成效"),
    }
    parts = [str(words[indicator](arg))]
    labels = {
        "category": lambda v: HouseholdCategory(v).label,
        "gender": lambda v: Gender(v).label,
        "age": lambda v: _("%(band)s岁", band=v),
    }
    for key, value in groups.items():
        try:
            parts.append(str(labels[key](value)))
        except (KeyError, ValueError):
            parts.append(value)
    if mentor is not None:
        parts.append(_("导师：%(m)s", m=name(mentor)))
    return " · ".join(parts)
