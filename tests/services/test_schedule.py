"""The follow-up schedule on dated scenarios, with a fixed clock."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from lms.db import db
from lms.models import Course, CourseCompletion, FollowUpVisit
from lms.services import caseload, schedule
from lms.services.schedule import DueReason, Settings, open_follow_ups
from tests.factories import enroll, make_cohort, make_programme, make_record, make_user

ENROLLED = date(2026, 1, 1)


def open_items(today, **kwargs):
    """The open follow-ups (`today` is only needed to judge "overdue")."""
    args = {
        "enrolled_on": ENROLLED,
        "last_visit": None,
        "agreed_on": None,
        "completions": [],
        "first_sale_on": None,
    }
    args.update(kwargs)
    return open_follow_ups(Settings(), **args)


def regular(items):
    return [(i.due_on - ENROLLED).days for i in items if i.reason is DueReason.REGULAR]


def test_regular_visits_every_14_days_for_90_days_then_every_30():
    dates = schedule.regular_due_dates(Settings(), ENROLLED)
    assert [(next(dates) - ENROLLED).days for _ in range(9)] == [
        14,
        28,
        42,
        56,
        70,
        84,
        114,
        144,
        174,
    ]
    # Only the first regular follow-up not yet met is open: it is the one that closes first.
    for last_visit, first_open in [
        (None, 14),
        (date(2026, 1, 12), 28),
        (date(2026, 3, 22), 84),
        (date(2026, 3, 23), 114),
        (date(2026, 6, 1), 174),
    ]:
        assert regular(open_items(date(2026, 6, 1), last_visit=last_visit)) == [first_open]


def test_window_runs_from_three_days_before_to_seven_after():
    first = open_items(date(2026, 1, 20))[0]
    assert (first.due_on, first.opens_on, first.closes_on) == (
        date(2026, 1, 15),
        date(2026, 1, 12),
        date(2026, 1, 22),
    )
    # A visit before the window does not satisfy it; one inside the window does.
    assert regular(open_items(date(2026, 1, 20), last_visit=date(2026, 1, 11)))[0] == 14
    assert regular(open_items(date(2026, 1, 20), last_visit=date(2026, 1, 12)))[0] == 28


def test_overdue_once_the_window_has_closed_until_a_visit_comes():
    on_22 = schedule.TraineeSchedule(open_items(date(2026, 1, 22)), date(2026, 1, 22))
    assert not on_22.is_overdue and on_22.next_due.due_on == date(2026, 1, 15)
    on_23 = schedule.TraineeSchedule(open_items(date(2026, 1, 23)), date(2026, 1, 23))
    assert on_23.is_overdue and on_23.days_overdue == 1
    late = schedule.TraineeSchedule(
        open_items(date(2026, 1, 26), last_visit=date(2026, 1, 25)), date(2026, 1, 26)
    )
    assert not late.is_overdue and late.next_due.due_on == date(2026, 1, 29)
    # Months without a visit: overdue by the oldest follow-up missed.
    months = schedule.TraineeSchedule(open_items(date(2026, 4, 1)), date(2026, 4, 1))
    assert months.next_due.due_on == date(2026, 1, 15) and months.days_overdue == 69


def test_due_within_7_days_after_completing_a_course_with_practice_tasks():
    items = open_items(
        date(2026, 2, 25),
        last_visit=date(2026, 2, 9),
        completions=[date(2026, 2, 10), date(2026, 2, 12)],
    )
    item = next(i for i in items if i.reason is DueReason.COURSE_COMPLETED)
    assert (item.opens_on, item.due_on, item.closes_on) == (
        date(2026, 2, 10),
        date(2026, 2, 17),
        date(2026, 2, 24),
    )
    assert item.is_overdue(date(2026, 2, 25))
    # A visit the day after the course counts, and covers the later completion too.
    after = open_items(
        date(2026, 2, 25),
        last_visit=date(2026, 2, 12),
        completions=[date(2026, 2, 10), date(2026, 2, 12)],
    )
    assert not [i for i in after if i.reason is DueReason.COURSE_COMPLETED]


def test_due_within_14_days_after_the_first_sale():
    item = next(
        i
        for i in open_items(date(2026, 3, 1), first_sale_on=date(2026, 2, 20))
        if i.reason is DueReason.FIRST_SALE
    )
    assert item.due_on == date(2026, 3, 6) and item.opens_on == date(2026, 2, 20)


def test_an_agreed_next_date_is_due_on_that_date():
    items = open_items(date(2026, 1, 10), last_visit=date(2026, 1, 5), agreed_on=date(2026, 1, 9))
    item = next(i for i in items if i.reason is DueReason.AGREED)
    assert (item.opens_on, item.due_on) == (date(2026, 1, 6), date(2026, 1, 9))
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
    assert regular(result.items) == [7]
    first_sale = next(i for i in result.items if i.reason is DueReason.FIRST_SALE)
    assert first_sale.due_on == date(2026, 1, 13)
    assert result.is_overdue and result.next_due.due_on == date(2026, 1, 8)
    assert result.days_overdue == 1

    db.session.add(
        FollowUpVisit(
            trainee_id=trainee.id,
            mentor_id=trainee.id,
            mode="phone",
            visited_on=date(2026, 1, 16),
            observations={},
            next_due_on=date(2026, 1, 30),
        )
    )
    db.session.flush()
    result = schedule.schedules([trainee.id], today=date(2026, 1, 16))[trainee.id]
    assert not result.is_overdue
    assert [(i.reason, i.due_on) for i in result.items] == [
        (DueReason.REGULAR, date(2026, 1, 22)),
        (DueReason.AGREED, date(2026, 1, 30)),
    ]


def test_course_completions_count_only_for_courses_with_practice_tasks(ctx, mini_curriculum):
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
