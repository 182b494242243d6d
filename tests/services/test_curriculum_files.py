"""`curricula check`: every kind of problem is reported with its file and line."""

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from lms.services.curricula.files import load_tree

MINI = Path(__file__).resolve().parent.parent / "data" / "mini"
SHIPPED = Path(__file__).resolve().parents[2] / "curricula"


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "curricula"
    shutil.copytree(MINI, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(root: Path) -> list[str]:
    return [str(p) for p in load_tree(root)[1]]


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_fixture_tree_is_valid(tree):
    assert problems(tree) == []


def test_missing_and_unknown_fields(tree):
    course = tree / "courses" / "basics" / "course.yaml"
    edit(course, "minutes: 20\n", "")
    edit(course, "prerequisites: []", "prerequisite: []")
    assert problems(tree) == [
        "curricula/courses/basics/course.yaml:1: course is missing 'minutes'",
        "curricula/courses/basics/course.yaml:8: unknown field 'prerequisite' in course",
    ]


def test_duplicate_slugs_in_two_files(tree):
    edit(
        tree / "courses" / "selling" / "course.yaml",
        "- slug: selling-first-post",
        "- slug: basics-wifi",
    )
    (tree / "courses" / "selling" / "basics-wifi.md").write_text("文字。", encoding="utf-8")
    assert problems(tree) == [
        "curricula/courses/selling/course.yaml:11: duplicate lesson slug 'basics-wifi' "
        "(also in curricula/courses/basics/course.yaml)"
    ]


def test_duplicate_yaml_key(tree):
    edit(tree / "courses" / "basics" / "course.yaml", "order: 1\n", "order: 1\norder: 2\n")
    assert problems(tree) == ["curricula/courses/basics/course.yaml:4: duplicate key 'order'"]


def test_unknown_slugs_tier_and_prerequisite(tree):
    course = tree / "courses" / "selling" / "course.yaml"
    edit(course, "tier: t1", "tier: t9")
    edit(course, "prerequisites: [basics]", "prerequisites: [basic]")
    assert problems(tree) == [
        "curricula/courses/selling/course.yaml:2: unknown tier 't9'",
        "curricula/courses/selling/course.yaml:9: unknown prerequisite course 'basic'",
    ]


def test_prerequisite_cycle(tree):
    edit(
        tree / "courses" / "basics" / "course.yaml", "prerequisites: []", "prerequisites: [selling]"
    )
    assert problems(tree) == [
        "curricula/courses/selling/course.yaml:9: prerequisite cycle: basics → selling → basics"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("answer: B", "", "16: quiz item is missing 'answer'"),
        ("answer: B", "answer: D", "20: answer must name the correct option(s) with letters A–C"),
        ("answer: B", "answer: [A, B]", "20: a single-choice item has exactly one correct letter"),
        (
            "answer: true",
            "answer: maybe",
            "25: a true_false item needs 'answer: true' or 'answer: false'",
        ),
        (
            "type: single",
            "type: essay",
            "17: quiz type must be single, multiple or true_false, got 'essay'",
        ),
    ],
)
def test_quiz_item_without_a_valid_correct_answer(tree, old, new, expected):
    edit(tree / "courses" / "basics" / "course.yaml", old, new)
    assert problems(tree) == [f"curricula/courses/basics/course.yaml:{expected}"]


def test_ladder_requirement_naming_an_unknown_course(tree):
    edit(tree / "ladder.yaml", "courses: [selling]", "courses: [seling]")
    assert problems(tree) == [
        "curricula/ladder.yaml:15: unknown course 'seling' in the ladder requirements"
    ]


def test_missing_and_oversized_images(tree):
    body = tree / "courses" / "basics" / "basics-charge.md"
    edit(body, "(img/charger.png)", "(img/charger.png)\n\n![鸡蛋](img/eggs.jpg)")
    noise = Image.effect_noise((400, 400), 100).convert("RGB")
    noise.save(tree / "courses" / "basics" / "img" / "charger.png")
    assert (tree / "courses" / "basics" / "img" / "charger.png").stat().st_size > 60 * 1024
    found = problems(tree)
    assert (
        found[0] == "curricula/courses/basics/basics-charge.md:4: image 'img/charger.png' is "
        f"{(tree / 'courses/basics/img/charger.png').stat().st_size // 1024} KB; the limit is 60 KB"
    )
    assert (
        found[1] == "curricula/courses/basics/basics-charge.md:6: image 'img/eggs.jpg' is missing"
    )


FIGURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 200">'
    "<title>充电器插在插座上</title>{}"
    '<rect x="10" y="10" width="100" height="60" fill="#eee"/><text x="20" y="40">插座</text>'
    "</svg>"
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (FIGURE.format(""), []),
        (
            FIGURE.format("<script>alert(1)</script>"),
            ["SVG element <script> is not allowed (shapes and text only)"],
        ),
        (
            FIGURE.format('<g onclick="alert(1)"/>'),
            ["SVG attribute onclick= is not allowed (no script)"],
        ),
        (
            FIGURE.format(
                '<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="https://x.cn/a.svg#b"/>'
            ),
            ["SVG link 'https://x.cn/a.svg#b' leaves the file (only #id is allowed)"],
        ),
        (
            FIGURE.format(
                '<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject>'
            ),
            [
                "SVG element <foreignObject> is not allowed (shapes and text only)",
                "SVG element <{http://www.w3.org/1999/xhtml}p> is not allowed "
                "(shapes and text only)",
            ],
        ),
        (
            FIGURE.format('<rect fill="url(https://x.cn/a)"/><rect fill="url(#shade)"/>'),
            ["SVG attribute fill='url(https://x.cn/a)' is not allowed"],
        ),
        (
            FIGURE.format("")
            .replace("<title>充电器插在插座上</title>", "")
            .replace(' viewBox="0 0 320 200"', ""),
            [
                "SVG must say what it shows in a <title> right under <svg>",
                "SVG needs a viewBox so that it scales to the phone's width",
            ],
        ),
        ('<!DOCTYPE svg [<!ENTITY a "b">]><svg/>', ["SVG must not declare a DOCTYPE or entities"]),
        ("<svg", None),
    ],
)
def test_figures_drawn_as_svg_hold_shapes_and_text_only(tree, content, expected):
    edit(tree / "courses" / "basics" / "basics-charge.md", "(img/charger.png)", "(img/charger.svg)")
    (tree / "courses" / "basics" / "img" / "charger.svg").write_text(content, encoding="utf-8")
    line = line_of(tree / "courses" / "basics" / "basics-charge.md", "img/charger.svg")
    found = problems(tree)
    if expected is None:
        assert len(found) == 1 and "SVG is not well-formed XML" in found[0]
        return
    where = f"curricula/courses/basics/basics-charge.md:{line}: image 'img/charger.svg': "
    assert found == [where + message for message in expected]


@pytest.mark.parametrize(
    ("unsafe", "expected"),
    [
        ("<script>alert(1)</script>", ["unsafe HTML <script>: use plain Markdown"]),
        (
            '<a href="javascript:alert(1)">点我</a>',
            ["unsafe HTML <a href='javascript:alert(1)'>: use plain Markdown"],
        ),
        (
            '<img src="img/a.png" onerror="alert(1)">',
            ["unsafe HTML <img onerror=…>: use plain Markdown"],
        ),
        (
            '<iframe src="https://example.com"></iframe>',
            ["unsafe HTML <iframe>: use plain Markdown"],
        ),
        (
            "![外链](https://example.com/a.png)",
            [
                "picture 'https://example.com/a.png' must be a .jpg/.png/.webp/.svg file in the "
                "course's img/ folder (nothing is loaded from outside the server)"
            ],
        ),
    ],
)
def test_markdown_that_renders_unsafe_html(tree, unsafe, expected):
    edit(tree / "courses" / "basics" / "basics-wifi.md", "输入密码。", f"输入密码。\n\n{unsafe}")
    found = [p for p in problems(tree) if "img/a.png' is missing" not in p]
    assert found == [f"curricula/courses/basics/basics-wifi.md:3: {m}" for m in expected]


