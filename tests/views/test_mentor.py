"""The mentor's pages through the real app: caseload order and filters, scope, the loop."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import local_today, utcnow
from lms.db import db
from lms.display import format_short_date
from lms.models import (
    AuditEvent,
    CourseCompletion,
    FollowUpVisit,
    LessonProgress,
    Outcome,
    PracticeRecord,
    RecordStatus,
    Role,
    RungPromotion,
)
from lms.services import schedule
from tests.conftest import form_errors
from tests.factories import (
    assign,
    enroll,
    make_cohort,
    make_programme,
    make_record,
    make_user,
    visit_form,
)

TODAY = local_today()


@pytest.fixture
def world(app):
    """A mentor following cohort A (three trainees) and one trainee directly; others not."""
    with app.app_context():
        mentor = make_user(Role.MENTOR, name="陈导师")
        other_mentor = make_user(Role.MENTOR, name="吴导师")
        programme = make_programme()
        cohort_a = make_cohort(programme, name="一期", starts_on=TODAY - timedelta(days=100))
        cohort_b = make_cohort(programme, name="二期", starts_on=TODAY - timedelta(days=100))
        people = {}
        for name, village, cohort in [
            ("甲", "大坪村", cohort_a),
            ("乙", "大坪村", cohort_a),
            ("丙", "石门村", cohort_a),
            ("丁", "石门村", cohort_b),
            ("戊", "石门村", cohort_b),
        ]:
            trainee = make_user(name=name)
            trainee.profile.village = village
            trainee.profile.baseline_rung = 3
            enroll(trainee, cohort)
            people[name] = trainee
        assign(mentor, cohort=cohort_a, starts_on=TODAY - timedelta(days=100))
        assign(mentor, trainee=people["丁"], starts_on=TODAY - timedelta(days=100))
        assign(other_mentor, trainee=people["戊"], starts_on=TODAY - timedelta(days=100))
        # An assignment that ended: 戊 was 陈导师's once.
        assign(
            mentor,
            trainee=people["戊"],
            starts_on=TODAY - timedelta(days=100),
            ends_on=TODAY - timedelta(days=10),
        )
        # 甲: recent activity and visits; 乙: a sale to verify; 丙 and 丁: nothing for 100 days.
        db.session.add(
            FollowUpVisit(
                trainee_id=people["甲"].id,
                mentor_id=mentor.id,
                visited_on=TODAY - timedelta(days=2),
                mode="phone",
                observations={},
                next_due_on=TODAY + timedelta(days=20),
            )
        )
        make_record(people["甲"], happened_on=TODAY - timedelta(days=3), status="verified")
        make_record(people["乙"], happened_on=TODAY - timedelta(days=1))
        db.session.add(
            FollowUpVisit(
                trainee_id=people["乙"].id,
                mentor_id=mentor.id,
                visited_on=TODAY - timedelta(days=1),
                mode="phone",
                observations={},
            )
        )
        db.session.add(
            FollowUpVisit(
                trainee_id=people["丁"].id,
                mentor_id=mentor.id,
                visited_on=TODAY - timedelta(days=1),
                mode="phone",
                observations={},
            )
        )
        db.session.commit()
        return {"mentor": mentor, "other_mentor": other_mentor, **people}


def names_in_order(page: str, names: list[str]) -> list[str]:
    listing = page[page.index('<ul class="caseload">') :]
    return sorted(names, key=lambda n: listing.index(f"<strong>{n}</strong>"))


def test_caseload_sorted_by_what_needs_the_mentor(world, login):
    client = login(world["mentor"])
    page = client.get("/mentor/").get_data(as_text=True)
    assert "共 4 人" in page
    # 丙: overdue (no visit for 100 days); 乙: a record to verify; 丁: stalled; 甲: fine.
    assert names_in_order(page, ["甲", "乙", "丙", "丁"]) == ["丙", "乙", "丁", "甲"]
    assert "逾期未回访" in page and "待核实 1" in page and "停滞" in page
    assert "戊" not in page
    assert world["甲"].phone in page  # the mentor sees full numbers, to call


def test_caseload_shows_what_the_live_schedule_computes(app, world, login):
    """Days overdue and the next visit on the page (read from trainee_facts) are the schedule's."""
    client = login(world["mentor"])
    page = client.get("/mentor/").get_data(as_text=True)
    listing = page[page.index('<ul class="caseload">') :]
    names = ["甲", "乙", "丙", "丁"]
    with app.test_request_context():
        plans = schedule.schedules([world[n].id for n in names], today=local_today())
        for name in names:
            plan = plans[world[name].id]
            row = listing[listing.index(f"<strong>{name}</strong>") :]
            row = row[: row.index("</li>")]
            assert (f"逾期未回访 {plan.days_overdue}天" in row) is plan.is_overdue, name
            assert f"下次回访：{format_short_date(plan.next_due.due_on)}" in row, name
    assert "逾期未回访" in listing  # 丙 is


