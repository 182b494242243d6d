"""POST /api/v1/sync: entries made on a phone, applied exactly once, each answered on its own."""

import io
import uuid as uuids
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import (
    FollowUpVisit,
    Lesson,
    LessonProgress,
    PracticeRecord,
    QuizAttempt,
    RecordStatus,
    Role,
)
from lms.services import learning
from tests.factories import assign, enroll, make_cohort, make_programme, make_user, sale_form

TODAY = local_today()
NOW = datetime.now(UTC).isoformat(timespec="seconds")


@pytest.fixture
def people(app, mini_curriculum):
    with app.app_context():
        lead, mentor, other_mentor = (
            make_user(Role.LEAD),
            make_user(Role.MENTOR),
            make_user(Role.MENTOR),
        )
        trainee, other = make_user(name="刘春梅"), make_user(name="王小红")
        programme = make_programme(lead)
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=20))
        enroll(trainee, cohort)
        enroll(other, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=20))
        db.session.commit()
        return {"mentor": mentor, "other_mentor": other_mentor, "trainee": trainee, "other": other}


def entry(kind="practice_record", data=None, **fields):
    return {
        "uuid": str(uuids.uuid4()),
        "kind": kind,
        "client_time": NOW,
        "data": sale_form() if data is None else data,
    } | fields


def visit_data(trainee_id, **data):
    levels = {
        f"level_{d}": "with_help"
        for d in ("tool_use", "info_analysis", "online_coordination", "resource_innovation")
    }
    return {
        "trainee_id": str(trainee_id),
        "visited_on": TODAY.isoformat(),
        "mode": "in_person",
        "actions": "拍好5张照片",
        **levels,
    } | data


