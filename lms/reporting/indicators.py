"""Programme indicators, each one named SQL predicate over one row per trainee in scope.

`trainees(scope, period)` is a select with a row per trainee in scope as the period ended and a
column for each fact an indicator needs (rung then, sales in the period, a visit in the last 30
days…), computed in the database. `INDICATORS[name](row, arg)` is the indicator's condition on
that row. A count is the sum of the condition over a scope's rows (`Counts`, one GROUP BY for the
whole dashboard); the list behind the number is the same select filtered by the same condition
(`listing`). So a number and its list cannot disagree. The definitions, in words, are in
docs/indicators.md; the rule for time is in lms.reporting.scope.
"""

from datetime import timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from lms.db import db
from lms.models import (
    FollowUpVisit,
    OutcomeKind,
    PeriodClimb,
    PeriodFigures,
    PracticeWindow,
    RungPromotion,
    TierFacts,
    TraineeProfile,
)
from lms.reporting import activity
from lms.reporting.programme_facts import PRACTICE_AFTER_COURSE_DAYS, STILL_PRACTISING
from lms.reporting.scope import Period, Scope, computed_once, members
from lms.sqlfuncs import date_plus, day_number, local_date_plus

COVERAGE_DAYS = 30
AGE_BANDS = ((0, 29, "<30"), (30, 44, "30–44"), (45, 59, "45–59"), (60, 200, "60+"))
RUNGS = range(7)


def flag(condition):
    """1 where the condition holds, else 0: conditions add up to counts."""
    return case((condition, 1), else_=0)


PARTS = ("climbs", "pac", "visited", "activity")  # joins beyond programme_facts and the profile


def trainees(scope: Scope, period: Period, parts=PARTS, kept: int | None = None):
    """One row per trainee in scope at the end of the period, with a column for each fact: the
    dated facts kept in programme_facts compared with the period, and the `parts` asked for
    (each one more join; a list or an export asks only for what it shows), computed from the
    records; or, given `kept` (a report_periods id), the whole row as kept for the period."""
    if kept is not None:
        return _kept(scope, period, kept)
    query = _rows(scope.programme_id, period, scope.at_end(period), parts, scope.narrowed(period))
    if scope.village:
        query = query.where(query.selected_columns.village == scope.village)
    return query.subquery("trainees_at_end")


def rows_to_keep(programme_id: int, period: Period, ids=None):
    """The rows lms.reporting.figures keeps: trainees()'s whole row for every member of the
    programme by the end of the period (of `ids` only, if given), with `in_scope`."""
    s = Scope(programme_id).at_end(period, every_member=True, ids=ids)
    return _rows(programme_id, period, s, PARTS, ids).add_columns(s.c.in_scope)


def _kept(scope: Scope, period: Period, kept: int):
    f = PeriodFigures
    query = select(*(f.__table__.c[name] for name in ROW)).where(
        f.period_id == kept, f.in_scope == 1
    )
    if scope.cohort_id:
        query = query.where(scope.enrolled_at_end(period, f.trainee_id))
    if scope.village:
        query = query.where(f.village == scope.village)
    return query.subquery("trainees_at_end")


def _rows(programme_id: int, period: Period, s, parts, ids):
    """trainees()'s row for each row of `s` (programme_facts rows, with the cohort now), its
    parts gathered for `ids` (a list or a select; None: every member of the programme)."""
    since, end, zero = s.c.since, period.end, literal(0)
    p = aliased(TraineeProfile)
    age = period.end.year - p.birth_year
    age_band = case(
        *((and_(age >= low, age <= high), literal(label)) for low, high, label in AGE_BANDS),
        else_=None,
    )
    before_end = lambda day: flag(and_(day.is_not(None), day <= end))  # noqa: E731
    columns = [
        s.c.trainee_id,
        s.c.cohort_id,
        since.label("since"),
        p.village,
        p.gender,
        p.household_category.label("category"),
        age_band.label("age_band"),
        p.baseline_rung,
        p.baseline_monthly_income_fen.label("baseline_income_fen"),
        case(
            (s.c.rung_since.is_(None), p.baseline_rung),
            (s.c.rung_since <= end, s.c.rung),
            else_=_rung_then(s, period, p),  # promoted after the period: look it up
        ).label("rung_now"),
        before_end(s.c.first_done_on).label("completed_any"),
        *(before_end(s.c[f"{k.value}_on"]).label(f"outcome_{k.value}") for k in OutcomeKind),
    ]
    for days in STILL_PRACTISING:
        due = date_plus(since, days) <= end
        columns.append(flag(due).label(f"practising_eligible_{days}"))
        columns.append(flag(and_(due, s.c[f"practised_{days}"])).label(f"practising_{days}"))
    # The parts gather per member of the programme, then join the scope; a cohort or a village
    # gathers for its own trainees only. Each is computed once (a materialised CTE on
    # PostgreSQL): joined as a subquery, a scope the planner misjudged as one trainee re-ran the
    # part for each of its rows.
    joins = []
    for i, (name, sub) in enumerate(part_queries(programme_id, period, ids, parts).items()):
        part = computed_once(select(sub), f"part_{i}")
        joins.append(part)
        columns.extend(func.coalesce(part.c[c], zero).label(c) for c in PART_COLUMNS[name])
    query = select(*columns).select_from(s).join(p, p.user_id == s.c.trainee_id)
    for part in joins:
        query = query.outerjoin(part, part.c.trainee_id == s.c.trainee_id)
    return query


