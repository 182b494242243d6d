"""Roster import: the spreadsheets programmes already keep (.xlsx, or .csv in UTF-8 or GB18030).

`preview` checks every row and reports each problem with its line number, writing nothing.
`import_roster` writes all rows or none; importing the same file again changes nothing. New
trainees get an initial password, returned once so it can be printed.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import openpyxl
from flask_babel import gettext as _
from sqlalchemy import select

from lms.clock import local_today, utcnow
from lms.db import db
from lms.errors import LmsError, ValidationError
from lms.models import (
    Cohort,
    Enrollment,
    Gender,
    HouseholdCategory,
    Programme,
    Role,
    TraineeProfile,
    User,
)
from lms.services import audit
from lms.services.accounts import generate_password, hash_password, normalise_phone
from lms.services.practice import parse_yuan

# Column → accepted headers (Chinese as programmes write them, and English).
COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机", "phone"),
    "gender": ("性别", "gender"),
    "birth_year": ("出生年份", "出生年", "birth_year"),
    "village": ("村", "村庄", "village"),
    "household_category": ("农户类别", "household_category"),
    "baseline_rung": ("基线级别", "baseline_rung"),
    "baseline_income": (
        "基线月网店收入",
        "基线月网店收入（元）",
        "基线月网店收入(元)",
        "baseline_monthly_income",
    ),
    "main_products": ("主要产品", "main_products"),
    "cohort": ("培训班", "cohort"),
}
REQUIRED = ("name", "phone", "village", "cohort")
GENDERS = {"女": Gender.FEMALE, "男": Gender.MALE, "female": Gender.FEMALE, "male": Gender.MALE}
CATEGORIES = {
    "普通农户": HouseholdCategory.ORDINARY,
    "脱贫户": HouseholdCategory.FORMERLY_POOR,
    "监测户": HouseholdCategory.MONITORED,
    "示范户": HouseholdCategory.DEMONSTRATION,
    **{c.value: c for c in HouseholdCategory},
}
MAX_ROWS = 5000


class RosterUnreadable(LmsError):
    pass


@dataclass
class RosterRow:
    line: int
    raw: dict[str, str]
    problems: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    existing: User | None = None
    action: str = ""  # new | update | unchanged


@dataclass
class RosterPreview:
    rows: list[RosterRow]
    header_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.header_problems and all(not r.problems for r in self.rows) and bool(self.rows)
        )

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def read_table(filename: str, data: bytes) -> list[tuple[int, list[str]]]:
    """(line number, cells) for each non-empty row; the first is the header."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise RosterUnreadable(_("打不开这个 Excel 文件，请另存为 .xlsx 再试。")) from error
        rows = []
        for number, cells in enumerate(book.active.iter_rows(values_only=True), start=1):
            texts = [_cell_text(c) for c in cells]
            if any(texts):
                rows.append((number, texts))
        book.close()
        return rows
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterUnreadable(_("读不出这个 CSV 文件的文字，请存成 UTF-8 或 GB18030 编码。"))
        reader = csv.reader(io.StringIO(text))
        rows = []
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, [c.strip() for c in cells]))
        return rows
    raise RosterUnreadable(_("只能上传 .xlsx 或 .csv 文件。"))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def preview(programme: Programme, filename: str, data: bytes) -> RosterPreview:
    """Check every row against the programme; raises RosterUnreadable for an unreadable file."""
    table = read_table(filename, data)
    if not table:
        return RosterPreview([], [_("文件是空的。")])
    (_header_line, header), body = table[0], table[1:]
    lookup = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    columns, header_problems = [], []
    for title in header:
        key = lookup.get(title.strip()) or lookup.get(title.strip().lower())
        if title.strip() and key is None:
            header_problems.append(_("第1行：不认识的列「%(title)s」。", title=title))
        columns.append(key)
    for key in REQUIRED:
        if key not in columns:
            header_problems.append(_("第1行：缺少「%(title)s」这一列。", title=COLUMNS[key][0]))
    if len(body) > MAX_ROWS:
        header_problems.append(_("一次最多导入%(n)d行。", n=MAX_ROWS))
    rows = [
        RosterRow(
            line, {k: (cells[i] if i < len(cells) else "") for i, k in enumerate(columns) if k}
        )
        for line, cells in body
    ]
    if not header_problems:
        _check_rows(programme, rows)
    return RosterPreview(rows, header_problems)


