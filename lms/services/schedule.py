"""The follow-up schedule: when each trainee is due a mentor's visit, and what is overdue.

The rules, in days, are programme settings (defaults in brackets):

* after a trainee completes a course that has practice tasks, a visit is due within [7] days;
* after their first self-reported sale, within [14] days;
* from enrolment, every [14] days during the first [90] days, then every [30] days (counted
  from the first enrolment in the programme: moving to another cohort does not restart it);
* when a visit agrees a next follow-up date, a visit is due on that date.

Each due follow-up has a window in which a visit satisfies it: from [3] days before the due date
to [7] days after. Follow-ups caused by an event (a completed course, a first sale) open as soon
as the event happens, so a visit right after it counts; a date agreed at a visit opens like a
regular one, but never before the day after the latest visit. Any visit on or after
the opening satisfies a follow-up (one past the window satisfies it late). A follow-up with no
such visit is **overdue** once its window has closed.

So whether a follow-up is still open depends only on the trainee's latest visit: it is open when
it opens after that visit. That keeps the schedule of a whole programme cheap: read-only, a
fixed number of queries, a few open follow-ups per trainee.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from lms.clock import local_today, to_local
from lms.db import db
from lms.models import (
    Cohort,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    PracticeKind,
    PracticeRecord,
    PracticeTask,
    Programme,
)
from lms.models.labelled import Labelled
from lms.sqlfuncs import local_date_plus


class DueReason(Labelled):
    COURSE_COMPLETED = "course_completed"
    FIRST_SALE = "first_sale"
    REGULAR = "regular"
    AGREED = "agreed"


DueReason.labels = {
    DueReason.COURSE_COMPLETED: _l("学完有实践任务的课"),
    DueReason.FIRST_SALE: _l("第一笔销售"),
    DueReason.REGULAR: _l("定期回访"),
    DueReason.AGREED: _l("上次约定的回访"),
}


@dataclass(frozen=True)
class Settings:
    after_course: int = 7
    after_first_sale: int = 14
    early_every: int = 14
    early_period: int = 90
    later_every: int = 30
    window_before: int = 3
    window_after: int = 7

    @classmethod
    def of(cls, programme: Programme) -> "Settings":
        return cls(
            programme.followup_after_course_days,
            programme.followup_after_first_sale_days,
            programme.followup_early_every_days,
            programme.followup_early_period_days,
            programme.followup_later_every_days,
            programme.followup_window_before_days,
            programme.followup_window_after_days,
        )


@dataclass(frozen=True)
class DueFollowUp:
    reason: DueReason
    due_on: date
    opens_on: date
    closes_on: date

    def is_overdue(self, today: date) -> bool:
        return today > self.closes_on


@dataclass
class TraineeSchedule:
    """The follow-ups still open for one trainee (none satisfied by a visit yet)."""

    items: list[DueFollowUp]
    today: date

    @property
    def overdue(self) -> list[DueFollowUp]:
        return [i for i in self.items if i.is_overdue(self.today)]

    @property
    def is_overdue(self) -> bool:
        return bool(self.overdue)

    @property
    def next_due(self) -> DueFollowUp | None:
        """The oldest overdue follow-up, else the next one coming."""
        return min(self.items, key=lambda i: i.due_on, default=None)

    @property
    def days_overdue(self) -> int:
        return max(((self.today - i.closes_on).days for i in self.overdue), default=0)


def regular_due_dates(settings: Settings, enrolled_on: date):
    """Regular due dates from enrolment: every `early_every` days while within `early_period`,
    then every `later_every` days, for ever."""
    early = settings.early_period // settings.early_every
    for k in range(1, early + 1):
        yield enrolled_on + timedelta(days=k * settings.early_every)
    due = enrolled_on + timedelta(days=early * settings.early_every)
    while True:
        due += timedelta(days=settings.later_every)
        yield due


def next_regular(settings: Settings, enrolled_on: date, *, after: date | None) -> date:
    """The first regular due date whose window opens after `after` (the latest visit), computed
    directly rather than by walking the cadence."""
    before = timedelta(days=settings.window_before)
    early = settings.early_period // settings.early_every
    early_end = enrolled_on + timedelta(days=early * settings.early_every)
    floor = (after + before) if after else enrolled_on  # due dates up to here are satisfied
    if floor < early_end:
        k = max(1, (floor - enrolled_on).days // settings.early_every + 1)
        return enrolled_on + timedelta(days=k * settings.early_every)
    k = (floor - early_end).days // settings.later_every + 1
    return early_end + timedelta(days=k * settings.later_every)


def open_follow_ups(
    settings: Settings,
    *,
    enrolled_on: date,
    last_visit: date | None,
    agreed_on: date | None,
    completions: Iterable[date],
    first_sale_on: date | None,
) -> list[DueFollowUp]:
    """Follow-ups not satisfied by the latest visit (of the regular ones, the first).

    `agreed_on` is the next date agreed at the latest visit; `completions` the dates the trainee
    completed courses with practice tasks.
    """
    before, after = timedelta(days=settings.window_before), timedelta(days=settings.window_after)
    items: list[DueFollowUp] = []

    def add(reason: DueReason, due_on: date, opens_on: date | None) -> None:
        opens_on = opens_on or due_on - before
        if last_visit is None or opens_on > last_visit:
            items.append(DueFollowUp(reason, due_on, opens_on, due_on + after))

    later = [d for d in completions if last_visit is None or d > last_visit]
    if later:  # the earliest one closes first; later ones are satisfied by the same visit
        first = min(later)
        add(DueReason.COURSE_COMPLETED, first + timedelta(days=settings.after_course), first)
    if first_sale_on:
        add(
            DueReason.FIRST_SALE,
            first_sale_on + timedelta(days=settings.after_first_sale),
            first_sale_on,
        )
    if agreed_on and last_visit and agreed_on > last_visit:
        add(DueReason.AGREED, agreed_on, max(last_visit + timedelta(days=1), agreed_on - before))
    # Only the first open regular follow-up: later ones open and close after it, so it alone
    # decides whether the trainee is overdue and when they are next due.
    add(DueReason.REGULAR, next_regular(settings, enrolled_on, after=last_visit), None)
    return sorted(items, key=lambda i: i.due_on)


def schedules(
    trainee_ids: Iterable[int] | None = None, *, today: date | None = None, trainee_query=None
) -> dict[int, TraineeSchedule]:
    """Each trainee's open follow-ups, from their current enrolment's programme settings.

    Pass ids, or a `trainee_query` (a select of ids) for a whole programme.
    """
    today = today or local_today()
    ids = trainee_query if trainee_query is not None else list(trainee_ids or [])
    by_programme = {
        p.id: Settings.of(p)
        for p in db.session.scalars(
            select(Programme).where(
                Programme.id.in_(
                    select(Cohort.programme_id)
                    .join(Enrollment, Enrollment.cohort_id == Cohort.id)
                    .where(Enrollment.trainee_id.in_(ids))
                )
            )
        )
    }
    # The cadence runs from the first enrolment in the programme: a move never restarts it.
    first = dict(
        ((trainee_id, programme_id), on)
        for trainee_id, programme_id, on in db.session.execute(
            select(Enrollment.trainee_id, Cohort.programme_id, func.min(Enrollment.enrolled_on))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.trainee_id.in_(ids))
            .group_by(Enrollment.trainee_id, Cohort.programme_id)
        ).all()
    )
    enrolments: dict[int, tuple[date, Settings]] = {}
    for trainee_id, programme_id in db.session.execute(
        select(Enrollment.trainee_id, Cohort.programme_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.trainee_id.in_(ids), Enrollment.left_on.is_(None))
        .order_by(Enrollment.enrolled_on)
    ).all():  # the latest current enrolment wins
        enrolments[trainee_id] = (first[(trainee_id, programme_id)], by_programme[programme_id])
    latest = (
        select(
            FollowUpVisit.trainee_id,
            func.max(FollowUpVisit.visited_on).label("on"),
            func.max(FollowUpVisit.next_due_on).label("agreed"),
        )
        .where(FollowUpVisit.trainee_id.in_(ids), FollowUpVisit.visited_on <= today)
        .group_by(FollowUpVisit.trainee_id)
        .subquery()
    )
    last_visit: dict[int, date] = {}
    agreed: dict[int, date] = {}
    for trainee_id, visited_on, next_due_on in db.session.execute(select(latest)).all():
        last_visit[trainee_id] = visited_on
        if next_due_on:
            agreed[trainee_id] = next_due_on
    # Only the first course completed after the latest visit matters: it closes first.
    with_tasks = (
        select(Lesson.course_id)
        .join(PracticeTask, PracticeTask.lesson_id == Lesson.id)
        .where(PracticeTask.archived_at.is_(None))
    )
    completed_on = local_date_plus(CourseCompletion.completed_at, 0)
    completions = {
        trainee_id: to_local(first).date()
        for trainee_id, first in db.session.execute(
            select(CourseCompletion.trainee_id, func.min(CourseCompletion.completed_at))
            .outerjoin(latest, latest.c.trainee_id == CourseCompletion.trainee_id)
            .where(
                CourseCompletion.trainee_id.in_(ids),
                CourseCompletion.course_id.in_(with_tasks),
                or_(latest.c.on.is_(None), completed_on > latest.c.on),
            )
            .group_by(CourseCompletion.trainee_id)
        ).all()
    }
    first_sales = dict(
        db.session.execute(
            select(PracticeRecord.trainee_id, func.min(PracticeRecord.happened_on))
            .where(PracticeRecord.trainee_id.in_(ids), PracticeRecord.kind == PracticeKind.SALE)
            .group_by(PracticeRecord.trainee_id)
        ).all()
    )

    result = {}
    for trainee_id, (enrolled_on, settings) in enrolments.items():
        result[trainee_id] = TraineeSchedule(
            open_follow_ups(
                settings,
                enrolled_on=enrolled_on,
                last_visit=last_visit.get(trainee_id),
                agreed_on=agreed.get(trainee_id),
                completions=[completions[trainee_id]] if trainee_id in completions else [],
                first_sale_on=first_sales.get(trainee_id),
            ),
            today,
        )
    if trainee_query is None:
        for trainee_id in ids:
            result.setdefault(trainee_id, TraineeSchedule([], today))
    return result
