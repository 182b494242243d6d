"""Mentor actions: visits (keyed by uuid, versioned, a 7-day edit window), verification as the
mentor saw the record, outcomes. Sign-off and corrections are in test_signoff."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import utcnow
from lms.db import Written, db, new_uuid
from lms.errors import RecordGone, StaleVersion, UuidTaken, ValidationError
from lms.models import AuditEvent, FollowUpVisit, PracticeRecord, RecordStatus, Role
from lms.services import visits
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
    visit, written = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    assert written is Written.CREATED
    assert visit.observations["tool_use"] == {"level": "with_help", "note": "会拍照，不会修图"}
    assert visit.observations["info_analysis"] == {"level": "not_yet", "note": ""}
    assert visit.problem_tags == ["logistics", "pricing"]
    assert actions() == ["visit.created"]


def test_a_resent_visit_is_a_duplicate_or_an_edit_never_a_second_visit(people):
    mentor, trainee = people
    uuid = new_uuid()
    visit, _ = visits.log_visit(mentor, trainee, visit_input(), uuid=uuid, today=TODAY)
    again, written = visits.log_visit(mentor, trainee, visit_input(), uuid=uuid, today=TODAY)
    assert (again.id, written) == (visit.id, Written.DUPLICATE)
    assert actions() == ["visit.created"]
    # The same uuid with other content: an edit of what was stored, from the version it
    # started from (1), audited.
    edited, written = visits.log_visit(
        mentor, trainee, visit_input(actions="先学修图"), uuid=uuid, today=TODAY
    )
    assert (edited.id, written, edited.actions, edited.version) == (
        visit.id,
        Written.UPDATED,
        "先学修图",
        2,
    )
    db.session.commit()
    # Another edit still based on version 1 is stale: nothing written.
    with pytest.raises(StaleVersion):
        visits.log_visit(mentor, trainee, visit_input(actions="第三个"), uuid=uuid, today=TODAY)
    db.session.rollback()
    assert db.session.get(FollowUpVisit, visit.id).actions == "先学修图"
    assert db.session.scalar(select(func.count(FollowUpVisit.id))) == 1


def test_a_uuid_of_someone_elses_visit_is_refused(people):
    mentor, trainee = people
    other_mentor = make_user(Role.MENTOR)
    other_trainee = make_user()
    visit, _ = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    for who, whom in ((other_mentor, trainee), (mentor, other_trainee)):
        with pytest.raises(UuidTaken):
            visits.log_visit(who, whom, visit_input(), uuid=visit.uuid, today=TODAY)
    with pytest.raises(ValidationError) as error:
        visits.log_visit(mentor, trainee, visit_input(), uuid="x" * 5000, today=TODAY)
    assert set(error.value.errors) == {"uuid"}


def test_a_second_visit_on_the_same_day_is_asked_about(people):
    mentor, trainee = people
    first, _ = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    with pytest.raises(visits.PossibleDuplicate) as asked:
        visits.log_visit(mentor, trainee, visit_input(), ask_if_duplicate=True, today=TODAY)
    assert asked.value.twin.id == first.id
    second, written = visits.log_visit(mentor, trainee, visit_input(mode="phone"), today=TODAY)
    assert written is Written.CREATED and second.id != first.id


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
    visit, _ = visits.log_visit(mentor, trainee, visit_input(), today=TODAY)
    visits.update_visit(
        mentor,
        visit,
        visit_input(actions="改成：先学修图", problem_tags=[]),
        base_version=1,
        today=TODAY,
        now=visit.created_at + timedelta(days=6, hours=23),
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.updated"))
    assert event.details["changes"] == {
        "actions": ["下周前拍好5张照片", "改成：先学修图"],
        "problem_tags": [["logistics", "pricing"], []],
    }
    with pytest.raises(StaleVersion):  # a second tab still showing version 1
        visits.update_visit(mentor, visit, visit_input(), base_version=1, today=TODAY)
    with pytest.raises(visits.EditNotAllowed):
        visits.update_visit(
            mentor,
            visit,
            visit_input(),
            base_version=2,
            today=TODAY,
            now=visit.created_at + timedelta(days=7, seconds=1),
        )
    other = make_user(Role.MENTOR)
    with pytest.raises(visits.EditNotAllowed):
        visits.update_visit(other, visit, visit_input(), base_version=2, today=TODAY, now=utcnow())


def test_verify_and_reject_with_a_reason(people):
    mentor, trainee = people
    sale, other = make_record(trainee), make_record(trainee)
    visits.verify_record(mentor, sale, seen_version=1)
    assert sale.status is RecordStatus.VERIFIED and sale.reviewed_by_id == mentor.id
    assert sale.is_locked
    with pytest.raises(visits.NotReviewable):
        visits.reject_record(mentor, sale, "错了", seen_version=sale.version)
    with pytest.raises(ValidationError) as error:
        visits.reject_record(mentor, other, "  ", seen_version=1)
    assert error.value.errors == {"reason": "请写明为什么不通过，学员会看到。"}
    assert other.status is RecordStatus.SELF_REPORTED
    visits.reject_record(mentor, other, "照片看不出是哪天卖的", seen_version=1)
    assert other.status is RecordStatus.REJECTED and other.reject_reason == "照片看不出是哪天卖的"
    assert actions() == ["record.verified", "record.rejected"]


def test_a_decision_applies_only_to_the_version_the_mentor_saw(people):
    mentor, trainee = people
    record = make_record(trainee, amount_fen=1000)
    db.session.commit()
    record.amount_fen = 9_999_900  # the trainee edits it after the mentor opened the page
    db.session.commit()
    assert record.version == 2
    with pytest.raises(StaleVersion):
        visits.verify_record(mentor, record, seen_version=1)
    with pytest.raises(StaleVersion):
        visits.reject_record(mentor, record, "不对", seen_version=1)
    db.session.rollback()
    stored = db.session.get(PracticeRecord, record.id)
    assert stored.status is RecordStatus.SELF_REPORTED and actions() == []
    record.status = RecordStatus.DELETED
    db.session.commit()
    with pytest.raises(RecordGone):
        visits.verify_record(mentor, record, seen_version=record.version)


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