PART_COLUMNS = {  # each part's columns
    "climbs": tuple(f"climbed_to_{r}" for r in RUNGS[1:]),
    "pac": ("pac_eligible", "pac"),
    "visited": ("visited",),
    "activity": activity.COLUMNS,
}
# trainees()'s row with every part, as period_figures keeps it.
ROW = (
    "trainee_id",
    "cohort_id",
    "since",
    "village",
    "gender",
    "category",
    "age_band",
    "baseline_rung",
    "baseline_income_fen",
    "rung_now",
    "completed_any",
    *(f"outcome_{k.value}" for k in OutcomeKind),
    *(
        f"{name}_{days}"
        for days in STILL_PRACTISING
        for name in ("practising_eligible", "practising")
    ),
    *(c for name in PARTS for c in PART_COLUMNS[name]),
)


def part_queries(programme_id: int, period: Period, ids=None, parts=PARTS) -> dict:
    """Each part asked for, computed from the records: a select with trainee_id and the part's
    columns, a row per member of the programme by the end of the period (or of `ids`, a list or
    a select of ids) who has any of them."""
    m = members(programme_id, period, ids)
    found = {}
    if "climbs" in parts:
        found["climbs"] = _climbs(m, period)
    if "pac" in parts:
        found["pac"] = _practice_after_course(programme_id, period, ids)
    if "visited" in parts:
        found["visited"] = _visited(m, period)
    if "activity" in parts:
        found["activity"] = activity.per_trainee(programme_id, period, ids)
    return found


