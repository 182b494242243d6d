"""The caseload read from trainee_facts equals the live rules (lms.services.schedule, the
ladder, last activity) on a dated scenario, read on several days, so the two cannot drift."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import (
    Cohort,
    Course,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    PracticeRecord,
    RecordStatus,
    Role,
    User,
)
from lms.permissions import assigned_trainee_ids
from lms.reporting import needs
from lms.services import caseload, ladder, ladder_ready, schedule
from lms.services.caseload import Need
from tests.factories import assign, enroll, make_cohort, make_programme, make_record, make_user

# trainee_facts are computed for the real today whenever a write commits, so the scenario is
# dated from it. They hold dates, not flags: read on any later day they must still agree with
# the live rules (no visit is ever dated in the future, so nothing they were computed from can
# change by waiting). A few of the days straddle edges: a window closing, 30 quiet days, the
# 90-day window of rung 4's sales.
TODAY = local_today()
READ_ON = [0, 6, 9, 10, 11, 31, 45, 87, 88]


def noon(day: date) -> datetime:  # 04:00 UTC is noon in China, the same date
    return datetime(day.year, day.month, day.day, 4)


def visit(trainee, mentor, days_ago: int, agreed_in: int | None = None) -> None:
    db.session.add(
        FollowUpVisit(
            trainee_id=trainee.id,
            mentor_id=mentor.id,
            visited_on=TODAY - timedelta(days=days_ago),
            mode="phone",
            observations={},
            next_due_on=TODAY + timedelta(days=agreed_in) if agreed_in is not None else None,
        )
    )


@pytest.fixture
def world(ctx, mini_curriculum):
    mentor, other = make_user(Role.MENTOR, name="陈导师"), make_user(Role.MENTOR, name="吴导师")
    programme = make_programme()
    a = make_cohort(programme, name="一期", starts_on=TODAY - timedelta(days=100))
    b = make_cohort(programme, name="二期", starts_on=TODAY - timedelta(days=60))
    assign(mentor, cohort=a, starts_on=TODAY - timedelta(days=100))
    lesson = db.session.scalar(select(Lesson).order_by(Lesson.id))
    selling = db.session.scalar(select(Course).where(Course.slug == "selling"))
    people = {}

    def trainee(name, cohort, village="大坪村", rung=3):
        person = make_user(name=name)
        person.profile.village, person.profile.baseline_rung = village, rung
        enroll(person, cohort)
        people[name] = person
        return person

    trainee("逾期", a)  # enrolled 100 days ago, never visited, never active
    soon = trainee("快到期", a, "石门村")  # agreed a visit in 3 days, active today
    visit(soon, mentor, 2, agreed_in=3)
    make_record(soon, kind="product_listing", happened_on=TODAY, amount_fen=None, status="verified")
    quiet = trainee("停滞", a)  # visited yesterday, last learned 40 days ago
    visit(quiet, mentor, 1)
    db.session.add(
        LessonProgress(
            trainee_id=quiet.id,
            lesson_id=lesson.id,
            revision=1,
            learned_at=noon(TODAY - timedelta(days=40)),
        )
    )
    waiting = trainee("待核实", a, "石门村")  # two sales to verify
    visit(waiting, mentor, 1)
    for days in (3, 5):
        make_record(waiting, happened_on=TODAY - timedelta(days=days))
    ready = trainee("可晋级", a)  # all of rung 4 but the sign-off
    visit(ready, mentor, 1)
    db.session.add(
        CourseCompletion(
            trainee_id=ready.id, course_id=selling.id, completed_at=noon(TODAY - timedelta(days=4))
        )
    )
    for days in (1, 2):
        make_record(ready, happened_on=TODAY - timedelta(days=days), status="verified")
    low = trainee("第一级", a, rung=1)  # rung 1 aims at rung 3, which needs "basics"
    visit(low, mentor, 1, agreed_in=20)
    make_record(low, happened_on=TODAY, status="verified")
    # Moved to cohort B ten days ago (followed there directly), nothing done since enrolling
    # 60 days ago: a move restarts no clock, so stalled counts from the first enrolment.
    moved = trainee("换班", a)
    db.session.scalar(select(Enrollment).where(Enrollment.trainee_id == moved.id)).left_on = (
        TODAY - timedelta(days=10)
    )
    enroll(moved, b, on=TODAY - timedelta(days=10))
    db.session.scalar(
        select(Enrollment).where(Enrollment.trainee_id == moved.id, Enrollment.cohort_id == a.id)
    ).enrolled_on = TODAY - timedelta(days=60)
    assign(mentor, trainee=moved, starts_on=TODAY - timedelta(days=10))
    visit(moved, mentor, 1)
    # Not in the caseload: another mentor's, one whose assignment ended, one switched off.
    theirs = trainee("别人的", b)
    assign(other, trainee=theirs, starts_on=TODAY - timedelta(days=60))
    ended = trainee("已结束", b)
    assign(
        mentor,
        trainee=ended,
        starts_on=TODAY - timedelta(days=60),
        ends_on=TODAY - timedelta(days=1),
    )
    trainee("停用", a).is_active = False
    db.session.commit()
    return {"mentor": mentor, "programme": programme, "people": people}


def live(mentor, today: date) -> list[tuple]:
    """The caseload as the rules compute it from the records themselves: each row as
    (name, needs, days overdue, records waiting, next due, last activity, rung, ready)."""
    followed = assigned_trainee_ids(mentor, today=today)
    ids = sorted(
        db.session.scalars(select(User.id).where(User.id.in_(followed), User.is_active.is_(True)))
    )
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    plans = schedule.schedules(ids, today=today)
    statuses = ladder.evaluate_many(ids, today=today)
    activity = caseload.last_activity(ids)
    waiting = dict(
        db.session.execute(
            select(PracticeRecord.trainee_id, func.count())
            .where(
                PracticeRecord.trainee_id.in_(ids),
                PracticeRecord.status == RecordStatus.SELF_REPORTED,
            )
            .group_by(PracticeRecord.trainee_id)
        ).all()
    )
    # The first enrolment in the programme of the current one (the schedule's clock).
    first = dict(
        db.session.execute(
            select(Enrollment.trainee_id, func.min(Enrollment.enrolled_on))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.trainee_id.in_(ids))
            .group_by(Enrollment.trainee_id)
        ).all()
    )
    rows = []
    for i in ids:
        plan, status = plans[i], statuses[i]
        found = [
            need
            for need, has in (
                (Need.OVERDUE, plan.is_overdue),
                (Need.PENDING, waiting.get(i, 0) > 0),
                (Need.ELIGIBLE, status.ready_for_signoff),
                (Need.STALLED, caseload.is_stalled(activity.get(i), first[i], today)),
            )
            if has
        ] or [Need.NONE]
        detail = {Need.OVERDUE: -plan.days_overdue, Need.PENDING: -waiting.get(i, 0)}
        rows.append(
            (
                (found[0], detail.get(found[0], 0), names[i], i),
                (
                    names[i],
                    found,
                    plan.days_overdue,
                    waiting.get(i, 0),
                    plan.next_due.due_on,
                    activity.get(i),
                    status.current,
                    status.ready_for_signoff,
                ),
            )
        )
    return [row for _key, row in sorted(rows)]


def shown(rows: list[caseload.CaseloadRow]) -> list[tuple]:
    return [
        (
            r.name,
            r.needs,
            r.days_overdue,
            r.pending,
            r.next_due_on,
            r.last_activity_on,
            r.rung,
            r.ready_for_signoff,
        )
        for r in rows
    ]


def test_the_caseload_from_facts_equals_the_live_rules_on_every_day(world):
    mentor = world["mentor"]
    seen = set()
    for days in READ_ON:
        today = TODAY + timedelta(days=days)
        rows = caseload.caseload(mentor, today=today)
        assert shown(rows) == live(mentor, today), today
        seen.update(need for r in rows for need in r.needs)
    assert seen == set(Need)  # the scenario reaches every kind of row

    # Today, by name: what the page shows and in which order.
    rows = {r.name: r for r in caseload.caseload(mentor, today=TODAY)}
    assert list(rows) == ["逾期", "待核实", "可晋级", "停滞", "换班", "快到期", "第一级"]
    assert rows["逾期"].needs == [Need.OVERDUE, Need.STALLED] and rows["逾期"].days_overdue > 0
    assert rows["待核实"].needs == [Need.PENDING] and rows["待核实"].pending == 2
    assert rows["可晋级"].needs == [Need.ELIGIBLE] and rows["可晋级"].rung == 3
    assert rows["换班"].needs == [Need.STALLED] and rows["换班"].cohort.name == "二期"
    assert rows["快到期"].needs == [Need.NONE]
    assert rows["快到期"].next_due_on == TODAY + timedelta(days=3)
    # Read later, the dates move on: the agreed visit is overdue once its window closes (7 days
    # after), the sales for rung 4 fall out of their 90 days.
    later = {r.name: r for r in caseload.caseload(mentor, today=TODAY + timedelta(days=11))}
    assert later["快到期"].needs[0] is Need.OVERDUE and later["快到期"].days_overdue == 1
    on_10 = {r.name: r for r in caseload.caseload(mentor, today=TODAY + timedelta(days=10))}
    assert not on_10["快到期"].is_overdue
    ready_on = {
        days: {r.name: r for r in caseload.caseload(mentor, today=TODAY + timedelta(days=days))}[
            "可晋级"
        ].ready_for_signoff
        for days in (87, 88)
    }
    assert ready_on == {87: True, 88: False}


def test_stalled_and_overdue_agree_with_the_lead_list(world):
    """The mentor's caseload and the lead's 需要跟进 read the same facts by the same rules."""
    mentor = world["mentor"]
    programme_id = world["programme"].id
    for days in (0, 11, 45):
        today = TODAY + timedelta(days=days)
        rows = caseload.caseload(mentor, today=today)
        for reason, need in (
            ("overdue", Need.OVERDUE),
            ("waiting", Need.PENDING),
            ("stalled", Need.STALLED),
        ):
            listed = set(
                db.session.scalars(needs.scoped(programme_id, today, why=reason, mentor=mentor))
            )
            assert {r.trainee_id for r in rows if need in r.needs} == listed, (today, reason)


def test_filters_and_the_choices_they_offer(world):
    rows = caseload.caseload(world["mentor"], today=TODAY)
    villages, cohorts = caseload.villages_and_cohorts(rows)
    assert villages == ["大坪村", "石门村"] and [c.name for c in cohorts] == ["一期", "二期"]
    in_b = caseload.filter_rows(rows, cohort_id=cohorts[1].id)
    assert [r.name for r in in_b] == ["换班"]
    assert [r.name for r in caseload.filter_rows(rows, village="石门村")] == ["待核实", "快到期"]


def test_rungs_and_readiness_in_sql_equal_the_ladder_in_words(world):
    ids = [p.id for p in world["people"].values()]
    currents = ladder.current_rungs(ids)
    query = select(User.id).where(User.id.in_(ids))
    for days in (0, 87, 88):
        today = TODAY + timedelta(days=days)
        statuses = ladder.evaluate_many(ids, today=today)
        assert currents == {i: s.current for i, s in statuses.items()}
        assert ladder_ready.ready_for_signoff(query, currents, today=today) == {
            i: s.ready_for_signoff for i, s in statuses.items()
        }
