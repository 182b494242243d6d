"""A trainee's personal data: exported whole, erased everywhere it is, figures kept."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.models import AuditEvent, ConsentRecord, FollowUpVisit, PracticeRecord, Role, User
from lms.services import files
from tests.conftest import PASSWORD
from tests.factories import assign, enroll, make_cohort, make_programme, make_user

TODAY = local_today()


@pytest.fixture
def world(app, login):
    with app.app_context():
        lead, other_lead, mentor = (
            make_user(Role.LEAD),
            make_user(Role.LEAD),
            make_user(Role.MENTOR),
        )
        programme = make_programme(lead, name="数据项目")
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=20))
        trainee = make_user(name="王秀兰")
        trainee.profile.birth_year, trainee.profile.main_products = 1978, "高山茶"
        enroll(trainee, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=20))
        db.session.add(
            FollowUpVisit(
                trainee_id=trainee.id,
                mentor_id=mentor.id,
                visited_on=TODAY,
                mode="phone",
                observations={"tool_use": {"level": "with_help", "note": "她家在村口第二家"}},
                actions="下周给王秀兰拍照",
            )
        )
        db.session.commit()
    me = login(trainee, target=app.test_client())
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, "PNG")
    me.post(
        "/learn/practice/new",
        data={
            "kind": "sale",
            "happened_on": TODAY.isoformat(),
            "channel": "wechat_group",
            "product": "王秀兰家的茶",
            "quantity": "2",
            "unit": "斤",
            "amount": "120",
            "note": "卖给表姐",
            "photo": (io.BytesIO(out.getvalue()), "p.png"),
        },
        content_type="multipart/form-data",
    )
    return {"lead": lead, "other_lead": other_lead, "trainee": trainee, "programme": programme}


def test_a_lead_exports_everything_held_about_a_trainee(app, world, login):
    client = login(world["lead"])
    base = f"/lead/programmes/{world['programme'].id}/trainees/{world['trainee'].id}"
    page = client.get(f"{base}/data")
    assert page.headers["Cache-Control"] == "no-store"
    assert "王秀兰家的茶" in page.get_data(as_text=True)
    export = client.get(f"{base}/data.zip")
    assert export.headers["Cache-Control"] == "no-store" and export.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        data = json.loads(archive.read("data.json"))
        photos = [n for n in archive.namelist() if n.startswith("photos/")]
    assert data["person"]["phone"] == world["trainee"].phone
    assert data["profile"]["main_products"] == "高山茶"
    assert [r["product"] for r in data["practice_records"]] == ["王秀兰家的茶"]
    assert data["follow_up_visits"][0]["actions"] == "下周给王秀兰拍照"
    assert data["consents"] and data["enrolments"][0]["programme"] == "数据项目"
    assert len(photos) == 1
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "trainee.exported")
        )
    other = login(world["other_lead"], target=app.test_client())
    assert other.get(f"{base}/data.zip").status_code == 404
    assert other.post(f"{base}/erase", data={"confirm": "0000"}).status_code == 404


def test_erasure_reaches_every_copy_and_keeps_the_figures(app, world, login):
    trainee = world["trainee"]
    client = login(world["lead"])
    base = f"/lead/programmes/{world['programme'].id}/trainees/{trainee.id}"
    with app.app_context():
        record = db.session.scalar(select(PracticeRecord))
        photo = files.folder("practice") / record.photo
        staged = files.folder("staging") / f"{trainee.id}-{'a' * 32}.jpg"
        staged.write_bytes(b"a form in progress")
    assert photo.exists()
    wrong = client.post(f"{base}/erase", data={"confirm": "0000"})
    assert wrong.status_code == 422 and "后4位" in wrong.get_data(as_text=True)
    done = client.post(f"{base}/erase", data={"confirm": trainee.phone[-4:]})
    assert done.status_code == 302
    assert not photo.exists() and not staged.exists()
    with app.app_context():
        person = db.session.get(User, trainee.id)
        assert person.name.startswith("已删除的学员") and person.phone != trainee.phone
        assert not person.is_active and person.erased_at is not None
        assert person.profile.birth_year is None and person.profile.main_products == ""
        assert person.profile.village == "大坪村"  # statistics kept
        kept = db.session.scalar(select(PracticeRecord))
        assert (kept.amount_fen, kept.product, kept.note, kept.photo) == (12000, "", "", None)
        visit = db.session.scalar(select(FollowUpVisit))
        assert visit.actions == "" and visit.observations["tool_use"] == {
            "level": "with_help",
            "note": "",
        }
        assert all(c.guardian_name == "" for c in db.session.scalars(select(ConsentRecord)))
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.trainee_id == trainee.id))
        text = json.dumps([e.details for e in events], ensure_ascii=False)
        assert "王秀兰" not in text and trainee.phone not in text
    # Nobody can log in as the person any more, by the old phone or the new one.
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"phone": trainee.phone, "password": PASSWORD}).status_code == 401
    )
    page = client.get(f"/lead/programmes/{world['programme'].id}/trainees").get_data(as_text=True)
    assert "王秀兰" not in page and "已删除的学员" in page
