"""Programme indicators, each one named SQL predicate over one row per trainee in scope.

`trainees(scope, period)` is a select with a row per trainee in scope as the period ended and a
column for each fact an indicator needs (rung then, sales in the period, a visit in the last 30
days…), computed in the database. `INDICATORS[name](row, arg)` is the indicator's condition on
that row. A count is the sum of the condition over a scope's rows (`Counts`, one GROUP BY for the
whole dashboard); the list behind the number is the same select filtered by the same condition
(`listing`). So a number and its list cannot disagree. The definitions, in words, are in
docs/indicators.md; the rule for time is in lms.reporting.scope.
"""

from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from lms.models import (
    Course,
    CourseCompletion,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    Outcome,
    OutcomeKind,
    PracticeKind,
    PracticeRecord,
    PracticeTask,
    RecordStatus,
    RungPromotion,
    TraineeProfile,
)
from lms.reporting.scope import Period, Scope
from lms.sqlfuncs import date_plus, day_number, local_date_plus

PRACTICE_AFTER_COURSE_DAYS = 14
COVERAGE_DAYS = 30
INCOME_DAYS = 30
STILL_PRACTISING = (90, 180)  # days after enrolment
STILL_PRACTISING_WINDOW = 30  # a record in the 30 days up to that day
AGE_BANDS = ((0, 29, "<30"), (30, 44, "30–44"), (45, 59, "45–59"), (60, 200, "60+"))
RUNGS = range(7)


def verified_by(period: Period):
    """A record counts as verified if a mentor had verified it by the end of the period."""
    return and_(
        PracticeRecord.status == RecordStatus.VERIFIED,
        PracticeRecord.reviewed_at < period.end_utc,
    )


def flag(condition):
    """1 where the condition holds, else 0: conditions add up to counts."""
    return case((condition, 1), else_=0)


PARTS = (
    "rung",
    "climbs",
    "learned",
    "completed",
    "pac",
    "visited",
    "sales",
    "practising",
    "outcomes",
)


def trainees(scope: Scope, period: Period, tier_courses: dict[int, int], parts=PARTS):
    """One row per trainee in scope at the end of the period, with a column for each fact of
    the `parts` asked for (each part is one more join; a list or an export asks only for what
    it shows). `tier_courses` is each tier's number of current courses."""
    s = scope.at_end(period)
    since, end, zero = s.c.since, period.end, literal(0)
    p = aliased(TraineeProfile)
    age = period.end.year - p.birth_year
    age_band = case(
        *((and_(age >= low, age <= high), literal(label)) for low, high, label in AGE_BANDS),
        else_=None,
    )
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
    ]
    joins = []

    def add(sub, *cols):
        joins.append(sub)
        columns.extend(func.coalesce(sub.c[c], zero).label(c) for c in cols)

    if "rung" in parts:
        rung = _rung_at_end(s, period)
        joins.append(rung)
        columns.append(func.coalesce(rung.c.to_rung, p.baseline_rung).label("rung_now"))
    if "climbs" in parts:
        add(_climbs(s, period), *(f"climbed_to_{r}" for r in RUNGS[1:]))
    if "learned" in parts:
        add(_tiers_started(s, period, list(tier_courses)), *(f"started_{t}" for t in tier_courses))
    if "completed" in parts:
        done = [f"{kind}_{t}" for t in tier_courses for kind in ("done_any", "done_all")]
        add(_completed(s, period, tier_courses), *done, "completed_any")
    if "pac" in parts:
        add(_practice_after_course(s, period), "pac_eligible", "pac")
    if "visited" in parts:
        add(_visited(s, period), "visited")
    if "sales" in parts:
        add(_sales(s, period), "sales", "sales_fen", "income_now_fen")
    if "practising" in parts:
        practising = _practising(s)
        joins.append(practising)
        for days in STILL_PRACTISING:
            due = date_plus(since, days) <= end
            columns.append(flag(due).label(f"practising_eligible_{days}"))
            done = and_(due, practising.c[f"practised_{days}"] == 1)
            columns.append(flag(done).label(f"practising_{days}"))
    if "outcomes" in parts:
        add(_outcomes(s, period), *(f"outcome_{k.value}" for k in OutcomeKind))
    query = select(*columns).select_from(s).join(p, p.user_id == s.c.trainee_id)
    for sub in joins:
        query = query.outerjoin(sub, sub.c.trainee_id == s.c.trainee_id)
    if scope.village:
        query = query.where(p.village == scope.village)
    return query.subquery("trainees_at_end")


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


