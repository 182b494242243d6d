"""Rung changes: sign-off during a recent visit with its evidence, corrections, and one stored
change per step however often it is submitted."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.db import Written, db
from lms.errors import ValidationError
from lms.models import AuditEvent, Course, Role, RungPromotion
from lms.services import ladder, learning, signoff, visits
from tests.factories import make_record, make_user
from tests.services.test_visits import TODAY, visit_input


@pytest.fixture
def people(ctx):
    mentor = make_user(Role.MENTOR, name="陈导师")
    trainee = make_user(name="刘春梅")
    trainee.profile.baseline_rung = 3
    return mentor, trainee


def actions():
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def complete(trainee, slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    for lesson in course.lessons:
        learning.mark_learned(trainee, lesson)
    learning.submit_quiz(
        trainee, course, {i.id: set(i.answer) for i in learning.quiz_items(course)}
    )


def ready(mentor, trainee):
    """Everything for rung 4 but the sign-off; returns a visit of today."""
    complete(trainee, "basics")
    complete(trainee, "selling")
    for days in (1, 2):
        record = make_record(trainee, happened_on=TODAY - timedelta(days=days))
        visits.verify_record(mentor, record, seen_version=1)
    visit, _ = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    return visit


def promotions():
    return db.session.scalar(select(func.count(RungPromotion.id)))


def test_sign_off_refuses_while_a_requirement_is_missing(mini_curriculum, people):
    mentor, trainee = people
    visit, _ = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    with pytest.raises(signoff.SignOffRefused) as refused:
        signoff.sign_off(mentor, trainee, visit, step=1, today=TODAY)
    assert refused.value.reasons == [
        "学完《朋友圈卖货》并通过小测验",
        "最近90天内有2条导师核实过的销售记录（现在有0条）",
    ]
    assert promotions() == 0


def test_sign_off_creates_a_promotion_with_its_evidence(mini_curriculum, people):
    mentor, trainee = people
    complete(trainee, "basics")
    complete(trainee, "selling")
    records = [make_record(trainee, happened_on=TODAY - timedelta(days=d)) for d in (1, 2, 200)]
    for record in records:
        visits.verify_record(mentor, record, seen_version=1)
    with pytest.raises(signoff.SignOffRefused) as refused:  # no visit: not "during a visit"
        signoff.sign_off(mentor, trainee, None, step=1, today=TODAY)
    assert refused.value.reasons == ["晋级要在回访时确认：请先记录这次回访（7天内的）。"]
    old_visit, _ = visits.log_visit(
        mentor,
        trainee,
        visit_input(visited_on=TODAY - timedelta(days=8), next_due_on=None),
        today=TODAY,
    )
    with pytest.raises(signoff.SignOffRefused):
        signoff.sign_off(mentor, trainee, old_visit, step=1, today=TODAY)

    visit, _ = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    promotion, written = signoff.sign_off(mentor, trainee, visit, step=1, today=TODAY)
    assert written is Written.CREATED and promotion.step == 1
    assert (promotion.from_rung, promotion.to_rung) == (3, 4)
    assert promotion.signed_by_id == mentor.id and promotion.visit_id == visit.id
    assert [c["slug"] for c in promotion.evidence["courses"]] == ["selling"]
    assert sorted(promotion.evidence["records"]) == sorted(r.id for r in records[:2])
    assert ladder.current_rung(trainee) == 4
    assert ladder.evaluate(trainee, today=TODAY).next.level == 5
    assert actions()[-1] == "rung.promoted"


def test_one_sign_off_stores_one_promotion_however_often_it_is_sent(mini_curriculum, people):
    mentor, trainee = people
    visit = ready(mentor, trainee)
    first, _ = signoff.sign_off(mentor, trainee, visit, step=1, today=TODAY)
    again, written = signoff.sign_off(mentor, trainee, visit, step=1, today=TODAY)
    assert (again.id, written) == (first.id, Written.DUPLICATE)
    assert promotions() == 1 and actions().count("rung.promoted") == 1
    # The same step from another visit, or by another mentor, is not "the same sign-off":
    # the ladder changed under that form.
    other_visit, _ = visits.log_visit(mentor, trainee, visit_input(mode="phone"), today=TODAY)
    with pytest.raises(signoff.LadderChanged):
        signoff.sign_off(mentor, trainee, other_visit, step=1, today=TODAY)
    with pytest.raises(signoff.LadderChanged):
        signoff.sign_off(make_user(Role.MENTOR), trainee, visit, step=1, today=TODAY)
    with pytest.raises(signoff.LadderChanged):  # a step no form could have been made for
        signoff.sign_off(mentor, trainee, visit, step=0, today=TODAY)
    assert promotions() == 1


def test_a_corrected_rung_can_be_earned_again(mini_curriculum, people):
    mentor, trainee = people
    visit = ready(mentor, trainee)
    signoff.sign_off(mentor, trainee, visit, step=1, today=TODAY)
    correction, _ = signoff.correct_rung(mentor, trainee, 3, "定高了", step=2)
    again, written = signoff.correct_rung(mentor, trainee, 3, "定高了", step=2)
    assert (again.id, written) == (correction.id, Written.DUPLICATE)
    assert ladder.current_rung(trainee) == 3
    promotion, written = signoff.sign_off(mentor, trainee, visit, step=3, today=TODAY)
    assert written is Written.CREATED and (promotion.from_rung, promotion.to_rung) == (3, 4)
    assert [p.step for p in db.session.scalars(select(RungPromotion))] == [1, 2, 3]


def test_a_rung_correction_goes_down_with_a_reason(people):
    mentor, trainee = people
    with pytest.raises(ValidationError) as error:
        signoff.correct_rung(mentor, trainee, 4, "", step=1)
    assert set(error.value.errors) == {"to_rung", "reason"}
    with pytest.raises(ValidationError):
        signoff.correct_rung(mentor, trainee, 2, "长" * 501, step=1)
    signoff.correct_rung(mentor, trainee, 2, "入学时定高了：还不会自己付款", step=1)
    assert ladder.current_rung(trainee) == 2
    assert actions() == ["rung.corrected"]


def test_next_step_counts_the_trainees_rung_changes(people):
    mentor, trainee = people
    assert signoff.next_step(trainee) == 1
    signoff.correct_rung(mentor, trainee, 2, "定高了", step=1)
    assert signoff.next_step(trainee) == 2
