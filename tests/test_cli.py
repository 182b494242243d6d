"""The flask commands: users create, demo."""

from sqlalchemy import func, select

from lms.db import db
from lms.models import Cohort, Enrollment, MentorAssignment, Programme, Role, TraineeProfile, User


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_users_create(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--phone",
            "139 0000 1111",
            "--name",
            "管理员甲",
            "--role",
            "admin",
            "--password",
            "secret-123",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13900001111"))
        assert user.role is Role.ADMIN


def test_users_create_reports_bad_input_and_writes_nothing(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--phone",
            "12345",
            "--name",
            "x",
            "--role",
            "admin",
            "--password",
            "secret-123",
        ]
    )
    assert result.exit_code == 1
    assert "手机号应为11位数字" in result.output
    with app.app_context():
        assert count(User) == 0


def test_demo_has_a_living_loop_once(app, runner, mini_curriculum):
    from lms.models import FollowUpVisit, Outcome, PracticeRecord, RungPromotion

    runner.invoke(args=["demo"])
    with app.app_context():
        history = [count(m) for m in (PracticeRecord, FollowUpVisit, Outcome, RungPromotion)]
        pending = db.session.scalar(
            select(func.count(PracticeRecord.id)).where(PracticeRecord.status == "self_reported")
        )
    assert history == [13, 7, 2, 1] and pending == 4
    runner.invoke(args=["demo"])
    with app.app_context():
        assert [count(m) for m in (PracticeRecord, FollowUpVisit, Outcome, RungPromotion)] == (
            history
        )


def test_demo_is_idempotent_and_complete(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "13800000001" in first.output and "demo1234" in first.output
    with app.app_context():
        counts = [count(m) for m in (User, Programme, Cohort, Enrollment, MentorAssignment)]
        roles = set(db.session.scalars(select(User.role)))
        categories = set(db.session.scalars(select(TraineeProfile.household_category)))
        villages = set(db.session.scalars(select(TraineeProfile.village)))
    assert counts == [24, 1, 2, 20, 2]
    assert roles == set(Role)
    assert len(categories) == 4 and len(villages) == 2
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "0 rows created" in second.output
    with app.app_context():
        assert [count(m) for m in (User, Programme, Cohort, Enrollment, MentorAssignment)] == counts
