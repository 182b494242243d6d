"""The follow-up schedule: when each trainee is due a mentor's visit, and what is overdue.

The rules, in days, are programme settings (defaults in brackets):

* after a trainee completes a course that has practice tasks, a visit is due within [7] days;
* after their first self-reported sale, within [14] days;
* from enrolment, every [14] days during the first [90] days, then every [30] days;
* when a visit agrees a next follow-up date, a visit is due on that date.

Each due follow-up has a window in which a visit satisfies it: from [3] days before the due date
to [7] days after. Follow-ups caused by an event (a completed course, a first sale) open as soon
as the event happens, so a visit right after it counts; an agreed date opens like a regular one,
but never before the day after the visit that agreed it. Any visit on or after
the opening satisfies a follow-up (one past the window satisfies it late). A follow-up with no
such visit is **overdue** once its window has closed.

So whether a follow-up is still open depends only on the trainee's latest visit: it is open when
it opens after that visit. That keeps the schedule of a whole programme cheap: read-only, a
fixed number of queries, a few open follow-ups per trainee.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, tuple_

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


class DueReason(StrEnum):
    COURSE_COMPLETED = "course_completed"
    FIRST_SALE = "first_sale"
    REGULAR = "regular"
    AGREED = "agreed"

    @property
    def label(self) -> str:
        return str(
            {
                "course_completed": _l("学完有实践任务的课"),
                "first_sale": _l("第一笔销售"),
                "regular": _l("定期回访"),
                "agreed": _l("上次约定的回访"),
            }[self.value]
        )


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


def open_follow_ups(
    settings: Settings,
    *,
    enrolled_on: date,
    last_visit: date | None,
    agreed_on: date | None,
    completions: Iterable[date],
    first_sale_on: date | None,
    today: date,
) -> list[DueFollowUp]:
    """Follow-ups not satisfied by the latest visit, up to the next regular one after `today`.

    `agreed_on` is the next date agreed at the latest visit; `completions` the dates the trainee
    completed courses with practice tasks.
    """
    before, after = timedelta(days=settings.window_before), timedelta(days=settings.window_after)
    items: list[DueFollowUp] = []

    def add(reason: DueReason, due_on: date, opens_on: date) -> None:
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
    early_end = enrolled_on + timedelta(days=settings.early_period)
    due = enrolled_on
    while due <= today:
        early = due + timedelta(days=settings.early_every) <= early_end
        due += timedelta(days=settings.early_every if early else settings.later_every)
        add(DueReason.REGULAR, due, due - before)
    return sorted(items, key=lambda i: i.due_on)


def schedules(
    trainee_ids: Iterable[int] | None = None, *, today: date | None = None, trainee_query=None
) -> dict[int, TraineeSchedule]:
    """Each trainee's open follow-ups, from their current enrolment's programme settings.

    Pass ids, or a `trainee_query` (a select of ids) for a whole programme.
    """
    today = today or local_today()
    ids = trainee_query if trainee_query is not None else list(trainee_ids or [])
    enrolments: dict[int, tuple[date, Settings]] = {}
    settings_cache: dict[int, Settings] = {}
    for trainee_id, enrolled_on, programme in db.session.execute(
        select(Enrollment.trainee_id, Enrollment.enrolled_on, Programme)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Enrollment.trainee_id.in_(ids), Enrollment.left_on.is_(None))
        .order_by(Enrollment.enrolled_on)
    ).all():
        if programme.id not in settings_cache:
            settings_cache[programme.id] = Settings.of(programme)
        enrolments[trainee_id] = (enrolled_on, settings_cache[programme.id])  # latest wins
    latest = (
        select(FollowUpVisit.trainee_id, func.max(FollowUpVisit.visited_on).label("on"))
        .where(FollowUpVisit.trainee_id.in_(ids), FollowUpVisit.visited_on <= today)
        .group_by(FollowUpVisit.trainee_id)
        .subquery()
    )
    last_visit: dict[int, date] = {}
    agreed: dict[int, date] = {}
    for trainee_id, visited_on, next_due_on in db.session.execute(
        select(FollowUpVisit.trainee_id, FollowUpVisit.visited_on, FollowUpVisit.next_due_on).where(
            tuple_(FollowUpVisit.trainee_id, FollowUpVisit.visited_on).in_(
                select(latest.c.trainee_id, latest.c.on)
            )
        )
    ).all():
        last_visit[trainee_id] = visited_on
        if next_due_on and next_due_on > agreed.get(trainee_id, date.min):
            agreed[trainee_id] = next_due_on
    with_tasks = (
        select(Lesson.course_id)
        .join(PracticeTask, PracticeTask.lesson_id == Lesson.id)
        .where(PracticeTask.archived_at.is_(None))
    )
    completions: dict[int, list[date]] = defaultdict(list)
    for trainee_id, completed_at in db.session.execute(
        select(CourseCompletion.trainee_id, CourseCompletion.completed_at).where(
            CourseCompletion.trainee_id.in_(ids), CourseCompletion.course_id.in_(with_tasks)
        )
    ).all():
        completions[trainee_id].append(to_local(completed_at).date())
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
                completions=completions.get(trainee_id, ()),
                first_sale_on=first_sales.get(trainee_id),
                today=today,
            ),
            today,
        )
    if trainee_query is None:
        for trainee_id in ids:
            result.setdefault(trainee_id, TraineeSchedule([], today))
    return result
