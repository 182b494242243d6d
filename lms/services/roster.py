"""Roster import: the spreadsheets programmes already keep (.xlsx, or .csv in UTF-8 or GB18030).

`preview` checks every row and reports each problem with its line number, writing nothing.
`import_roster` writes all rows or none; importing the same file again changes nothing. New
trainees get an initial password, returned once so it can be printed.

An import acts only inside its programme: a row names a new person or one of the programme's
own trainees (enrolled in one of its cohorts, now or before). A phone held by anyone else is a
problem with one message that says nothing of who holds it; enrolling someone of another
programme is an admin's explicit action (programmes.enrol_trainee), never a side effect of a file.
An update changes only the fields the file gives a value for, each shown old → new in the
preview, and a changed name is confirmed row by row.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.errors import ValidationError
from lms.inputs import CONTROL, small_int
from lms.models import (
    Cohort,
    Enrollment,
    Gender,
    HouseholdCategory,
    Programme,
    Role,
    Track,
    TraineeProfile,
    User,
)
from lms.services import consent
from lms.services.accounts import normalise_phone
from lms.services.practice import parse_yuan
from lms.services.roster_files import MAX_ROWS, read_table
from lms.services.tracks import current_tracks

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
    "track": ("培训方向", "方向", "track"),
    "guardian": ("监护人", "监护人姓名", "guardian"),
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


# What a roster row can change, in the order a preview lists the changes.
FIELD_LABELS = {
    "name": _l("姓名"),
    "gender": _l("性别"),
    "birth_year": _l("出生年份"),
    "village": _l("村"),
    "household_category": _l("农户类别"),
    "baseline_rung": _l("基线级别"),
    "baseline_monthly_income_fen": _l("基线月网店收入"),
    "main_products": _l("主要产品"),
    "track": _l("培训方向"),
    "cohort": _l("培训班"),
}
PROFILE_FIELDS = tuple(f for f in FIELD_LABELS if f not in ("name", "cohort"))
# A new trainee's profile where a column is absent or a cell empty.
DEFAULTS = {
    "gender": None,
    "birth_year": None,
    "household_category": HouseholdCategory.ORDINARY,
    "baseline_rung": 0,
    "baseline_monthly_income_fen": 0,
    "main_products": "",
    "track": None,
}


def phone_taken() -> str:
    """The one message for a phone outside the programme: it says nothing of who holds it."""
    return _("这个手机号已被使用，请核对。")


@dataclass
class Change:
    field: str  # a key of FIELD_LABELS
    old: Any
    new: Any


@dataclass
class RosterRow:
    line: int
    raw: dict[str, str]
    problems: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # the fields this row gives (a cell with a value)
    existing: User | None = None
    action: str = ""  # new | update | unchanged
    changes: list[Change] = field(default_factory=list)  # for an update: old → new
    reenrol: bool = False  # back into the programme after leaving it

    @property
    def needs_confirmation(self) -> bool:
        """An existing phone under another name: the lead confirms the row, or it may be a typo
        in the phone number that would rename somebody else."""
        return any(c.field == "name" for c in self.changes)


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

    @property
    def digest(self) -> str:
        """A fingerprint of what the preview shows: an import applies only to the preview its
        lead confirmed (the people in it may have changed since)."""
        seen = [
            (
                r.line,
                r.action,
                r.existing.id if r.existing else None,
                [(c.field, str(c.old), str(c.new)) for c in r.changes],
                r.problems,
            )
            for r in self.rows
        ]
        text = json.dumps([self.header_problems, seen], ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


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
    tracks = {key: t for t in current_tracks() for key in (t.name_zh, t.name_en.lower(), t.slug)}
    phones_seen: dict[str, int] = {}
    for row in rows:
        _check_row(row, cohorts, villages, tracks)
        phone = row.values.get("phone")
        if phone in phones_seen:
            row.problems.append(_("手机号和第%(n)d行重复。", n=phones_seen[phone]))
        elif phone:
            phones_seen[phone] = row.line
    _match_people(programme, rows)


def _check_row(
    row: RosterRow, cohorts: dict[str, Cohort], villages: set[str], tracks: dict[str, Track]
) -> None:
    """Parse the cells of one row into `row.values`: only the fields the row gives a value for
    (an absent column or an empty cell never changes a field)."""
    v, raw, problems = row.values, row.raw, row.problems
    if any(CONTROL.search(text) for text in raw.values()):
        problems.append(_("这一行有看不见的控制字符，请在表格里删掉后再上传。"))
    name = raw.get("name", "").strip()
    if not name:
        problems.append(_("缺少姓名。"))
    elif len(name) > 50:
        problems.append(_("姓名太长了，最多50个字。"))
    v["name"] = name
    try:
        v["phone"] = normalise_phone(raw.get("phone", ""))
    except ValidationError as e:
        problems.append(_("手机号不对：%(why)s", why=e.errors["phone"]))
    if gender := raw.get("gender", "").strip():
        v["gender"] = GENDERS.get(gender.lower())
        if v["gender"] is None:
            problems.append(_("性别「%(v)s」不对，请填“女”或“男”。", v=gender))
    if (born := raw.get("birth_year", "").strip()) and (
        year := _int_in(born, 1900, local_today().year - 5, _("出生年份"), problems)
    ) is not None:
        v["birth_year"] = year
    guardian = raw.get("guardian", "").strip()
    if len(guardian) > 50:
        problems.append(_("监护人姓名太长了，最多50个字。"))
    v["guardian"] = guardian
    age = consent.age_by_birth_year(v.get("birth_year"))
    if age is not None and age < consent.CHILD_AGE and not guardian:
        problems.append(
            _("不满14岁：儿童的个人信息是敏感信息，要有监护人同意才能参加。请填写「监护人」一列。")
        )
    elif age is not None and age < consent.ADULT_AGE and not guardian:
        problems.append(_("不满18岁：要有监护人同意。请填写「监护人」一列。"))
    village = raw.get("village", "").strip()
    if not village:
        problems.append(_("缺少村名。"))
    elif village not in villages:
        problems.append(_("不认识的村「%(v)s」：请先在项目设置里加上这个村。", v=village))
    v["village"] = village
    if category := raw.get("household_category", "").strip():
        v["household_category"] = CATEGORIES.get(category)
        if v["household_category"] is None:
            problems.append(
                _("农户类别「%(v)s」不对，只能是普通农户、脱贫户、监测户或示范户。", v=category)
            )
    if (rung := raw.get("baseline_rung", "").strip()) and (
        level := _int_in(rung, 0, 6, _("基线级别"), problems)
    ) is not None:
        v["baseline_rung"] = level
    if income := raw.get("baseline_income", "").strip():
        try:
            v["baseline_monthly_income_fen"] = parse_yuan(income)
        except ValueError as e:
            problems.append(_("基线月网店收入：%(why)s", why=str(e)))
    if products := raw.get("main_products", "").strip():
        v["main_products"] = products
        if len(products) > 200:
            problems.append(_("主要产品太长了，最多200个字。"))
    if track := raw.get("track", "").strip():
        v["track"] = tracks.get(track) or tracks.get(track.lower())
        if v["track"] is None:
            problems.append(
                _(
                    "培训方向「%(v)s」不对，只能是：%(names)s。",
                    v=track,
                    names="、".join(dict.fromkeys(t.name_zh for t in tracks.values())),
                )
            )
    cohort_name = raw.get("cohort", "").strip()
    cohort = cohorts.get(cohort_name)
    if not cohort_name:
        problems.append(_("缺少培训班。"))
    elif cohort is None:
        problems.append(_("这个项目里没有培训班「%(v)s」。", v=cohort_name))
    elif cohort.is_closed:
        problems.append(_("培训班「%(v)s」已经结束了。", v=cohort.name))
    v["cohort"] = cohort


def _match_people(programme: Programme, rows: list[RosterRow]) -> None:
    """New people, or the programme's own trainees (ever enrolled in one of its cohorts) with
    what the row would change. A phone of anyone else is a problem that names nobody."""
    phones = [r.values["phone"] for r in rows if r.values.get("phone")]
    users = {u.phone: u for u in db.session.scalars(select(User).where(User.phone.in_(phones)))}
    ids = [u.id for u in users.values()]
    profiles = {
        p.user_id: p
        for p in db.session.scalars(select(TraineeProfile).where(TraineeProfile.user_id.in_(ids)))
    }
    own: set[int] = set()
    current: dict[int, list[Cohort]] = {}
    for trainee_id, cohort, left_on in db.session.execute(
        select(Enrollment.trainee_id, Cohort, Enrollment.left_on)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.trainee_id.in_(ids), Cohort.programme_id == programme.id)
    ).all():
        own.add(trainee_id)
        if left_on is None:
            current.setdefault(trainee_id, []).append(cohort)
    for row in rows:
        user = users.get(row.values.get("phone"))
        if user is None:
            row.action = "new"
            continue
        if user.role is not Role.TRAINEE or user.id not in own:
            row.problems.append(phone_taken())
            continue
        row.existing = user
        target = row.values.get("cohort")
        now_in = current.get(user.id, [])
        if now_in and target and all(c.id != target.id for c in now_in):
            row.problems.append(_("已在培训班「%(c)s」，换班请用“调班”。", c=now_in[0].name))
        profile = profiles.get(user.id)
        if user.name != row.values["name"]:
            row.changes.append(Change("name", user.name, row.values["name"]))
        for name in PROFILE_FIELDS:
            if name in row.values:
                old = getattr(profile, name) if profile else DEFAULTS.get(name)
                if old != row.values[name]:
                    row.changes.append(Change(name, old, row.values[name]))
        if not now_in and target:
            row.reenrol = True
            row.changes.append(Change("cohort", None, target))
        row.action = "update" if row.changes else "unchanged"


def _int_in(text: str, low: int, high: int, label: str, problems: list[str]) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if small_int(text, low, high) is None:
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
    return small_int(text, low, high)
