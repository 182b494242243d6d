"""The mentor's actions: follow-up visits, verifying practice records, outcomes (rung changes
are in signoff.py).

Every change writes an AuditEvent. Services flush, never commit; bad input raises
ValidationError with per-field messages and changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from lms.clock import local_today, utcnow
from lms.db import Written, client_uuid, db, flush_versioned, insert_once
from lms.errors import LmsError, RecordGone, StaleVersion, UuidTaken, ValidationError
from lms.inputs import checked_date
from lms.models import (
    Dimension,
    FollowUpVisit,
    Observation,
    Outcome,
    OutcomeKind,
    PracticeRecord,
    ProblemTag,
    RecordStatus,
    User,
    VisitMode,
)
from lms.services import audit

EDIT_WINDOW = timedelta(days=7)


@dataclass
class VisitInput:
    visited_on: date | str | None  # dates as the date fields sent them, or dates
    mode: str
    levels: dict[str, str]  # dimension → observation
    notes: dict[str, str] = field(default_factory=dict)
    problem_tags: list[str] = field(default_factory=list)
    actions: str = ""
    next_due_on: date | str | None = None

    def validate(self, today: date) -> dict:
        errors: dict[str, str] = {}
        visited_on = checked_date(
            self.visited_on, errors, "visited_on", required=_("请填写回访日期。")
        )
        next_due_on = checked_date(self.next_due_on, errors, "next_due_on")
        if visited_on is not None and visited_on > today:
            errors["visited_on"] = _("回访日期不能晚于今天。")
        if self.mode not in set(VisitMode):
            errors["mode"] = _("请选择回访方式。")
        observations = {}
        for dimension in Dimension:
            level = self.levels.get(dimension.value, "")
            note = (self.notes.get(dimension.value) or "").strip()
            if level not in set(Observation):
                errors[f"level_{dimension.value}"] = _("请为这一项选一个情况。")
            elif len(note) > 500:
                errors[f"note_{dimension.value}"] = _("说明太长了，最多500个字。")
            else:
                observations[dimension.value] = {"level": level, "note": note}
        unknown = [t for t in self.problem_tags if t not in set(ProblemTag)]
        if unknown:
            errors["problem_tags"] = _("有不认识的问题标签。")
        actions = (self.actions or "").strip()
        if len(actions) > 2000:
            errors["actions"] = _("约定的行动太长了，最多2000个字。")
        if next_due_on is not None and visited_on is not None and next_due_on <= visited_on:
            errors["next_due_on"] = _("下次回访日期要在这次回访之后。")
        elif next_due_on is not None and next_due_on > today + timedelta(days=366):
            errors["next_due_on"] = _("下次回访日期太远了，请定在一年以内。")
        if errors:
            raise ValidationError(errors)
        return {
            "visited_on": visited_on,
            "mode": VisitMode(self.mode),
            "observations": observations,
            "problem_tags": sorted(set(self.problem_tags), key=list(ProblemTag).index),
            "actions": actions,
            "next_due_on": next_due_on,
        }


def log_visit(
    mentor: User,
    trainee: User,
    data: VisitInput,
    *,
    uuid: str | None = None,
    base_version: int = 1,
    ask_if_duplicate: bool = False,
    today: date | None = None,
) -> tuple[FollowUpVisit, Written]:
    """Store a follow-up visit, keyed by its client uuid (see practice.log_practice_record):
    a resend with the same content is a duplicate, with other content an edit of the stored
    visit from `base_version` (within the edit window). Raises UuidTaken for a uuid of a visit
    to someone else or by someone else, StaleVersion, EditNotAllowed, ValidationError, and —
    when `ask_if_duplicate` and this mentor already logged a visit to this trainee that day —
    PossibleDuplicate.
    """
    uuid = client_uuid(uuid)
    fields = data.validate(today or local_today())
    existing = _by_uuid(uuid)
    if existing is None:
        if ask_if_duplicate and (twin := _twin(mentor, trainee, fields, uuid)) is not None:
            raise PossibleDuplicate(twin)
        values = {**fields, "uuid": uuid, "trainee_id": trainee.id, "mentor_id": mentor.id}
        if insert_once(FollowUpVisit, values, "uuid"):
            visit = _by_uuid(uuid)
            audit.record(mentor, "visit.created", visit, trainee_id=trainee.id)
            return visit, Written.CREATED
        existing = _by_uuid(uuid)  # a concurrent resend stored it first
    if existing.mentor_id != mentor.id or existing.trainee_id != trainee.id:
        raise UuidTaken()
    if all(getattr(existing, name) == value for name, value in fields.items()):
        return existing, Written.DUPLICATE
    if not can_edit_visit(mentor, existing):
        raise EditNotAllowed()
    return _update(mentor, existing, fields, base_version), Written.UPDATED


class EditNotAllowed(LmsError):
    pass


class PossibleDuplicate(LmsError):
    """The mentor already logged a visit to this trainee on that day."""

    def __init__(self, twin: FollowUpVisit):
        super().__init__(f"same day as visit {twin.id}")
        self.twin = twin


def can_edit_visit(mentor: User, visit: FollowUpVisit, now: datetime | None = None) -> bool:
    return visit.mentor_id == mentor.id and (now or utcnow()) - visit.created_at <= EDIT_WINDOW


def update_visit(
    mentor: User,
    visit: FollowUpVisit,
    data: VisitInput,
    *,
    base_version: int,
    now: datetime | None = None,
    today: date | None = None,
) -> FollowUpVisit:
    """The author edits a visit within 7 days, as it was at `base_version`; the audit event
    keeps every old value. Raises EditNotAllowed, StaleVersion (nothing written) or
    ValidationError."""
    if not can_edit_visit(mentor, visit, now):
        raise EditNotAllowed()
    return _update(mentor, visit, data.validate(today or local_today()), base_version)


def _update(mentor, visit, fields: dict, base_version: int) -> FollowUpVisit:
    if visit.version != base_version:
        raise StaleVersion()
    changes = {}
    for name, value in fields.items():
        old = getattr(visit, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(visit, name, value)
    if changes:
        audit.record(mentor, "visit.updated", visit, changes=changes)
    flush_versioned()
    return visit


def _by_uuid(uuid: str) -> FollowUpVisit | None:
    return db.session.scalar(select(FollowUpVisit).where(FollowUpVisit.uuid == uuid))


def _twin(mentor: User, trainee: User, fields: dict, uuid: str) -> FollowUpVisit | None:
    return db.session.scalar(
        select(FollowUpVisit)
        .where(
            FollowUpVisit.trainee_id == trainee.id,
            FollowUpVisit.mentor_id == mentor.id,
            FollowUpVisit.visited_on == fields["visited_on"],
            FollowUpVisit.uuid != uuid,
        )
        .order_by(FollowUpVisit.id.desc())
        .limit(1)
    )


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


class NotReviewable(LmsError):
    """Only records waiting for review can be verified or rejected."""


def _check_reviewable(record: PracticeRecord, seen_version: int) -> None:
    if record.status is RecordStatus.DELETED:
        raise RecordGone()
    if record.status is not RecordStatus.SELF_REPORTED:
        raise NotReviewable()
    if record.version != seen_version:
        raise StaleVersion()


def verify_record(mentor: User, record: PracticeRecord, *, seen_version: int) -> None:
    """Verify a practice record exactly as the mentor saw it (`seen_version`); from then on it
    is locked for the trainee. Raises NotReviewable (already handled), RecordGone (deleted) or
    StaleVersion (changed since: nothing written); flushes."""
    _check_reviewable(record, seen_version)
    record.status = RecordStatus.VERIFIED
    record.reviewed_by_id, record.reviewed_at, record.reject_reason = mentor.id, utcnow(), ""
    audit.record(
        mentor, "record.verified", record, trainee_id=record.trainee_id, version=seen_version
    )
    flush_versioned()


def reject_record(mentor: User, record: PracticeRecord, reason: str, *, seen_version: int) -> None:
    """Send a record back with a reason, as the mentor saw it (see verify_record)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明为什么不通过，学员会看到。")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("原因太长了，最多500个字。")})
    _check_reviewable(record, seen_version)
    record.status = RecordStatus.REJECTED
    record.reviewed_by_id, record.reviewed_at, record.reject_reason = mentor.id, utcnow(), reason
    audit.record(mentor, "record.rejected", record, trainee_id=record.trainee_id, reason=reason)
    flush_versioned()


