"""`curricula check` on quiz balance: positions, longest-is-right, counts, sets, true/false."""

import shutil
from collections.abc import Collection
from pathlib import Path

import pytest

from tests.services.test_curriculum_files import MINI, edit, problems

COURSE = "curricula/courses/quizzes/course.yaml"
# Eight sets of right letters, one to four of them, each letter right in half the items or so.
SETS = [[0], [1], [1, 2], [0, 3], [0, 2, 3], [1, 2, 3], [0, 1, 2, 3], [2]]
# The single items (the first 24) whose right option is the longest: 6 of 25 with the fixture's.
LONG_RIGHT = range(0, 24, 4)


def balanced() -> list[tuple[str, int, list[int]]]:
    """60 items (64 with the fixture tree's 4): (type, options, right indexes)."""
    single = [("single", 4, [i % 4]) for i in range(24)]
    multiple = [("multiple", 4, SETS[i % 8]) for i in range(16)]
    true_false = [("true_false", 0, [i % 2]) for i in range(20)]
    return single + multiple + true_false


def write_quiz(
    root: Path,
    items,
    *,
    long_right: bool | Collection[int] = LONG_RIGHT,
    same_length: Collection[int] = (),
) -> list[int]:
    """A third course holding `items`; returns each item's line in its course.yaml.

    Wrong options are three characters. Right ones are two, or four in the items whose index is
    in `long_right` (all of them with True), or three in those in `same_length`."""
    folder = root / "courses" / "quizzes"
    folder.mkdir()
    (folder / "quizzes-all.md").write_text("每一题都要想一想。", encoding="utf-8")
    lines = [
        "slug: quizzes",
        "tier: t1",
        "order: 3",
        "title: {zh: 练习, en: Practice}",
        "summary: {zh: 很多题。, en: Many items.}",
        "target_rung: 1",
        "dimensions: [tool_use]",
        "minutes: 30",
        "lessons:",
        "  - slug: quizzes-all",
        "    title: {zh: 全部, en: All}",
        "    minutes: 30",
        "    quiz:",
    ]
    starts = []
    for n, (kind, count, answer) in enumerate(items, start=1):
        starts.append(len(lines) + 1)
        if long_right is True or n - 1 in long_right:
            right = "对对对对"
        else:
            right = "对对对" if n - 1 in same_length else "对对"
        lines += [f"      - slug: q{n}", f"        type: {kind}", f"        question: 第{n}题"]
        if kind == "true_false":
            lines.append(f"        answer: {'true' if answer == [1] else 'false'}")
        else:
            options = [right if i in answer else "错错错" for i in range(count)]
            letters = ["ABCD"[i] for i in answer]
            shown = letters[0] if kind == "single" else f"[{', '.join(letters)}]"
            lines += [f"        options: [{', '.join(options)}]", f"        answer: {shown}"]
        lines.append("        explanation: 说明。")
    (folder / "course.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tracks = root / "tracks.yaml"  # every course gates or recommends something
    tracks.write_text(
        tracks.read_text(encoding="utf-8").replace(
            "recommends: [basics]", "recommends: [basics, quizzes]"
        ),
        encoding="utf-8",
    )
    return starts


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "curricula"
    shutil.copytree(MINI, root)
    return root


def test_a_balanced_tree_passes(root):
    write_quiz(root, balanced())
    assert problems(root) == []


def test_single_choice_answers_piled_on_one_letter(root):
    items = balanced()
    items[:24] = [("single", 4, [1])] * 24
    lines = write_quiz(root, items)
    # 25 single items with the fixture's (three options, B right, first in the tree): an even
    # spread is about 25% each, so B may be right in at most 8 and A, C and D in at least 4.
    basics = "curricula/courses/basics/course.yaml:16"
    assert problems(root) == [
        f"{basics}: single choice: the right answer is A in 0 of 25 items (0%), "
        "below the 15% minimum; change at least 4 more, this item for example",
        f"{basics}: single choice: the right answer is C in 0 of 25 items (0%), "
        "below the 15% minimum; change at least 4 more, this item for example",
        f"{COURSE}:{lines[0]}: single choice: the right answer is D in 0 of 24 items (0%), "
        "below the 15% minimum; change at least 4 more, this item for example",
        f"{COURSE}:{lines[7]}: single choice: the right answer is B in 25 of 25 items (100%), "
        "above the 35% limit; change at least 17 of them, from this item on",
    ]


def test_a_letter_rarely_right_points_at_an_item_that_could_take_it(root):
    items = balanced()
    for i in (15, 19, 23):  # D right in 3 of 24, one short of 15%; A takes two, C one
        items[i] = ("single", 4, [[0, 2, 0][(i - 15) // 4]])
    lines = write_quiz(root, items)
    assert problems(root) == [
        f"{COURSE}:{lines[0]}: single choice: the right answer is D in 3 of 24 items (12%), "
        "below the 15% minimum; change at least 1 more, this item for example",
    ]


def test_the_right_option_is_the_longest_too_often(root):
    lines = write_quiz(root, balanced(), long_right=True)
    # 25 single items, 10 may have the right option longest; the fixture's item does not.
    assert problems(root) == [
        f"{COURSE}:{lines[10]}: single choice: the right option is the longest (or tied for "
        "longest) in 24 of 25 items (96%), above the 40% limit; change at least 14 of them, "
        "from this item on"
    ]


def test_the_right_option_is_the_longest_too_rarely(root):
    write_quiz(root, balanced(), long_right=[0, 4, 8])
    # 25 single items, all with options of different lengths: at least 4 (15%) must have the
    # right option longest, or "never pick the longest" wins. The fixture's item comes first.
    assert problems(root) == [
        "curricula/courses/basics/course.yaml:16: single choice, options of different lengths: "
        "the right option is the longest (or tied for longest) in 3 of 25 items (12%), below the "
        "15% minimum; change at least 1 more, this item for example"
    ]


def test_a_right_option_tied_for_longest_counts_for_the_minimum(root):
    # Three longest-right items of 25 are one short; a fourth whose right option ties two wrong
    # ones (a shorter third makes the lengths differ) makes up the 15%.
    write_quiz(root, balanced(), long_right=[0, 4, 8], same_length=[12])
    course = root / "courses" / "quizzes" / "course.yaml"
    edit(course, "[对对对, 错错错, 错错错, 错错错]", "[对对对, 错错错, 错错错, 错]")
    assert problems(root) == []


def test_items_whose_options_are_all_one_length_do_not_count_for_the_minimum(root):
    # 3 longest-right items of 25 would be too few, but 8 items whose options are all three
    # characters leave 17 with a longest option, and 3 of 17 reach 15%.
    write_quiz(root, balanced(), long_right=[0, 8, 12], same_length=range(1, 24, 3))
    assert problems(root) == []
    shutil.rmtree(root / "courses" / "quizzes")
    write_quiz(root, balanced(), long_right=[0, 8], same_length=range(1, 24, 3))
    assert problems(root) == [
        "curricula/courses/basics/course.yaml:16: single choice, options of different lengths: "
        "the right option is the longest (or tied for longest) in 2 of 17 items (12%), below the "
        "15% minimum; change at least 1 more, this item for example"
    ]


def test_multiple_choice_always_three_right_and_the_same_three(root):
    items = balanced()
    items[24:40] = [("multiple", 4, [0, 1, 2])] * 16
    multiple = write_quiz(root, items)[24:40]
    # 17 multiple items with the fixture's ([A, B] of three options, first in the tree).
    assert problems(root) == [
        f"{COURSE}:{multiple[0]}: multiple choice: D is a right answer in 0 of 16 items (0%), "
        "below the 25% minimum; change at least 4 more, this item for example",
        f"{COURSE}:{multiple[4]}: multiple choice: the right answers are exactly [A, B, C] in 16 "
        "of 17 items (94%), above the 25% limit; change at least 12 of them, from this item on",
        f"{COURSE}:{multiple[8]}: multiple choice: 3 right answers in 16 of 17 items (94%), "
        "above the 50% limit; change at least 8 of them, from this item on",
        f"{COURSE}:{multiple[11]}: multiple choice: A is a right answer in 17 of 17 items "
        "(100%), above the 75% limit; change at least 5 of them, from this item on",
        f"{COURSE}:{multiple[11]}: multiple choice: B is a right answer in 17 of 17 items "
        "(100%), above the 75% limit; change at least 5 of them, from this item on",
        f"{COURSE}:{multiple[12]}: multiple choice: C is a right answer in 16 of 17 items "
        "(94%), above the 75% limit; change at least 4 of them, from this item on",
    ]


def test_true_false_leaning_false(root):
    items = balanced()
    items[40:] = [("true_false", 0, [0] if i % 4 else [1]) for i in range(20)]
    lines = write_quiz(root, items)
    # 22 true/false items, 2 of them true in the fixture: 15 false, 13 allowed, so the 14th
    # false item (the 19th here) is the first to change.
    assert problems(root) == [
        f"{COURSE}:{lines[40 + 18]}: true/false: the answer is false in 15 of 22 items (68%), "
        "above the 60% limit; change at least 2 of them, from this item on"
    ]


def test_small_trees_are_exempt(root):
    items = balanced()
    items[:24] = [("single", 4, [1])] * 24
    items[40:] = [("true_false", 0, [0])] * 20
    write_quiz(root, items[:45])  # 45 items here and 4 in the fixture: 49, under 50
    assert problems(root) == []
    shutil.rmtree(root / "courses" / "quizzes")
    write_quiz(root, items[:46])
    assert len(problems(root)) >= 1
