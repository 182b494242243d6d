"""Programme indicators, defined once: the facts about each trainee in a scope and period.

Every number on a dashboard is an aggregate of these facts, and every list behind a number is a
filter over the same facts, so a number and its list can never disagree. The definitions are
written out in docs/indicators.md. Facts are gathered in a fixed number of queries, with the
heavy counting done in the database.

A scope is a programme, optionally narrowed to one cohort or one village. Trainees in scope are
those with a current enrolment (not left) in a cohort of the programme. A programme counts a
trainee's learning, practice, visits, promotions and outcomes from their first enrolment in it
(`since`): a person who also belongs to another programme brings none of that one's records. A
period runs from `start` to `end` inclusive, in local dates; "now" means at the end of the period.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from lms.clock import LOCAL_TZ
from lms.models import (
    Course,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    Outcome,
    PracticeKind,
    PracticeRecord,
    PracticeTask,
    RecordStatus,
    RungPromotion,
    TraineeProfile,
    User,
)
from lms.services.indicator_scope import Period, Scope, rows
from lms.sqlfuncs import date_plus, local_date_plus

PRACTICE_AFTER_COURSE_DAYS = 14
COVERAGE_DAYS = 30
INCOME_DAYS = 30
STILL_PRACTISING = (90, 180)  # days after enrolment
STILL_PRACTISING_WINDOW = 30  # a record in the 30 days up to that day
AGE_BANDS = ((0, 29, "<30"), (30, 44, "30–44"), (45, 59, "45–59"), (60, 200, "60+"))


def age_band(birth_year: int | None, on: date) -> str | None:
    if not birth_year:
        return None
    age = on.year - birth_year
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return None


@dataclass
class Facts:
    """What the indicators need to know about one trainee, as of the end of the period."""

    trainee_id: int
    name: str
    phone: str
    village: str
    cohort_id: int
    gender: str | None
    category: str
    age_band: str | None
    enrolled_on: date
    baseline_rung: int
    since: date | None = None  # first enrolment in the programme: what counts starts there
    current_rung: int = 0
    climbs: list[tuple[int, int]] = field(default_factory=list)  # (to rung, days) in period
    tiers_started: set[int] = field(default_factory=set)
    completed_by_tier: dict[int, int] = field(default_factory=dict)  # current courses completed
    practice_after_course: bool | None = None  # None: finished no such course in time
    visited_recently: bool = False
    sales_in_period: int = 0
    sales_fen_in_period: int = 0
    baseline_income_fen: int = 0
    income_now_fen: int = 0
    practising: dict[int, bool | None] = field(default_factory=dict)  # day → yes/no/too soon
    outcomes: set[str] = field(default_factory=set)

    @property
    def courses_completed(self) -> int:
        return sum(self.completed_by_tier.values())

    @property
    def climbed(self) -> bool:
        return self.current_rung > self.baseline_rung


def gather(scope: Scope, period: Period) -> dict[int, Facts]:
    """The facts of every trainee in scope, keyed by trainee id."""
    ids = scope.trainee_ids()
    starts = scope.starts()
    facts: dict[int, Facts] = {}
    p = aliased(TraineeProfile)
    for row in rows(
        scope.enrolments(
            User.id,
            User.name,
            User.phone,
            p.village,
            Enrollment.cohort_id,
            p.gender,
            p.household_category,
            p.birth_year,
            Enrollment.enrolled_on,
            p.baseline_rung,
            p.baseline_monthly_income_fen,
            starts.c.since,
        )
        .join(User, User.id == Enrollment.trainee_id)
        .join(p, p.user_id == User.id)
        .join(starts, starts.c.trainee_id == User.id)
        .order_by(Enrollment.enrolled_on)
    ).all():
        (
            trainee_id,
            name,
            phone,
            village,
            cohort_id,
            gender,
            category,
            born,
            enrolled_on,
            rung,
            income,
            since,
        ) = row
        facts[trainee_id] = Facts(
            trainee_id,
            name,
            phone,
            village,
            cohort_id,
            gender.value if gender else None,
            category.value,
            age_band(born, period.end),
            enrolled_on,
            rung,
            since=since,
            current_rung=rung,
            baseline_income_fen=income,
        )
    if not facts:
        return facts
    _rungs(facts, ids, period)
    _learning(facts, ids, period, starts)
    _practice(facts, ids, period, scope, starts)
    _follow_up(facts, ids, period, starts)
    return facts


def _rungs(facts, ids, period) -> None:
    last_attained = {i: f.enrolled_on for i, f in facts.items()}
    for trainee_id, to_rung, signed_at in rows(
        select(RungPromotion.trainee_id, RungPromotion.to_rung, RungPromotion.signed_at)
        .where(RungPromotion.trainee_id.in_(ids), RungPromotion.signed_at < period.end_utc)
        .order_by(RungPromotion.signed_at, RungPromotion.id)
    ).all():
        f = facts.get(trainee_id)
        if f is None:
            continue
        signed_on = signed_at.replace(tzinfo=UTC).astimezone(LOCAL_TZ).date()
        if to_rung > f.current_rung and signed_on >= max(period.start, f.since):
            f.climbs.append((to_rung, (signed_on - last_attained[trainee_id]).days))
        f.current_rung = to_rung
        last_attained[trainee_id] = signed_on


def _learning(facts, ids, period, starts) -> None:
    for trainee_id, tier_id in rows(
        select(LessonProgress.trainee_id, Course.tier_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .join(starts, starts.c.trainee_id == LessonProgress.trainee_id)
        .where(
            LessonProgress.trainee_id.in_(ids),
            LessonProgress.learned_at < period.end_utc,
            local_date_plus(LessonProgress.learned_at, 0) >= starts.c.since,
        )
        .distinct()
    ).all():
        facts[trainee_id].tiers_started.add(tier_id)
    for trainee_id, tier_id, count in rows(
        select(CourseCompletion.trainee_id, Course.tier_id, func.count())
        .join(Course, Course.id == CourseCompletion.course_id)
        .join(starts, starts.c.trainee_id == CourseCompletion.trainee_id)
        .where(
            CourseCompletion.trainee_id.in_(ids),
            CourseCompletion.completed_at < period.end_utc,
            local_date_plus(CourseCompletion.completed_at, 0) >= starts.c.since,
            Course.archived_at.is_(None),
        )
        .group_by(CourseCompletion.trainee_id, Course.tier_id)
    ).all():
        facts[trainee_id].completed_by_tier[tier_id] = count

    # Practice after a course: completions of courses with practice tasks, in the period and at
    # least 14 days before its end (so each had its full 14 days), followed within 14 days by a
    # verified practice record.
    with_tasks = select(Lesson.course_id).join(PracticeTask, PracticeTask.lesson_id == Lesson.id)
    eligible = and_(
        CourseCompletion.trainee_id.in_(ids),
        CourseCompletion.course_id.in_(with_tasks),
        CourseCompletion.completed_at >= period.start_utc,
        CourseCompletion.completed_at < period.end_utc - timedelta(days=PRACTICE_AFTER_COURSE_DAYS),
        local_date_plus(CourseCompletion.completed_at, 0) >= starts.c.since,
    )
    completions = select(CourseCompletion.trainee_id).join(
        starts, starts.c.trainee_id == CourseCompletion.trainee_id
    )
    for (trainee_id,) in rows(completions.where(eligible).distinct()).all():
        facts[trainee_id].practice_after_course = False
    practised = (
        select(PracticeRecord.id)
        .where(
            PracticeRecord.trainee_id == CourseCompletion.trainee_id,
            PracticeRecord.status == RecordStatus.VERIFIED,
            PracticeRecord.happened_on >= local_date_plus(CourseCompletion.completed_at, 0),
            PracticeRecord.happened_on
            <= local_date_plus(CourseCompletion.completed_at, PRACTICE_AFTER_COURSE_DAYS),
        )
        .exists()
    )
    for (trainee_id,) in rows(completions.where(eligible, practised).distinct()).all():
        facts[trainee_id].practice_after_course = True


def _counted_records(starts, *columns):
    """A select over practice records from each trainee's start in the programme on."""
    return (
        select(*columns)
        .join(starts, starts.c.trainee_id == PracticeRecord.trainee_id)
        .where(PracticeRecord.happened_on >= starts.c.since)
    )