def _rung_then(s, period: Period, profile):
    """The rung at the end of the period from the promotions themselves."""
    latest = (
        select(RungPromotion.to_rung)
        .where(
            RungPromotion.trainee_id == s.c.trainee_id,
            RungPromotion.signed_at < period.end_utc,
        )
        .order_by(RungPromotion.signed_at.desc(), RungPromotion.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, profile.baseline_rung)


def tier_counts(scope: Scope, period: Period, ids=None) -> dict[int, tuple[int, int, int]]:
    """Per tier: trainees in scope who had started it, completed one of its current courses,
    and completed all of them, by the end of the period (`ids`: the scope's ids at the end, if
    the caller has them already)."""
    ids = scope.ids_at_end(period) if ids is None else ids
    end = period.end
    query = (
        select(
            TierFacts.tier_id,
            *(
                func.sum(flag(and_(day.is_not(None), day <= end)))
                for day in (TierFacts.started_on, TierFacts.first_done_on, TierFacts.all_done_on)
            ),
        )
        .where(TierFacts.programme_id == scope.programme_id, TierFacts.trainee_id.in_(ids))
        .group_by(TierFacts.tier_id)
    )
    return {t: (int(a or 0), int(b or 0), int(c or 0)) for t, a, b, c in db.session.execute(query)}


def tier_condition(scope: Scope, period: Period, trainees, column: str, tier_id: int):
    """A list's condition for a tier figure: the trainee's tier_facts date is by the end."""
    day = getattr(TierFacts, column)
    return trainees.c.trainee_id.in_(
        select(TierFacts.trainee_id).where(
            TierFacts.programme_id == scope.programme_id,
            TierFacts.tier_id == tier_id,
            day.is_not(None),
            day <= period.end,
        )
    )


def _visited(s, period: Period):
    return (
        select(FollowUpVisit.trainee_id, literal(1).label("visited"))
        .join(s, s.c.trainee_id == FollowUpVisit.trainee_id)
        .where(
            FollowUpVisit.visited_on > period.end - timedelta(days=COVERAGE_DAYS),
            FollowUpVisit.visited_on <= period.end,
            FollowUpVisit.visited_on >= s.c.since,
        )
        .group_by(FollowUpVisit.trainee_id)
        .subquery()
    )


def _promotions(s, period: Period):
    """Every promotion or correction signed by the end, with the rung before it and the day it
    was reached (the promotion's, or the first enrolment's), ranked newest first."""
    signed_on = local_date_plus(RungPromotion.signed_at, 0)
    order = (RungPromotion.signed_at, RungPromotion.id)
    return (
        select(
            RungPromotion.id.label("promotion_id"),
            RungPromotion.trainee_id,
            RungPromotion.to_rung,
            signed_on.label("signed_on"),
            func.lag(RungPromotion.to_rung)
            .over(partition_by=RungPromotion.trainee_id, order_by=order)
            .label("before"),
            func.lag(signed_on)
            .over(partition_by=RungPromotion.trainee_id, order_by=order)
            .label("before_on"),
            func.row_number()
            .over(
                partition_by=RungPromotion.trainee_id,
                order_by=(RungPromotion.signed_at.desc(), RungPromotion.id.desc()),
            )
            .label("newest"),
            s.c.since,
        )
        .join(s, s.c.trainee_id == RungPromotion.trainee_id)
        .where(RungPromotion.signed_at < period.end_utc)
        .subquery()
    )


def climbs_select(s, period: Period):
    """(promotion_id, trainee_id, to_rung, days) for each climb signed in the period: days from
    reaching the rung before (its promotion, or the first enrolment) to this one."""
    ranked = _promotions(s, period)
    p = aliased(TraineeProfile)
    before = func.coalesce(ranked.c.before, p.baseline_rung)
    reached = func.coalesce(ranked.c.before_on, ranked.c.since)
    return (
        select(
            ranked.c.promotion_id,
            ranked.c.trainee_id,
            ranked.c.to_rung,
            (day_number(ranked.c.signed_on) - day_number(reached)).label("days"),
        )
        .join(p, p.user_id == ranked.c.trainee_id)
        .where(
            ranked.c.to_rung > before,
            ranked.c.signed_on >= period.start,
            ranked.c.signed_on >= ranked.c.since,
        )
    )


def kept_climbs(period_id: int):
    """climbs_select's rows as kept for a period (lms.reporting.figures)."""
    c = PeriodClimb
    return select(c.promotion_id, c.trainee_id, c.to_rung, c.days).where(c.period_id == period_id)


def _climbs(s, period: Period):
    found = climbs_select(s, period).subquery()
    return (
        select(
            found.c.trainee_id,
            *(func.max(flag(found.c.to_rung == r)).label(f"climbed_to_{r}") for r in RUNGS[1:]),
        )
        .group_by(found.c.trainee_id)
        .subquery()
    )


def _practice_after_course(programme_id: int, period: Period, ids=None):
    """Completions of courses with practice tasks in the period and at least 14 days before its
    end, and whether a practice record within 14 days after one was verified by the end. (The
    windows count from each trainee's first enrolment already: no join to the members.)"""
    w = PracticeWindow
    return (
        select(
            w.trainee_id,
            literal(1).label("pac_eligible"),
            func.max(flag(and_(w.verified_on.is_not(None), w.verified_on <= period.end))).label(
                "pac"
            ),
        )
        .where(
            w.programme_id == programme_id,
            w.completed_on >= period.start,
            w.completed_on <= period.end - timedelta(days=PRACTICE_AFTER_COURSE_DAYS),
            literal(True) if ids is None else w.trainee_id.in_(ids),
        )
        .group_by(w.trainee_id)
        .subquery()
    )


# --- the indicators: each a condition on a row of trainees() -------------------------------
# (row, arg) → SQL condition; `arg` comes from a link, so a bad one raises ValueError/KeyError.


def _int(arg) -> int:
    return int(str(arg))


def _column(row, name: str):
    if name not in row.c:
        raise KeyError(name)
    return row.c[name] == 1


INDICATORS = {  # name → (the parts of trainees() it reads, its condition)
    "all": ((), lambda r, a: literal(True)),
    "baseline": ((), lambda r, a: r.c.baseline_rung == _int(a)),
    "rung": ((), lambda r, a: r.c.rung_now == _int(a)),
    "transition": (
        (),
        lambda r, a: and_(
            r.c.baseline_rung == _int(a.split("-")[0]), r.c.rung_now == _int(a.split("-")[1])
        ),
    ),
    "climbed": ((), lambda r, a: r.c.rung_now > r.c.baseline_rung),
    "climbed_to": (("climbs",), lambda r, a: _column(r, f"climbed_to_{_int(a)}")),
    "completed_any": ((), lambda r, a: r.c.completed_any == 1),
    "pac_eligible": (("pac",), lambda r, a: r.c.pac_eligible == 1),
    "pac": (("pac",), lambda r, a: r.c.pac == 1),
    "visited": (("visited",), lambda r, a: r.c.visited == 1),
    "not_visited": (("visited",), lambda r, a: r.c.visited == 0),
    "sold": (("activity",), lambda r, a: r.c.sales > 0),
    "income_up": (("activity",), lambda r, a: r.c.income_now_fen > r.c.baseline_income_fen),
    "practising_eligible": ((), lambda r, a: _column(r, f"practising_eligible_{_int(a)}")),
    "practising": ((), lambda r, a: _column(r, f"practising_{_int(a)}")),
    "outcome": ((), lambda r, a: _column(r, f"outcome_{OutcomeKind(a).value}")),
    "any_outcome": ((), lambda r, a: or_(*(r.c[f"outcome_{k.value}"] == 1 for k in OutcomeKind))),
}
# Tier figures are read from tier_facts (tier_counts, tier_condition): tier → its date column.
TIER_INDICATORS = {
    "tier_started": "started_on",
    "tier_completed_any": "first_done_on",
    "tier_completed_all": "all_done_on",
}
# The splits of the equity table and of any list: column → how a link names it.
GROUPS = {"category": "category", "gender": "gender", "age": "age_band"}
