"""The input boundary, case by case: each hostile value the attacker's probe found gets a clear
message in the user's language, stores nothing, and never a 5xx."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.inputs import MAX_YEAR
from lms.models import Cohort, FollowUpVisit, PracticeRecord, Programme, Role, User
from tests.conftest import count_rows, form_errors
from tests.factories import assign, enroll, make_cohort, make_programme, make_user, sale_form

TODAY = local_today()


@pytest.fixture
def people(app, mini_curriculum):
    with app.app_context():
        lead, mentor, trainee = make_user(Role.LEAD), make_user(Role.MENTOR), make_user()
        programme = make_programme(lead, name="边界项目")
        programme.villages = ["大坪村"]
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=10))
        enroll(trainee, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=10))
        db.session.commit()
        return {"lead": lead, "mentor": mentor, "trainee": trainee, "programme": programme}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "NaN"}, "金额只能填数字，比如 128.50。"),
        ({"amount": "Infinity"}, "金额只能填数字，比如 128.50。"),
        ({"amount": "1e999999"}, "金额只能填数字，比如 128.50。"),
        ({"amount": "1,5"}, "逗号看不懂：小数点请用“.”，比如 1.50。"),
        ({"amount": "٤٥"}, "金额只能填数字，比如 128.50。"),  # Arabic-Indic digits
        ({"amount": "⁴⁵"}, "金额只能填数字，比如 128.50。"),  # superscripts
        ({"quantity": "NaN"}, "数量只能填数字，比如 20 或 2.5。"),
        ({"product": "蛋" * 101}, "商品名太长了，最多100个字。"),
        ({"happened_on": "0001-01-01"}, "日期不对，请用日历选一个日期（1900年到2100年之间）。"),
        ({"happened_on": "2026-02-30"}, "日期不对，请用日历选一个日期（1900年到2100年之间）。"),
    ],
)
def test_a_hostile_sale_is_explained_and_stores_nothing(app, people, login, overrides, message):
    client = login(people["trainee"])
    response = client.post("/learn/practice/new", data=sale_form(**overrides))
    assert response.status_code == 422
    assert form_errors(response.get_data(as_text=True)) == [message]
    assert count_rows(app, PracticeRecord) == 0


def test_full_width_digits_are_read_as_digits(app, people, login):
    client = login(people["trainee"])
    response = client.post(
        "/learn/practice/new", data=sale_form(amount="１２８．５０", quantity="３０")
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PracticeRecord.amount_fen)) == 12850


def test_control_characters_are_refused_before_any_view(app, people, login):
    client = login(people["trainee"])
    for data in (sale_form(product="蛋\x00"), sale_form(note="a\x1bb")):
        response = client.post("/learn/practice/new", data=data)
        assert response.status_code == 400
        assert "控制字符" in response.get_data(as_text=True)
    lead = login(people["lead"], target=app.test_client())
    programme = people["programme"].id
    response = lead.get(f"/lead/programmes/{programme}/dashboard?village=%00")
    assert response.status_code == 400
    assert count_rows(app, PracticeRecord) == 0


def test_an_unreadable_next_visit_date_is_an_error_not_dropped(app, people, login):
    client = login(people["mentor"])
    trainee = people["trainee"]
    form = {
        "visited_on": TODAY.isoformat(),
        "mode": "phone",
        "level_tool_use": "with_help",
        "level_info_analysis": "with_help",
        "level_online_coordination": "with_help",
        "level_resource_innovation": "with_help",
        "next_due_on": "2026-13-45",
    }
    response = client.post(f"/mentor/trainees/{trainee.id}/visits/new", data=form)
    assert response.status_code == 422
    assert "日期不对" in response.get_data(as_text=True)
    assert count_rows(app, FollowUpVisit) == 0


def test_ids_beyond_the_column_are_404_and_out_of_range_queries_are_harmless(app, people, login):
    client = login(people["lead"])
    programme = people["programme"].id
    for url in (
        f"/lead/programmes/{2**31}",
        f"/lead/programmes/{10**30}/dashboard",
        f"/lead/programmes/{programme}/trainees/{2**40}/report",
    ):
        assert client.get(url).status_code == 404, url
    for query in (
        "start=0001-01-01&end=9999-12-31",
        "cohort=99999999999999999999",
        "page=99999999999999999999",
        "indicator=transition",  # no argument
        "indicator=rung&arg=%C2%B2",
    ):
        response = client.get(f"/lead/programmes/{programme}/trainees?{query}")
        assert response.status_code in (200, 404), query
    for query in ("page=99999999999999999999", "page=-1", "role=x"):
        admin = login(make_admin(app), target=app.test_client())
        assert admin.get(f"/admin/users?{query}").status_code == 200, query


def make_admin(app):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        return admin


def test_a_cohort_far_in_the_future_is_refused(app, people, login):
    client = login(people["lead"])
    programme = people["programme"].id
    form = {"name": "未来班", "starts_on": "9999-12-31"}
    response = client.post(f"/lead/programmes/{programme}/cohorts/new", data=form)
    assert response.status_code == 422 and "日期不对" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Cohort.id).where(Cohort.name == "未来班")) is None


def test_a_cohort_on_the_last_day_the_boundary_admits_breaks_no_page(app, people, login):
    """9999-12-31 took four pages down; the boundary stops at 2100, and its last day works."""
    with app.app_context():
        cohort = make_cohort(people["programme"], name="远期班", starts_on=date(MAX_YEAR, 12, 31))
        late = make_user(name="远期学员")
        enroll(late, cohort)
        assign(people["mentor"], cohort=cohort, starts_on=TODAY)
        db.session.commit()
        programme, late_id = people["programme"].id, late.id
    lead = login(people["lead"])
    for url in (
        f"/lead/programmes/{programme}/dashboard",
        f"/lead/programmes/{programme}/trainees",
        f"/lead/cohorts/{cohort.id}/edit",
        f"/lead/programmes/{programme}/trainees/{late_id}/report",
    ):
        assert lead.get(url).status_code == 200, url
    mentor = login(people["mentor"], target=app.test_client())
    assert mentor.get("/mentor/").status_code == 200
    assert mentor.get(f"/mentor/trainees/{late_id}").status_code == 200
    trainee = login(late, target=app.test_client())
    assert trainee.get("/learn/").status_code == 200


def test_long_programme_fields_are_refused_not_cut_short(app, people, login):
    client = login(people["lead"])
    programme = people["programme"].id
    with app.app_context():
        data = {
            "name": "边界项目",
            "organisation": "机" * 101,
            "villages": "大坪村",
            **{
                f: str(getattr(db.session.get(Programme, programme), f))
                for f in (
                    "followup_after_course_days",
                    "followup_after_first_sale_days",
                    "followup_early_every_days",
                    "followup_early_period_days",
                    "followup_later_every_days",
                    "followup_window_before_days",
                    "followup_window_after_days",
                )
            },
        }
    response = client.post(f"/lead/programmes/{programme}/settings", data=data)
    assert response.status_code == 422
    assert "太长了，最多100个字。" in form_errors(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Programme, programme).organisation == ""


def test_look_alike_phone_numbers_are_refused_and_full_width_ones_are_the_same_account(
    app, people, login
):
    admin = login(make_admin(app), target=app.test_client())
    arabic = "١٣٩١٢٣٤٥٦٧٨"
    response = admin.post(
        "/admin/users/new", data={"phone": arabic, "name": "甲", "role": "trainee"}
    )
    assert response.status_code == 422 and "手机号只能包含数字" in response.get_data(as_text=True)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in people["trainee"].phone)
    again = admin.post(
        "/admin/users/new", data={"phone": full_width, "name": "乙", "role": "trainee"}
    )
    assert again.status_code == 422 and "已经注册过了" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.name == "甲")) is None
