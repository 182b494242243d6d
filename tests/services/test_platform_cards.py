"""Platform cards: `platforms.yaml` and its cards checked with file and line, imported like the
rest of the tree, and `card:<slug>` links in lessons and tasks resolved to the card's page."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.db import db
from lms.models import Lesson, PlatformCard, PracticeTask
from lms.services import curricula
from tests.services.test_curriculum_files import MINI, SHIPPED, edit, line_of, problems

PLATFORMS = ["taobao", "pinduoduo", "douyin", "kuaishou", "wechat-shop"]


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "curricula"
    shutil.copytree(MINI, root)
    return root


def test_import_creates_the_cards_with_their_date_and_clean_html(ctx, tree):
    report = curricula.import_tree(tree)
    assert report.counts["platform cards"]["added"] == 2
    cards = db.session.scalars(select(PlatformCard).order_by(PlatformCard.position)).all()
    assert [(c.slug, c.name_zh, c.name_en, c.checked_on) for c in cards] == [
        ("taobao", "淘宝", "Taobao", date(2026, 12, 3)),
        ("wechat-shop", "微信小店", "WeChat Shop", date(2026, 12, 1)),
    ]
    assert cards[0].body_html.startswith("<h2>开店要什么</h2>")
    assert '<a href="/learn/cards/wechat-shop" rel="noopener noreferrer">' in cards[0].body_html
    assert '<a href="/learn/cards" rel="noopener noreferrer">规则卡</a>' in cards[1].body_html


def test_card_links_in_lessons_and_tasks_become_the_cards_pages(ctx, tree):
    curricula.import_tree(tree)
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "selling-first-post"))
    assert (
        '<a href="/learn/cards/taobao" rel="noopener noreferrer">淘宝的规则卡</a>'
        in lesson.body_html
    )
    task = db.session.scalar(select(PracticeTask))
    assert '<a href="/learn/cards" rel="noopener noreferrer">平台规则卡</a>' in (
        task.instructions_html
    )


def test_reimport_keeps_cards_and_an_edit_or_removal_is_counted(ctx, tree):
    curricula.import_tree(tree)
    again = curricula.import_tree(tree)
    assert dict(again.counts["platform cards"]) == {"unchanged": 2}
    taobao = db.session.scalar(select(PlatformCard).where(PlatformCard.slug == "taobao"))
    edit(tree / "platforms.yaml", "checked_on: 2026-12-03", "checked_on: 2027-01-05")
    edit(tree / "platforms.yaml", "  - slug: wechat-shop", "  - slug: wechat-shop-old")
    edit(tree / "courses" / "selling" / "course.yaml", "(card:index)", "(card:taobao)")
    edit(tree / "platforms" / "taobao.md", "(card:wechat-shop)", "(card:wechat-shop-old)")
    third = curricula.import_tree(tree)
    assert {k: dict(v) for k, v in third.counts.items()}["platform cards"] == {
        "updated": 1,
        "added": 1,
        "archived": 1,
    }
    assert taobao.checked_on == date(2027, 1, 5) and taobao.revision == 2
    old = db.session.scalar(select(PlatformCard).where(PlatformCard.slug == "wechat-shop"))
    assert old.is_archived


def test_a_link_to_an_unknown_card_is_reported_at_its_file_and_line(tree):
    post = tree / "courses" / "selling" / "selling-first-post.md"
    edit(post, "(card:taobao)", "(card:taobo)")
    edit(tree / "courses" / "selling" / "course.yaml", "(card:index)", "(card:all)")
    known = "(platforms.yaml has: taobao, wechat-shop; or card:index)"
    task_line = line_of(tree / "courses" / "selling" / "course.yaml", "instructions:")
    assert problems(tree) == [
        f"curricula/courses/selling/course.yaml:{task_line}: unknown platform card "
        f"'card:all' {known} in 'instructions'",
        f"curricula/courses/selling/selling-first-post.md:3: unknown platform card "
        f"'card:taobo' {known}",
    ]


def test_bad_platforms_yaml_unknown_key_bad_date_missing_file(tree):
    platforms = tree / "platforms.yaml"
    edit(platforms, "    checked_on: 2026-12-03\n", "    checked_on: 2026-13-03\n    fees: 5\n")
    edit(platforms, "file: platforms/wechat-shop.md", "file: platforms/weixin.md")
    assert problems(tree) == [
        "curricula/platforms.yaml:4: platform 'checked_on' must be a date YYYY-MM-DD, "
        "got '2026-13-03'",
        "curricula/platforms.yaml:5: unknown field 'fees' in platform",
        "curricula/platforms.yaml:10: platform card file 'platforms/weixin.md' is missing",
    ]


def test_missing_fields_duplicate_and_reserved_slugs(tree):
    platforms = tree / "platforms.yaml"
    edit(platforms, "    checked_on: 2026-12-01\n", "")
    edit(platforms, "  - slug: taobao", "  - slug: index")
    text = platforms.read_text(encoding="utf-8")
    platforms.write_text(text + "  - slug: wechat-shop\n", encoding="utf-8")
    assert problems(tree) == [
        # the lesson's link to taobao, whose slug is now refused
        "curricula/courses/selling/selling-first-post.md:3: unknown platform card "
        "'card:taobao' (platforms.yaml has: wechat-shop; or card:index)",
        "curricula/platforms.yaml:2: 'index' is the list of cards (card:index), not a slug",
        "curricula/platforms.yaml:6: platform is missing 'checked_on'",
        "curricula/platforms.yaml:9: duplicate platform slug 'wechat-shop'",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "unsafe HTML <script>: use plain Markdown"),
        ('<a href="javascript:alert(1)">点我</a>', "unsafe HTML <a href='javascript:alert(1)'>"),
        ("![图](img/a.png)", "a platform card holds text only: no picture 'img/a.png'"),
        ("[拼多多](card:pinduoduo)", "unknown platform card 'card:pinduoduo'"),
    ],
)
def test_unsafe_markdown_in_a_card(tree, text, expected):
    card = tree / "platforms" / "wechat-shop.md"
    edit(card, "身份证和微信。", f"身份证和微信。\n\n{text}")
    found = problems(tree)
    assert len(found) == 1 and found[0].startswith(
        f"curricula/platforms/wechat-shop.md:5: {expected}"
    )


def test_a_tree_without_platforms_yaml_has_no_cards_and_no_card_links(tree):
    (tree / "platforms.yaml").unlink()
    edit(tree / "platforms" / "taobao.md", "(card:wechat-shop)", "")
    edit(tree / "courses" / "selling" / "selling-first-post.md", "(card:taobao)", "")
    assert problems(tree) == []


def test_the_shipped_tree_has_a_dated_card_per_platform():
    from lms.services.curricula.files import load_tree

    tree, found = load_tree(SHIPPED)
    assert found == []
    assert [p.slug for p in tree.platforms] == PLATFORMS
    for card in tree.platforms:
        assert card.checked_on == date(2026, 12, 3)
        assert "示意，以应用里为准" in card.body, card.slug
        assert "保证金" in card.body and "营业执照" in card.body, card.slug
        assert "规则中心" in card.body or "帮助" in card.body, card.slug


def test_every_shipped_deferral_to_a_rules_centre_links_a_card():
    """A lesson or task line that sends the learner to 规则中心 also shows where it is."""
    from lms.services.curricula.files import load_tree

    tree, _ = load_tree(SHIPPED)
    bare = []
    for course in tree.courses:
        for lesson in course.lessons:
            texts = [(lesson.slug, lesson.body)]
            if lesson.practice:
                texts.append((lesson.practice.slug, lesson.practice.instructions))
            for where, text in texts:
                for line in text.splitlines():
                    if "规则中心" in line and "card:" not in line and not line.startswith("!["):
                        bare.append((where, line))
    assert bare == []
