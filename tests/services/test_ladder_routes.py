"""Routes and tracks on the shipped ladder: rung 5 by shop, livestream or WeChat group, rung 6
by teaching others or co-operative work; a track changes what is recommended and what a rung
asks. Both paths (evaluate_many in Python, ready_for_signoff in SQL) must agree."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.db import db
from lms.models import Course, CourseCompletion, Track, User
from lms.services import curricula, ladder, ladder_ready
from tests.factories import make_record, make_user

TODAY = date(2026, 11, 22)
SHIPPED = Path(__file__).resolve().parents[2] / "curricula"
RUNG5_COMMON = ["sell-legally", "logistics-cold-chain"]
RUNG5 = {
    "shop": ["open-online-shop", "after-sales-and-scams"],
    "livestream": [
        "short-video",
        "livestream-selling",
        "ad-law-compliance",
        "live-selling-compliance",
    ],
    "wechat-group": ["wechat-selling", "customer-service"],
}
RUNG6_COMMON = ["shop-data-basics", "customer-profiles", "local-brand"]
RUNG6 = {
    "teach-others": ["incubation-teaching"],
    "cooperative": ["cooperative-quality", "financing-insurance"],
}


@pytest.fixture
def shipped(ctx):
    curricula.import_tree(SHIPPED)
    db.session.flush()


def complete(trainee: User, *slugs: str) -> None:
    for course in db.session.scalars(select(Course).where(Course.slug.in_(slugs))):
        db.session.add(CourseCompletion(trainee_id=trainee.id, course_id=course.id))
    db.session.flush()


def at(rung: int, track: str | None = None) -> User:
    trainee = make_user()
    trainee.profile.baseline_rung = rung
    if track:
        trainee.profile.track_id = db.session.scalar(select(Track.id).where(Track.slug == track))
    db.session.flush()
    return trainee


def records(trainee, n, kind="sale", days_ago=10, **fields):
    for i in range(n):
        make_record(
            trainee,
            kind=kind,
            happened_on=TODAY - timedelta(days=days_ago + i),
            status="verified",
            **fields,
        )


def ready(trainee) -> bool:
    """Both paths, which must agree."""
    status = ladder.evaluate(trainee, today=TODAY)
    query = select(User.id).where(User.id == trainee.id)
    sql = ladder_ready.ready_for_signoff(
        query, {trainee.id: ladder.current_rung(trainee)}, today=TODAY
    )[trainee.id]
    assert sql == status.ready_for_signoff, (sql, status.requirements)
    return status.ready_for_signoff


def test_rung_five_by_a_shop(shipped):
    trainee = at(4)
    complete(trainee, *RUNG5_COMMON, *RUNG5["shop"])
    records(trainee, 10, channel="pinduoduo")
    assert not ready(trainee)  # no shop opened yet
    assert ladder.evaluate(trainee, today=TODAY).route.slug == "shop"  # closest: one missing
    records(trainee, 1, kind="shop_opened", days_ago=700, channel="pinduoduo")  # any time
    assert ready(trainee)
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.route.slug == "shop" and status.route.missing == 0


def test_rung_five_by_livestreams(shipped):
    trainee = at(4)
    complete(trainee, *RUNG5_COMMON, *RUNG5["livestream"])
    records(trainee, 10, channel="douyin")
    records(trainee, 2, kind="livestream", channel="douyin")
    records(trainee, 1, kind="livestream", days_ago=400, channel="douyin")  # out of the window
    assert not ready(trainee)
    records(trainee, 1, kind="livestream", days_ago=300, channel="douyin")
    assert ready(trainee)
    assert ladder.evaluate(trainee, today=TODAY).route.slug == "livestream"


def test_rung_five_by_a_wechat_group_counts_sales_on_wechat_only(shipped):
    trainee = at(4)
    complete(trainee, *RUNG5_COMMON, *RUNG5["wechat-group"])
    records(trainee, 3, channel="market_stall")
    records(trainee, 7, channel="wechat_group")
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.route.slug == "wechat-group" and not ready(trainee)
    texts = [r.text for r in status.missing if r.kind != "signoff"]
    assert texts == [
        "最近365天内有8条导师核实过的在微信群或微信朋友圈或视频号或微信小店卖的销售记录（现在有7条）"
    ]
    records(trainee, 1, channel="wechat_moments", days_ago=200)  # the tea season, months ago
    assert ready(trainee)


def test_rung_five_needs_the_common_courses_on_every_route(shipped):
    trainee = at(4)
    complete(trainee, "sell-legally", *RUNG5["wechat-group"])
    records(trainee, 10, channel="wechat_group")
    assert not ready(trainee)
    complete(trainee, "logistics-cold-chain")
    assert ready(trainee)


@pytest.mark.parametrize(
    "route, kind, count",
    [("teach-others", "taught_others", 2), ("cooperative", "cooperative_work", 1)],
)
def test_rung_six_by_teaching_others_or_cooperative_work(shipped, route, kind, count):
    trainee = at(5)
    complete(trainee, *RUNG6_COMMON, *RUNG6[route])
    records(trainee, 30, channel="wechat_group", days_ago=1)
    records(trainee, 3, kind="short_video", channel="douyin")
    assert not ready(trainee)  # sales alone are not an innovator's evidence
    status = ladder.evaluate(trainee, today=TODAY)
    assert status.route.slug == route
    records(trainee, count - 1, kind=kind, channel="other")
    assert not ready(trainee)
    records(trainee, 1, kind=kind, channel="other", days_ago=100)
    assert ready(trainee)


def test_a_track_replaces_a_course_and_prefers_its_route(shipped):
    plain, craft = at(4), at(4, "handicraft")
    for trainee in (plain, craft):
        complete(trainee, "sell-legally", "short-video", *RUNG5["shop"])
        records(trainee, 10, channel="taobao")
        records(trainee, 1, kind="shop_opened", channel="taobao")
    # Handicrafts need no cold chain: short-video is asked instead, and done.
    assert ready(craft) and not ready(plain)
    craft_status = ladder.evaluate(craft, today=TODAY)
    assert craft_status.route.is_track_route and craft_status.track.slug == "handicraft"
    courses = [r.course.slug for r in craft_status.requirements if r.kind == "course"]
    assert "logistics-cold-chain" not in courses and "short-video" in courses


def test_a_track_adds_a_course(shipped):
    food = at(4, "processed-food")
    complete(food, *RUNG5_COMMON, *RUNG5["shop"])
    records(food, 10, channel="taobao")
    records(food, 1, kind="shop_opened", channel="taobao")
    assert not ready(food)
    missing = ladder.evaluate(food, today=TODAY).missing
    assert [r.course.slug for r in missing if r.kind == "course"] == ["ad-law-compliance"]
    complete(food, "ad-law-compliance")
    assert ready(food)


def test_the_closest_route_ties_go_to_the_tracks_route(shipped):
    nobody, helper = at(4), at(4, "livestream-helper")
    for trainee in (nobody, helper):
        complete(trainee, "short-video", "livestream-selling")  # 6 missing on every route
    assert ladder.evaluate(nobody, today=TODAY).route.slug == "shop"  # the first in the file
    status = ladder.evaluate(helper, today=TODAY)
    assert status.route.slug == "livestream" and status.route.is_track_route
    assert [r.slug for r in status.other_routes] == ["shop", "wechat-group"]
    complete(nobody, "open-online-shop")
    assert ladder.evaluate(nobody, today=TODAY).route.slug == "shop"
    complete(helper, "wechat-selling", "customer-service")  # now closer than its track's route
    assert ladder.evaluate(helper, today=TODAY).route.slug == "wechat-group"
