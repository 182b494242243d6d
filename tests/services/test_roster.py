"""Roster import: every bad row reported with its line, all or nothing, idempotent, encodings."""

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.models import Enrollment, Role, TraineeProfile, User
from lms.services import roster
from tests.factories import enroll, make_cohort, make_programme, make_user

HEADER = "姓名,手机号,性别,出生年份,村,农户类别,基线级别,基线月网店收入,主要产品,培训班"
GOOD = [
    "王秀兰,13912340001,女,1978,大坪村,脱贫户,1,0,高山茶叶,第一期",
    "李建国,139 1234 0002,男,1969,石门村,普通农户,2,150.50,土鸡蛋,第一期",
    "张小燕,+86 139-1234-0003,女,1992,大坪村,示范户,4,1800,笋干,第二期",
]


@pytest.fixture
def programme(ctx):
    lead = make_user(Role.LEAD)
    programme = make_programme(lead, name="花名册项目")
    programme.villages = ["大坪村", "石门村"]
    make_cohort(programme, name="第一期", starts_on=date(2026, 3, 1))
    make_cohort(programme, name="第二期", starts_on=date(2026, 5, 1))
    return programme


def csv_bytes(lines, encoding="utf-8"):
    return ("\n".join([HEADER, *lines]) + "\n").encode(encoding)


def counts():
    return [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (User, TraineeProfile, Enrollment)
    ]


def test_a_good_file_previews_clean_and_imports(programme):
    lead = programme.lead
    preview = roster.preview(programme, "名单.csv", csv_bytes(GOOD))
    assert preview.ok and preview.count("new") == 3
    result = roster.import_roster(lead, programme, "名单.csv", csv_bytes(GOOD))
    assert len(result.created) == 3 and result.updated == 0
    user, password = result.created[1]
    assert user.phone == "13912340002" and len(password) == 8
    assert user.profile.baseline_monthly_income_fen == 15050
    assert user.profile.household_category.value == "ordinary" and user.profile.consent_at
    assert counts() == [4, 3, 3]


def test_every_bad_row_is_reported_with_its_line_number(programme):
    make_user(Role.MENTOR, phone="13812345678")
    lines = [
        GOOD[0],
        "赵德明,1391234,男,1965,大坪村,普通农户,1,0,蔬菜,第一期",  # line 3: short phone
        "周玉珍,13912340001,女,1980,大坪村,监测户,2,0,蜂蜜,第一期",  # line 4: duplicate of line 2
        "吴海波,13912340005,男,1990,东山村,示范户,5,8000,茶叶,第一期",  # line 5: unknown village
        "郑红霞,13912340006,女,1983,石门村,贫困户,2,100,杨梅,第三期",  # line 6: category, cohort
        "孙国平,13812345678,男,1975,石门村,普通农户,9,abc,番薯,第二期",  # 7: rung, income, mentor
        ",13912340008,女,1899,石门村,普通农户,1,0,鞋,第二期",  # line 8: no name, birth year
    ]
    preview = roster.preview(programme, "名单.csv", csv_bytes(lines))
    assert not preview.ok
    problems = {row.line: row.problems for row in preview.rows if row.problems}
    assert problems == {
        3: ["手机号不对：手机号应为11位数字，你填了7位。"],
        4: ["手机号和第2行重复。"],
        5: ["不认识的村「东山村」：请先在项目设置里加上这个村。"],
        6: [
            "农户类别「贫困户」不对，只能是普通农户、脱贫户、监测户或示范户。",
            "这个项目里没有培训班「第三期」。",
        ],
        7: [
            "基线级别「9」不对，应在0到6之间。",
            "基线月网店收入：金额只能填数字，比如 128.50。",
            "这个手机号属于一位驻点导师，不能作为学员导入。",
        ],
        8: ["缺少姓名。", "出生年份「1899」不对，应在1900到2012之间。"],
    }


def test_an_invalid_file_imports_nothing(programme):
    before = counts()
    bad = [*GOOD, "坏行,12345,女,1980,大坪村,普通农户,1,0,茶,第一期"]
    with pytest.raises(roster.RosterInvalid) as invalid:
        roster.import_roster(programme.lead, programme, "名单.csv", csv_bytes(bad))
    assert [r.line for r in invalid.value.preview.rows if r.problems] == [5]
    assert counts() == before


def test_reimporting_the_same_file_changes_nothing(programme):
    roster.import_roster(programme.lead, programme, "名单.csv", csv_bytes(GOOD))
    before = counts()
    hashes = list(db.session.scalars(select(User.password_hash).order_by(User.id)))
    again = roster.import_roster(programme.lead, programme, "名单.csv", csv_bytes(GOOD))
    assert (len(again.created), again.updated, again.unchanged) == (0, 0, 3)
    assert counts() == before
    assert list(db.session.scalars(select(User.password_hash).order_by(User.id))) == hashes
    changed = [GOOD[0].replace(",1,0,高山茶叶", ",2,0,高山茶叶")]
    result = roster.import_roster(programme.lead, programme, "名单.csv", csv_bytes(changed))
    assert result.updated == 1
    assert (
        db.session.scalar(
            select(TraineeProfile.baseline_rung).join(User).where(User.phone == "13912340001")
        )
        == 2
    )


def test_gb18030_csv(programme):
    data = csv_bytes(GOOD, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    preview = roster.preview(programme, "名单.csv", data)
    assert preview.ok and preview.rows[0].values["name"] == "王秀兰"


def test_xlsx_with_numbers_as_numbers(programme):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["王秀兰", 13912340001, "女", 1978, "大坪村", "脱贫户", 1, 0, "茶叶", "第一期"])
    sheet.append([])
    sheet.append(
        ["李建国", 13912340002, "男", 1969.0, "石门村", "普通农户", 2, 99.5, "蛋", "第二期"]
    )
    out = io.BytesIO()
    book.save(out)
    preview = roster.preview(programme, "名单.XLSX", out.getvalue())
    assert preview.ok and [r.line for r in preview.rows] == [2, 4]
    assert preview.rows[1].values["baseline_monthly_income_fen"] == 9950


def test_header_problems_and_unreadable_files(programme):
    preview = roster.preview(programme, "a.csv", "名字,电话\n张三,13912340001\n".encode())
    assert preview.header_problems == [
        "第1行：不认识的列「名字」。",
        "第1行：不认识的列「电话」。",
        "第1行：缺少「姓名」这一列。",
        "第1行：缺少「手机号」这一列。",
        "第1行：缺少「村」这一列。",
        "第1行：缺少「培训班」这一列。",
    ]
    with pytest.raises(roster.RosterUnreadable):
        roster.preview(programme, "a.pdf", b"%PDF")
    with pytest.raises(roster.RosterUnreadable):
        roster.preview(programme, "a.xlsx", b"not a zip")


def test_a_trainee_in_another_cohort_must_be_moved_not_reimported(programme):
    user = make_user(phone="13912340001")
    enroll(user, programme.cohorts[1])
    preview = roster.preview(programme, "a.csv", csv_bytes([GOOD[0]]))
    assert preview.rows[0].problems == ["已在培训班「第二期」，换班请用“调班”。"]
