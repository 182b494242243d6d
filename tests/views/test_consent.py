"""Consent to the privacy notice: asked first, with the notice; a guardian for minors; withdrawn
at will."""

from datetime import date

from sqlalchemy import select

from lms.db import db
from lms.models import ConsentRecord, Role
from lms.services.consent import NOTICE_VERSION
from tests.conftest import PASSWORD, form_errors
from tests.factories import make_user


def new_trainee(app, **profile):
    with app.app_context():
        user = make_user(consented=False)
        for name, value in profile.items():
            setattr(user.profile, name, value)
        db.session.commit()
        return user


def records(app, user):
    with app.app_context():
        return db.session.scalars(
            select(ConsentRecord).where(ConsentRecord.trainee_id == user.id)
        ).all()


def test_a_trainee_without_consent_is_asked_first_with_the_notice(app, login):
    trainee = new_trainee(app)
    client = login(trainee)
    for url in ("/learn/", "/learn/practice", "/learn/courses"):
        response = client.get(url)
        assert response.headers["Location"] == "/learn/consent", url
    page = client.get("/learn/consent").get_data(as_text=True)
    assert "我们收集哪些信息" in page and "不收身份证号" in page and "撤回同意" in page
    refused = client.post("/learn/consent", data={})
    assert form_errors(refused.get_data(as_text=True)) == ["请勾选“我已读过，同意”，才能继续使用。"]
    assert records(app, trainee) == []
    assert client.post("/learn/consent", data={"agreed": "y"}).headers["Location"] == "/learn/"
    (record,) = records(app, trainee)
    assert (record.notice_version, record.given_by.value) == (NOTICE_VERSION, "trainee")
    assert client.get("/learn/").status_code == 200


def test_a_minor_needs_a_guardian(app, login):
    trainee = new_trainee(app, birth_year=date.today().year - 16)
    client = login(trainee)
    page = client.get("/learn/consent").get_data(as_text=True)
    assert "你还不满18岁" in page
    refused = client.post("/learn/consent", data={"agreed": "y"})
    assert form_errors(refused.get_data(as_text=True)) == [
        "你还不满18岁：请填写同意你参加的监护人姓名。",
        "请让监护人看过上面的说明，再勾选“监护人已同意”。",
    ]
    client.post(
        "/learn/consent", data={"agreed": "y", "guardian_name": "王父", "guardian_agreed": "y"}
    )
    assert [r.guardian_name for r in records(app, trainee)] == ["王父"]


def test_withdrawing_ends_the_session_and_asks_again_next_time(app, login):
    trainee = make_trainee_with_consent(app)
    client = login(trainee)
    assert client.get("/learn/").status_code == 200
    response = client.post("/learn/consent/withdraw")
    assert response.headers["Location"] == "/login"
    assert client.get("/learn/").headers["Location"].startswith("/login")
    assert all(r.withdrawn_at is not None for r in records(app, trainee))
    again = app.test_client()
    again.post("/login", data={"phone": trainee.phone, "password": PASSWORD})
    assert again.get("/learn/").headers["Location"] == "/learn/consent"


def make_trainee_with_consent(app):
    with app.app_context():
        user = make_user(Role.TRAINEE)
        db.session.commit()
        return user


def test_the_notice_is_public(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "我们收集哪些信息" in page and "谁能看到" in page
