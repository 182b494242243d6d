"""The audit trail: writing events (never flushing: the caller's commit stores the event with
the change), and reading a programme's trail."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lms.db import db
from lms.models import AuditEvent, Cohort, Enrollment, Programme, Role, User


def record(actor: User | None, action: str, target: Any, **details: Any) -> AuditEvent:
    """Add an audit event for `action` on `target` (a model instance) by `actor`.

    The trainee and programme the event belongs to are read from the target (its
    `trainee_id`, `programme_id` or cohort), or from `details["trainee_id"]`."""
    trainee_id = details.get("trainee_id") or getattr(target, "trainee_id", None)
    if isinstance(target, User) and target.role is Role.TRAINEE:
        trainee_id = target.id
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target.__tablename__,
        target_id=getattr(target, "id", None),
        programme_id=details.get("programme_id") or _programme_of(target),
        trainee_id=trainee_id,
        details=details,
    )
    db.session.add(event)
    return event


def _programme_of(target: Any) -> int | None:
    if isinstance(target, Programme):
        return target.id
    if isinstance(target, Enrollment):
        return db.session.get(Cohort, target.cohort_id).programme_id
    return getattr(target, "programme_id", None)


ACTION_LABELS = {
    "programme.created": _l("创建培训项目"),
    "programme.updated": _l("修改项目设置"),
    "cohort.created": _l("创建培训班"),
    "cohort.updated": _l("修改培训班"),
    "cohort.closed": _l("结束培训班"),
    "mentor.assigned": _l("分配导师"),
    "mentor.unassigned": _l("结束导师分配"),
    "roster.imported": _l("导入花名册"),
    "trainee.updated_by_roster": _l("花名册修改了学员信息"),
    "trainee.enrolled": _l("加入培训班（管理员）"),
    "trainee.moved": _l("调班"),
    "trainee.exported": _l("导出学员的全部信息"),
    "trainee.erased": _l("删除学员的个人信息"),
    "consent.given": _l("学员同意个人信息说明"),
    "consent.withdrawn": _l("学员撤回同意"),
    "record.verified": _l("核实实践记录"),
    "record.rejected": _l("退回实践记录"),
    "visit.created": _l("记录回访"),
    "visit.updated": _l("修改回访"),
    "rung.promoted": _l("确认晋级"),
    "rung.corrected": _l("更正级别"),
    "outcome.recorded": _l("记录成效"),
    "user.created": _l("创建用户"),
    "user.password_reset": _l("重置密码"),
    "user.password_changed": _l("修改自己的密码"),
    "user.activated": _l("启用账号"),
    "user.deactivated": _l("停用账号"),
}


def programme_trail(programme_id: int, *, action: str | None = None, start=None, end=None):
    """A select of the audit events of a programme: about it, or about one of its trainees
    (enrolled in one of its cohorts, now or before), newest first. Read-only."""
    trainees = (
        select(Enrollment.trainee_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.programme_id == programme_id)
    )
    query = select(AuditEvent).where(
        or_(AuditEvent.programme_id == programme_id, AuditEvent.trainee_id.in_(trainees))
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if start:
        query = query.where(AuditEvent.created_at >= start)
    if end:
        query = query.where(AuditEvent.created_at < end)
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