def test_caseload_filters_by_cohort_and_village(app, world, login):
    client = login(world["mentor"])
    with app.app_context():
        from lms.models import Cohort

        cohort_b = db.session.scalar(select(Cohort).where(Cohort.name == "二期"))
    page = client.get(f"/mentor/?cohort={cohort_b.id}").get_data(as_text=True)
    assert "<strong>丁</strong>" in page and "<strong>甲</strong>" not in page
    page = client.get("/mentor/?village=大坪村").get_data(as_text=True)
    assert names_in_order(page, ["甲", "乙"]) == ["乙", "甲"] and "<strong>丙</strong>" not in page


def test_a_mentor_cannot_open_or_post_anything_for_an_unassigned_trainee(app, world, login):
    client = login(world["mentor"])
    with app.app_context():
        stranger = world["戊"]  # assigned to another mentor; this mentor's assignment ended
        record = make_record(stranger)
        visit = FollowUpVisit(
            trainee_id=stranger.id,
            mentor_id=world["other_mentor"].id,
            visited_on=TODAY,
            mode="phone",
            observations={},
        )
        db.session.add(visit)
        db.session.commit()
        before = db.session.scalar(select(func.count(AuditEvent.id)))
    urls = [
        ("get", f"/mentor/trainees/{stranger.id}"),
        ("get", f"/mentor/trainees/{stranger.id}/visits/new"),
        ("post", f"/mentor/trainees/{stranger.id}/visits/new"),
        ("get", f"/mentor/visits/{visit.id}/edit"),
        ("post", f"/mentor/visits/{visit.id}/edit"),
        ("post", f"/mentor/records/{record.id}/verify"),
        ("get", f"/mentor/records/{record.id}/reject"),
        ("post", f"/mentor/records/{record.id}/reject"),
        ("get", f"/mentor/records/{record.id}/photo"),
        ("get", f"/mentor/trainees/{stranger.id}/signoff"),
        ("post", f"/mentor/trainees/{stranger.id}/signoff"),
        ("get", f"/mentor/trainees/{stranger.id}/correction"),
        ("post", f"/mentor/trainees/{stranger.id}/correction"),
        ("get", f"/mentor/trainees/{stranger.id}/outcomes/new"),
        ("post", f"/mentor/trainees/{stranger.id}/outcomes/new"),
    ]
    for method, url in urls:
        response = getattr(client, method)(
            url,
            data={
                **visit_form(),
                "reason": "x",
                "to_rung": "1",
                "kind": "employed",
                "happened_on": TODAY.isoformat(),
            },
        )
        assert response.status_code == 404, (method, url)
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).status is RecordStatus.SELF_REPORTED
        assert db.session.scalar(select(func.count(AuditEvent.id))) == before
        assert db.session.scalar(select(func.count(Outcome.id))) == 0
        assert db.session.scalar(select(func.count(RungPromotion.id))) == 0