def record_outcome(
    mentor: User,
    trainee: User,
    kind: str,
    happened_on: date | str | None,
    note: str,
    *,
    uuid: str | None = None,
    today: date | None = None,
) -> tuple[Outcome, Written]:
    """Record an outcome, keyed by its client uuid: sent again it is a duplicate (an outcome,
    once recorded, is not edited: other content under its uuid raises UuidTaken too)."""
    uuid = client_uuid(uuid)
    errors = {}
    if kind not in set(OutcomeKind):
        errors["kind"] = _("请选择是哪种成效。")
    happened_on = checked_date(happened_on, errors, "happened_on", required=_("请填写日期。"))
    if happened_on is not None and happened_on > (today or local_today()):
        errors["happened_on"] = _("日期不能晚于今天。")
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = _("说明太长了，最多500个字。")
    if errors:
        raise ValidationError(errors)
    values = {
        "uuid": uuid,
        "trainee_id": trainee.id,
        "kind": OutcomeKind(kind),
        "happened_on": happened_on,
        "note": note,
        "recorded_by_id": mentor.id,
    }
    stored = insert_once(Outcome, values, "uuid")
    outcome = db.session.scalar(select(Outcome).where(Outcome.uuid == uuid))
    if stored:
        audit.record(mentor, "outcome.recorded", outcome, trainee_id=trainee.id, kind=kind)
        return outcome, Written.CREATED
    if any(getattr(outcome, name) != value for name, value in values.items()):
        raise UuidTaken()
    return outcome, Written.DUPLICATE
