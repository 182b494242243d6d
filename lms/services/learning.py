"""Learning: which courses a trainee may take, lessons learned, course quizzes and completion.

Services flush, never commit.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.db import client_uuid, db, insert_once
from lms.errors import LmsError, UuidTaken, ValidationError
from lms.models import (
    Course,
    CourseCompletion,
    Lesson,
    LessonProgress,
    QuizAttempt,
    QuizItem,
    QuizKind,
    Tier,
    User,
)
from lms.models.curriculum import course_prerequisites


class CourseLocked(LmsError):
    """The course's prerequisites are not completed yet."""

    def __init__(self, missing: list[Course]):
        super().__init__(", ".join(c.slug for c in missing))
        self.missing = missing


@dataclass
class CourseProgress:
    course: Course
    lessons_total: int
    lessons_learned: int
    completed: bool
    missing_prerequisites: list[Course] = field(default_factory=list)
    best_percent: int | None = None

    @property
    def is_open(self) -> bool:
        return not self.missing_prerequisites

    @property
    def percent(self) -> int:
        if self.completed:
            return 100
        return round(100 * self.lessons_learned / self.lessons_total) if self.lessons_total else 0


def completed_course_ids(trainee: User) -> set[int]:
    return set(
        db.session.scalars(
            select(CourseCompletion.course_id).where(CourseCompletion.trainee_id == trainee.id)
        )
    )


def learned_lesson_ids(trainee: User, course: Course | None = None) -> set[int]:
    query = select(LessonProgress.lesson_id).where(LessonProgress.trainee_id == trainee.id)
    if course is not None:
        query = query.join(Lesson).where(Lesson.course_id == course.id)
    return set(db.session.scalars(query))


def catalogue(trainee: User) -> list[tuple[Tier, list[CourseProgress]]]:
    """Every current tier with its courses and the trainee's progress (fixed query count)."""
    tiers = db.session.scalars(
        select(Tier).where(Tier.archived_at.is_(None)).order_by(Tier.position)
    ).all()
    courses = db.session.scalars(
        select(Course).where(Course.archived_at.is_(None)).order_by(Course.position)
    ).all()
    by_id = {c.id: c for c in courses}
    lesson_counts = dict(
        db.session.execute(
            select(Lesson.course_id, func.count(Lesson.id))
            .where(Lesson.archived_at.is_(None))
            .group_by(Lesson.course_id)
        ).all()
    )
    learned_counts = dict(
        db.session.execute(
            select(Lesson.course_id, func.count(LessonProgress.id))
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
            .where(LessonProgress.trainee_id == trainee.id, Lesson.archived_at.is_(None))
            .group_by(Lesson.course_id)
        ).all()
    )
    best = dict(
        db.session.execute(
            select(QuizAttempt.course_id, func.max(QuizAttempt.percent))
            .where(QuizAttempt.trainee_id == trainee.id)
            .group_by(QuizAttempt.course_id)
        ).all()
    )
    completed = completed_course_ids(trainee)
    prerequisites: dict[int, list[int]] = {}
    for course_id, prerequisite_id in db.session.execute(select(course_prerequisites)).all():
        prerequisites.setdefault(course_id, []).append(prerequisite_id)

    result = []
    for tier in tiers:
        rows = []
        for course in (c for c in courses if c.tier_id == tier.id):
            started = learned_counts.get(course.id, 0) or course.id in completed
            missing = [
                by_id[p]
                for p in prerequisites.get(course.id, [])
                if p not in completed and p in by_id and not started
            ]
            rows.append(
                CourseProgress(
                    course,
                    lesson_counts.get(course.id, 0),
                    learned_counts.get(course.id, 0),
                    course.id in completed,
                    missing,
                    best.get(course.id),
                )
            )
        result.append((tier, rows))
    return result


def course_progress(trainee: User, course: Course) -> CourseProgress:
    completed = completed_course_ids(trainee)
    learned = learned_lesson_ids(trainee, course) & {lesson.id for lesson in course.lessons}
    # A course once started stays open: a prerequisite added to it later (a curricula import)
    # never locks a trainee out of a course they are halfway through.
    started = bool(learned) or course.id in completed
    missing = [
        p
        for p in course.prerequisites
        if p.id not in completed and not p.is_archived and not started
    ]
    best = db.session.scalar(
        select(func.max(QuizAttempt.percent)).where(
            QuizAttempt.trainee_id == trainee.id, QuizAttempt.course_id == course.id
        )
    )
    return CourseProgress(
        course,
        len(course.lessons),
        len(learned),
        course.id in completed,
        missing,
        best,
    )


def ensure_open(trainee: User, course: Course) -> None:
    """Raise CourseLocked unless every prerequisite of `course` is completed."""
    progress = course_progress(trainee, course)
    if not progress.is_open:
        raise CourseLocked(progress.missing_prerequisites)


def mark_learned(trainee: User, lesson: Lesson) -> LessonProgress:
    """Record that the trainee learned `lesson`; may complete the course. Idempotent, also for
    two taps at once: the second stores nothing."""
    ensure_open(trainee, lesson.course)
    values = {"trainee_id": trainee.id, "lesson_id": lesson.id, "revision": lesson.revision}
    if insert_once(LessonProgress, values, "trainee_id", "lesson_id"):
        _complete_if_done(trainee, lesson.course)
    return db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.trainee_id == trainee.id, LessonProgress.lesson_id == lesson.id
        )
    )