def _practice(facts, ids, period, scope, starts) -> None:
    verified_sales = and_(
        PracticeRecord.trainee_id.in_(ids),
        PracticeRecord.status == RecordStatus.VERIFIED,
        PracticeRecord.kind == PracticeKind.SALE,
    )
    for trainee_id, count, total in rows(
        _counted_records(
            starts, PracticeRecord.trainee_id, func.count(), func.sum(PracticeRecord.amount_fen)
        )
        .where(verified_sales, PracticeRecord.happened_on.between(period.start, period.end))
        .group_by(PracticeRecord.trainee_id)
    ).all():
        facts[trainee_id].sales_in_period, facts[trainee_id].sales_fen_in_period = count, total or 0
    for trainee_id, total in rows(
        _counted_records(starts, PracticeRecord.trainee_id, func.sum(PracticeRecord.amount_fen))
        .where(
            verified_sales,
            PracticeRecord.happened_on > period.end - timedelta(days=INCOME_DAYS),
            PracticeRecord.happened_on <= period.end,
        )
        .group_by(PracticeRecord.trainee_id)
    ).all():
        facts[trainee_id].income_now_fen = total or 0

    # Still practising N days after enrolment: a record (not rejected) in the 30 days up to
    # day N. Only trainees enrolled at least N days before the end of the period are counted.
    for days in STILL_PRACTISING:
        for f in facts.values():
            eligible = f.enrolled_on + timedelta(days=days) <= period.end
            f.practising[days] = False if eligible else None
        active = (
            select(PracticeRecord.id)
            .where(
                PracticeRecord.trainee_id == Enrollment.trainee_id,
                PracticeRecord.status.in_((RecordStatus.SELF_REPORTED, RecordStatus.VERIFIED)),
                PracticeRecord.happened_on
                > date_plus(Enrollment.enrolled_on, days - STILL_PRACTISING_WINDOW),
                PracticeRecord.happened_on <= date_plus(Enrollment.enrolled_on, days),
            )
            .exists()
        )
        for (trainee_id,) in rows(scope.enrolments(Enrollment.trainee_id).where(active)).all():
            f = facts.get(trainee_id)
            if f is not None and f.practising[days] is not None:
                f.practising[days] = True


