"""The mentor sets a trainee's track on the trainee's file; only for their own trainees."""

from datetime import date, timedelta

from sqlalchemy import select

from lms.db import db
from lms.models import AuditEvent, Role, Track, TraineeProfile
from lms.services import curricula
from tests.factories import assign, enroll, make_cohort, make_programme, make_user
from tests.services.test_ladder_routes import SHIPPED

TODAY = date.today()


def setup(app):
    with app.app_context():
        curricula.import_tree(SHIPPED)
        mine, other = make_user(Role.MENTOR), make_user(Role.MENTOR)
        cohort = make_cohort(make_programme(), starts_on=TODAY - timedelta(days=30))
        trainee = make_user(name="学员甲")

        trainee.profile.baseline_rung = 4
        enroll(trainee, cohort)
        assign(mine, trainee=trainee, starts_on=TODAY - timedelta(days=30))
        db.session.commit()
        return mine, other, trainee.id


def version_of(app, trainee_id) -> str:
    with app.app_context():
        return str(db.session.get(TraineeProfile, trainee_id).version)


def track_of(app, trainee_id):
    with app.app_context():
        track_id = db.session.get(TraineeProfile, trainee_id).track_id
        return track_id and db.session.get(Track, track_id).slug


def test_the_mentor_sets_and_clears_a_track(app, login):
    mine, _, trainee = setup(app)
    client = login(mine)
    page = client.get(f"/mentor/trainees/{trainee}").get_data(as_text=True)
    assert "培训方向" in page and "手工艺品" in page and "离你最近的是" in page
    response = client.post(
        f"/mentor/trainees/{trainee}/track",
        data={"track": "handicraft", "version": version_of(app, trainee)},
    )
    assert response.status_code == 303 and track_of(app, trainee) == "handicraft"
    page = client.get(f"/mentor/trainees/{trainee}").get_data(as_text=True)
    assert "培训方向：手工艺品" in page
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "trainee.track"))
    client.post(
        f"/mentor/trainees/{trainee}/track", data={"track": "", "version": version_of(app, trainee)}
    )
    assert track_of(app, trainee) is None


def test_hostile_values_get_a_message_and_change_nothing(app, login):
    mine, _, trainee = setup(app)
    client = login(mine)
    for value in ("nope", "x" * 5000, "'; DROP TABLE tracks; --", "茶\u202e"):
        response = client.post(
            f"/mentor/trainees/{trainee}/track",
            data={"track": value, "version": version_of(app, trainee)},
            follow_redirects=True,
        )
        assert response.status_code == 200, value
        assert "没有这个培训方向" in response.get_data(as_text=True)
    assert track_of(app, trainee) is None
    stale = client.post(
        f"/mentor/trainees/{trainee}/track",
        data={"track": "handicraft", "version": "70"},
        follow_redirects=True,
    )
    assert "刚被修改过" in stale.get_data(as_text=True) and track_of(app, trainee) is None


def test_another_mentor_is_refused(app, login):
    _, other, trainee = setup(app)
    client = login(other)
    response = client.post(
        f"/mentor/trainees/{trainee}/track", data={"track": "handicraft", "version": "1"}
    )
    assert response.status_code == 404 and track_of(app, trainee) is None
