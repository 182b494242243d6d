"""The follow-up schedule on dated scenarios, with a fixed clock."""

from datetime import date, datetime, timedelta

import pytest

from lms.db import db
from lms.models import CourseCompletion
from lms.services import caseload, schedule
from lms.services.schedule import DueReason, Settings, due_follow_ups
from tests.factories import (
    enroll,
    make_cohort,
    make_programme,
    make_record,
    make_user,
)

ENROLLED = date(2026, 1, 1)
D = timedelta


def items(today, **kwargs):
    args = {
        "enrolled_on": ENROLLED,
        "visits": [],
        "course_completions": [],
        "first_sale_on": None,
        "agreed": [],
        "until": today,
    }
    args.update(kwargs)
    return due_follow_ups(Settings(), **args)


def test_regular_visits_every_14_days_for_90_days_then_every_30():
    regular = [i.due_on for i in items(date(2026, 6, 1)) if i.reason is DueReason.REGULAR]
    offsets = [(d - ENROLLED).days for d in regular]
    assert offsets == [14, 28, 42, 56, 70, 84, 114, 144, 174]  # the last one is still ahead
    assert regular[-1] > date(2026, 6, 1)


def test_window_runs_from_three_days_before_to_seven_after():
    first = items(date(2026, 1, 20))[0]
    assert (first.due_on, first.opens_on, first.closes_on) == (
        date(2026, 1, 15),
        date(2026, 1, 12),
        date(2026, 1, 22),
    )
    # A visit before the window does not count; one inside it does.
    assert not items(date(2026, 1, 30), visits=[date(2026, 1, 11)])[0].is_satisfied
    assert items(date(2026, 1, 30), visits=[date(2026, 1, 12)])[0].visited_on == date(2026, 1, 12)


def test_overdue_once_the_window_has_closed_until_a_visit_comes():
    assert not items(date(2026, 1, 22))[0].is_overdue(date(2026, 1, 22))
    assert items(date(2026, 1, 23))[0].is_overdue(date(2026, 1, 23))
    late = items(date(2026, 1, 26), visits=[date(2026, 1, 25)])
    assert late[0].visited_on == date(2026, 1, 25) and not late[0].is_overdue(date(2026, 1, 26))


def test_due_within_7_days_after_completing_a_course_with_practice_tasks():
    found = [
        i
        for i in items(date(2026, 2, 25), course_completions=[date(2026, 2, 10)])
        if i.reason is DueReason.COURSE_COMPLETED
    ]
    assert len(found) == 1
    item = found[0]
    assert (item.opens_on, item.due_on, item.closes_on) == (
        date(2026, 2, 10),
        date(2026, 2, 17),
        date(2026, 2, 24),
    )
    assert item.is_overdue(date(2026, 2, 25))
    visited = items(
        date(2026, 2, 25), course_completions=[date(2026, 2, 10)], visits=[date(2026, 2, 11)]
    )
    assert all(i.is_satisfied for i in visited if i.reason is DueReason.COURSE_COMPLETED)


def test_due_within_14_days_after_the_first_sale():
    item = next(
        i
        for i in items(date(2026, 3, 1), first_sale_on=date(2026, 2, 20))
        if i.reason is DueReason.FIRST_SALE
    )
    assert item.due_on == date(2026, 3, 6) and item.opens_on == date(2026, 2, 20)


def test_an_agreed_next_date_is_due_on_that_date():
    item = next(
        i
        for i in items(date(2026, 1, 10), agreed=[(date(2026, 1, 5), date(2026, 1, 9))])
        if i.reason is DueReason.AGREED
    )
    assert item.due_on == date(2026, 1, 9) and item.opens_on == date(2026, 1, 6)
    assert not item.is_overdue(date(2026, 1, 10))


def test_schedules_use_the_programme_settings_and_real_records(ctx):
    programme = make_programme()
    programme.followup_early_every_days = 7
    programme.followup_after_first_sale_days = 10
    cohort = make_cohort(programme, starts_on=ENROLLED)
    trainee = make_user()
    enroll(trainee, cohort)
    make_record(trainee, happened_on=date(2026, 1, 3))
    make_record(trainee, happened_on=date(2026, 1, 20))
    result = schedule.schedules([trainee.id], today=date(2026, 1, 16))[trainee.id]
    regular = [i.due_on for i in result.items if i.reason is DueReason.REGULAR]
    assert regular[:2] == [date(2026, 1, 8), date(2026, 1, 15)]
    first_sale = next(i for i in result.items if i.reason is DueReason.FIRST_SALE)
    assert first_sale.due_on == date(2026, 1, 13)
    assert result.is_overdue and result.next_due.due_on == date(2026, 1, 8)
    assert result.days_overdue == 16 - 8 - 7


def test_course_completions_count_only_for_courses_with_practice_tasks(ctx, mini_curriculum):
    from sqlalchemy import select

    from lms.models import Course

    programme = make_programme()
    cohort = make_cohort(programme, starts_on=ENROLLED)
    trainee = make_user()
    enroll(trainee, cohort)
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    for slug in ("basics", "selling"):  # only "selling" has a practice task
        db.session.add(
            CourseCompletion(
                trainee_id=trainee.id,
                course_id=courses[slug].id,
                completed_at=datetime(2026, 2, 1, 2, 0),
            )
        )
    db.session.flush()
    result = schedule.schedules([trainee.id], today=date(2026, 2, 2))[trainee.id]
    assert [i.due_on for i in result.items if i.reason is DueReason.COURSE_COMPLETED] == [
        date(2026, 2, 8)
    ]


@pytest.mark.parametrize(
    ("last", "enrolled", "today", "stalled"),
    [
        (date(2026, 3, 1), ENROLLED, date(2026, 3, 31), False),  # 30 days: not yet
        (date(2026, 3, 1), ENROLLED, date(2026, 4, 1), True),  # 31 days without activity
        (None, date(2026, 3, 1), date(2026, 3, 20), False),  # new, nothing done yet
        (None, date(2026, 3, 1), date(2026, 4, 1), True),  # enrolled, never active
        (None, None, date(2026, 4, 1), False),  # not enrolled: nothing to measure from
    ],
)
def test_stalled_means_no_learning_or_practice_for_more_than_30_days(
    last, enrolled, today, stalled
):
    assert caseload.is_stalled(last, enrolled, today) is stalled
