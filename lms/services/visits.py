"""The mentor's actions: follow-up visits, verifying practice, signing off rungs, outcomes.

Every change writes an AuditEvent. Services flush, never commit; bad input raises
ValidationError with per-field messages and changes nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _

from lms.clock import local_today, utcnow
from lms.db import db
from lms.errors import LmsError, ValidationError
from lms.models import (
    Dimension,
    FollowUpVisit,
    Observation,
    Outcome,
    OutcomeKind,
    PracticeRecord,
    ProblemTag,
    PromotionKind,
    RecordStatus,
    RungPromotion,
    User,
    VisitMode,
)
from lms.services import audit, ladder

EDIT_WINDOW = timedelta(days=7)
SIGNOFF_VISIT_WITHIN_DAYS = 7


@dataclass
class VisitInput:
    visited_on: date | None
    mode: str
    levels: dict[str, str]  # dimension → observation
    notes: dict[str, str] = field(default_factory=dict)
    problem_tags: list[str] = field(default_factory=list)
    actions: str = ""
    next_due_on: date | None = None

    def validate(self, today: date) -> dict:
        errors: dict[str, str] = {}
        if self.visited_on is None:
            errors["visited_on"] = _("请填写回访日期。")
        elif self.visited_on > today:
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
        if (
            self.next_due_on is not None
            and self.visited_on is not None
            and (self.next_due_on <= self.visited_on)
        ):
            errors["next_due_on"] = _("下次回访日期要在这次回访之后。")
        elif self.next_due_on is not None and self.next_due_on > today + timedelta(days=366):
            errors["next_due_on"] = _("下次回访日期太远了，请定在一年以内。")
        if errors:
            raise ValidationError(errors)
        return {
            "visited_on": self.visited_on,
            "mode": VisitMode(self.mode),
            "observations": observations,
            "problem_tags": sorted(set(self.problem_tags), key=list(ProblemTag).index),
            "actions": actions,
            "next_due_on": self.next_due_on,
        }


def log_visit(
    mentor: User,
    trainee: User,
    data: VisitInput,
    *,
    uuid: str | None = None,
    today: date | None = None,
) -> FollowUpVisit:
    """Store a follow-up visit; a re-sent visit (same uuid) is returned, not stored twice."""
    if uuid:
        existing = db.session.scalar(db.select(FollowUpVisit).where(FollowUpVisit.uuid == uuid))
        if existing is not None and existing.mentor_id == mentor.id:
            return existing
    fields = data.validate(today or local_today())
    visit = FollowUpVisit(
        trainee_id=trainee.id, mentor_id=mentor.id, **fields, **({"uuid": uuid} if uuid else {})
    )
    db.session.add(visit)
    db.session.flush()
    audit.record(mentor, "visit.created", visit, trainee_id=trainee.id)
    return visit


class EditNotAllowed(LmsError):
    pass


def can_edit_visit(mentor: User, visit: FollowUpVisit, now: datetime | None = None) -> bool:
    return visit.mentor_id == mentor.id and (now or utcnow()) - visit.created_at <= EDIT_WINDOW


def update_visit(
    mentor: User,
    visit: FollowUpVisit,
    data: VisitInput,
    *,
    now: datetime | None = None,
    today: date | None = None,
) -> FollowUpVisit:
    """The author edits a visit within 7 days; the audit event keeps every old value."""
    if not can_edit_visit(mentor, visit, now):
        raise EditNotAllowed()
    fields = data.validate(today or local_today())
    changes = {}
    for name, value in fields.items():
        old = getattr(visit, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(visit, name, value)
    if changes:
        audit.record(mentor, "visit.updated", visit, changes=changes)
    db.session.flush()
    return visit


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


class NotReviewable(LmsError):
    """Only records waiting for review can be verified or rejected."""


def verify_record(mentor: User, record: PracticeRecord) -> None:
    """Verify a practice record; from then on it is locked for the trainee."""
    if record.status is not RecordStatus.SELF_REPORTED:
        raise NotReviewable()
    record.status = RecordStatus.VERIFIED
    record.reviewed_by_id, record.reviewed_at, record.reject_reason = mentor.id, utcnow(), ""
    audit.record(mentor, "record.verified", record, trainee_id=record.trainee_id)
    db.session.flush()


def reject_record(mentor: User, record: PracticeRecord, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明为什么不通过，学员会看到。")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("原因太长了，最多500个字。")})
    if record.status is not RecordStatus.SELF_REPORTED:
        raise NotReviewable()
    record.status = RecordStatus.REJECTED
    record.reviewed_by_id, record.reviewed_at, record.reject_reason = mentor.id, utcnow(), reason
    audit.record(mentor, "record.rejected", record, trainee_id=record.trainee_id, reason=reason)
    db.session.flush()


class SignOffRefused(LmsError):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def signoff_visits(mentor: User, trainee: User, today: date) -> list[FollowUpVisit]:
    """The mentor's recent visits to this trainee that a sign-off can be made during."""
    since = today - timedelta(days=SIGNOFF_VISIT_WITHIN_DAYS)
    return list(
        db.session.scalars(
            db.select(FollowUpVisit)
            .where(
                FollowUpVisit.trainee_id == trainee.id,
                FollowUpVisit.mentor_id == mentor.id,
                FollowUpVisit.visited_on >= since,
            )
            .order_by(FollowUpVisit.visited_on.desc(), FollowUpVisit.id.desc())
        )
    )