def _check_rows(programme: Programme, rows: list[RosterRow]) -> None:
    cohorts = {
        c.name: c
        for c in db.session.scalars(select(Cohort).where(Cohort.programme_id == programme.id))
    }
    villages = set(programme.villages) | {c.village for c in cohorts.values() if c.village}
    phones_seen: dict[str, int] = {}
    for row in rows:
        v, raw, problems = row.values, row.raw, row.problems
        v["name"] = raw.get("name", "").strip()
        if not v["name"]:
            problems.append(_("缺少姓名。"))
        elif len(v["name"]) > 50:
            problems.append(_("姓名太长了，最多50个字。"))
        try:
            v["phone"] = normalise_phone(raw.get("phone", ""))
        except ValidationError as e:
            problems.append(_("手机号不对：%(why)s", why=e.errors["phone"]))
        else:
            if v["phone"] in phones_seen:
                problems.append(_("手机号和第%(n)d行重复。", n=phones_seen[v["phone"]]))
            phones_seen.setdefault(v["phone"], row.line)
        gender = raw.get("gender", "").strip()
        v["gender"] = GENDERS.get(gender.lower()) if gender else None
        if gender and v["gender"] is None:
            problems.append(_("性别「%(v)s」不对，请填“女”或“男”。", v=gender))
        v["birth_year"] = _int_in(
            raw.get("birth_year", ""), 1900, local_today().year - 14, _("出生年份"), problems
        )
        village = raw.get("village", "").strip()
        if not village:
            problems.append(_("缺少村名。"))
        elif village not in villages:
            problems.append(_("不认识的村「%(v)s」：请先在项目设置里加上这个村。", v=village))
        v["village"] = village
        category = raw.get("household_category", "").strip() or "普通农户"
        v["household_category"] = CATEGORIES.get(category)
        if v["household_category"] is None:
            problems.append(
                _("农户类别「%(v)s」不对，只能是普通农户、脱贫户、监测户或示范户。", v=category)
            )
        v["baseline_rung"] = (
            _int_in(raw.get("baseline_rung", ""), 0, 6, _("基线级别"), problems) or 0
        )
        income = raw.get("baseline_income", "").strip()
        try:
            v["baseline_monthly_income_fen"] = parse_yuan(income) if income else 0
        except ValueError as e:
            problems.append(_("基线月网店收入：%(why)s", why=str(e)))
        v["main_products"] = raw.get("main_products", "").strip()[:200]
        cohort = cohorts.get(raw.get("cohort", "").strip())
        if not raw.get("cohort", "").strip():
            problems.append(_("缺少培训班。"))
        elif cohort is None:
            problems.append(_("这个项目里没有培训班「%(v)s」。", v=raw.get("cohort")))
        elif cohort.is_closed:
            problems.append(_("培训班「%(v)s」已经结束了。", v=cohort.name))
        v["cohort"] = cohort

    phones = [r.values["phone"] for r in rows if r.values.get("phone")]
    users = {u.phone: u for u in db.session.scalars(select(User).where(User.phone.in_(phones)))}
    ids = [u.id for u in users.values()]
    profiles = {
        p.user_id: p
        for p in db.session.scalars(select(TraineeProfile).where(TraineeProfile.user_id.in_(ids)))
    }
    enrolled: dict[int, list[Cohort]] = {}
    for trainee_id, cohort in db.session.execute(
        select(Enrollment.trainee_id, Cohort)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(
            Enrollment.trainee_id.in_(ids),
            Enrollment.left_on.is_(None),
            Cohort.programme_id == programme.id,
        )
    ).all():
        enrolled.setdefault(trainee_id, []).append(cohort)
    for row in rows:
        user = users.get(row.values.get("phone"))
        if user is None:
            row.action = "new"
            continue
        if user.role is not Role.TRAINEE:
            row.problems.append(
                _("这个手机号属于一位%(role)s，不能作为学员导入。", role=user.role.label)
            )
            continue
        row.existing = user
        current = enrolled.get(user.id, [])
        target = row.values.get("cohort")
        if current and target and all(c.id != target.id for c in current):
            row.problems.append(_("已在培训班「%(c)s」，换班请用“调班”。", c=current[0].name))
        changed = (
            _profile_changes(profiles.get(user.id), row.values)
            or user.name != row.values["name"]
            or not current
        )
        row.action = "update" if changed else "unchanged"


PROFILE_FIELDS = (
    "village",
    "gender",
    "birth_year",
    "household_category",
    "baseline_rung",
    "baseline_monthly_income_fen",
    "main_products",
)


def _profile_changes(profile: TraineeProfile | None, values: dict) -> bool:
    if profile is None:
        return True
    return any(getattr(profile, f) != values.get(f) for f in PROFILE_FIELDS)


def _int_in(text: str, low: int, high: int, label: str, problems: list[str]) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        problems.append(
            _(
                "%(label)s「%(v)s」不对，应在%(low)d到%(high)d之间。",
                label=label,
                v=text,
                low=low,
                high=high,
            )
        )
        return None
    return int(text)


class RosterInvalid(LmsError):
    def __init__(self, result: RosterPreview):
        super().__init__("roster has problems")
        self.preview = result


@dataclass
class ImportResult:
    created: list[tuple[User, str]]  # (trainee, initial password): shown once
    updated: int
    unchanged: int


def import_roster(actor: User, programme: Programme, filename: str, data: bytes) -> ImportResult:
    """Write every row, or nothing when any row has a problem (raises RosterInvalid)."""
    result = preview(programme, filename, data)
    if not result.ok:
        raise RosterInvalid(result)
    created, updated, unchanged = [], 0, 0
    now = utcnow()
    for row in result.rows:
        v = row.values
        if row.action == "unchanged":
            unchanged += 1
            continue
        user = row.existing
        if user is None:
            password = generate_password()
            user = User(
                phone=v["phone"],
                name=v["name"],
                role=Role.TRAINEE,
                password_hash=hash_password(password),
            )
            user.profile = TraineeProfile(consent_at=now)
            db.session.add(user)
            created.append((user, password))
        else:
            user.name = v["name"]
            if user.profile is None:
                user.profile = TraineeProfile(consent_at=now)
            updated += 1
        for name in PROFILE_FIELDS:
            setattr(user.profile, name, v[name])
        db.session.flush()
        if not db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.trainee_id == user.id,
                Enrollment.cohort_id == v["cohort"].id,
                Enrollment.left_on.is_(None),
            )
        ):
            db.session.add(
                Enrollment(
                    cohort_id=v["cohort"].id, trainee_id=user.id, enrolled_on=v["cohort"].starts_on
                )
            )
    db.session.flush()
    audit.record(
        actor,
        "roster.imported",
        programme,
        file=filename,
        created=len(created),
        updated=updated,
        unchanged=unchanged,
    )
    return ImportResult(created, updated, unchanged)
