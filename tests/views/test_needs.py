"""The lead's 需要跟进 list: who is overdue, stalled or waiting, why in words, their mentor and
that mentor's load, most urgent first; filters, export, scope, and the dashboard's counts."""

import io
from datetime import UTC, datetime, time, timedelta

import openpyxl
import pytest
from sqlalchemy import event, select

from lms.clock import LOCAL_TZ, local_today
from lms.db import db
from lms.models import FollowUpVisit, PracticeRecord, Role, TraineeFacts, VisitMode
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


def days_ago(n: int):
    return TODAY - timedelta(days=n)


def utc_days_ago(n: int) -> datetime:
    """Noon in China n days ago, as the naive UTC the database stores."""
    return datetime.combine(days_ago(n), time(12), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def listed(response) -> str:
    """The list itself, without the filters and headings."""
    return response.get_data(as_text=True).split('<ul class="trainee-list')[1].split("</ul>")[0]


@pytest.fixture
def scene(app):
    with app.app_context():
        lead, other_lead = make_user(Role.LEAD, name="林"), make_user(Role.LEAD, name="别人")
        chen, li = make_user(Role.MENTOR, name="陈导师"), make_user(Role.MENTOR, name="李导师")
        mine, theirs = make_programme(lead, name="我的项目"), make_programme(other_lead)
        mine.villages = ["大坪村", "石门村"]
        first = make_cohort(mine, name="第一期", starts_on=days_ago(60))
        second = make_cohort(mine, name="第二期", starts_on=days_ago(5))
        elsewhere = make_cohort(theirs, name="他们的班", starts_on=days_ago(60))
        assign(chen, cohort=first, starts_on=days_ago(60))
        assign(li, cohort=second, starts_on=days_ago(5))

        quiet = make_user(name="王秀兰")  # enrolled 60 days ago, nothing since: overdue, stalled
        enroll(quiet, first)
        busy = make_user(name="刘春梅")  # enrolled 5 days ago, three records waiting 9 days…
        enroll(busy, second)
        for _ in range(3):
            make_record(busy, happened_on=days_ago(9), created_at=utc_days_ago(9))
        fine = make_user(name="张建国")  # visited 2 days ago and active: not on the list
        enroll(fine, first)
        make_record(fine, happened_on=days_ago(1), status="verified")
        db.session.add(
            FollowUpVisit(
                trainee_id=fine.id, mentor_id=chen.id, visited_on=days_ago(2), mode=VisitMode.PHONE
            )
        )
        stranger = make_user(name="外人")  # another programme's: never on this list
        enroll(stranger, elsewhere)
        db.session.commit()
        return {
            "lead": lead,
            "other_lead": other_lead,
            "chen": chen,
            "li": li,
            "mine": mine,
            "first": first,
            "second": second,
            "quiet": quiet,
            "busy": busy,
            "fine": fine,
        }


def test_the_list_says_why_in_words_most_urgent_first_with_mentor_and_load(client, login, scene):
    login(scene["lead"])
    html = client.get(f"/lead/programmes/{scene['mine'].id}/needs").get_data(as_text=True)
    assert "共 2 人" in html
    assert html.index("王秀兰") < html.index("刘春梅")  # overdue before waiting
    # Enrolled 60 days ago: regular visit due on day 14, its window closed on day 21.
    assert "逾期 39 天未回访（定期回访）；入学 60 天还没有开始学习或实践" in html
    assert "入学 60 天还没有开始学习或实践" in html
    assert "3 条记录等待核实 9 天" in html
    assert "陈导师（跟踪2人）" in html and "李导师（跟踪1人）" in html
    assert "上次回访：还没有" in html
    assert "张建国" not in html and "外人" not in html


def test_filters_by_reason_mentor_cohort_and_village_and_refuses_strangers(
    app, client, login, scene
):
    login(scene["lead"])
    url = f"/lead/programmes/{scene['mine'].id}/needs"

    def names(**args):
        html = listed(client.get(url, query_string=args))
        return [n for n in ("王秀兰", "刘春梅") if n in html]

    assert names(why="stalled") == ["王秀兰"]
    assert names(why="waiting") == ["刘春梅"]
    assert names(mentor=scene["li"].id) == ["刘春梅"]
    assert names(cohort=scene["first"].id) == ["王秀兰"]
    assert names(village="石门村") == []
    with app.app_context():
        outsider = make_user(Role.MENTOR, name="外面的导师")
        db.session.commit()
    for args in ({"why": "nonsense"}, {"mentor": outsider.id}, {"mentor": "x"}, {"cohort": 10**9}):
        assert client.get(url, query_string=args).status_code == 404
    login(scene["other_lead"])
    assert client.get(url).status_code == 404
    assert client.get(url + ".csv").status_code == 404


def test_export_holds_the_same_rows_and_reasons(client, login, scene):
    login(scene["lead"])
    response = client.get(f"/lead/programmes/{scene['mine'].id}/needs.xlsx")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == ["王秀兰", "刘春梅"]
    assert "逾期 39 天未回访" in rows[0][4] and rows[0][6] == "陈导师（2）"
    csv = client.get(f"/lead/programmes/{scene['mine'].id}/needs.csv?why=waiting")
    assert "刘春梅" in csv.get_data(as_text=True) and "王秀兰" not in csv.get_data(as_text=True)


def test_a_visit_or_a_verification_takes_a_trainee_off_at_once(app, client, login, scene):
    login(scene["chen"])
    response = client.post(f"/mentor/trainees/{scene['quiet'].id}/visits/new", data=visit_form())
    assert response.status_code == 302
    login(scene["li"])
    with app.app_context():
        waiting = db.session.scalars(
            select(PracticeRecord).where(PracticeRecord.trainee_id == scene["busy"].id)
        ).all()
    for record in waiting:
        response = client.post(
            f"/mentor/records/{record.id}/verify", data={"version": record.version}
        )
        assert response.status_code == 302
    login(scene["lead"])
    html = listed(client.get(f"/lead/programmes/{scene['mine'].id}/needs"))
    assert "逾期" not in html and "等待核实" not in html and "刘春梅" not in html
    assert "入学 60 天还没有开始学习或实践" in html  # still stalled: a visit is not learning
    assert f"上次回访：{TODAY.month}月{TODAY.day}日" in html


def test_moving_cohorts_does_not_restart_the_clock(app, client, login, scene):
    login(scene["lead"])
    response = client.post(
        f"/lead/programmes/{scene['mine'].id}/trainees/{scene['quiet'].id}/move",
        data={"cohort_id": scene["second"].id},
    )
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.scalar(
            select(TraineeFacts).where(TraineeFacts.trainee_id == scene["quiet"].id)
        )
        assert (moved.cohort_id, moved.enrolled_on) == (scene["second"].id, days_ago(60))
    html = client.get(f"/lead/programmes/{scene['mine'].id}/needs").get_data(as_text=True)
    assert "逾期 39 天未回访" in html and "入学 60 天还没有开始学习或实践" in html
    assert "李导师（跟踪2人）" in html  # the new cohort's mentor, with the moved trainee


def test_dashboard_counts_link_to_the_list_in_a_fixed_number_of_queries(app, client, login, scene):
    login(scene["lead"])
    html = client.get(f"/lead/programmes/{scene['mine'].id}/dashboard").get_data(as_text=True)
    assert "需要跟进：2 人" in html and "停滞 1" in html and "逾期未回访 1" in html
    assert "有记录等待核实 1" in html
    assert f"/lead/programmes/{scene['mine'].id}/needs?why=stalled" in html

    statements = []
    with app.app_context():
        engine = db.engine
    listen = lambda *a: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        client.get(f"/lead/programmes/{scene['mine'].id}/needs")
        few = len(statements)
        with app.app_context():
            cohort = scene["first"]
            for i in range(30):
                t = make_user(name=f"学员{i}")
                enroll(t, db.session.get(type(cohort), cohort.id))
            db.session.commit()
        statements.clear()
        client.get(f"/lead/programmes/{scene['mine'].id}/needs")
        assert len(statements) == few  # 32 rows, not 2: the same queries
    finally:
        event.remove(engine, "before_cursor_execute", listen)
