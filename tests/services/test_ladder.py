"""The ladder service: the next rung and each requirement, met or missing, in plain words."""

from datetime import date, timedelta

from sqlalchemy import select

from lms.db import db
from lms.models import Course, Rung
from lms.services import ladder, learning
from tests.factories import make_record, make_user

TODAY = date(2026, 11, 22)


def texts(status):
    return [(r.kind, r.met, r.text) for r in status.requirements]


def complete_course(trainee, slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    for lesson in course.lessons:
        learning.mark_learned(trainee, lesson)
    items = learning.quiz_items(course)
    if items:
        learning.submit_quiz(trainee, course, {i.id: set(i.answer) for i in items})


def test_a_trainee_below_rung_three_aims_at_rung_three(ctx, mini_curriculum):
    trainee = make_user()
    trainee.profile.baseline_rung = 1
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.current == 1 and status.next.level == 3
    assert texts(status) == [
        ("course", False, "学完《手机入门》并通过小测验"),
        ("signoff", False, "驻点导师回访时确认你达到了这一级"),
    ]
    assert not status.ready_for_signoff


def test_requirements_are_met_step_by_step_and_quizzes_alone_never_promote(ctx, mini_curriculum):
    trainee = make_user()
    trainee.profile.baseline_rung = 3
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.next.level == 4
    assert texts(status) == [
        ("course", False, "学完《朋友圈卖货》并通过小测验"),
        ("practice", False, "最近90天内有2条导师核实过的销售记录（现在有0条）"),
        ("signoff", False, "驻点导师回访时确认你达到了这一级"),
    ]
    complete_course(trainee, "basics")
    complete_course(trainee, "selling")
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.requirements[0].met and status.requirements[0].text == "已学完《朋友圈卖货》"
    assert not status.ready_for_signoff

    # Self-reported, rejected, old and other-kind records do not count.
    make_record(trainee, happened_on=TODAY - timedelta(days=3))
    make_record(trainee, happened_on=TODAY - timedelta(days=3), status="rejected")
    make_record(trainee, happened_on=TODAY - timedelta(days=100), status="verified")
    make_record(trainee, kind="livestream", happened_on=TODAY, status="verified")
    make_record(trainee, happened_on=TODAY - timedelta(days=89), status="verified")
    status = ladder.evaluate(trainee, today=TODAY)
    assert texts(status)[1] == (
        "practice",
        False,
        "最近90天内有2条导师核实过的销售记录（现在有1条）",
    )
    make_record(trainee, happened_on=TODAY, status="verified")
    status = ladder.evaluate(trainee, today=TODAY)
    assert texts(status)[1][1] is True
    # Everything but the sign-off: ready, but the rung is not climbed by itself.
    assert status.ready_for_signoff and status.missing[0].kind == "signoff"
    assert ladder.current_rung(trainee) == 3


def test_top_rung_has_no_next(ctx, mini_curriculum):
    trainee = make_user()
    trainee.profile.baseline_rung = 6
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.next is None and status.requirements == []
    assert [r.level for r in status.rungs] == list(range(7))
    assert isinstance(status.rungs[0], Rung)
