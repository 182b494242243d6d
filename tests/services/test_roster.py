"""Roster import: every bad row reported with its line, all or nothing, idempotent, encodings."""

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.models import AuditEvent, Enrollment, HouseholdCategory, Role, TraineeProfile, User
from lms.services import roster, roster_files, roster_import
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
    result = roster_import.import_roster(lead, programme, "名单.csv", csv_bytes(GOOD))
    assert len(result.created) == 3 and result.updated == 0
    user, password = result.created[1]
    assert user.phone == "13912340002" and len(password) == 8
    assert user.profile.baseline_monthly_income_fen == 15050
    assert user.profile.household_category.value == "ordinary"
    from lms.models import ConsentRecord
    from lms.services.consent import NOTICE_VERSION

    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.trainee_id == user.id))
    assert (consent.given_by.value, consent.notice_version) == ("roster", NOTICE_VERSION)
    assert consent.recorded_by_id == lead.id
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
            "这个手机号已被使用，请核对。",
        ],
        8: ["缺少姓名。", "出生年份「1899」不对，应在1900到2021之间。"],
    }


def test_an_invalid_file_imports_nothing(programme):
    before = counts()
    bad = [*GOOD, "坏行,12345,女,1980,大坪村,普通农户,1,0,茶,第一期"]
    with pytest.raises(roster_import.RosterInvalid) as invalid:
        roster_import.import_roster(programme.lead, programme, "名单.csv", csv_bytes(bad))
    assert [r.line for r in invalid.value.preview.rows if r.problems] == [5]
    assert counts() == before


def test_reimporting_the_same_file_changes_nothing(programme):
    roster_import.import_roster(programme.lead, programme, "名单.csv", csv_bytes(GOOD))
    before = counts()
    hashes = list(db.session.scalars(select(User.password_hash).order_by(User.id)))
    again = roster_import.import_roster(programme.lead, programme, "名单.csv", csv_bytes(GOOD))
    assert (len(again.created), again.updated, again.unchanged) == (0, 0, 3)
    assert counts() == before
    assert list(db.session.scalars(select(User.password_hash).order_by(User.id))) == hashes
    changed = [GOOD[0].replace(",1,0,高山茶叶", ",2,0,高山茶叶")]
    result = roster_import.import_roster(programme.lead, programme, "名单.csv", csv_bytes(changed))
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
    with pytest.raises(roster_files.RosterUnreadable):
        roster.preview(programme, "a.pdf", b"%PDF")
    with pytest.raises(roster_files.RosterUnreadable):
        roster.preview(programme, "a.xlsx", b"not a zip")


def test_a_trainee_in_another_cohort_must_be_moved_not_reimported(programme):
    user = make_user(phone="13912340001")
    enroll(user, programme.cohorts[1])
    preview = roster.preview(programme, "a.csv", csv_bytes([GOOD[0]]))
    assert preview.rows[0].problems == ["已在培训班「第二期」，换班请用“调班”。"]


@pytest.fixture
def other(programme):
    """Programme 1, with one trainee; `programme` (花名册项目) is the importer's programme 2."""
    other_lead = make_user(Role.LEAD)
    first = make_programme(other_lead, name="第一个项目")
    first.villages = ["大坪村"]
    trainee = make_user(phone="13912340001", name="王秀兰")
    trainee.profile.household_category = HouseholdCategory.FORMERLY_POOR
    trainee.profile.baseline_monthly_income_fen = 30000
    enroll(trainee, make_cohort(first, name="一期"))
    db.session.commit()
    return trainee


def test_a_phone_outside_the_programme_is_a_neutral_problem_and_nothing_changes(programme, other):
    make_user(Role.ADMIN, phone="13912340002")
    make_user(phone="13912340003")  # a trainee of no programme yet (made on the admin page)
    lines = [
        "改名的人,13912340001,男,1990,大坪村,普通农户,0,0,,第一期",
        "某人,13912340002,女,1980,大坪村,普通农户,1,0,茶,第一期",
        "某人,13912340003,女,1980,大坪村,普通农户,1,0,茶,第一期",
    ]
    preview = roster.preview(programme, "a.csv", csv_bytes(lines))
    assert [r.problems for r in preview.rows] == [["这个手机号已被使用，请核对。"]] * 3
    assert not preview.ok and all(r.existing is None and not r.changes for r in preview.rows)
    with pytest.raises(roster_import.RosterInvalid):
        roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes(lines))
    db.session.rollback()
    stored = db.session.get(User, other.id)
    assert stored.name == "王秀兰" and stored.profile.baseline_monthly_income_fen == 30000
    assert (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.trainee_id == other.id)
        )
        == 1
    )


