"""Plain factory functions: they add and flush, never commit."""

from datetime import date, datetime, time, timedelta
from itertools import count

from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.models import (
    Cohort,
    ConsentRecord,
    Enrollment,
    MentorAssignment,
    Programme,
    Role,
    TraineeProfile,
    User,
)
from lms.services.accounts import hash_password
from lms.services.consent import NOTICE_VERSION

PASSWORD = "correct-horse"
_phones = count(1)


def next_phone() -> str:
    return f"1370000{next(_phones):04d}"


def make_user(
    role: Role = Role.TRAINEE,
    *,
    name: str | None = None,
    phone: str | None = None,
    password: str = PASSWORD,
    consented: bool = True,
    **fields,
) -> User:
    """A user; a trainee has a profile and, unless `consented=False`, consent to the notice."""
    user = User(
        phone=phone or next_phone(),
        name=name or f"{role.value}-user",
        role=role,
        password_hash=hash_password(password),
        **fields,
    )
    if role is Role.TRAINEE:
        user.profile = TraineeProfile(village="大坪村")
    db.session.add(user)
    db.session.flush()
    if role is Role.TRAINEE and consented:
        db.session.add(
            ConsentRecord(trainee_id=user.id, notice_version=NOTICE_VERSION, given_by="trainee")
        )
        db.session.flush()
    return user


def make_programme(lead: User | None = None, *, name: str | None = None) -> Programme:
    programme = Programme(name=name or f"项目{next(_phones)}", lead_id=lead.id if lead else None)
    db.session.add(programme)
    db.session.flush()
    return programme


def make_cohort(
    programme: Programme, *, name: str = "第一期", starts_on: date = date(2026, 3, 1), **fields
) -> Cohort:
    cohort = Cohort(programme_id=programme.id, name=name, starts_on=starts_on, **fields)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def enroll(trainee: User, cohort: Cohort, *, on: date | None = None) -> Enrollment:
    enrollment = Enrollment(
        cohort_id=cohort.id, trainee_id=trainee.id, enrolled_on=on or cohort.starts_on
    )
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def assign(
    mentor: User,
    *,
    trainee: User | None = None,
    cohort: Cohort | None = None,
    programme: Programme | None = None,
    starts_on: date = date(2026, 1, 1),
    ends_on: date | None = None,
) -> MentorAssignment:
    """A mentor assignment for `programme`: by default the cohort's, or for a trainee the
    programme of their current enrolment."""
    if programme is None and cohort is not None:
        programme_id = cohort.programme_id
    elif programme is None:
        programme_id = db.session.scalar(
            select(Cohort.programme_id)
            .join(Enrollment, Enrollment.cohort_id == Cohort.id)
            .where(Enrollment.trainee_id == trainee.id, Enrollment.left_on.is_(None))
            .limit(1)
        )
    else:
        programme_id = programme.id
    assignment = MentorAssignment(
        programme_id=programme_id,
        mentor_id=mentor.id,
        trainee_id=trainee.id if trainee else None,
        cohort_id=cohort.id if cohort else None,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def make_record(
    trainee: User,
    *,
    kind: str = "sale",
    happened_on: date = date(2026, 11, 1),
    status: str = "self_reported",
    amount_fen: int | None = 5000,
    product: str = "土鸡蛋",
    **fields,
):
    from decimal import Decimal

    from lms.models import Channel, PracticeKind, PracticeRecord, RecordStatus

    if status == "verified":  # verified on the day it happened, unless a test says otherwise
        fields.setdefault("reviewed_at", datetime.combine(happened_on, time(4)))  # noon in China
    record = PracticeRecord(
        trainee_id=trainee.id,
        kind=PracticeKind(kind),
        happened_on=happened_on,
        channel=fields.pop("channel", Channel.WECHAT_MOMENTS),
        product=product,
        quantity=fields.pop("quantity", Decimal("10")),
        unit=fields.pop("unit", "斤"),
        amount_fen=amount_fen,
        status=RecordStatus(status),
        **fields,
    )
    db.session.add(record)
    db.session.flush()
    return record


def sale_form(**overrides) -> dict[str, str]:
    """What a trainee's practice form posts for a sale of 30 eggs for ¥45 today."""
    return {
        "kind": "sale",
        "happened_on": local_today().isoformat(),
        "channel": "wechat_group",
        "product": "土鸡蛋",
        "quantity": "30",
        "unit": "个",
        "amount": "45",
    } | overrides


# What each kind's form posts when filled in well (issue 13: each kind asks only its own fields).
KIND_EXAMPLES = {
    "sale": {"product": "土鸡蛋", "quantity": "30", "unit": "个", "amount": "45"},
    "livestream": {"minutes": "60", "viewers": "35", "orders": "3", "amount": "120"},
    "short_video": {"link": "https://v.douyin.com/iRNBho6u/", "viewers": "500"},
    "shop_opened": {"link": "https://weidian.com/?userid=1700000"},
    "product_listing": {
        "product": "猕猴桃",
        "link": "https://mobile.yangkeduo.com/goods.html?id=1",
    },
    "taught_others": {"people": "2", "note": "教邻居李大姐发朋友圈"},
    "cooperative_work": {"people": "5", "product": "核桃", "amount": ""},
}


def kind_form(kind: str, **overrides) -> dict[str, str]:
    """What a trainee's practice form of `kind` posts today, on WeChat Channels."""
    return {
        "kind": kind,
        "happened_on": local_today().isoformat(),
        "channel": "wechat_channels",
        **KIND_EXAMPLES[kind],
    } | overrides


def visit_form(**overrides) -> dict:
    """What a mentor's visit form posts for a phone visit today, with a next date agreed."""
    today = local_today()
    return {
        "uuid": "",
        "visited_on": today.isoformat(),
        "mode": "phone",
        "level_tool_use": "independent",
        "level_info_analysis": "with_help",
        "level_online_coordination": "with_help",
        "level_resource_innovation": "not_yet",
        "note_tool_use": "自己会上架了",
        "problem_tags": ["logistics"],
        "actions": "试试县里的冷链",
        "next_due_on": (today + timedelta(days=10)).isoformat(),
    } | overrides
