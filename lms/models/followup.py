"""Follow-up: mentors' visits, rung promotions with their evidence, and outcomes."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.db import db, new_uuid, str_enum
from lms.models.labelled import Labelled
from lms.models.people import User


class VisitMode(Labelled):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


VisitMode.labels = {
    VisitMode.IN_PERSON: _l("上门"),
    VisitMode.PHONE: _l("电话"),
    VisitMode.VIDEO: _l("视频通话"),
}


class Observation(Labelled):
    """How the trainee does in one capability dimension, as the mentor saw it."""

    NOT_YET = "not_yet"
    WITH_HELP = "with_help"
    INDEPENDENT = "independent"


Observation.labels = {
    Observation.NOT_YET: _l("还不会"),
    Observation.WITH_HELP: _l("有人帮能做"),
    Observation.INDEPENDENT: _l("能独立做"),
}


class ProblemTag(Labelled):
    CONNECTIVITY = "connectivity"
    DEVICE = "device"
    LOGISTICS = "logistics"
    PRODUCT_QUALITY = "product_quality"
    PLATFORM_RULES = "platform_rules"
    PRICING = "pricing"
    CONFIDENCE = "confidence"
    FAMILY_TIME = "family_time"
    OTHER = "other"


PROBLEM_LABELS = {
    ProblemTag.CONNECTIVITY: _l("网络信号"),
    ProblemTag.DEVICE: _l("手机设备"),
    ProblemTag.LOGISTICS: _l("物流快递"),
    ProblemTag.PRODUCT_QUALITY: _l("产品质量"),
    ProblemTag.PLATFORM_RULES: _l("平台规则"),
    ProblemTag.PRICING: _l("定价"),
    ProblemTag.CONFIDENCE: _l("信心"),
    ProblemTag.FAMILY_TIME: _l("家庭/时间"),
    ProblemTag.OTHER: _l("其他"),
}
ProblemTag.labels = PROBLEM_LABELS


class FollowUpVisit(db.Model):
    """A mentor's follow-up visit (跟踪回访): what they saw, the problems, what was agreed."""

    __tablename__ = "followup_visits"
    __table_args__ = (Index("ix_followup_visits_trainee_day", "trainee_id", "visited_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visited_on: Mapped[date] = mapped_column(index=True)
    mode: Mapped[VisitMode] = mapped_column(str_enum(VisitMode))
    # dimension → {"level": Observation value, "note": str}
    observations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problem_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions: Mapped[str] = mapped_column(Text, default="")
    next_due_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")  # see PracticeRecord

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])

    __mapper_args__ = {"version_id_col": version}


class PromotionKind(StrEnum):
    PROMOTION = "promotion"
    CORRECTION = "correction"  # a rung corrected downwards, with a reason


class RungPromotion(db.Model):
    """A change of rung, signed by a mentor, with the evidence it rests on.

    `step` numbers a trainee's rung changes 1, 2, 3…: a sign-off or correction states the step it
    makes (the ladder as its author saw it, plus one), and the unique key stores one change per
    step however often, or however many people at once, submit it.
    """

    __tablename__ = "rung_promotions"
    __table_args__ = (
        CheckConstraint("from_rung BETWEEN 0 AND 6 AND to_rung BETWEEN 0 AND 6", name="rungs"),
        CheckConstraint("step >= 1", name="step_positive"),
        UniqueConstraint("trainee_id", "step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    step: Mapped[int]
    kind: Mapped[PromotionKind] = mapped_column(str_enum(PromotionKind))
    from_rung: Mapped[int]
    to_rung: Mapped[int]
    # {"courses": [{"id", "slug"}], "records": [ids], "requirements": [texts]}
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("followup_visits.id"))
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    signed_by: Mapped[User] = relationship(foreign_keys=[signed_by_id])
    visit: Mapped[FollowUpVisit | None] = relationship()


class OutcomeKind(Labelled):
    """Training → employment → entrepreneurship (seed 002)."""

    EMPLOYED = "employed"
    SHOP_OPENED = "shop_opened"
    BUSINESS_STARTED = "business_started"


OutcomeKind.labels = {
    OutcomeKind.EMPLOYED: _l("从事电商工作"),
    OutcomeKind.SHOP_OPENED: _l("开了网店"),
    OutcomeKind.BUSINESS_STARTED: _l("创业"),
}


class Outcome(db.Model):
    """What became of a trainee (training → employment → entrepreneurship), as a mentor saw it."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[OutcomeKind] = mapped_column(str_enum(OutcomeKind))
    happened_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