def test_missing_lesson_file_and_invalid_yaml(tree):
    (tree / "courses" / "selling" / "selling-first-post.md").unlink()
    (tree / "tiers.yaml").write_text("tiers:\n  - slug: t1\n    title: {zh: 基础, en: a: b}\n")
    found = problems(tree)
    assert (
        "curricula/courses/selling/course.yaml:11: lesson body file "
        "'selling-first-post.md' is missing" in found
    )
    assert any(re.match(r"curricula/tiers.yaml:3: invalid YAML", p) for p in found)


def test_every_problem_is_reported_in_one_run(tree):
    edit(tree / "ladder.yaml", "courses: [selling]", "courses: [nope]")
    edit(tree / "courses" / "basics" / "course.yaml", "answer: B", "answer: Z")
    edit(tree / "courses" / "selling" / "course.yaml", "kind: sale", "kind: barter")
    edit(
        tree / "courses" / "selling" / "selling-first-post.md", "拍三张", "<b onclick=x>拍</b>三张"
    )
    assert len(problems(tree)) == 4


def test_rungs_must_be_zero_to_six(tree):
    edit(
        tree / "ladder.yaml",
        "  - {level: 6, name: {zh: 六, en: Six}, description: {zh: 六级, en: Rung six}}\n",
        "",
    )
    assert problems(tree) == [
        "curricula/ladder.yaml:1: rungs must be levels 0 to 6, in order, each once"
    ]


def test_cli_check_exit_status(tree, runner):
    ok = runner.invoke(args=["curricula", "check", str(tree)])
    assert ok.exit_code == 0 and "curricula ok: 1 tiers, 2 courses, 3 lessons" in ok.output
    edit(tree / "ladder.yaml", "courses: [selling]", "courses: [nope]")
    bad = runner.invoke(args=["curricula", "check", str(tree)])
    assert bad.exit_code == 1
    assert "curricula/ladder.yaml:15: unknown course 'nope'" in bad.output


# --- the shipped curriculum -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    tree, found = load_tree(SHIPPED)
    assert found == []
    return tree


def test_shipped_curriculum_meets_the_minimums(shipped):
    counts = shipped.counts()
    assert counts["tiers"] == 6 and counts["rungs"] == 7
    assert counts["courses"] >= 18
    assert counts["lessons"] >= 60
    assert counts["quiz items"] >= 150
    assert counts["practice tasks"] >= 15


def test_shipped_lessons_are_300_to_900_characters(shipped):
    from lms.services.curricula.lesson_markdown import to_html

    for course in shipped.courses:
        for lesson in course.lessons:
            text = re.sub(r"\s", "", re.sub(r"<[^>]+>", "", to_html(lesson.body)))
            assert 300 <= len(text) <= 900, (lesson.slug, len(text))


def test_every_tier_has_courses_and_every_course_is_reachable_on_the_ladder(shipped):
    tiers = {t.slug for t in shipped.tiers}
    assert {c.tier for c in shipped.courses} == tiers
    by_slug = {c.slug: c for c in shipped.courses}
    required_at = {}
    for rung in shipped.rungs:
        if rung.level >= 3:
            assert rung.courses and rung.mentor_signoff, rung.level
        if rung.level >= 4:
            assert rung.practice, rung.level
        for slug in rung.courses:
            required_at[slug] = rung.level
            assert by_slug[slug].target_rung <= rung.level, slug
    # A course required for rung N may only depend on courses available by rung N.
    for slug, level in required_at.items():
        for prerequisite in by_slug[slug].prerequisites:
            assert by_slug[prerequisite].target_rung <= level, (slug, prerequisite)


def test_shipped_practice_tasks_and_quiz_types(shipped):
    for course in shipped.courses:
        kinds = {item.kind for lesson in course.lessons for item in lesson.quiz}
        assert kinds == {"single", "multiple", "true_false"}, course.slug
    task_kinds = {
        lesson.practice.kind for c in shipped.courses for lesson in c.lessons if lesson.practice
    }
    assert {"sale", "livestream", "short_video", "shop_opened", "product_listing"} <= task_kinds


