"""Learning progress: lessons learned, quiz attempts and completed courses, each time-stamped so
leads can count them over time."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import db, new_uuid
from lms.models.curriculum import Course, Lesson


class LessonProgress(db.Model):
    """A trainee marked a lesson as learned (at the lesson's revision of that moment)."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("trainee_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    revision: Mapped[int]
    learned_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    lesson: Mapped[Lesson] = relationship()


class QuizAttempt(db.Model):
    """One submitted course quiz: every answer, the score, and whether it passed."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # quiz item id → chosen option indexes
    correct: Mapped[int]
    total: Mapped[int]
    percent: Mapped[int]
    passed: Mapped[bool]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    course: Mapped[Course] = relationship()


class CourseCompletion(db.Model):
    """A course completed: every lesson learned and the quiz passed."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("trainee_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    course: Mapped[Course] = relationship()