def test_an_update_changes_only_the_fields_the_file_gives_and_shows_each_change(programme):
    roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes([GOOD[0]]))
    db.session.commit()
    # Fewer columns, and an empty cell: neither blanks anything.
    short = "姓名,手机号,村,培训班,主要产品,基线级别\n王秀兰,13912340001,石门村,第一期,,3\n"
    preview = roster.preview(programme, "b.csv", short.encode())
    (row,) = preview.rows
    assert row.action == "update" and not row.needs_confirmation
    assert [(c.field, c.old, c.new) for c in row.changes] == [
        ("village", "大坪村", "石门村"),
        ("baseline_rung", 1, 3),
    ]
    roster_import.import_roster(
        programme.lead, programme, "b.csv", short.encode(), digest=preview.digest
    )
    db.session.commit()
    profile = db.session.scalar(select(User).where(User.phone == "13912340001")).profile
    assert (profile.village, profile.baseline_rung) == ("石门村", 3)
    assert (profile.gender.value, profile.birth_year, profile.main_products) == (
        "female",
        1978,
        "高山茶叶",
    )
    assert profile.household_category is HouseholdCategory.FORMERLY_POOR
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "trainee.updated_by_roster")
    )
    assert event.details["changes"] == {"village": ["大坪村", "石门村"], "baseline_rung": [1, 3]}


def test_a_changed_name_needs_its_own_confirmation(programme):
    roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes(GOOD[:2]))
    db.session.commit()
    renamed = [GOOD[0].replace("王秀兰", "王秀英"), GOOD[1]]
    preview = roster.preview(programme, "a.csv", csv_bytes(renamed))
    assert [r.needs_confirmation for r in preview.rows] == [True, False]
    with pytest.raises(roster_import.NamesNotConfirmed) as refused:
        roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes(renamed))
    assert refused.value.lines == [2]
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.phone == "13912340001")) == "王秀兰"
    roster_import.import_roster(
        programme.lead, programme, "a.csv", csv_bytes(renamed), confirmed={2}
    )
    assert db.session.scalar(select(User.name).where(User.phone == "13912340001")) == "王秀英"


def test_an_import_applies_only_to_the_preview_its_lead_confirmed(programme):
    roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes([GOOD[0]]))
    db.session.commit()
    changed = csv_bytes([GOOD[0].replace(",1,0,高山茶叶", ",2,0,高山茶叶")])
    seen = roster.preview(programme, "a.csv", changed).digest
    # Meanwhile someone else sets the baseline the file was about to change.
    profile = db.session.scalar(select(User).where(User.phone == "13912340001")).profile
    profile.baseline_rung = 2
    db.session.commit()
    with pytest.raises(roster_import.PreviewChanged) as changed_since:
        roster_import.import_roster(programme.lead, programme, "a.csv", changed, digest=seen)
    assert changed_since.value.preview.rows[0].action == "unchanged"


def test_a_trainee_who_left_the_programme_comes_back_into_the_same_cohort(programme):
    roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes([GOOD[0]]))
    enrolment = db.session.scalar(select(Enrollment))
    enrolment.left_on = date(2026, 6, 1)
    db.session.commit()
    preview = roster.preview(programme, "a.csv", csv_bytes([GOOD[0]]))
    assert [c.field for c in preview.rows[0].changes] == ["cohort"]
    roster_import.import_roster(programme.lead, programme, "a.csv", csv_bytes([GOOD[0]]))
    db.session.commit()
    assert db.session.scalars(select(Enrollment.left_on)).all() == [None]


