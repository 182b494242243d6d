"""The curriculum as imported from `curricula/`: tiers, courses, lessons, quiz items, practice
tasks, and the capability ladder's rungs with what it takes to climb each one.

Every row is keyed by the slug from the files and carries a content revision; rows removed from
the files are archived (archived_at), never deleted, so learners' progress always has a target.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import db, str_enum
from lms.models.labelled import Labelled


class Dimension(Labelled):
    """The four capability dimensions of seed 000 §4."""

    TOOL_USE = "tool_use"
    INFO_ANALYSIS = "info_analysis"
    ONLINE_COORDINATION = "online_coordination"
    RESOURCE_INNOVATION = "resource_innovation"


DIMENSION_LABELS = {
    Dimension.TOOL_USE: _l("ICT工具运用能力"),
    Dimension.INFO_ANALYSIS: _l("信息搜寻分析能力"),
    Dimension.ONLINE_COORDINATION: _l("在线合作协调能力"),
    Dimension.RESOURCE_INNOVATION: _l("资源整合创新能力"),
}
Dimension.labels = DIMENSION_LABELS


class PracticeKind(Labelled):
    """What a practice record (and the practice task asking for it) is about."""

    SALE = "sale"
    LIVESTREAM = "livestream"
    SHORT_VIDEO = "short_video"
    SHOP_OPENED = "shop_opened"
    PRODUCT_LISTING = "product_listing"
    TAUGHT_OTHERS = "taught_others"  # 带教: taught someone else to sell online
    COOPERATIVE_WORK = "cooperative_work"  # 合作社, joint supply, bringing other farmers in


PRACTICE_KIND_LABELS = {
    PracticeKind.SALE: _l("销售"),
    PracticeKind.LIVESTREAM: _l("直播"),
    PracticeKind.SHORT_VIDEO: _l("短视频"),
    PracticeKind.SHOP_OPENED: _l("开网店"),
    PracticeKind.PRODUCT_LISTING: _l("商品上架/发布"),
    PracticeKind.TAUGHT_OTHERS: _l("带教：教会别人"),
    PracticeKind.COOPERATIVE_WORK: _l("合作社/联合供货/带动农户"),
}
PracticeKind.labels = PRACTICE_KIND_LABELS


class QuizKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class Versioned:
    """Columns every imported row has: its content revision, a hash to detect edits, archiving."""

    revision: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime | None]

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Bilingual:
    """title/summary pairs, with the current locale's one picked by `localized`."""

    def localized(self, field: str, locale: str) -> str:
        value = getattr(self, f"{field}_{'en' if locale == 'en' else 'zh'}")
        return value or getattr(self, f"{field}_zh")


class Tier(Versioned, Bilingual, db.Model):
    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int]
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(150))
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")

    courses: Mapped[list["Course"]] = relationship(
        primaryjoin="and_(Tier.id == Course.tier_id, Course.archived_at.is_(None))",
        order_by="Course.position",
        viewonly=True,
    )


course_prerequisites = Table(
    "course_prerequisites",
    db.metadata,
    Column("course_id", ForeignKey("courses.id"), primary_key=True),
    Column("prerequisite_id", ForeignKey("courses.id"), primary_key=True),
)


class Course(Versioned, Bilingual, db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("target_rung BETWEEN 0 AND 6", name="target_rung_range"),
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"), index=True)
    position: Mapped[int]
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(150))
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    target_rung: Mapped[int]
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[int]
    pass_mark: Mapped[int] = mapped_column(default=80)

    tier: Mapped[Tier] = relationship()
    lessons: Mapped[list["Lesson"]] = relationship(  # current lessons; archived ones are kept
        primaryjoin="and_(Course.id == Lesson.course_id, Lesson.archived_at.is_(None))",
        order_by="Lesson.position",
        viewonly=True,
    )
    prerequisites: Mapped[list["Course"]] = relationship(
        secondary=course_prerequisites,
        primaryjoin=lambda: Course.id == course_prerequisites.c.course_id,
        secondaryjoin=lambda: Course.id == course_prerequisites.c.prerequisite_id,
    )