def sign_off(
    mentor: User, trainee: User, visit: FollowUpVisit | None, *, today: date | None = None
) -> RungPromotion:
    """Promote the trainee one rung, with its evidence, when every requirement but the sign-off
    is met and the sign-off is made during one of the mentor's recent visits.

    Raises SignOffRefused listing what is missing; nothing is stored then.
    """
    today = today or local_today()
    status = ladder.evaluate(trainee, today=today)
    reasons = [r.text for r in status.missing if r.kind != "signoff"]
    if status.next is None:
        reasons.append(_("已经在最高一级了。"))
    if visit is None or visit not in signoff_visits(mentor, trainee, today):
        reasons.append(
            _("晋级要在回访时确认：请先记录这次回访（%(n)d天内的）。", n=SIGNOFF_VISIT_WITHIN_DAYS)
        )
    if reasons:
        raise SignOffRefused(reasons)
    courses = [r.course for r in status.requirements if r.kind == "course"]
    records = [i for r in status.requirements if r.kind == "practice" for i in r.record_ids]
    promotion = RungPromotion(
        trainee_id=trainee.id,
        kind=PromotionKind.PROMOTION,
        from_rung=status.current,
        to_rung=status.next.level,
        visit_id=visit.id,
        signed_by_id=mentor.id,
        evidence={
            "courses": [{"id": c.id, "slug": c.slug, "title": c.title_zh} for c in courses],
            "records": records,
            "requirements": [r.text for r in status.requirements if r.kind != "signoff"],
            "visit_id": visit.id,
        },
    )
    db.session.add(promotion)
    db.session.flush()
    audit.record(
        mentor,
        "rung.promoted",
        promotion,
        trainee_id=trainee.id,
        from_rung=promotion.from_rung,
        to_rung=promotion.to_rung,
    )
    return promotion


def correct_rung(mentor: User, trainee: User, to_rung: int | None, reason: str) -> RungPromotion:
    """Record a rung correction downwards (e.g. the baseline was too high), with a reason."""
    current = ladder.current_rung(trainee)
    errors = {}
    if to_rung is None or not 0 <= to_rung < current:
        errors["to_rung"] = _("只能往下调，请选比现在（第%(n)d级）低的一级。", n=current)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("请写明调整的原因。")
    if errors:
        raise ValidationError(errors)
    correction = RungPromotion(
        trainee_id=trainee.id,
        kind=PromotionKind.CORRECTION,
        from_rung=current,
        to_rung=to_rung,
        reason=reason,
        signed_by_id=mentor.id,
        evidence={},
    )
    db.session.add(correction)
    db.session.flush()
    audit.record(
        mentor,
        "rung.corrected",
        correction,
        trainee_id=trainee.id,
        from_rung=current,
        to_rung=to_rung,
        reason=reason,
    )
    return correction


def record_outcome(
    mentor: User,
    trainee: User,
    kind: str,
    happened_on: date | None,
    note: str,
    *,
    today: date | None = None,
) -> Outcome:
    errors = {}
    if kind not in set(OutcomeKind):
        errors["kind"] = _("请选择是哪种成效。")
    if happened_on is None:
        errors["happened_on"] = _("请填写日期。")
    elif happened_on > (today or local_today()):
        errors["happened_on"] = _("日期不能晚于今天。")
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = _("说明太长了，最多500个字。")
    if errors:
        raise ValidationError(errors)
    outcome = Outcome(
        trainee_id=trainee.id,
        kind=OutcomeKind(kind),
        happened_on=happened_on,
        note=note,
        recorded_by_id=mentor.id,
    )
    db.session.add(outcome)
    db.session.flush()
    audit.record(mentor, "outcome.recorded", outcome, trainee_id=trainee.id, kind=kind)
    return outcome
