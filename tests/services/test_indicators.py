"""Every indicator's exact value on a hand-built, dated programme (fixed clock)."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from lms.db import db
from lms.models import (
    Course,
    CourseCompletion,
    FollowUpVisit,
    Gender,
    HouseholdCategory,
    Lesson,
    LessonProgress,
    Outcome,
    Role,
    RungPromotion,
)
from lms.reporting import dashboard as dash
from lms.reporting.scope import Period, Scope
from lms.reporting.tables import tables
from tests.factories import assign, enroll, make_cohort, make_programme, make_record, make_user

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
TODAY = date(2026, 6, 30)


def utc(day: date, hour: int = 2) -> datetime:  # 02:00 UTC is 10:00 in China, the same date
    return datetime(day.year, day.month, day.day, hour)


@pytest.fixture
def world(mini_curriculum, ctx):
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    lessons = {x.slug: x for x in db.session.scalars(select(Lesson))}
    mentor = make_user(Role.MENTOR, name="导师")
    programme = make_programme(name="示例项目")
    programme.villages = ["甲村", "乙村"]
    c1 = make_cohort(programme, name="一期", starts_on=date(2026, 1, 1))
    c2 = make_cohort(programme, name="二期", starts_on=date(2026, 5, 1))
    assign(mentor, cohort=c1, starts_on=date(2026, 1, 1))

    def trainee(name, gender, category, born, rung, income, village, cohort):
        user = make_user(name=name)
        p = user.profile
        p.gender, p.household_category = Gender(gender), HouseholdCategory(category)
        p.birth_year = born
        p.baseline_rung, p.baseline_monthly_income_fen, p.village = rung, income, village
        user.enrolment = enroll(user, cohort)
        return user

    t1 = trainee("一", "female", "demonstration", 1990, 3, 50000, "甲村", c1)
    t2 = trainee("二", "male", "ordinary", 1960, 1, 0, "乙村", c1)
    t3 = trainee("三", "female", "formerly_poor", 2000, 2, 0, "甲村", c2)
    t4 = trainee("四", "female", "demonstration", 1975, 4, 0, "乙村", c2)
    outsider = make_user(name="外人")  # another programme
    enroll(outsider, make_cohort(make_programme(), starts_on=date(2026, 1, 1)))
    leaver = trainee("走了", "male", "ordinary", 1980, 0, 0, "甲村", c1)
    leaver.enrolment.left_on = date(2026, 2, 1)

    def learned(user, slug, day):
        db.session.add(
            LessonProgress(
                trainee_id=user.id, lesson_id=lessons[slug].id, revision=1, learned_at=utc(day)
            )
        )

    def completed(user, slug, day):
        for lesson in courses[slug].lessons:
            learned(user, lesson.slug, day)
        db.session.add(
            CourseCompletion(trainee_id=user.id, course_id=courses[slug].id, completed_at=utc(day))
        )

    completed(t1, "basics", date(2026, 2, 1))
    completed(t1, "selling", date(2026, 3, 1))
    make_record(t1, happened_on=date(2026, 3, 10), amount_fen=30000, status="verified")
    make_record(t1, happened_on=date(2026, 6, 20), amount_fen=80000, status="verified")
    db.session.add(
        RungPromotion(
            trainee_id=t1.id,
            step=1,
            kind="promotion",
            from_rung=3,
            to_rung=4,
            signed_by_id=mentor.id,
            signed_at=utc(date(2026, 4, 1)),
        )
    )
    db.session.add(
        FollowUpVisit(
            trainee_id=t1.id,
            mentor_id=mentor.id,
            mode="in_person",
            visited_on=date(2026, 6, 25),
            observations={},
        )
    )
    db.session.add(
        Outcome(
            trainee_id=t1.id,
            kind="shop_opened",
            happened_on=date(2026, 5, 1),
            recorded_by_id=mentor.id,
        )
    )

    learned(t2, "basics-charge", date(2026, 1, 20))
    make_record(t2, happened_on=date(2026, 2, 15), amount_fen=1000)  # self-reported only
    make_record(t2, happened_on=date(2026, 3, 20), amount_fen=1000, status="rejected")

    completed(t3, "basics", date(2026, 5, 10))
    completed(t3, "selling", date(2026, 6, 20))  # less than 14 days before the end
    make_record(t3, happened_on=date(2026, 6, 25), amount_fen=10000, status="verified")
    db.session.add(
        FollowUpVisit(
            trainee_id=t3.id,
            mentor_id=mentor.id,
            mode="phone",
            visited_on=date(2026, 6, 1),
            observations={},
        )
    )
    db.session.add(
        RungPromotion(
            trainee_id=t3.id,
            step=1,
            kind="correction",
            from_rung=2,
            to_rung=1,
            reason="定高了",
            signed_by_id=mentor.id,
            signed_at=utc(date(2026, 6, 10)),
        )
    )

    db.session.add(
        Outcome(
            trainee_id=t4.id,
            kind="employed",
            happened_on=date(2026, 7, 15),
            recorded_by_id=mentor.id,
        )
    )  # after the period
    db.session.commit()  # the facts kept on write are refreshed as a request's commit does
    ctx_ = dash.build_context(Scope(programme.id), PERIOD, today=TODAY, locale="zh")
    return ctx_, {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "mentor": mentor, "c1": c1}


def table(ctx, key):
    found = next(t for t in tables(ctx) if t.key == key)
    return [[c.text for c in row] for row in found.rows]


def names(ctx, indicator, arg=None, **groups):
    _total, found = dash.listing(ctx, indicator, arg, groups, offset=0, limit=100)
    return sorted(row.name for row in found)


def test_each_table_is_built_under_its_own_key(world):
    from lms.reporting.tables import BUILDERS

    ctx, _ = world
    assert [build(ctx).key for build in BUILDERS.values()] == list(BUILDERS)


def test_a_table_built_alone_for_an_export_equals_the_dashboards(world):
    """An export joins only what its table shows (tables.COUNTED): the same cells."""
    from lms.reporting.tables import table as one_table

    ctx, _ = world
    shown = {t.key: [[c.text for c in row] for row in t.rows] for t in tables(ctx)}
    for key in shown:
        alone = dash.build_context(ctx.scope, ctx.period, today=TODAY, locale="zh")
        assert [[c.text for c in row] for row in one_table(alone, key).rows] == shown[key], key


def test_scope_is_current_enrolments_of_the_programme(world):
    ctx, _ = world
    assert names(ctx, "all") == ["一", "三", "二", "四"]


def test_ladder_progression(world):
    ctx, _ = world
    rows = table(ctx, "rungs")
    assert [r[1:] for r in rows] == [
        ["0", "0"],
        ["1", "2"],
        ["1", "0"],
        ["1", "0"],
        ["1", "2"],
        ["0", "0"],
        ["0", "0"],
    ]
    assert names(ctx, "rung", "4") == ["一", "四"]
    transitions = table(ctx, "transitions")
    assert transitions[3][5] == "1" and transitions[2][2] == "1" and transitions[1][2] == "1"
    assert transitions[4][5] == "1"
    assert table(ctx, "climb_days")[3] == ["4 四", "1", "90"]


def test_the_loop(world):
    ctx, people = world
    funnel = table(ctx, "funnel")
    assert funnel == [["基础", "75% (3/4)", "50% (2/4)", "50% (2/4)"]]
    assert table(ctx, "loop") == [
        ["学完后14天内有核实的实践", "100% (1/1)"],
        ["最近30天回访覆盖", "50% (2/4)"],
    ]
    assert table(ctx, "mentors") == [["导师", "2", "50% (1/2)", "1"]]
    assert names(ctx, "overdue", str(people["mentor"].id)) == ["二"]


def test_economic(world):
    ctx, _ = world
    assert table(ctx, "sales") == [
        ["2026-03", "1", "¥300.00", "1", "¥300.00"],
        ["2026-06", "2", "¥900.00", "2", "¥450.00"],
        ["本期有核实销售的学员", "2", "", "", ""],
    ]
    assert table(ctx, "income") == [
        ["基线月收入（中位数）", "¥0.00"],
        ["现在月收入（中位数）", "¥50.00"],
        ["变化（中位数）", "¥50.00"],
        ["高于基线的学员", "50% (2/4)"],
    ]
    assert names(ctx, "income_up") == ["一", "三"]


def test_lasting_capability_and_outcomes(world):
    ctx, _ = world
    assert table(ctx, "lasting") == [
        ["入学90天后仍在实践", "50% (1/2)"],
        ["入学180天后仍在实践", "50% (1/2)"],
        ["从事电商工作", "0% (0/4)"],
        ["开了网店", "25% (1/4)"],
        ["创业", "0% (0/4)"],
    ]


def test_equity_split_and_the_demonstration_gap(world):
    ctx, _ = world
    rows = {r[0]: r[1:] for r in table(ctx, "equity")}
    # visits and verified records per trainee: 一 had 1 and 2, 三 1 and 1, 二 and 四 none
    assert rows["全部学员"][-2:] == ["0.5", "0.8"]  # 2/4 visits; 3/4 = 0.75, half up
    assert rows["示范户"][-2:] == ["0.5", "1.0"] and rows["脱贫户"][-2:] == ["1.0", "1.0"]
    assert rows["示范户 − 其他（百分点）"][-2:] == ["+0.0", "+0.5"]  # 二 and 三: 0.5 and 0.5
    rows = {k: v[:-2] for k, v in rows.items()}
    #         trainees climbed   course    pac          visited  sold      practising90 outcome
    assert rows["全部学员"] == [
        "4",
        "25% (1/4)",
        "50% (2/4)",
        "100% (1/1)",
        "50% (2/4)",
        "50% (2/4)",
        "50% (1/2)",
        "25% (1/4)",
    ]
    assert rows["示范户"] == [
        "2",
        "50% (1/2)",
        "50% (1/2)",
        "100% (1/1)",
        "50% (1/2)",
        "50% (1/2)",
        "100% (1/1)",
        "50% (1/2)",
    ]
    assert rows["脱贫户"] == [
        "1",
        "0% (0/1)",
        "100% (1/1)",
        "—",
        "100% (1/1)",
        "100% (1/1)",
        "—",
        "0% (0/1)",
    ]
    assert rows["监测户"][0] == "0"
    assert rows["女"][0] == "3" and rows["男"][0] == "1"
    assert [rows[band][0] for band in ("<30岁", "30–44岁", "45–59岁", "60+岁")] == [
        "1",
        "1",
        "1",
        "1",
    ]
    assert rows["示范户 − 其他（百分点）"] == ["", "+50", "+0", "—", "+0", "+0", "+100", "+50"]
    assert names(ctx, "climbed", category="demonstration") == ["一"]


def test_period_end_decides_what_counts(world, ctx):
    ctx_, _ = world
    earlier = dash.build_context(
        ctx_.scope, Period(date(2026, 1, 1), date(2026, 3, 31)), today=TODAY, locale="zh"
    )
    # As it stood on 31 March: 三 and 四 enrolled in May, 走了 had left in February, and 一's
    # promotion to rung 4 came in April.
    assert names(earlier, "all") == ["一", "二"]
    assert names(earlier, "rung", "4") == [] and names(earlier, "rung", "3") == ["一"]
    january = dash.build_context(
        ctx_.scope, Period(date(2026, 1, 1), date(2026, 1, 31)), today=TODAY, locale="zh"
    )
    assert names(january, "all") == ["一", "二", "走了"]  # still enrolled then
    assert table(earlier, "sales")[0] == ["2026-03", "1", "¥300.00", "1", "¥300.00"]
    village = dash.build_context(
        Scope(ctx_.scope.programme_id, village="甲村"), PERIOD, today=TODAY, locale="zh"
    )
    assert names(village, "all") == ["一", "三"]


def test_a_trainee_of_two_programmes_counts_in_each_from_their_enrolment_in_it(ctx):
    """The admin enrols a trainee of programme 1 in programme 2 on 1 May: programme 2 counts
    the sale and the promotion after that day only; programme 1 counts both sales."""
    from lms.services import programmes

    admin, mentor = make_user(Role.ADMIN), make_user(Role.MENTOR)
    first, second = make_programme(name="一号项目"), make_programme(name="二号项目")
    one = make_cohort(first, name="一期", starts_on=date(2026, 1, 1))
    two = make_cohort(second, name="一期", starts_on=date(2026, 4, 1))
    trainee = make_user(name="两个项目")
    trainee.profile.baseline_rung = 3
    enroll(trainee, one)
    make_record(trainee, happened_on=date(2026, 2, 10), amount_fen=30000, status="verified")
    db.session.add(
        RungPromotion(
            trainee_id=trainee.id,
            step=1,
            kind="promotion",
            from_rung=3,
            to_rung=4,
            signed_by_id=mentor.id,
            signed_at=utc(date(2026, 2, 20)),
        )
    )
    programmes.enrol_trainee(admin, trainee, two, confirmed=True, today=date(2026, 5, 1))
    make_record(trainee, happened_on=date(2026, 5, 10), amount_fen=12000, status="verified")
    db.session.commit()

    def facts(programme):
        ctx = dash.build_context(Scope(programme.id), PERIOD, today=TODAY, locale="zh")
        (row,) = db.session.execute(select(ctx.trainees())).all()
        climbs = dash.climb_days(ctx)
        return row, {r: n for r, (n, _days) in climbs.items() if n}

    (in_first, climbs_first), (in_second, climbs_second) = facts(first), facts(second)
    assert (in_first.sales, in_first.sales_fen) == (2, 42000)
    assert (in_second.sales, in_second.sales_fen) == (1, 12000)
    assert climbs_first == {4: 1} and climbs_second == {}
    assert in_second.since == date(2026, 5, 1)
