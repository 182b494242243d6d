"""Hostile values in the fields this issue added (versions, steps, uuids, staged photo tokens):
a clear page, never a 5xx, and nothing changed."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import FollowUpVisit, PracticeRecord, QuizAttempt, RecordStatus, Role, RungPromotion
from tests.factories import (
    assign,
    enroll,
    make_cohort,
    make_programme,
    make_record,
    make_user,
    sale_form,
)

TODAY = local_today()
HOSTILE = ["", "abc", "-1", "0", "1" * 5000, "\x00", "１", "99999999999999999999", "NaN", "1.0"]


@pytest.fixture
def world(app, mini_curriculum):
    with app.app_context():
        mentor, trainee, other = make_user(Role.MENTOR), make_user(), make_user()
        cohort = make_cohort(make_programme(), starts_on=TODAY - timedelta(days=30))
        enroll(trainee, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=30))
        record = make_record(trainee)
        theirs = make_record(other)
        db.session.commit()
        return {"mentor": mentor, "trainee": trainee, "record": record, "theirs": theirs}


def unchanged(app, record) -> None:
    with app.app_context():
        stored = db.session.get(PracticeRecord, record.id)
        assert (stored.version, stored.status) == (1, RecordStatus.SELF_REPORTED)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_versions_and_tokens_from_a_trainee(app, world, login, value):
    client = login(world["trainee"])
    record = world["record"]
    for url, data in [
        (f"/learn/practice/{record.id}/edit", sale_form(version=value, staged_photo=value)),
        (f"/learn/practice/{record.id}/delete", {"version": value}),
        ("/learn/practice/new", sale_form(uuid=value, version=value, staged_photo=value)),
        ("/learn/practice/new", sale_form(uuid=world["theirs"].uuid, version=value)),
        ("/learn/courses/basics/quiz", {"uuid": value, "q1": value}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, value)
    unchanged(app, record)
    unchanged(app, world["theirs"])
    with app.app_context():
        assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_versions_and_steps_from_a_mentor(app, world, login, value):
    client = login(world["mentor"])
    record, trainee = world["record"], world["trainee"]
    for url, data in [
        (f"/mentor/records/{record.id}/verify", {"version": value}),
        (f"/mentor/records/{record.id}/reject", {"version": value, "reason": "不对"}),
        (f"/mentor/trainees/{trainee.id}/signoff", {"step": value, "visit_id": value}),
        (f"/mentor/trainees/{trainee.id}/correction", {"step": value, "to_rung": value}),
        (f"/mentor/trainees/{trainee.id}/visits/new", {"uuid": value, "version": value}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, value)
    unchanged(app, record)
    with app.app_context():
        assert db.session.scalar(select(func.count(RungPromotion.id))) == 0
        assert db.session.scalar(select(func.count(FollowUpVisit.id))) == 0
