"""Mentor actions: visits with a 7-day edit window, verification, sign-off, corrections."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.clock import utcnow
from lms.db import db
from lms.errors import ValidationError
from lms.models import AuditEvent, Course, RecordStatus, Role, RungPromotion
from lms.services import ladder, learning, visits
from tests.factories import make_record, make_user

TODAY = date(2026, 11, 22)
LEVELS = {
    "tool_use": "with_help",
    "info_analysis": "not_yet",
    "online_coordination": "independent",
    "resource_innovation": "not_yet",
}


def visit_input(**overrides):
    values = {
        "visited_on": TODAY,
        "mode": "in_person",
        "levels": dict(LEVELS),
        "notes": {"tool_use": "会拍照，不会修图"},
        "problem_tags": ["logistics", "pricing"],
        "actions": "下周前拍好5张照片",
        "next_due_on": TODAY + timedelta(days=14),
    }
    values.update(overrides)
    return visits.VisitInput(**values)


@pytest.fixture
def people(ctx):
    mentor = make_user(Role.MENTOR, name="陈导师")
    trainee = make_user(name="刘春梅")
    trainee.profile.baseline_rung = 3
    return mentor, trainee


def actions():
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_log_a_visit_with_observations_and_audit(people):
    mentor, trainee = people
    visit = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    assert visit.observations["tool_use"] == {"level": "with_help", "note": "会拍照，不会修图"}
    assert visit.observations["info_analysis"] == {"level": "not_yet", "note": ""}
    assert visit.problem_tags == ["logistics", "pricing"]
    assert actions() == ["visit.created"]
    again = visits.log_visit(mentor, trainee, visit_input(), uuid=visit.uuid, today=TODAY)
    assert again.id == visit.id


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"visited_on": TODAY + timedelta(days=1)}, {"visited_on": "回访日期不能晚于今天。"}),
        ({"mode": "letter"}, {"mode": "请选择回访方式。"}),
        ({"levels": {**LEVELS, "tool_use": ""}}, {"level_tool_use": "请为这一项选一个情况。"}),
        ({"next_due_on": TODAY}, {"next_due_on": "下次回访日期要在这次回访之后。"}),
        ({"problem_tags": ["weather"]}, {"problem_tags": "有不认识的问题标签。"}),
    ],
)
def test_bad_visit_input_changes_nothing(people, overrides, errors):
    mentor, trainee = people
    with pytest.raises(ValidationError) as error:
        visits.log_visit(mentor, trainee, visit_input(**overrides), today=TODAY)
    assert error.value.errors == errors
    assert actions() == []


def test_the_author_may_edit_for_7_days_and_every_change_is_audited(people):
    mentor, trainee = people
    visit = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    visits.update_visit(
        mentor,
        visit,
        visit_input(actions="改成：先学修图", problem_tags=[]),
        today=TODAY,
        now=visit.created_at + timedelta(days=6, hours=23),
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.updated"))
    assert event.details["changes"] == {
        "actions": ["下周前拍好5张照片", "改成：先学修图"],
        "problem_tags": [["logistics", "pricing"], []],
    }
    with pytest.raises(visits.EditNotAllowed):
        visits.update_visit(
            mentor,
            visit,
            visit_input(),
            today=TODAY,
            now=visit.created_at + timedelta(days=7, seconds=1),
        )
    other = make_user(Role.MENTOR)
    with pytest.raises(visits.EditNotAllowed):
        visits.update_visit(other, visit, visit_input(), today=TODAY, now=utcnow())


def test_verify_and_reject_with_a_reason(people):
    mentor, trainee = people
    sale, other = make_record(trainee), make_record(trainee)
    visits.verify_record(mentor, sale)
    assert sale.status is RecordStatus.VERIFIED and sale.reviewed_by_id == mentor.id
    assert sale.is_locked
    with pytest.raises(visits.NotReviewable):
        visits.reject_record(mentor, sale, "错了")
    with pytest.raises(ValidationError) as error:
        visits.reject_record(mentor, other, "  ")
    assert error.value.errors == {"reason": "请写明为什么不通过，学员会看到。"}
    assert other.status is RecordStatus.SELF_REPORTED
    visits.reject_record(mentor, other, "照片看不出是哪天卖的")
    assert other.status is RecordStatus.REJECTED and other.reject_reason == "照片看不出是哪天卖的"
    assert actions() == ["record.verified", "record.rejected"]


def complete(trainee, slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    for lesson in course.lessons:
        learning.mark_learned(trainee, lesson)
    learning.submit_quiz(
        trainee, course, {i.id: set(i.answer) for i in learning.quiz_items(course)}
    )


def test_sign_off_refuses_while_a_requirement_is_missing(mini_curriculum, people):
    mentor, trainee = people
    visit = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    with pytest.raises(visits.SignOffRefused) as refused:
        visits.sign_off(mentor, trainee, visit, today=TODAY)
    assert refused.value.reasons == [
        "学完《朋友圈卖货》并通过小测验",
        "最近90天内有2条导师核实过的销售记录（现在有0条）",
    ]
    assert db.session.scalar(select(RungPromotion.id)) is None


def test_sign_off_creates_a_promotion_with_its_evidence(mini_curriculum, people):
    mentor, trainee = people
    complete(trainee, "basics")
    complete(trainee, "selling")
    records = [make_record(trainee, happened_on=TODAY - timedelta(days=d)) for d in (1, 2, 200)]
    for record in records:
        visits.verify_record(mentor, record)
    with pytest.raises(visits.SignOffRefused) as refused:  # no visit: not "during a visit"
        visits.sign_off(mentor, trainee, None, today=TODAY)
    assert refused.value.reasons == ["晋级要在回访时确认：请先记录这次回访（7天内的）。"]
    old_visit = visits.log_visit(
        mentor,
        trainee,
        visit_input(visited_on=TODAY - timedelta(days=8), next_due_on=None),
        today=TODAY,
    )
    with pytest.raises(visits.SignOffRefused):
        visits.sign_off(mentor, trainee, old_visit, today=TODAY)

    visit = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    promotion = visits.sign_off(mentor, trainee, visit, today=TODAY)
    assert (promotion.from_rung, promotion.to_rung) == (3, 4)
    assert promotion.signed_by_id == mentor.id and promotion.visit_id == visit.id
    assert [c["slug"] for c in promotion.evidence["courses"]] == ["selling"]
    assert sorted(promotion.evidence["records"]) == sorted(r.id for r in records[:2])
    assert ladder.current_rung(trainee) == 4
    assert ladder.evaluate(trainee, today=TODAY).next.level == 5
    assert actions()[-1] == "rung.promoted"


def test_a_rung_correction_goes_down_with_a_reason(people):
    mentor, trainee = people
    with pytest.raises(ValidationError) as error:
        visits.correct_rung(mentor, trainee, 4, "")
    assert set(error.value.errors) == {"to_rung", "reason"}
    visits.correct_rung(mentor, trainee, 2, "入学时定高了：还不会自己付款")
    assert ladder.current_rung(trainee) == 2
    assert actions() == ["rung.corrected"]


def test_outcomes_over_time(people):
    mentor, trainee = people
    visits.record_outcome(mentor, trainee, "shop_opened", date(2026, 5, 1), "拼多多店", today=TODAY)
    visits.record_outcome(mentor, trainee, "business_started", date(2026, 10, 1), "", today=TODAY)
    with pytest.raises(ValidationError) as error:
        visits.record_outcome(
            mentor, trainee, "won_lottery", TODAY + timedelta(days=1), "", today=TODAY
        )
    assert error.value.errors == {"kind": "请选择是哪种成效。", "happened_on": "日期不能晚于今天。"}
    assert actions() == ["outcome.recorded", "outcome.recorded"]