def test_log_and_edit_a_visit(app, world, login):
    client = login(world["mentor"])
    trainee = world["丙"]
    response = client.post(
        f"/mentor/trainees/{trainee.id}/visits/new",
        data=visit_form(level_tool_use="", actions="先练上架"),
    )
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True)) == ["请为这一项选一个情况。"]
    assert "先练上架" in response.get_data(as_text=True)
    response = client.post(f"/mentor/trainees/{trainee.id}/visits/new", data=visit_form())
    assert response.status_code == 302
    with app.app_context():
        visit = db.session.scalar(
            select(FollowUpVisit).where(FollowUpVisit.trainee_id == trainee.id)
        )
        assert visit.observations["tool_use"] == {"level": "independent", "note": "自己会上架了"}
    page = client.get(f"/mentor/trainees/{trainee.id}").get_data(as_text=True)
    assert "回访（电话）· 陈导师" in page and "能独立做 — 自己会上架了" in page
    assert "逾期未回访" not in page  # the late visit satisfied the overdue follow-ups
    edit = visit_form(actions="改：冷链", version="1")
    response = client.post(f"/mentor/visits/{visit.id}/edit", data=edit)
    assert response.status_code == 302
    # The same edit sent from a second tab still showing version 1: nothing written, what was
    # typed kept, what is stored now shown, and the form moved on to the stored version.
    stale = client.post(f"/mentor/visits/{visit.id}/edit", data={**edit, "actions": "第二个标签页"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "刚在别处改过" in page and "第二个标签页" in page and "约定：改：冷链" in page
    assert 'name="version" type="hidden" value="2"' in page
    with app.app_context():
        assert db.session.get(FollowUpVisit, visit.id).actions == "改：冷链"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.updated"))
        assert event.details["changes"]["actions"] == ["试试县里的冷链", "改：冷链"]
        # Eight days later the window has closed.
        db.session.get(FollowUpVisit, visit.id).created_at = utcnow() - timedelta(days=8)
        db.session.commit()
    response = client.post(
        f"/mentor/visits/{visit.id}/edit", data=visit_form(actions="再改", version="2")
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(FollowUpVisit, visit.id).actions == "改：冷链"


def test_verify_from_the_caseload_and_reject_with_reason(app, world, login):
    client = login(world["mentor"])
    with app.app_context():
        record = db.session.scalar(
            select(PracticeRecord).where(PracticeRecord.trainee_id == world["乙"].id)
        )
        second = make_record(world["乙"])
        db.session.commit()
    page = client.get("/mentor/").get_data(as_text=True)
    assert f'action="/mentor/records/{record.id}/verify"' in page
    assert f'name="version" value="{record.version}"' in page
    response = client.post(
        f"/mentor/records/{record.id}/verify", data={"back": "caseload", "version": "1"}
    )
    assert response.headers["Location"] == "/mentor/"
    response = client.post(
        f"/mentor/records/{second.id}/reject", data={"reason": "", "version": "1"}
    )
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True)) == ["请写明为什么不通过，学员会看到。"]
    client.post(
        f"/mentor/records/{second.id}/reject", data={"reason": "金额和照片对不上", "version": "1"}
    )
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).status is RecordStatus.VERIFIED
        assert db.session.get(PracticeRecord, second.id).reject_reason == "金额和照片对不上"
    # The trainee now cannot change the verified record.
    trainee_client = app.test_client()
    login(world["乙"], target=trainee_client)
    trainee_client.post(f"/learn/practice/{record.id}/delete", data={"version": "2"})
    with app.app_context():
        assert db.session.get(PracticeRecord, record.id).status is RecordStatus.VERIFIED


