"""`curricula import`: idempotent, revisions on edit, archive on removal, all or nothing."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.models import (
    Course,
    Lesson,
    PlatformCard,
    PracticeTask,
    QuizItem,
    Rung,
    RungPracticeRequirement,
    Tier,
)
from lms.services import curricula
from tests.services.test_curriculum_files import MINI, edit


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "curricula"
    shutil.copytree(MINI, root)
    return root


def counts(report: curricula.ImportReport) -> dict[str, dict[str, int]]:
    return {kind: {k: v for k, v in c.items() if v} for kind, c in report.counts.items()}


def table_counts() -> list[int]:
    return [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (
            Tier,
            Course,
            Lesson,
            QuizItem,
            PracticeTask,
            Rung,
            RungPracticeRequirement,
            PlatformCard,
        )
    ]


def test_first_import_adds_everything(ctx, tree):
    report = curricula.import_tree(tree)
    assert counts(report) == {
        "tiers": {"added": 1},
        "courses": {"added": 2},
        "lessons": {"added": 3},
        "quiz items": {"added": 4},
        "practice tasks": {"added": 1},
        "rungs": {"added": 7},
        "tracks": {"added": 1},
        "platform cards": {"added": 2},
    }
    selling = db.session.scalar(select(Course).where(Course.slug == "selling"))
    assert [p.slug for p in selling.prerequisites] == ["basics"]
    assert selling.pass_mark == 80 and selling.dimensions == ["online_coordination", "tool_use"]
    rung4 = db.session.get(Rung, 4)
    assert [c.slug for c in rung4.required_courses] == ["selling"]
    assert [r.as_dict() for r in rung4.practice_requirements] == [
        {"kinds": ["sale"], "count": 2, "within_days": 90}
    ]
    assert rung4.mentor_signoff


def test_markdown_is_rendered_once_at_import_and_sanitised(ctx, tree):
    curricula.import_tree(tree)
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "basics-charge"))
    assert lesson.body_html.startswith("<ol>\n<li>把充电器插到插座上。</li>")
    assert (
        '<img alt="充电器" src="/learn/img/basics/charger.png" loading="lazy">' in lesson.body_html
    )
    task = db.session.scalar(select(PracticeTask))
    assert task.instructions_html.startswith("<ol>") and task.kind == "sale"
    quiz = db.session.scalar(
        select(QuizItem).where(QuizItem.slug == "q1", QuizItem.lesson_id == lesson.id)
    )
    assert quiz.options == ["扔掉", "充电", "摇一摇"] and quiz.answer == [1]
    assert quiz.is_correct({1}) and not quiz.is_correct({0, 1})


def test_reimport_is_idempotent(ctx, tree):
    curricula.import_tree(tree)
    before = table_counts()
    report = curricula.import_tree(tree)
    assert counts(report) == {
        "tiers": {"unchanged": 1},
        "courses": {"unchanged": 2},
        "lessons": {"unchanged": 3},
        "quiz items": {"unchanged": 4},
        "practice tasks": {"unchanged": 1},
        "rungs": {"unchanged": 7},
        "tracks": {"unchanged": 1},
        "platform cards": {"unchanged": 2},
    }
    assert table_counts() == before


def test_editing_a_lesson_bumps_its_revision_and_keeps_its_id(ctx, tree):
    curricula.import_tree(tree)
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "basics-wifi"))
    lesson_id = lesson.id
    edit(tree / "courses" / "basics" / "basics-wifi.md", "输入密码。", "输入密码，再点**加入**。")
    report = curricula.import_tree(tree)
    assert counts(report)["lessons"] == {"updated": 1, "unchanged": 2}
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.revision == 2 and "<strong>加入</strong>" in lesson.body_html


def test_changing_prerequisites_or_requirements_counts_as_an_update(ctx, tree):
    curricula.import_tree(tree)
    edit(
        tree / "courses" / "selling" / "course.yaml", "prerequisites: [basics]", "prerequisites: []"
    )
    edit(tree / "ladder.yaml", "count: 2", "count: 3")
    report = curricula.import_tree(tree)
    assert counts(report)["courses"] == {"updated": 1, "unchanged": 1}
    assert counts(report)["rungs"] == {"updated": 1, "unchanged": 6}
    assert db.session.scalar(select(Course).where(Course.slug == "selling")).prerequisites == []
    assert db.session.get(Rung, 4).practice_requirements[0].count == 3


def test_removed_lessons_and_courses_are_archived_not_deleted(ctx, tree):
    curricula.import_tree(tree)
    shutil.rmtree(tree / "courses" / "selling")
    edit(tree / "ladder.yaml", "courses: [selling]", "courses: [basics]")
    course = tree / "courses" / "basics" / "course.yaml"
    text = course.read_text(encoding="utf-8")
    course.write_text(text[: text.index("  - slug: basics-wifi")], encoding="utf-8")
    report = curricula.import_tree(tree)
    assert counts(report)["courses"] == {"archived": 1, "unchanged": 1}
    assert counts(report)["lessons"] == {"archived": 2, "unchanged": 1}
    assert counts(report)["practice tasks"] == {"archived": 1}
    assert counts(report)["quiz items"] == {"archived": 2, "unchanged": 2}
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 3
    selling = db.session.scalar(select(Course).where(Course.slug == "selling"))
    assert selling.is_archived
    basics = db.session.scalar(select(Course).where(Course.slug == "basics"))
    assert [x.slug for x in basics.lessons] == ["basics-charge"]  # current lessons only
    assert [c.slug for c in basics.tier.courses] == ["basics"]


def test_a_restored_lesson_comes_back_with_the_same_id(ctx, tree):
    curricula.import_tree(tree)
    lesson_id = db.session.scalar(select(Lesson.id).where(Lesson.slug == "selling-first-post"))
    backup = tree.parent / "selling"
    shutil.move(tree / "courses" / "selling", backup)
    edit(tree / "ladder.yaml", "courses: [selling]", "courses: [basics]")
    curricula.import_tree(tree)
    shutil.move(backup, tree / "courses" / "selling")
    edit(
        tree / "ladder.yaml",
        "courses: [basics]\n      practice",
        "courses: [selling]\n      practice",
    )
    report = curricula.import_tree(tree)
    assert counts(report)["lessons"] == {"updated": 1, "unchanged": 2}
    lesson = db.session.get(Lesson, lesson_id)
    assert not lesson.is_archived and lesson.revision == 1


def test_an_invalid_tree_changes_nothing(ctx, tree, runner):
    curricula.import_tree(tree)
    db.session.commit()
    before = table_counts()
    edit(tree / "courses" / "basics" / "basics-wifi.md", "输入密码。", "输入密码，再点加入。")
    edit(tree / "ladder.yaml", "courses: [selling]", "courses: [nope]")
    result = runner.invoke(args=["curricula", "import", str(tree)])
    assert result.exit_code == 1
    assert "curricula/ladder.yaml:15: unknown course 'nope'" in result.output
    assert "nothing imported" in result.output
    db.session.expire_all()
    assert table_counts() == before
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "basics-wifi"))
    assert lesson.revision == 1 and "加入" not in lesson.body_md


def test_cli_import_dry_run_and_summary(ctx, tree, runner):
    dry = runner.invoke(args=["curricula", "import", "--dry-run", str(tree)])
    assert dry.exit_code == 0 and "dry run" in dry.output
    assert "lessons         added    3" in dry.output
    assert table_counts()[0] == 0
    real = runner.invoke(args=["curricula", "import", str(tree)])
    assert "quiz items      added    4  updated    0  unchanged    0  archived    0" in real.output
    again = runner.invoke(args=["curricula", "import", str(tree)])
    assert "quiz items      added    0  updated    0  unchanged    4  archived    0" in again.output


def test_shipped_curriculum_imports(ctx):
    report = curricula.import_tree(Path(__file__).resolve().parents[2] / "curricula")
    added = {kind: c["added"] for kind, c in report.counts.items()}
    assert added["courses"] >= 18 and added["lessons"] >= 60 and added["quiz items"] >= 150
    assert added["practice tasks"] >= 15


def test_reimport_after_edits_and_removal_keeps_every_learners_progress(ctx, tree):
    from lms.models import CourseCompletion, LessonProgress
    from lms.services import learning
    from tests.factories import make_user

    curricula.import_tree(tree)
    trainee = make_user()
    basics = db.session.scalar(select(Course).where(Course.slug == "basics"))
    for lesson in basics.lessons:
        learning.mark_learned(trainee, lesson)
    learning.submit_quiz(
        trainee, basics, {i.id: set(i.answer) for i in learning.quiz_items(basics)}
    )
    before = db.session.execute(select(LessonProgress.lesson_id, LessonProgress.revision)).all()
    assert len(before) == 2 and db.session.scalar(select(func.count(CourseCompletion.id))) == 1

    edit(tree / "courses" / "basics" / "basics-wifi.md", "输入密码。", "输入密码，再点加入。")
    course = tree / "courses" / "basics" / "course.yaml"
    text = course.read_text(encoding="utf-8")
    course.write_text(text[: text.index("  - slug: basics-wifi")], encoding="utf-8")
    curricula.import_tree(tree)

    after = db.session.execute(select(LessonProgress.lesson_id, LessonProgress.revision)).all()
    assert sorted(after) == sorted(before)  # same rows, same lessons, nothing lost
    archived = db.session.scalar(select(Lesson).where(Lesson.slug == "basics-wifi"))
    assert archived.is_archived and archived.id in {lesson_id for lesson_id, _ in after}
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1
