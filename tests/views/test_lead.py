"""The programme lead's pages: set-up, roster import, dashboards, exports, scope."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import (
    Cohort,
    Enrollment,
    FollowUpVisit,
    MentorAssignment,
    Programme,
    Role,
    User,
)
from tests.conftest import form_errors
from tests.factories import assign, enroll, make_cohort, make_programme, make_record, make_user

TODAY = local_today()


@pytest.fixture
def setup(app, mini_curriculum):
    with app.app_context():
        lead, other_lead = make_user(Role.LEAD, name="林"), make_user(Role.LEAD, name="另一位")
        mentor = make_user(Role.MENTOR, name="陈导师")
        mine = make_programme(lead, name="我的项目")
        mine.villages = ["大坪村", "石门村"]
        theirs = make_programme(other_lead, name="别人的项目")
        c1 = make_cohort(mine, name="第一期", starts_on=TODAY - timedelta(days=60))
        c2 = make_cohort(mine, name="第二期", starts_on=TODAY - timedelta(days=30))
        t_cohort = make_cohort(theirs, name="他们的班", starts_on=TODAY - timedelta(days=60))
        trainee = make_user(name="王秀兰")
        enroll(trainee, c1)
        stranger = make_user(name="外人")
        enroll(stranger, t_cohort)
        assignment = assign(mentor, cohort=t_cohort, starts_on=TODAY - timedelta(days=60))
        db.session.commit()
        return {
            "lead": lead,
            "other_lead": other_lead,
            "mentor": mentor,
            "mine": mine,
            "theirs": theirs,
            "c1": c1,
            "c2": c2,
            "t_cohort": t_cohort,
            "trainee": trainee,
            "stranger": stranger,
            "assignment": assignment,
        }


def test_a_lead_cannot_see_another_leads_programme_on_any_route(app, setup, login):
    client = login(setup["lead"])
    theirs, cohort = setup["theirs"].id, setup["t_cohort"].id
    stranger = setup["stranger"].id
    urls = [
        ("get", f"/lead/programmes/{theirs}"),
        ("get", f"/lead/programmes/{theirs}/settings"),
        ("post", f"/lead/programmes/{theirs}/settings"),
        ("get", f"/lead/programmes/{theirs}/dashboard"),
        ("get", f"/lead/programmes/{theirs}/dashboard/rungs.csv"),
        ("get", f"/lead/programmes/{theirs}/dashboard/equity.xlsx"),
        ("get", f"/lead/programmes/{theirs}/trainees"),
        ("get", f"/lead/programmes/{theirs}/trainees/{stranger}/report"),
        ("get", f"/lead/programmes/{theirs}/trainees/{stranger}/move"),
        ("post", f"/lead/programmes/{theirs}/trainees/{stranger}/move"),
        ("get", f"/lead/programmes/{theirs}/trainees/{stranger}/mentor"),
        ("post", f"/lead/programmes/{theirs}/trainees/{stranger}/mentor"),
        ("get", f"/lead/programmes/{theirs}/cohorts/new"),
        ("post", f"/lead/programmes/{theirs}/cohorts/new"),
        ("get", f"/lead/programmes/{theirs}/roster"),
        ("post", f"/lead/programmes/{theirs}/roster"),
        ("post", f"/lead/programmes/{theirs}/roster/import"),
        ("post", f"/lead/programmes/{theirs}/roster/cancel"),
        ("get", f"/lead/cohorts/{cohort}/edit"),
        ("post", f"/lead/cohorts/{cohort}/edit"),
        ("post", f"/lead/cohorts/{cohort}/close"),
        ("get", f"/lead/cohorts/{cohort}/mentor"),
        ("post", f"/lead/cohorts/{cohort}/mentor"),
        ("post", f"/lead/assignments/{setup['assignment'].id}/end"),
        # A trainee of another programme through my own programme's URL.
        ("get", f"/lead/programmes/{setup['mine'].id}/trainees/{stranger}/report"),
        ("post", f"/lead/programmes/{setup['mine'].id}/trainees/{stranger}/move"),
    ]
    for method, url in urls:
        response = getattr(client, method)(
            url, data={"name": "x", "cohort_id": setup["c1"].id, "mentor_id": setup["mentor"].id}
        )
        assert response.status_code == 404, (method, url, response.status_code)
    home = client.get("/lead/").get_data(as_text=True)
    assert "我的项目" in home and "别人的项目" not in home
    with app.app_context():
        assert db.session.get(Cohort, cohort).closed_on is None
        assert db.session.get(MentorAssignment, setup["assignment"].id).ends_on is None
        assert (
            db.session.scalar(
                select(func.count(Enrollment.id)).where(Enrollment.trainee_id == stranger)
            )
            == 1
        )


def test_an_admin_sees_every_programme(app, setup, login):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
    client = login(admin)
    assert client.get(f"/lead/programmes/{setup['theirs'].id}/dashboard").status_code == 200


def test_set_up_a_programme_cohort_mentor_and_move_a_trainee(app, setup, login):
    client = login(setup["lead"])
    response = client.post(
        "/lead/programmes/new", data={"name": "", "followup_after_course_days": "0"}
    )
    errors = form_errors(response.get_data(as_text=True))
    assert "请填写项目名称。" in errors and "请填1到60之间的天数。" in errors
    data = {
        "name": "新项目",
        "organisation": "县电商中心",
        "villages": "东村\n西村，东村",
        "followup_after_course_days": 5,
        "followup_after_first_sale_days": 14,
        "followup_early_every_days": 14,
        "followup_early_period_days": 90,
        "followup_later_every_days": 30,
        "followup_window_before_days": 3,
        "followup_window_after_days": 7,
    }
    response = client.post("/lead/programmes/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        programme = db.session.scalar(select(Programme).where(Programme.name == "新项目"))
        assert programme.lead_id == setup["lead"].id and programme.villages == ["东村", "西村"]
        assert programme.followup_after_course_days == 5
    response = client.post(
        f"/lead/programmes/{programme.id}/cohorts/new",
        data={"name": "一期", "starts_on": "2026-12-01", "ends_on": "2026-11-01"},
    )
    assert form_errors(response.get_data(as_text=True)) == ["结束日期不能早于开班日期。"]
    client.post(
        f"/lead/programmes/{programme.id}/cohorts/new",
        data={"name": "一期", "village": "北村", "starts_on": "2026-12-01"},
    )
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.programme_id == programme.id))
        assert db.session.get(Programme, programme.id).villages == ["东村", "西村", "北村"]
    client.post(f"/lead/cohorts/{cohort.id}/mentor", data={"mentor_id": setup["mentor"].id})
    client.post(f"/lead/cohorts/{cohort.id}/close")
    with app.app_context():
        assert (
            db.session.scalar(
                select(MentorAssignment).where(MentorAssignment.cohort_id == cohort.id)
            ).mentor_id
            == setup["mentor"].id
        )
        assert db.session.get(Cohort, cohort.id).is_closed

    trainee = setup["trainee"]
    mine = setup["mine"].id
    response = client.post(
        f"/lead/programmes/{mine}/trainees/{trainee.id}/move", data={"cohort_id": setup["c2"].id}
    )
    assert response.status_code == 302
    with app.app_context():
        enrolments = db.session.scalars(
            select(Enrollment).where(Enrollment.trainee_id == trainee.id).order_by(Enrollment.id)
        ).all()
        assert [(e.cohort_id, e.left_on) for e in enrolments] == [
            (setup["c1"].id, TODAY),
            (setup["c2"].id, None),
        ]
    client.post(
        f"/lead/programmes/{mine}/trainees/{trainee.id}/mentor",
        data={"mentor_id": setup["mentor"].id},
    )
    report = client.get(f"/lead/programmes/{mine}/trainees/{trainee.id}/report")
    assert "学员进展报告：王秀兰" in report.get_data(as_text=True)


def roster_csv(*rows: str) -> bytes:
    header = "姓名,手机号,性别,出生年份,村,农户类别,基线级别,基线月网店收入,主要产品,培训班"
    return ("\n".join([header, *rows]) + "\n").encode("gb18030")


def test_roster_preview_confirm_and_printable_passwords(app, setup, login):
    client = login(setup["lead"])
    mine = setup["mine"].id
    bad = roster_csv("李建国,139123400,男,1969,石门村,普通农户,2,0,土鸡蛋,第一期")
    response = client.post(
        f"/lead/programmes/{mine}/roster",
        data={"file": (io.BytesIO(bad), "名单.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "第2行：手机号不对：手机号应为11位数字，你填了9位。" in page
    assert "roster/import" not in page  # no import button while a row has a problem

    good = roster_csv(
        "李建国,13912340002,男,1969,石门村,普通农户,2,0,土鸡蛋,第一期",
        "周玉珍,13912340003,女,1980,大坪村,监测户,1,0,蜂蜜,第二期",
    )
    page = client.post(
        f"/lead/programmes/{mine}/roster",
        data={"file": (io.BytesIO(good), "名单.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token, digest = hidden(page, "token"), hidden(page, "digest")
    assert "新学员 2" in page
    response = client.post(f"/lead/programmes/{mine}/roster/import", data={"token": token})
    assert response.status_code == 422 and "导入前请确认学员已同意。" in response.get_data(
        as_text=True
    )
    confirm = {"token": token, "digest": digest, "consent": "y"}
    response = client.post(f"/lead/programmes/{mine}/roster/import", data=confirm)
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"  # one-time passwords
    passwords = re.findall(r"<td><strong>(\d{8})</strong></td>", page)
    assert len(passwords) == 2 and "13912340002" in page
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"phone": "13912340002", "password": passwords[0]}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.role == Role.TRAINEE)) == 4
    # The stored upload is gone once imported: confirming again (a second tap) says so.
    again = client.post(f"/lead/programmes/{mine}/roster/import", data=confirm)
    assert again.status_code == 302
    assert "已经导入或取消了" in client.get(again.headers["Location"]).get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)[1]


def upload(client, programme_id: int, data: bytes) -> str:
    return client.post(
        f"/lead/programmes/{programme_id}/roster",
        data={"file": (io.BytesIO(data), "名单.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def test_a_lead_cannot_take_over_another_programmes_trainee_by_roster(app, setup, login):
    """The stranger belongs to the other lead's programme: their phone in my file is refused
    with a message that says nothing of them, and nothing about them changes."""
    with app.app_context():
        stranger = db.session.get(User, setup["stranger"].id)
        phone, income = stranger.phone, stranger.profile.baseline_monthly_income_fen
        admin = make_user(Role.ADMIN, name="管理员")
        db.session.commit()
    client = login(setup["lead"])
    mine = setup["mine"].id
    page = upload(
        client,
        mine,
        roster_csv(
            f"新名字,{phone},男,1990,石门村,示范户,5,9000,茶,第一期",
            f"某人,{admin.phone},女,1980,大坪村,普通农户,1,0,茶,第一期",
        ),
    )
    main = page.split("<main")[1]
    assert main.count("这个手机号已被使用，请核对。") == 2
    assert "外人" not in main and "管理员" not in main and "项目负责人" not in main
    assert f"/lead/programmes/{mine}/roster/import" not in main
    assert "新学员 0，更新 0，不变 0，有问题 2" in main
    with app.app_context():
        stored = db.session.get(User, stranger.id)
        assert stored.name == "外人" and stored.profile.baseline_monthly_income_fen == income
        cohorts = db.session.scalars(
            select(Enrollment.cohort_id).where(Enrollment.trainee_id == stranger.id)
        ).all()
        assert cohorts == [setup["t_cohort"].id]


def test_roster_updates_show_each_change_and_a_rename_is_confirmed_per_row(app, setup, login):
    with app.app_context():
        trainee = db.session.get(User, setup["trainee"].id)
        phone = trainee.phone
    client = login(setup["lead"])
    mine = setup["mine"].id
    page = upload(client, mine, roster_csv(f"王秀英,{phone},女,1978,石门村,脱贫户,1,0,茶,第一期"))
    assert "姓名：王秀兰 → <strong>王秀英</strong>" in page
    assert "村：大坪村 → <strong>石门村</strong>" in page
    assert "农户类别：普通农户 → <strong>脱贫户</strong>" in page
    confirm = {
        "token": hidden(page, "token"),
        "digest": hidden(page, "digest"),
        "consent": "y",
    }
    refused = client.post(f"/lead/programmes/{mine}/roster/import", data=confirm)
    assert refused.status_code == 422
    assert "请确认这一行" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, trainee.id).name == "王秀兰"
    done = client.post(f"/lead/programmes/{mine}/roster/import", data={**confirm, "confirm": "2"})
    assert done.status_code == 200 and "更新 1" in done.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(User, trainee.id)
        assert (stored.name, stored.profile.village) == ("王秀英", "石门村")


def test_a_roster_upload_can_be_cancelled_and_is_deleted(app, setup, login):
    from lms.services import files

    client = login(setup["lead"])
    mine = setup["mine"].id
    page = upload(
        client, mine, roster_csv("李建国,13912340002,男,1969,石门村,普通农户,2,0,蛋,第一期")
    )
    token = hidden(page, "token")
    with app.app_context():
        stored = files.folder("rosters") / f"{mine}-{token}"
    assert stored.exists()
    response = client.post(f"/lead/programmes/{mine}/roster/cancel", data={"token": token})
    assert response.status_code == 302 and not stored.exists()


def test_dashboard_exports_and_the_list_behind_a_number(app, setup, login):
    with app.app_context():
        trainee = db.session.get(User, setup["trainee"].id)
        make_record(
            trainee, happened_on=TODAY - timedelta(days=5), status="verified", amount_fen=12850
        )
        db.session.commit()
    client = login(setup["lead"])
    mine = setup["mine"].id
    page = client.get(f"/lead/programmes/{mine}/dashboard").get_data(as_text=True)
    assert "<svg" in page  # charts are drawn by the server: no script draws them
    assert all(
        re.search(r'\s(src="/static/js/|type="application/json")', tag)
        for tag in re.findall(r"<script[^>]*>", page)
    )
    assert "¥128.50" in page
    link = re.search(r'href="(/lead/programmes/\d+/trainees\?[^"]*indicator=sold[^"]*)"', page)[1]
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "王秀兰" in listed and "共 1 人" in listed
    assert "1391" not in listed or "****" in listed  # phone numbers are masked in lists

    csv = client.get(f"/lead/programmes/{mine}/dashboard/sales.csv")
    assert csv.headers["Cache-Control"] == "no-store"
    assert csv.mimetype == "text/csv" and csv.data.startswith("\ufeff".encode())
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "月份,笔数,金额（元）,在售学员,人均中位数（元）"
    assert lines[1] == f"{TODAY - timedelta(days=5):%Y-%m},1,128.5,1,128.5"
    xlsx = client.get(f"/lead/programmes/{mine}/dashboard/sales.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "每月核实的销售" and sheet["C5"].value == 128.5
    assert client.get(f"/lead/programmes/{mine}/dashboard/nope.csv").status_code == 404
    bad = client.get(f"/lead/programmes/{mine}/dashboard?start=2026-05-01&end=2026-01-01")
    assert "时间段不对" in bad.get_data(as_text=True)


def test_dashboard_runs_a_bounded_number_of_queries(app, setup, login, count_queries):
    client = login(setup["lead"])
    url = f"/lead/programmes/{setup['mine'].id}/dashboard"

    def add(n):
        with app.app_context():
            cohort = db.session.get(Cohort, setup["c1"].id)
            for i in range(n):
                trainee = make_user(name=f"学员{i}")
                enroll(trainee, cohort)
                make_record(trainee, happened_on=TODAY - timedelta(days=i % 90), status="verified")
                db.session.add(
                    FollowUpVisit(
                        trainee_id=trainee.id,
                        mentor_id=setup["mentor"].id,
                        visited_on=TODAY - timedelta(days=i % 40),
                        mode="phone",
                        observations={},
                    )
                )
            db.session.commit()

    base = f"/lead/programmes/{setup['mine'].id}"
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    pages = {  # page → the queries it runs (session, programme, context, its own), any rows
        # + the period's kept figures brought up to date (lms.reporting.figures: its row, the
        # count out of date, three tables replaced, their statistics on PostgreSQL, the
        # commit), then read by every table
        url: 23 if postgres else 22,
        # the figures are current (counted only), the page picked, then its rows read
        f"{base}/trainees?indicator=sold": 11,
        f"{base}/trainees?indicator=visited&category=ordinary": 11,
        f"{base}/dashboard/equity.xlsx": 9,
        f"{base}/needs": 9,
    }
    client.get(url)  # the period is kept from the first dashboard on
    add(5)
    few = {page: count_queries(lambda page=page: client.get(page))[1] for page in pages}
    add(60)
    for page, expected in pages.items():
        response, many = count_queries(lambda page=page: client.get(page))
        assert response.status_code == 200, page
        assert many == few[page] == expected, (page, few[page], many)


def test_the_trainee_list_is_paged(app, setup, login, monkeypatch):
    from lms.lead import dashboard as lead_dashboard

    with app.app_context():
        cohort = db.session.get(Cohort, setup["c1"].id)
        for name in ("乙", "丙"):
            enroll(make_user(name=name), cohort)
        db.session.commit()
    monkeypatch.setattr(lead_dashboard, "PER_PAGE", 2)
    client = login(setup["lead"])
    url = f"/lead/programmes/{setup['mine'].id}/trainees"
    first = client.get(url).get_data(as_text=True)
    assert "共 3 人" in first and "1 / 2" in first and first.count('class="small"') == 2
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert "2 / 2" in second and second.count('class="small"') == 1


def test_a_direct_assignment_is_ended_by_its_own_programmes_lead_and_ends_access_at_once(
    app, setup, login
):
    with app.app_context():
        trainee = db.session.get(User, setup["trainee"].id)
        mine = db.session.get(Programme, setup["mine"].id)
        assignment = assign(
            setup["mentor"], trainee=trainee, programme=mine, starts_on=TODAY - timedelta(days=9)
        )
        db.session.commit()
    mentor = login(setup["mentor"], target=app.test_client())
    assert mentor.get(f"/mentor/trainees/{trainee.id}").status_code == 200
    other = login(setup["other_lead"], target=app.test_client())
    assert other.post(f"/lead/assignments/{assignment.id}/end").status_code == 404
    lead = login(setup["lead"])
    report = lead.get(f"/lead/programmes/{mine.id}/trainees/{trainee.id}/report")
    assert f"/lead/assignments/{assignment.id}/end" in report.get_data(as_text=True)
    assert lead.post(f"/lead/assignments/{assignment.id}/end").status_code == 302
    # Ended today: no access today (phone number included), not at midnight.
    assert mentor.get(f"/mentor/trainees/{trainee.id}").status_code == 404
    assert trainee.phone not in mentor.get("/mentor/").get_data(as_text=True)


def test_ending_an_assignment_never_redirects_off_site(app, setup, login):
    with app.app_context():
        assignment = assign(setup["mentor"], cohort=db.session.get(Cohort, setup["c1"].id))
        db.session.commit()
    client = login(setup["lead"])
    response = client.post(
        f"/lead/assignments/{assignment.id}/end", data={"back": "https://evil.example/"}
    )
    assert response.headers["Location"] == f"/lead/programmes/{setup['mine'].id}"
    with app.app_context():
        assert db.session.get(MentorAssignment, assignment.id).ends_on == TODAY


def test_times_are_stored_in_utc_and_shown_in_china_time(app, setup, login):
    from datetime import datetime

    from lms.models import RungPromotion

    with app.app_context():
        db.session.add(
            RungPromotion(
                trainee_id=setup["trainee"].id,
                step=1,
                kind="promotion",
                from_rung=1,
                to_rung=3,
                signed_by_id=setup["mentor"].id,
                signed_at=datetime(2026, 1, 1, 17, 30),
                evidence={},
            )
        )
        db.session.commit()
    client = login(setup["lead"])
    page = client.get(
        f"/lead/programmes/{setup['mine'].id}/trainees/{setup['trainee'].id}/report"
    ).get_data(as_text=True)
    assert "2026/1/2 01:30" in page  # 17:30 UTC on 1 January is 01:30 on 2 January in China


def test_the_mentor_table_shows_the_most_overdue_first_and_exports_them_all(
    app, setup, login, monkeypatch
):
    from lms.reporting import tables as dashboard_tables

    monkeypatch.setattr(dashboard_tables, "MENTORS_SHOWN", 1)
    with app.app_context():
        programme = db.session.get(Programme, setup["mine"].id)
        c1, c2 = (db.session.get(Cohort, setup[k].id) for k in ("c1", "c2"))
        calm, busy = make_user(Role.MENTOR, name="甲导师"), make_user(Role.MENTOR, name="乙导师")
        enroll(make_user(name="新学员"), c2)  # enrolled today: not due yet
        assign(calm, cohort=c2, starts_on=TODAY - timedelta(days=30))
        assign(busy, cohort=c1, starts_on=TODAY - timedelta(days=60))
        assert programme.id == c1.programme_id
        db.session.commit()
    client = login(setup["lead"])
    base = f"/lead/programmes/{setup['mine'].id}/dashboard"
    html = client.get(base).get_data(as_text=True)
    section = html[html.index('id="mentors"') :]
    section = section[: section.index("</section>")]
    # 王秀兰 of the first cohort, enrolled 60 days ago and never visited, is overdue: 乙导师
    # comes first although 甲 sorts before 乙, and 甲导师 is left for the export.
    assert "乙导师" in section and "甲导师" not in section
    assert "另有 1 行没有显示，在导出的表里。" in section
    csv = client.get(f"{base}/mentors.csv").get_data(as_text=True)
    assert csv.index("乙导师") < csv.index("甲导师")