def xlsx_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A real workbook whose first sheet's XML is replaced by `sheet_xml`."""
    import zipfile

    book = openpyxl.Workbook()
    book.active.append(["姓名"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for item in source.infolist():
            data = source.read(item.filename)
            dest.writestr(item, sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


def test_a_damaged_or_hostile_workbook_is_a_bad_file_not_a_crash(programme):
    broken = xlsx_with_sheet_xml(b"<worksheet><sheetData><row><c>")
    entities = xlsx_with_sheet_xml(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row><c t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    for data in (broken, entities):
        with pytest.raises(roster_files.RosterUnreadable):
            roster.preview(programme, "a.xlsx", data)
    with pytest.raises(roster_files.RosterUnreadable):  # a field past csv's limit
        roster.preview(programme, "a.csv", ("姓名\n" + "x" * 200_000 + "\n").encode())
    nul = roster.preview(programme, "a.csv", csv_bytes([GOOD[0].replace("王秀兰", "王\x00")]))
    assert "这一行有看不见的控制字符，请在表格里删掉后再上传。" in nul.rows[0].problems


def test_a_million_rows_are_not_read_to_find_there_are_too_many(programme):
    import time

    rows = b"".join(
        b'<row r="%d"><c t="inlineStr"><is><t>x</t></is></c></row>' % i for i in range(1, 1_000_001)
    )
    data = xlsx_with_sheet_xml(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + rows + b"</sheetData></worksheet>"
    )
    assert len(data) < 8 * 1024 * 1024  # it fits the upload limit
    started = time.perf_counter()
    with pytest.raises(roster_files.RosterUnreadable, match="一次最多导入5000行"):
        roster.preview(programme, "a.xlsx", data)  # refused from the archive's own sizes
    # Just over the limit: read up to one row past it, no more.
    rows = b"".join(
        b'<row r="%d"><c t="inlineStr"><is><t>x</t></is></c></row>' % i for i in range(1, 9001)
    )
    data = xlsx_with_sheet_xml(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + rows + b"</sheetData></worksheet>"
    )
    preview = roster.preview(programme, "a.xlsx", data)
    assert "一次最多导入5000行。" in preview.header_problems
    assert len(preview.rows) == roster.MAX_ROWS + 1
    csv_rows = ("\n".join([HEADER] + ["x"] * 1_000_000)).encode()
    preview = roster.preview(programme, "a.csv", csv_rows)
    assert "一次最多导入5000行。" in preview.header_problems
    assert time.perf_counter() - started < 60  # not a benchmark: a guard against reading it all


def test_cells_with_control_characters_are_a_row_problem(programme):
    preview = roster.preview(
        programme, "a.csv", csv_bytes([GOOD[0].replace("王秀兰", "王\x1b秀兰")])
    )
    assert preview.rows[0].problems == ["这一行有看不见的控制字符，请在表格里删掉后再上传。"]


def test_minors_need_a_guardian_and_children_cannot_be_enrolled_without_one(programme):
    this_year = date.today().year
    header = HEADER + ",监护人"
    lines = [
        f"小明,13912340011,男,{this_year - 16},大坪村,普通农户,1,0,茶,第一期,",
        f"小红,13912340012,女,{this_year - 12},大坪村,普通农户,1,0,茶,第一期,",
        f"小刚,13912340013,男,{this_year - 16},大坪村,普通农户,1,0,茶,第一期,王父",
    ]
    data = ("\n".join([header, *lines]) + "\n").encode()
    preview = roster.preview(programme, "a.csv", data)
    assert preview.rows[0].problems == ["不满18岁：要有监护人同意。请填写「监护人」一列。"]
    assert "儿童的个人信息是敏感信息" in preview.rows[1].problems[0]
    assert preview.rows[2].problems == []


def test_a_track_column_sets_the_track_at_enrolment_and_an_unknown_one_is_a_problem(
    mini_curriculum, programme
):
    header = HEADER + ",培训方向"
    rows = [GOOD[0] + ",卖鸡蛋", GOOD[1] + ",eggs", GOOD[2] + ","]
    data = ("\n".join([header, *rows]) + "\n").encode()
    result = roster_import.import_roster(programme.lead, programme, "名单.csv", data)
    tracks = [u.profile.track.slug if u.profile.track else None for u, _ in result.created]
    assert tracks == ["eggs", "eggs", None]

    # An update names the change in words; an empty cell keeps the track.
    again = ("\n".join([header, GOOD[2] + ",卖鸡蛋", GOOD[0] + ","]) + "\n").encode()
    preview = roster.preview(programme, "名单.csv", again)
    changes = [
        (r.line, [(c.field, c.old, c.new and c.new.slug) for c in r.changes]) for r in preview.rows
    ]
    assert changes == [(2, [("track", None, "eggs")]), (3, [])]

    bad = ("\n".join([header, GOOD[0] + ",卖茶叶"]) + "\n").encode()
    preview = roster.preview(programme, "名单.csv", bad)
    assert preview.rows[0].problems == ["培训方向「卖茶叶」不对，只能是：卖鸡蛋。"]
    before = counts()
    with pytest.raises(roster_import.RosterInvalid):
        roster_import.import_roster(programme.lead, programme, "名单.csv", bad)
    assert counts() == before
