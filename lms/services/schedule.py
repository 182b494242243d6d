"""The follow-up schedule: when each trainee is due a mentor's visit, and what is overdue.

The rules, in days, are programme settings (defaults in brackets):

* after a trainee completes a course that has practice tasks, a visit is due within [7] days;
* after their first self-reported sale, within [14] days;
* from enrolment, every [14] days during the first [90] days, then every [30] days;
* when a visit agrees a next follow-up date, a visit is due on that date.

Each due follow-up has a window in which a visit satisfies it: from [3] days before the due date
to [7] days after. Follow-ups caused by an event (a completed course, a first sale, an agreed
date) open as soon as the event happens, so a visit right after it counts. The first visit on or
after the opening satisfies a follow-up; one past the window satisfies it late. A follow-up with
no such visit is **overdue** once the window has closed.

Read-only, and computed for a whole caseload in a fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

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


@dataclass
class DueFollowUp:
    reason: DueReason
    due_on: date
    opens_on: date
    closes_on: date
    visited_on: date | None = None  # the visit that satisfied it

    @property
    def is_satisfied(self) -> bool:
        return self.visited_on is not None

    def is_overdue(self, today: date) -> bool:
        return not self.is_satisfied and today > self.closes_on


@dataclass
class TraineeSchedule:
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
        """The oldest overdue follow-up, else the next one not yet satisfied."""
        open_items = [i for i in self.items if not i.is_satisfied]
        return min(open_items, key=lambda i: i.due_on, default=None)

    @property
    def days_overdue(self) -> int:
        return max(((self.today - i.closes_on).days for i in self.overdue), default=0)


def due_follow_ups(
    settings: Settings,
    *,
    enrolled_on: date,
    visits: list[date],
    course_completions: list[date],
    first_sale_on: date | None,
    agreed: list[tuple[date, date]],
    until: date,
) -> list[DueFollowUp]:
    """Every follow-up due up to `until` (plus the next regular one), each marked satisfied or
    not by `visits`. `agreed` holds (visit date, agreed next date) pairs."""
    items: list[DueFollowUp] = []

    def add(reason: DueReason, due_on: date, opens_on: date | None = None) -> None:
        items.append(
            DueFollowUp(
                reason,
                due_on,
                opens_on or due_on - timedelta(days=settings.window_before),
                due_on + timedelta(days=settings.window_after),
            )
        )

    for completed_on in course_completions:
        add(
            DueReason.COURSE_COMPLETED,
            completed_on + timedelta(days=settings.after_course),
            completed_on,
        )
    if first_sale_on:
        add(
            DueReason.FIRST_SALE,
            first_sale_on + timedelta(days=settings.after_first_sale),
            first_sale_on,
        )
    for visited_on, next_on in agreed:
        if next_on > visited_on:
            add(DueReason.AGREED, next_on, min(visited_on + timedelta(days=1), next_on))
    early_end = enrolled_on + timedelta(days=settings.early_period)
    due = enrolled_on
    while True:
        step = (
            settings.early_every
            if due + timedelta(days=settings.early_every) <= early_end
            else settings.later_every
        )
        due += timedelta(days=step)
        add(DueReason.REGULAR, due)
        if due > until:
            break

    ordered_visits = sorted(visits)
    for item in sorted(items, key=lambda i: i.due_on):
        item.visited_on = next((v for v in ordered_visits if v >= item.opens_on), None)
        if item.visited_on and item.visited_on > until:
            item.visited_on = None
    return sorted(items, key=lambda i: i.due_on)


def schedules(
    trainee_ids: Iterable[int], *, today: date | None = None
) -> dict[int, TraineeSchedule]:
    """Each trainee's follow-ups, from their current enrolment's programme settings."""
    today = today or local_today()
    ids = list(trainee_ids)
    enrolments: dict[int, tuple[date, Settings]] = {}
    for trainee_id, enrolled_on, programme in db.session.execute(
        select(Enrollment.trainee_id, Enrollment.enrolled_on, Programme)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Enrollment.trainee_id.in_(ids), Enrollment.left_on.is_(None))
        .order_by(Enrollment.enrolled_on)
    ).all():
        enrolments[trainee_id] = (enrolled_on, Settings.of(programme))  # latest wins
    visits: dict[int, list[date]] = defaultdict(list)
    agreed: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for trainee_id, visited_on, next_due_on in db.session.execute(
        select(FollowUpVisit.trainee_id, FollowUpVisit.visited_on, FollowUpVisit.next_due_on).where(
            FollowUpVisit.trainee_id.in_(ids)
        )
    ).all():
        visits[trainee_id].append(visited_on)
        if next_due_on:
            agreed[trainee_id].append((visited_on, next_due_on))
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
    for trainee_id in ids:
        if trainee_id not in enrolments:
            result[trainee_id] = TraineeSchedule([], today)
            continue
        enrolled_on, settings = enrolments[trainee_id]
        result[trainee_id] = TraineeSchedule(
            due_follow_ups(
                settings,
                enrolled_on=enrolled_on,
                visits=visits[trainee_id],
                course_completions=completions[trainee_id],
                first_sale_on=first_sales.get(trainee_id),
                agreed=agreed[trainee_id],
                until=today,
            ),
            today,
        )
    return result
