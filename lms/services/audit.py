"""Writing the audit trail. Flushes never; the caller's commit stores the event with the change."""

from typing import Any

from lms.db import db
from lms.models import AuditEvent, User


def record(actor: User | None, action: str, target: Any, **details: Any) -> AuditEvent:
    """Add an audit event for `action` on `target` (a model instance) by `actor`."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target.__tablename__,
        target_id=getattr(target, "id", None),
        details=details,
    )
    db.session.add(event)
    return event