def _outcomes(s, period: Period):
    return (
        select(
            Outcome.trainee_id,
            *(
                func.max(flag(Outcome.kind == kind)).label(f"outcome_{kind.value}")
                for kind in OutcomeKind
            ),
        )
        .join(s, s.c.trainee_id == Outcome.trainee_id)
        .where(Outcome.happened_on <= period.end, Outcome.happened_on >= s.c.since)
        .group_by(Outcome.trainee_id)
        .subquery()
    )


def _promotions(s, period: Period):
    """Every promotion or correction signed by the end, with the rung before it and the day it
    was reached (the promotion's, or the first enrolment's), ranked newest first."""
    signed_on = local_date_plus(RungPromotion.signed_at, 0)
    order = (RungPromotion.signed_at, RungPromotion.id)
    return (
        select(
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


def _rung_at_end(s, period: Period):
    ranked = _promotions(s, period)
    return select(ranked.c.trainee_id, ranked.c.to_rung).where(ranked.c.newest == 1).subquery()


def climbs_select(s, period: Period):
    """(trainee_id, to_rung, days) for each climb signed in the period: days from reaching the
    rung before (its promotion, or the first enrolment) to this one."""
    ranked = _promotions(s, period)
    p = aliased(TraineeProfile)
    before = func.coalesce(ranked.c.before, p.baseline_rung)
    reached = func.coalesce(ranked.c.before_on, ranked.c.since)
    return (
        select(
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


def _tiers_started(s, period: Period, tier_ids: list[int]):
    return (
        select(
            LessonProgress.trainee_id,
            *(func.max(flag(Course.tier_id == t)).label(f"started_{t}") for t in tier_ids),
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .join(s, s.c.trainee_id == LessonProgress.trainee_id)
        .where(
            LessonProgress.learned_at < period.end_utc,
            local_date_plus(LessonProgress.learned_at, 0) >= s.c.since,
        )
        .group_by(LessonProgress.trainee_id)
        .subquery()
    )


def _completed(s, period: Period, tier_courses: dict[int, int]):
    """Per tier: completed at least one of its current courses, and all of them, by the end."""
    per_tier = (
        select(CourseCompletion.trainee_id, Course.tier_id, func.count().label("n"))
        .join(Course, Course.id == CourseCompletion.course_id)
        .join(s, s.c.trainee_id == CourseCompletion.trainee_id)
        .where(
            Course.archived_at.is_(None),
            CourseCompletion.completed_at < period.end_utc,
            local_date_plus(CourseCompletion.completed_at, 0) >= s.c.since,
        )
        .group_by(CourseCompletion.trainee_id, Course.tier_id)
        .subquery()
    )
    columns = []
    for t, total in tier_courses.items():
        columns.append(func.max(flag(per_tier.c.tier_id == t)).label(f"done_any_{t}"))
        columns.append(
            func.max(flag(and_(per_tier.c.tier_id == t, per_tier.c.n >= total))).label(
                f"done_all_{t}"
            )
        )
    return (
        select(per_tier.c.trainee_id, *columns, literal(1).label("completed_any"))
        .group_by(per_tier.c.trainee_id)
        .subquery()
    )


def _practice_after_course(s, period: Period):
    """Completions of courses with practice tasks in the period and at least 14 days before its
    end, and whether a record verified by the end is dated within 14 days after one of them."""
    with_tasks = select(Lesson.course_id).join(PracticeTask, PracticeTask.lesson_id == Lesson.id)
    completed_on = local_date_plus(CourseCompletion.completed_at, 0)
    practised = (
        select(PracticeRecord.id)
        .where(
            PracticeRecord.trainee_id == CourseCompletion.trainee_id,
            verified_by(period),
            PracticeRecord.happened_on >= completed_on,
            PracticeRecord.happened_on
            <= local_date_plus(CourseCompletion.completed_at, PRACTICE_AFTER_COURSE_DAYS),
        )
        .exists()
    )
    return (
        select(
            CourseCompletion.trainee_id,
            literal(1).label("pac_eligible"),
            func.max(flag(practised)).label("pac"),
        )
        .join(s, s.c.trainee_id == CourseCompletion.trainee_id)
        .where(
            CourseCompletion.course_id.in_(with_tasks),
            CourseCompletion.completed_at >= period.start_utc,
            CourseCompletion.completed_at
            < period.end_utc - timedelta(days=PRACTICE_AFTER_COURSE_DAYS),
            completed_on >= s.c.since,
        )
        .group_by(CourseCompletion.trainee_id)
        .subquery()
    )


def verified_sales(s, period: Period, first_day: date):
    """The conditions on a verified sale counted for a trainee in scope, dated from
    `first_day` to the end of the period."""
    return and_(
        PracticeRecord.kind == PracticeKind.SALE,
        verified_by(period),
        PracticeRecord.happened_on >= first_day,
        PracticeRecord.happened_on <= period.end,
        PracticeRecord.happened_on >= s.c.since,
    )


def _sales(s, period: Period):
    income_from = period.end - timedelta(days=INCOME_DAYS - 1)
    in_period = PracticeRecord.happened_on >= period.start
    recent = PracticeRecord.happened_on >= income_from
    return (
        select(
            PracticeRecord.trainee_id,
            func.sum(flag(in_period)).label("sales"),
            func.sum(case((in_period, PracticeRecord.amount_fen), else_=0)).label("sales_fen"),
            func.sum(case((recent, PracticeRecord.amount_fen), else_=0)).label("income_now_fen"),
        )
        .join(s, s.c.trainee_id == PracticeRecord.trainee_id)
        .where(verified_sales(s, period, min(period.start, income_from)))
        .group_by(PracticeRecord.trainee_id)
        .subquery()
    )


def _practising(s):
    """Whether a record (not rejected) is dated in the 30 days up to day 90 (180) after the
    first enrolment; whether that day has come is judged against the period's end."""
    day = PracticeRecord.happened_on
    columns = [
        func.max(
            flag(
                and_(
                    day > date_plus(s.c.since, days - STILL_PRACTISING_WINDOW),
                    day <= date_plus(s.c.since, days),
                )
            )
        ).label(f"practised_{days}")
        for days in STILL_PRACTISING
    ]
    return (
        select(PracticeRecord.trainee_id, *columns)
        .join(s, s.c.trainee_id == PracticeRecord.trainee_id)
        .where(
            PracticeRecord.status.in_((RecordStatus.SELF_REPORTED, RecordStatus.VERIFIED)),
            day > date_plus(s.c.since, min(STILL_PRACTISING) - STILL_PRACTISING_WINDOW),
            day <= date_plus(s.c.since, max(STILL_PRACTISING)),
        )
        .group_by(PracticeRecord.trainee_id)
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
    "rung": (("rung",), lambda r, a: r.c.rung_now == _int(a)),
    "transition": (
        ("rung",),
        lambda r, a: and_(
            r.c.baseline_rung == _int(a.split("-")[0]), r.c.rung_now == _int(a.split("-")[1])
        ),
    ),
    "climbed": (("rung",), lambda r, a: r.c.rung_now > r.c.baseline_rung),
    "climbed_to": (("climbs",), lambda r, a: _column(r, f"climbed_to_{_int(a)}")),
    "tier_started": (("learned",), lambda r, a: _column(r, f"started_{_int(a)}")),
    "tier_completed_any": (("completed",), lambda r, a: _column(r, f"done_any_{_int(a)}")),
    "tier_completed_all": (("completed",), lambda r, a: _column(r, f"done_all_{_int(a)}")),
    "completed_any": (("completed",), lambda r, a: r.c.completed_any == 1),
    "pac_eligible": (("pac",), lambda r, a: r.c.pac_eligible == 1),
    "pac": (("pac",), lambda r, a: r.c.pac == 1),
    "visited": (("visited",), lambda r, a: r.c.visited == 1),
    "not_visited": (("visited",), lambda r, a: r.c.visited == 0),
    "sold": (("sales",), lambda r, a: r.c.sales > 0),
    "income_up": (("sales",), lambda r, a: r.c.income_now_fen > r.c.baseline_income_fen),
    "practising_eligible": (
        ("practising",),
        lambda r, a: _column(r, f"practising_eligible_{_int(a)}"),
    ),
    "practising": (("practising",), lambda r, a: _column(r, f"practising_{_int(a)}")),
    "outcome": (("outcomes",), lambda r, a: _column(r, f"outcome_{OutcomeKind(a).value}")),
    "any_outcome": (
        ("outcomes",),
        lambda r, a: or_(*(r.c[f"outcome_{k.value}"] == 1 for k in OutcomeKind)),
    ),
}
# The splits of the equity table and of any list: column → how a link names it.
GROUPS = {"category": "category", "gender": "gender", "age": "age_band"}