def test_a_lesson_may_name_a_small_recording_of_itself(tree):
    course = tree / "courses" / "basics" / "course.yaml"
    edit(
        course,
        "    title: {zh: 充电, en: Charging}\n",
        "    title: {zh: 充电, en: Charging}\n    audio: audio/charge.opus\n",
    )
    audio = tree / "courses" / "basics" / "audio"
    line = line_of(course, "audio:")
    where = f"curricula/courses/basics/course.yaml:{line}"
    assert problems(tree) == [f"{where}: lesson audio file 'audio/charge.opus' is missing"]
    audio.mkdir()
    (audio / "charge.opus").write_bytes(b"OggS" + bytes(2 * 1024 * 1024))
    assert problems(tree) == [
        f"{where}: lesson audio 'audio/charge.opus' is 2048 KB; the limit is 1024 KB"
    ]
    (audio / "charge.opus").write_bytes(b"OggS" + bytes(1000))
    assert problems(tree) == []
    assert load_tree(tree)[0].courses[0].lessons[0].audio == "audio/charge.opus"
    for wrong in ("charge.opus", "audio/charge.mp3", "audio/../course.yaml", "42"):
        edit(course, f"audio: {'audio/charge.opus'}", f"audio: {wrong}")
        found = problems(tree)
        assert len(found) == 1 and "lesson audio must be an .opus/.ogg/.m4a/.aac file" in found[0]
        edit(course, f"audio: {wrong}", "audio: audio/charge.opus")


GLOSSARY = """terms:
  - term: 朋友圈
    meaning: {zh: 微信里发给好友看的地方, en: WeChat Moments}
  - term: 无线局域网
    meaning: {zh: 家里的无线网络, en: Wi-Fi}
  - term: 充电器
    meaning: {zh: 给手机充电的插头, en: charger}
"""


def test_every_glossary_term_is_explained_where_a_learner_first_meets_it(tree):
    (tree / "glossary.yaml").write_text(GLOSSARY, encoding="utf-8")
    wifi = tree / "courses" / "basics" / "basics-wifi.md"
    post = tree / "courses" / "selling" / "selling-first-post.md"
    charge = tree / "courses" / "basics" / "basics-charge.md"
    # 充电器 and 无线局域网 are first met unexplained (basics, in lesson order); 朋友圈 is first
    # met in the later course, also unexplained.
    found = problems(tree)
    assert [p.split(": ")[0] for p in found] == [
        "curricula/courses/basics/basics-charge.md:1",
        "curricula/courses/basics/basics-wifi.md:1",
        "curricula/courses/selling/selling-first-post.md:1",
    ]
    assert "'充电器' is first used here without saying what it is" in found[0]
    assert "给手机充电的插头" in found[0] and "充电器（…）" in found[0]
    # Explained at the first use, in each of the ways lessons do; later uses need nothing.
    edit(charge, "把充电器插到插座上。", "把充电器（给手机充电的插头）插到插座上。\n\n再用充电器。")
    edit(wifi, "点**无线局域网**，", "点**无线局域网**，无线局域网就是家里的无线网络，")
    post.write_text("## 朋友圈：好友都能看到的地方\n\n拍三张照片，发到朋友圈。", encoding="utf-8")
    assert problems(tree) == []
    # Explained only after the first use is not explained where the learner met it.
    post.write_text("拍三张照片，发到朋友圈。\n\n这叫朋友圈。", encoding="utf-8")
    assert [p.split(": ")[0] for p in problems(tree)] == [
        "curricula/courses/selling/selling-first-post.md:1"
    ]


def test_a_glossary_term_twice_or_without_a_meaning_is_a_problem(tree):
    (tree / "glossary.yaml").write_text(
        GLOSSARY + "  - term: 朋友圈\n    meaning: {zh: 又一次, en: again}\n  - term: 设置\n",
        encoding="utf-8",
    )
    found = [p for p in problems(tree) if p.startswith("curricula/glossary.yaml")]
    assert found == [
        "curricula/glossary.yaml:8: duplicate term '朋友圈'",
        "curricula/glossary.yaml:10: term is missing 'meaning'",
    ]