def _follow_up(facts, ids, period, starts) -> None:
    for (trainee_id,) in rows(
        select(FollowUpVisit.trainee_id)
        .distinct()
        .join(starts, starts.c.trainee_id == FollowUpVisit.trainee_id)
        .where(
            FollowUpVisit.trainee_id.in_(ids),
            FollowUpVisit.visited_on > period.end - timedelta(days=COVERAGE_DAYS),
            FollowUpVisit.visited_on <= period.end,
            FollowUpVisit.visited_on >= starts.c.since,
        )
    ).all():
        facts[trainee_id].visited_recently = True
    for trainee_id, kind in rows(
        select(Outcome.trainee_id, Outcome.kind)
        .distinct()
        .join(starts, starts.c.trainee_id == Outcome.trainee_id)
        .where(
            Outcome.trainee_id.in_(ids),
            Outcome.happened_on <= period.end,
            Outcome.happened_on >= starts.c.since,
        )
    ).all():
        facts[trainee_id].outcomes.add(kind.value if hasattr(kind, "value") else kind)


def monthly_sales(scope: Scope, period: Period) -> list[tuple[int, int, int, int, list[int]]]:
    """(year, month, verified sales, total fen, per-seller totals) for each month of the period."""
    year = func.extract("year", PracticeRecord.happened_on)
    month = func.extract("month", PracticeRecord.happened_on)
    per_seller: dict[tuple[int, int], list[int]] = defaultdict(list)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for y, m, _trainee, count, total in rows(
        _counted_records(
            scope.starts(),
            year,
            month,
            PracticeRecord.trainee_id,
            func.count(),
            func.sum(PracticeRecord.amount_fen),
        )
        .where(
            PracticeRecord.trainee_id.in_(scope.trainee_ids()),
            PracticeRecord.status == RecordStatus.VERIFIED,
            PracticeRecord.kind == PracticeKind.SALE,
            PracticeRecord.happened_on.between(period.start, period.end),
        )
        .group_by(year, month, PracticeRecord.trainee_id)
    ).all():
        key = (int(y), int(m))
        per_seller[key].append(int(total or 0))
        counts[key] += count
    return [
        (y, m, counts[(y, m)], sum(per_seller[(y, m)]), per_seller[(y, m)])
        for y, m in sorted(per_seller)
    ]