def send(client, *entries):
    response = client.post("/api/v1/sync", json={"entries": list(entries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def rows(app, model, **where):
    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def test_the_same_batch_twice_stores_each_entry_once(app, people, login):
    client = login(people["trainee"])
    batch = [entry(), entry(data=sale_form(product="猕猴桃", amount="88.5"))]
    assert [r["status"] for r in send(client, *batch)] == ["created", "created"]
    again = send(client, *batch)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert rows(app, PracticeRecord) == 2
    with app.app_context():
        amounts = set(db.session.scalars(select(PracticeRecord.amount_fen)))
    assert amounts == {4500, 8850}


def test_one_bad_entry_is_rejected_in_the_users_language_and_the_others_are_stored(
    app, people, login
):
    client = login(people["trainee"])
    results = send(
        client,
        entry(),
        entry(data=sale_form(amount="NaN")),
        "not an entry",
        entry(kind="visit"),
        entry(data=sale_form(product="蜂蜜")),
    )
    assert [r["status"] for r in results] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    assert results[1]["errors"] == {"amount": "金额只能填数字，比如 128.50。"}
    assert results[3]["errors"] == {"kind": "你的账号不能上传这种记录。"}
    assert rows(app, PracticeRecord) == 2


def test_a_200_entry_batch_is_one_request(app, people, login):
    client = login(people["trainee"])
    batch = [entry(data=sale_form(product=f"鸡蛋{i}")) for i in range(200)]
    results = send(client, *batch)
    assert {r["status"] for r in results} == {"created"} and len(results) == 200
    assert rows(app, PracticeRecord) == 200


def test_an_edit_applies_to_its_version_and_a_stale_one_overwrites_nothing(app, people, login):
    client = login(people["trainee"])
    first = entry()
    (created,) = send(client, first)
    edit = first | {"data": sale_form(amount="50"), "base_version": created["version"]}
    (updated,) = send(client, edit)
    assert updated["status"] == "updated" and updated["version"] == created["version"] + 1
    stale = first | {"data": sale_form(amount="99999"), "base_version": created["version"]}
    (conflict,) = send(client, stale)
    assert conflict["status"] == "conflict" and conflict["version"] == updated["version"]
    assert "没有用手机上的内容覆盖" in conflict["message"]
    with app.app_context():
        assert db.session.scalar(select(PracticeRecord.amount_fen)) == 5000


def test_a_sync_after_verification_cannot_change_the_verified_record(app, people, login):
    trainee = login(people["trainee"])
    first = entry()
    (created,) = send(trainee, first)
    mentor = login(people["mentor"], target=app.test_client())
    response = mentor.post(
        f"/mentor/records/{created['id']}/verify", data={"version": str(created["version"])}
    )
    assert response.status_code == 302
    edit = first | {"data": sale_form(amount="99999"), "base_version": created["version"]}
    (answer,) = send(trainee, edit)
    assert answer["status"] == "conflict" and "已核实" in answer["message"]
    with app.app_context():
        record = db.session.scalar(select(PracticeRecord))
        assert (record.status, record.amount_fen) == (RecordStatus.VERIFIED, 4500)
    (resent,) = send(trainee, first)  # the original, sent again, is still a duplicate
    assert resent["status"] == "duplicate"


def test_a_trainee_cannot_sync_for_someone_else(app, people, login):
    client = login(people["trainee"])
    mine = entry()
    send(client, mine)
    other = login(people["other"], target=app.test_client())
    (taken,) = send(other, mine | {"data": sale_form(amount="1")})
    assert taken["status"] == "rejected" and "uuid" in taken["errors"]
    (foreign,) = send(other, entry(user_id=people["trainee"].id))
    assert foreign["status"] == "rejected" and "另一个账号" in foreign["errors"]["user_id"]
    with app.app_context():
        assert db.session.scalar(select(PracticeRecord.amount_fen)) == 4500
        owners = set(db.session.scalars(select(PracticeRecord.trainee_id)))
    assert owners == {people["trainee"].id}


def test_a_mentor_syncs_visits_only_for_trainees_assigned_now(app, people, login):
    mentor = login(people["mentor"])
    visit = entry("visit", visit_data(people["trainee"].id))
    assert send(mentor, visit, visit)[1]["status"] == "duplicate"
    assert rows(app, FollowUpVisit) == 1
    outsider = login(people["other_mentor"], target=app.test_client())
    (refused,) = send(outsider, entry("visit", visit_data(people["trainee"].id)))
    assert refused["status"] == "rejected" and "trainee_id" in refused["errors"]
    (unknown,) = send(outsider, entry("visit", visit_data(999999)))
    assert unknown["errors"] == refused["errors"]  # no one's existence is revealed
    (bad,) = send(mentor, entry("visit", visit_data(people["trainee"].id, mode="x")))
    assert bad["errors"] == {"mode": "请选择回访方式。"}
    assert rows(app, FollowUpVisit) == 1


def test_lessons_learned_and_quiz_attempts_sync_once(app, people, login):
    client = login(people["trainee"])
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).order_by(Lesson.id))
        course = lesson.course
        answers = {f"q{item.id}": ["0"] for item in learning.quiz_items(course)}
        slug, course_slug = lesson.slug, course.slug
    learned = entry("lesson_learned", {"lesson": slug})
    assert [r["status"] for r in send(client, learned, learned)] == ["created", "duplicate"]
    assert rows(app, LessonProgress) == 1
    attempt = entry("quiz_attempt", {"course": course_slug, **answers})
    assert [r["status"] for r in send(client, attempt, attempt)] == ["created", "duplicate"]
    assert rows(app, QuizAttempt) == 1


def test_a_client_time_in_the_future_says_what_to_fix_and_is_accepted_once_fixed(
    app, people, login
):
    client = login(people["trainee"])
    late = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    wrong = entry(client_time=late)
    (answer,) = send(client, wrong)
    assert answer["status"] == "rejected"
    assert "手机设置里把日期和时间改对" in answer["errors"]["client_time"]
    (fixed,) = send(client, wrong | {"client_time": NOW})
    assert fixed["status"] == "created"
    (future_sale,) = send(client, entry(data=sale_form(happened_on="2100-01-01")))
    assert future_sale["errors"] == {"happened_on": "日期不能晚于今天。"}


@pytest.mark.parametrize(
    "hostile",
    [
        {"uuid": "x" * 5000},
        {"uuid": 12},
        {"kind": None},
        {"client_time": "9999-12-31T00:00:00"},
        {"client_time": 1e308},
        {"base_version": 2**40},
        {"base_version": "NaN"},
        {"data": {"product": {"$gt": ""}}},
        {"data": sale_form(product="a\x00b")},
        {"data": sale_form(note="x" * 100_000)},
        {"data": []},
    ],
)
def test_hostile_entries_are_rejected_and_change_nothing(app, people, login, hostile):
    client = login(people["trainee"])
    (answer,) = send(client, entry() | hostile)
    assert answer["status"] in ("rejected", "conflict"), answer
    assert rows(app, PracticeRecord) == 0


def test_the_endpoint_answers_json_errors_with_a_stable_code(app, people, login, client):
    assert client.post("/api/v1/sync", json={"entries": []}).get_json()["error"]["code"] == (
        "login_required"
    )
    login(people["trainee"])
    for body in (b"{", b"[]", b'{"entries": 5}'):
        response = client.post("/api/v1/sync", data=body, content_type="application/json")
        assert response.status_code == 400 and response.get_json()["error"]["code"] == (
            "bad_request"
        )
    too_many = client.post("/api/v1/sync", json={"entries": [{}] * 501})
    assert too_many.status_code == 413
    assert client.get("/api/v1/sync").get_json()["error"]["code"] == "method_not_allowed"


def test_a_trainee_without_consent_is_told_to_open_the_app_first(app, mini_curriculum, login):
    with app.app_context():
        trainee = make_user(consented=False)
        db.session.commit()
    client = login(trainee)
    response = client.post("/api/v1/sync", json={"entries": [entry()]})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "consent_required"
    assert rows(app, PracticeRecord) == 0


def test_the_csrf_token_is_required_in_a_header(app, people, login, monkeypatch):
    client = login(people["trainee"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = client.post("/api/v1/sync", json={"entries": [entry()]})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "bad_request"
    page = client.get("/learn/practice/new?kind=sale").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post(
        "/api/v1/sync", json={"entries": [entry()]}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    assert rows(app, PracticeRecord) == 1


def jpeg(colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_follows_its_entry_once_and_never_onto_a_verified_record(app, people, login):
    client = login(people["trainee"])
    first = entry()
    (created,) = send(client, first)

    def photo(uuid, data):
        return client.post(
            f"/api/v1/sync/photos/{uuid}",
            data={"photo": (io.BytesIO(data), "p.jpg")},
            content_type="multipart/form-data",
        )

    assert photo(first["uuid"], jpeg()).get_json()["status"] == "updated"
    assert photo(first["uuid"], jpeg()).get_json()["status"] == "duplicate"
    assert photo(str(uuids.uuid4()), jpeg()).status_code == 422
    assert photo(first["uuid"], b"not a photo").status_code == 422
    with app.app_context():
        record = db.session.get(PracticeRecord, created["id"])
        assert record.photo and record.version == created["version"] + 1
        version = record.version
    mentor = login(people["mentor"], target=app.test_client())
    mentor.post(f"/mentor/records/{created['id']}/verify", data={"version": str(version)})
    assert photo(first["uuid"], jpeg("blue")).get_json()["status"] == "conflict"
    other = login(people["other"], target=app.test_client())
    response = other.post(
        f"/api/v1/sync/photos/{first['uuid']}",
        data={"photo": (io.BytesIO(jpeg()), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422  # not theirs: as if it did not exist
