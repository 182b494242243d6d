"""Writing the audit trail. Flushes never; the caller's commit stores the event with the change."""

from typing import Any

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
