"""A little history for the demo programme, so `make run` shows a living loop: lessons learned,
quizzes passed, sales logged and verified, visits, a promotion and an outcome.

Written per trainee by hand (not random) and added only to demo trainees with no history yet,
so running `flask demo` again adds nothing. Needs the curricula imported; without them the
learning part is skipped. Flushes, never commits.
"""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, select

from lms.db import db
from lms.models import (
    Course,
    FollowUpVisit,
    LessonProgress,
    Outcome,
    PracticeKind,
    PracticeRecord,
    RecordStatus,
    RungPromotion,
    User,
)
from lms.models.practice_kinds import KIND_FORMS
from lms.services import learning

TIER_1 = ["phone-basics", "wechat-basics", "mobile-payment-safety"]
TIER_2 = ["product-photos", "listing-and-pricing", "wechat-selling", "packing-shipping"]
OBSERVED = {
    "tool_use": {"level": "independent", "note": ""},
    "info_analysis": {"level": "with_help", "note": "还不太会算成本"},
    "online_coordination": {"level": "with_help", "note": ""},
    "resource_innovation": {"level": "not_yet", "note": ""},
}

# phone → (courses to complete, [(days ago, kind, channel, product, qty, unit, yuan, status)],
#          [visit days ago], outcome)
STORIES = {
    "13900000001": (["phone-basics"], [], [5], None),
    "13900000003": (
        TIER_1 + TIER_2,
        [
            (40, "sale", "wechat_group", "高山茶叶", "5", "斤", 900, "verified"),
            (25, "sale", "wechat_moments", "笋干", "10", "袋", 350, "verified"),
            (12, "livestream", "douyin", "高山茶叶", None, "", 1280, "verified"),
            (3, "sale", "pinduoduo", "高山茶叶", "8", "斤", 1440, "self_reported"),
        ],
        [30, 9],
        ("shop_opened", 60, "拼多多店铺"),
    ),
    "13900000004": (
        TIER_1 + TIER_2,
        [
            (20, "product_listing", "wechat_moments", "猕猴桃", None, "", None, "verified"),
            (15, "sale", "wechat_group", "猕猴桃", "20", "斤", 160, "verified"),
            (8, "sale", "wechat_moments", "猕猴桃", "12", "斤", 96, "verified"),
            (2, "sale", "community_group_buying", "猕猴桃礼盒", "4", "盒", 312, "self_reported"),
        ],
        [16],
        None,
    ),
    "13900000005": (
        TIER_1,
        [
            (10, "sale", "wechat_moments", "土鸡", "2", "只", 336, "verified"),
        ],
        [11],
        None,
    ),
    "13900000010": (
        TIER_1 + TIER_2,
        [
            (50, "sale", "douyin", "高山茶叶", "30", "斤", 5400, "verified"),
            (21, "livestream", "douyin", "高山茶叶", None, "", 3260, "verified"),
            (6, "sale", "taobao", "高山茶叶", "12", "斤", 2160, "self_reported"),
        ],
        [22, 4],
        ("business_started", 90, "注册了茶叶合作社"),
    ),
    "13900000012": (
        ["phone-basics", "wechat-basics"],
        [
            (7, "sale", "wechat_group", "番薯干", "15", "斤", 225, "self_reported"),
        ],
        [],
        None,
    ),
}


# What the demo's livestreams and listings show besides money (lms.models.practice_kinds).
KIND_EXTRAS = {
    "livestream": {"minutes": 90, "viewers": 46, "orders": 11},
    "product_listing": {"link": "https://weidian.com/item.html?itemID=7100000001"},
}


def add_demo_history(mentors: dict[str, User], today: date) -> int:
    """Add each story to its trainee if they have no history; return how many were added.
    `mentors` maps a trainee's phone to the mentor who follows them."""
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    added = 0
    for phone, (slugs, records, visits, outcome) in STORIES.items():
        trainee = db.session.scalar(select(User).where(User.phone == phone))
        mentor = mentors.get(phone)
        if trainee is None or mentor is None or _has_history(trainee):
            continue
        if all(slug in courses for slug in slugs):
            for slug in slugs:
                course = courses[slug]
                for lesson in course.lessons:
                    learning.mark_learned(trainee, lesson)
                items = learning.quiz_items(course)
                if items:
                    learning.submit_quiz(trainee, course, {i.id: set(i.answer) for i in items})
        for ago, kind, channel, product, qty, unit, yuan, status in records:
            asks = KIND_FORMS[PracticeKind(kind)]
            db.session.add(
                PracticeRecord(
                    trainee_id=trainee.id,
                    kind=PracticeKind(kind),
                    channel=channel,
                    happened_on=today - timedelta(days=ago),
                    product=product if asks.asks_for("product") else "",
                    **KIND_EXTRAS.get(kind, {}),
                    quantity=Decimal(qty) if qty else None,
                    unit=unit,
                    amount_fen=yuan * 100 if yuan is not None else None,
                    status=RecordStatus(status),
                    reviewed_by_id=mentor.id if status == "verified" else None,
                )
            )
        visit_rows = [
            FollowUpVisit(
                trainee_id=trainee.id,
                mentor_id=mentor.id,
                visited_on=today - timedelta(days=ago),
                mode="in_person",
                observations=OBSERVED,
                problem_tags=["logistics"],
                actions="下次回访前再卖出两单，记下来。",
                next_due_on=today - timedelta(days=ago) + timedelta(days=14),
            )
            for ago in visits
        ]
        db.session.add_all(visit_rows)
        if outcome:
            kind, ago, note = outcome
            db.session.add(
                Outcome(
                    trainee_id=trainee.id,
                    kind=kind,
                    note=note,
                    happened_on=today - timedelta(days=ago),
                    recorded_by_id=mentor.id,
                )
            )
        if phone == "13900000010" and visit_rows:  # one promotion signed at a visit
            db.session.flush()
            db.session.add(
                RungPromotion(
                    trainee_id=trainee.id,
                    step=1,
                    kind="promotion",
                    from_rung=5,
                    to_rung=6,
                    signed_by_id=mentor.id,
                    visit_id=visit_rows[-1].id,
                    evidence={"courses": [], "records": [], "requirements": ["演示数据"]},
                    reason="",
                )
            )
        db.session.flush()
        added += 1
    return added


def _has_history(trainee: User) -> bool:
    return db.session.scalar(
        select(
            exists().where(LessonProgress.trainee_id == trainee.id)
            | exists().where(PracticeRecord.trainee_id == trainee.id)
            | exists().where(FollowUpVisit.trainee_id == trainee.id)
        )
    )