def test_sign_off_through_the_pages(app, world, login, mini_curriculum):
    client = login(world["mentor"])
    trainee = world["乙"]
    page = client.get(f"/mentor/trainees/{trainee.id}/signoff").get_data(as_text=True)
    assert "学完《朋友圈卖货》并通过小测验" in page
    assert 'name="step" type="hidden" value="1"' in page
    response = client.post(
        f"/mentor/trainees/{trainee.id}/signoff", data={"visit_id": "1", "step": "1"}
    )
    assert response.status_code == 422 and "还不能确认晋级" in response.get_data(as_text=True)
    with app.app_context():
        from lms.models import Course

        for course in db.session.scalars(select(Course)):
            db.session.add(CourseCompletion(trainee_id=trainee.id, course_id=course.id))
        for _ in range(2):
            make_record(trainee, happened_on=TODAY, status="verified")
        visit_id = db.session.scalar(
            select(FollowUpVisit.id).where(FollowUpVisit.trainee_id == trainee.id)
        )
        db.session.commit()
    assert "确认晋级到第4级" in client.get(f"/mentor/trainees/{trainee.id}").get_data(as_text=True)
    signed = {"visit_id": visit_id, "step": "1"}
    response = client.post(f"/mentor/trainees/{trainee.id}/signoff", data=signed)
    assert response.status_code == 302
    # Submitted again (a double tap, or back + submit): the same promotion, not a second one.
    again = client.post(f"/mentor/trainees/{trainee.id}/signoff", data=signed)
    assert again.status_code == 302
    assert "已经确认过了" in client.get(again.headers["Location"]).get_data(as_text=True)
    page = client.get(f"/mentor/trainees/{trainee.id}").get_data(as_text=True)
    assert "晋级：第3级 → 第4级" in page and "导师确认：陈导师" in page
    with app.app_context():
        promotion = db.session.scalars(select(RungPromotion)).one()
        assert promotion.visit_id == visit_id and len(promotion.evidence["records"]) == 2


def test_outcome_and_correction_pages(app, world, login):
    client = login(world["mentor"])
    trainee = world["甲"]
    response = client.post(
        f"/mentor/trainees/{trainee.id}/outcomes/new",
        data={"kind": "", "happened_on": TODAY.isoformat()},
    )
    assert form_errors(response.get_data(as_text=True)) == ["请选择是哪种成效。"]
    client.post(
        f"/mentor/trainees/{trainee.id}/outcomes/new",
        data={"kind": "shop_opened", "happened_on": TODAY.isoformat(), "note": "抖店"},
    )
    response = client.post(
        f"/mentor/trainees/{trainee.id}/correction",
        data={"to_rung": "5", "reason": "x", "step": "1"},
    )
    assert response.status_code == 422
    client.post(
        f"/mentor/trainees/{trainee.id}/correction",
        data={"to_rung": "2", "reason": "入学时定高了", "step": "1"},
    )
    page = client.get(f"/mentor/trainees/{trainee.id}").get_data(as_text=True)
    assert "成效：开了网店" in page and "级别更正：第3级 → 第2级" in page


def test_caseload_of_200_trainees_runs_a_fixed_number_of_queries(
    app, login, count_queries, mini_curriculum
):
    with app.app_context():
        mentor = make_user(Role.MENTOR)
        programme = make_programme()
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=60))
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=60))

        def add_trainees(n):
            for i in range(n):
                trainee = make_user(name=f"学员{i}")
                enroll(trainee, cohort)
                make_record(
                    trainee,
                    happened_on=TODAY - timedelta(days=i % 20),
                    status="verified" if i % 2 else "self_reported",
                )
                db.session.add(
                    FollowUpVisit(
                        trainee_id=trainee.id,
                        mentor_id=mentor.id,
                        visited_on=TODAY - timedelta(days=i % 30),
                        mode="phone",
                        observations={},
                    )
                )
                db.session.add(
                    LessonProgress(
                        trainee_id=trainee.id,
                        lesson_id=1,
                        revision=1,
                        learned_at=datetime(2026, 1, 1),
                    )
                )
            db.session.commit()

        add_trainees(10)
    client = login(mentor)
    _, few = count_queries(lambda: client.get("/mentor/"))
    with app.app_context():
        add_trainees(190)
    response, many = count_queries(lambda: client.get("/mentor/"))
    assert response.status_code == 200 and "共 200 人" in response.get_data(as_text=True)
    # The mentor; the trainees with their facts and rungs; the ladder's rungs and courses, its
    # practice requirements, the courses each has done (and their verified records, when a next
    # rung asks for some: not here); the records waiting. The same 6 statements for 10 trainees
    # or 200 (21 when the page recomputed every schedule).
    assert many == few == 6, (few, many)


def test_the_visit_form_in_english(world, login):
    client = login(world["mentor"])
    client.post("/locale", data={"locale": "en"})
    page = client.get(f"/mentor/trainees/{world['甲'].id}/visits/new").get_data(as_text=True)
    assert "Using ICT tools" in page and "With help" in page and "ICT工具运用能力" not in page