class Lesson(Versioned, Bilingual, db.Model):
    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    position: Mapped[int]
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(150))
    minutes: Mapped[int]
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered and sanitised once, at import
    audio: Mapped[str | None] = mapped_column(String(120))  # a recording, in the course's audio/

    course: Mapped[Course] = relationship()
    quiz_items: Mapped[list["QuizItem"]] = relationship(
        primaryjoin="and_(Lesson.id == QuizItem.lesson_id, QuizItem.archived_at.is_(None))",
        order_by="QuizItem.position",
        viewonly=True,
    )
    practice_task: Mapped["PracticeTask | None"] = relationship(
        primaryjoin="and_(Lesson.id == PracticeTask.lesson_id, PracticeTask.archived_at.is_(None))",
        viewonly=True,
        lazy="selectin",
    )


class QuizItem(Versioned, db.Model):
    __tablename__ = "quiz_items"
    __table_args__ = (UniqueConstraint("lesson_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    slug: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    kind: Mapped[QuizKind] = mapped_column(str_enum(QuizKind))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] for true/false
    # single/multiple: indexes of the correct options; true/false: [1] for true, [0] for false
    answer: Mapped[list[int]] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text)

    lesson: Mapped[Lesson] = relationship()

    def is_correct(self, chosen: set[int]) -> bool:
        return chosen == set(self.answer)


class PracticeTask(Versioned, Bilingual, db.Model):
    """A real action to do after a lesson: a post, a sale, a livestream."""

    __tablename__ = "practice_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    kind: Mapped[PracticeKind] = mapped_column(str_enum(PracticeKind))
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(150))
    instructions_html: Mapped[str] = mapped_column(Text)
    record_html: Mapped[str] = mapped_column(Text)

    lesson: Mapped[Lesson] = relationship()


class Rung(Versioned, Bilingual, db.Model):
    """A rung of the ladder (0 unconnected … 6 innovator) and what climbing to it needs."""

    __tablename__ = "rungs"
    __table_args__ = (CheckConstraint("level BETWEEN 0 AND 6", name="level_range"),)

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    mentor_signoff: Mapped[bool] = mapped_column(default=False)
    # The alternative ways to climb it, in file order: [{"slug", "name_zh", "name_en"}]; [] when
    # there is one way. A way is the common requirements plus one route's (see RungRouteCourse,
    # RungPracticeRequirement.route).
    routes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")

    required_courses: Mapped[list[Course]] = relationship(
        secondary=lambda: rung_courses, order_by=lambda: Course.position
    )
    practice_requirements: Mapped[list["RungPracticeRequirement"]] = relationship(
        back_populates="rung",
        order_by="RungPracticeRequirement.position",
        cascade="all, delete-orphan",
    )
    route_courses: Mapped[list["RungRouteCourse"]] = relationship(
        order_by="RungRouteCourse.position", viewonly=True
    )

    def route_name(self, slug: str | None, locale: str) -> str:
        for route in self.routes:
            if route["slug"] == slug:
                return route["name_en" if locale == "en" else "name_zh"] or route["name_zh"]
        return ""


rung_courses = Table(
    "rung_courses",
    db.metadata,
    Column("rung_level", ForeignKey("rungs.level"), primary_key=True),
    Column("course_id", ForeignKey("courses.id"), primary_key=True),
)


class RungRouteCourse(db.Model):
    """A course one route of a rung requires (besides the rung's common `required_courses`)."""

    __tablename__ = "rung_route_courses"

    rung_level: Mapped[int] = mapped_column(ForeignKey("rungs.level"), primary_key=True)
    route: Mapped[str] = mapped_column(String(40), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    position: Mapped[int]

    course: Mapped[Course] = relationship()


class RungPracticeRequirement(db.Model):
    """At least `count` verified practice records of `kinds` (within `within_days`, if set; on
    one of `channels`, if set), for every way up the rung (`route` None) or for one route."""

    __tablename__ = "rung_practice_requirements"
    __table_args__ = (CheckConstraint("count >= 1", name="count_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rung_level: Mapped[int] = mapped_column(ForeignKey("rungs.level"), index=True)
    position: Mapped[int]
    kinds: Mapped[list[str]] = mapped_column(JSON)
    count: Mapped[int]
    within_days: Mapped[int | None]
    channels: Mapped[list[str] | None] = mapped_column(JSON)  # practice.Channel values
    route: Mapped[str | None] = mapped_column(String(40))

    rung: Mapped[Rung] = relationship(back_populates="practice_requirements")

    def as_dict(self) -> dict[str, Any]:
        extra = {"channels": self.channels, "route": self.route}
        return {
            "kinds": self.kinds,
            "count": self.count,
            "within_days": self.within_days,
            **{k: v for k, v in extra.items() if v is not None},
        }
