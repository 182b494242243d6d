"""The demo programme: a lead, two mentors, an admin and 20 trainees in two cohorts.

Idempotent: running it again finds what exists by phone number and name and adds nothing.
Flushes, never commits.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.devdata.demo_story import add_demo_history
from lms.models import (
    Cohort,
    Enrollment,
    Gender,
    HouseholdCategory,
    MentorAssignment,
    Programme,
    Role,
    TraineeProfile,
    User,
)
from lms.services import consent
from lms.services.accounts import hash_password

DEMO_PASSWORD = "demo1234"
PROGRAMME_NAME = "丽水山区农村电商人才培训（演示）"

STAFF = [
    ("13800000000", "系统管理员", Role.ADMIN),
    ("13800000001", "林项目", Role.LEAD),
    ("13800000002", "陈导师", Role.MENTOR),
    ("13800000003", "吴导师", Role.MENTOR),
]

# name, gender, birth year, village, household category, baseline rung, income ¥/month, products
TRAINEES = [
    ("王秀兰", "female", 1978, "大坪村", "formerly_poor", 1, 0, "高山茶叶"),
    ("李建国", "male", 1969, "大坪村", "ordinary", 2, 0, "土鸡蛋"),
    ("张小燕", "female", 1992, "大坪村", "demonstration", 4, 1800, "高山茶叶、笋干"),
    ("刘春梅", "female", 1985, "大坪村", "monitored", 3, 300, "猕猴桃"),
    ("陈志强", "male", 1988, "大坪村", "ordinary", 3, 600, "土鸡"),
    ("杨桂芳", "female", 1972, "大坪村", "formerly_poor", 0, 0, "手工竹编"),
    ("赵德明", "male", 1965, "大坪村", "ordinary", 1, 0, "高山蔬菜"),
    ("黄丽娟", "female", 1995, "大坪村", "ordinary", 4, 2500, "香菇、木耳"),
    ("周玉珍", "female", 1980, "大坪村", "monitored", 2, 0, "土蜂蜜"),
    ("吴海波", "male", 1990, "大坪村", "demonstration", 5, 8000, "高山茶叶"),
    ("郑红霞", "female", 1983, "石门村", "formerly_poor", 2, 100, "杨梅"),
    ("孙国平", "male", 1975, "石门村", "ordinary", 3, 400, "番薯干"),
    ("马晓梅", "female", 1998, "石门村", "ordinary", 3, 900, "手工布鞋"),
    ("胡永福", "male", 1962, "石门村", "monitored", 0, 0, "土鸡蛋"),
    ("朱美华", "female", 1987, "石门村", "demonstration", 4, 3000, "黄桃"),
    ("何建军", "male", 1979, "石门村", "formerly_poor", 1, 0, "高山蔬菜"),
    ("高翠英", "female", 1970, "石门村", "ordinary", 2, 0, "腌菜"),
    ("林小龙", "male", 2000, "石门村", "ordinary", 4, 1200, "山核桃"),
    ("罗金凤", "female", 1982, "石门村", "formerly_poor", 3, 200, "茶油"),
    ("梁志华", "male", 1986, "石门村", "ordinary", 3, 500, "冬笋"),
]


def trainee_phone(index: int) -> str:
    return f"139000000{index + 1:02d}"


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _get_or_create_user(phone: str, name: str, role: Role, report: DemoReport) -> User:
    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is None:
        user = User(phone=phone, name=name, role=role, password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(user)
        report.created.append(f"{role}:{phone}")
    report.logins.append((role.label, phone, name))
    return user


def create_demo(today: date | None = None) -> DemoReport:
    today = today or local_today()
    report = DemoReport()
    staff = {phone: _get_or_create_user(phone, name, role, report) for phone, name, role in STAFF}
    lead, mentor_a, mentor_b = staff["13800000001"], staff["13800000002"], staff["13800000003"]
    db.session.flush()

    programme = db.session.scalar(select(Programme).where(Programme.name == PROGRAMME_NAME))
    if programme is None:
        programme = Programme(
            name=PROGRAMME_NAME,
            organisation="县电子商务公共服务中心（演示）",
            lead_id=lead.id,
            description="演示数据：两期培训班，两位驻点导师。",
            villages=["大坪村", "石门村"],
        )
        db.session.add(programme)
        report.created.append("programme")
    db.session.flush()

    cohorts = []
    for i, (name, village) in enumerate(
        [("第一期 大坪村班", "大坪村"), ("第二期 石门村班", "石门村")]
    ):
        cohort = db.session.scalar(
            select(Cohort).where(Cohort.programme_id == programme.id, Cohort.name == name)
        )
        if cohort is None:
            starts = today - timedelta(days=120 - 60 * i)
            cohort = Cohort(
                programme_id=programme.id,
                name=name,
                site=f"{village}文化礼堂",
                township="云溪镇",
                village=village,
                starts_on=starts,
                ends_on=starts + timedelta(days=180),
            )
            db.session.add(cohort)
            report.created.append(f"cohort:{name}")
        cohorts.append(cohort)
    db.session.flush()

    for cohort, mentor in zip(cohorts, (mentor_a, mentor_b), strict=True):
        exists = db.session.scalar(
            select(MentorAssignment.id).where(
                MentorAssignment.mentor_id == mentor.id, MentorAssignment.cohort_id == cohort.id
            )
        )
        if not exists:
            db.session.add(
                MentorAssignment(
                    programme_id=programme.id,
                    mentor_id=mentor.id,
                    cohort_id=cohort.id,
                    starts_on=cohort.starts_on,
                )
            )

    for index, row in enumerate(TRAINEES):
        name, gender, birth_year, village, category, rung, income_yuan, products = row
        user = _get_or_create_user(trainee_phone(index), name, Role.TRAINEE, report)
        cohort = cohorts[0] if village == "大坪村" else cohorts[1]
        if user.profile is None:
            user.profile = TraineeProfile(
                village=village,
                gender=Gender(gender),
                birth_year=birth_year,
                household_category=HouseholdCategory(category),
                baseline_rung=rung,
                baseline_monthly_income_fen=income_yuan * 100,
                main_products=products,
            )
            db.session.flush()
            consent.record_roster_consent(staff["13800000001"], user)  # signed on paper
        db.session.flush()
        enrolled = db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.cohort_id == cohort.id, Enrollment.trainee_id == user.id
            )
        )
        if not enrolled:
            db.session.add(
                Enrollment(cohort_id=cohort.id, trainee_id=user.id, enrolled_on=cohort.starts_on)
            )
    db.session.flush()
    mentor_of = {
        trainee_phone(i): (mentor_a if row[3] == "大坪村" else mentor_b)
        for i, row in enumerate(TRAINEES)
    }
    stories = add_demo_history(mentor_of, today)
    if stories:
        report.created.append(f"history:{stories}")
    return report