def current(model, slug: str | None):
    """The course, lesson or practice task with this slug, unless it has been archived."""
    if not slug:
        return None
    return db.session.scalar(select(model).where(model.slug == slug, model.archived_at.is_(None)))


def chosen_answers(items: list[QuizItem], getlist) -> dict[int, set[int]]:
    """The options chosen for each item, from posted values (`getlist(f"q{item.id}")`);
    anything that is not a small option number is no answer."""
    return {
        item.id: {
            int(v) for v in getlist(f"q{item.id}") if v.isascii() and v.isdigit() and len(v) < 3
        }
        for item in items
    }


def quiz_items(course: Course) -> list[QuizItem]:
    """The course quiz: the current quiz items of its current lessons, in lesson order."""
    return [item for lesson in course.lessons for item in lesson.quiz_items]


@dataclass
class QuizResult:
    attempt: QuizAttempt
    items: list[QuizItem]
    chosen: dict[int, set[int]]
    course_completed: bool


class AttemptAlreadySubmitted(LmsError):
    """The uuid names an attempt already stored with other answers: an attempt, once handed
    in, is not changed. Nothing is written; the trainee may start a new attempt."""


def submit_quiz(
    trainee: User, course: Course, chosen: dict[int, set[int]], *, uuid: str | None = None
) -> QuizResult:
    """Check the answers on the server and store the attempt.

    `chosen` maps quiz item id → chosen option indexes (true/false: {1} true, {0} false). Every
    item needs an answer (ValidationError lists the unanswered ones). A re-sent attempt (same
    uuid, same answers) is returned as it was, not stored twice, also when sent twice at once;
    other answers under that uuid raise AttemptAlreadySubmitted, another trainee's uuid
    UuidTaken.
    """
    ensure_open(trainee, course)
    items = quiz_items(course)
    uuid = client_uuid(uuid)
    existing = _attempt(uuid)
    if existing is not None:
        return _resent(trainee, course, items, existing, chosen)
    errors = {}
    for number, item in enumerate(items, start=1):
        answer = chosen.get(item.id, set())
        valid = range(2) if item.kind is QuizKind.TRUE_FALSE else range(len(item.options))
        if (
            not answer
            or not answer <= set(valid)
            or (item.kind is not QuizKind.MULTIPLE and len(answer) != 1)
        ):
            errors[f"q{item.id}"] = _("第%(n)d题还没有选答案。", n=number)
    if errors:
        raise ValidationError(errors)
    correct = sum(1 for item in items if item.is_correct(chosen[item.id]))
    percent = round(100 * correct / len(items)) if items else 100
    values = {
        "uuid": uuid,
        "trainee_id": trainee.id,
        "course_id": course.id,
        "correct": correct,
        "total": len(items),
        "percent": percent,
        "passed": percent >= course.pass_mark,
        "answers": {str(item.id): sorted(chosen[item.id]) for item in items},
    }
    if not insert_once(QuizAttempt, values, "uuid"):  # the same attempt, sent twice at once
        return _resent(trainee, course, items, _attempt(uuid), chosen)
    attempt = _attempt(uuid)
    completed = (
        _complete_if_done(trainee, course)
        if attempt.passed
        else (course.id in completed_course_ids(trainee))
    )
    return QuizResult(attempt, items, chosen, completed)


def _attempt(uuid: str) -> QuizAttempt | None:
    return db.session.scalar(select(QuizAttempt).where(QuizAttempt.uuid == uuid))


def _resent(trainee, course, items, existing: QuizAttempt, chosen) -> QuizResult:
    if existing.trainee_id != trainee.id or existing.course_id != course.id:
        raise UuidTaken()
    stored = {int(k): set(v) for k, v in existing.answers.items()}
    if any(chosen.get(item_id, set()) != answer for item_id, answer in stored.items()):
        raise AttemptAlreadySubmitted()
    return QuizResult(existing, items, stored, course.id in completed_course_ids(trainee))


def _complete_if_done(trainee: User, course: Course) -> bool:
    """Store the completion once every lesson is learned and the quiz (if any) passed."""
    if course.id in completed_course_ids(trainee):
        return True
    lesson_ids = {lesson.id for lesson in course.lessons}
    if not lesson_ids <= learned_lesson_ids(trainee, course):
        return False
    if quiz_items(course) and not db.session.scalar(
        select(QuizAttempt.id)
        .where(
            QuizAttempt.trainee_id == trainee.id,
            QuizAttempt.course_id == course.id,
            QuizAttempt.passed.is_(True),
        )
        .limit(1)
    ):
        return False
    insert_once(
        CourseCompletion,
        {"trainee_id": trainee.id, "course_id": course.id},
        "trainee_id",
        "course_id",
    )
    return True


def next_lesson(trainee: User, rows: list[CourseProgress]) -> Lesson | None:
    """The first lesson not yet learned in the first open course of `rows` that still has one
    (rows as `catalogue` gives them, in the order to suggest them)."""
    row = next(
        (r for r in rows if r.is_open and not r.completed and r.lessons_learned < r.lessons_total),
        None,
    )
    if row is None:
        return None
    learned = learned_lesson_ids(trainee, row.course)
    return next((lesson for lesson in row.course.lessons if lesson.id not in learned), None)
