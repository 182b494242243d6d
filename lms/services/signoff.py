"""Rung changes a mentor signs: promotions during a follow-up visit, and corrections downwards.

A promotion needs every requirement of the next rung met but the sign-off, and is made during one
of the mentor's visits of the last 7 days; it is stored with its evidence. Each change is the
trainee's next `step`, stored once (see RungPromotion). Every change writes an AuditEvent.
Services flush, never commit.
"""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import Written, db, insert_once
from lms.errors import LmsError, ValidationError
from lms.models import FollowUpVisit, PromotionKind, RungPromotion, User
from lms.services import audit, ladder

SIGNOFF_VISIT_WITHIN_DAYS = 7


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


class LadderChanged(LmsError):
    """The trainee's ladder changed since the mentor looked at it (another sign-off or a
    correction was stored first): nothing was written."""


def next_step(trainee: User) -> int:
    """The step the trainee's next rung change will be (see RungPromotion.step)."""
    last = db.session.scalar(
        select(func.max(RungPromotion.step)).where(RungPromotion.trainee_id == trainee.id)
    )
    return (last or 0) + 1


def _store_rung_change(
    mentor: User, trainee: User, step: int, values: dict | None, same
) -> tuple[RungPromotion, Written]:
    """Insert the rung change (`values`) at its step, once. A step already taken by the same
    decision of this mentor (a double submit, a resend) is a duplicate; by any other, or a step
    the form could not have been made for, LadderChanged. `values` None: only look it up."""
    stored_here = values is not None and insert_once(
        RungPromotion, {**values, "trainee_id": trainee.id, "step": step}, "trainee_id", "step"
    )
    change = db.session.scalar(
        select(RungPromotion).where(
            RungPromotion.trainee_id == trainee.id, RungPromotion.step == step
        )
    )
    if stored_here:
        return change, Written.CREATED
    if change is not None and change.signed_by_id == mentor.id and same(change):
        return change, Written.DUPLICATE
    raise LadderChanged()


def sign_off(
    mentor: User,
    trainee: User,
    visit: FollowUpVisit | None,
    *,
    step: int,
    today: date | None = None,
) -> tuple[RungPromotion, Written]:
    """Promote the trainee one rung, with its evidence, when every requirement but the sign-off
    is met and the sign-off is made during one of the mentor's recent visits.

    `step` is the rung change the mentor's form was made for (`next_step` when it was shown):
    submitting it again returns the promotion already stored (Written.DUPLICATE). Raises
    SignOffRefused listing what is missing, or LadderChanged; nothing is stored then.
    """
    today = today or local_today()
    visit_id = visit.id if visit else None

    def same(change):
        return change.kind is PromotionKind.PROMOTION and change.visit_id == visit_id

    if step != next_step(trainee):
        return _store_rung_change(mentor, trainee, step, None, same)
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
    promotion, written = _store_rung_change(
        mentor,
        trainee,
        step,
        {
            "kind": PromotionKind.PROMOTION,
            "from_rung": status.current,
            "to_rung": status.next.level,
            "visit_id": visit_id,
            "signed_by_id": mentor.id,
            "evidence": {
                "courses": [{"id": c.id, "slug": c.slug, "title": c.title_zh} for c in courses],
                "records": records,
                "requirements": [r.text for r in status.requirements if r.kind != "signoff"],
                "visit_id": visit_id,
            },
        },
        same,
    )
    if written is Written.CREATED:
        audit.record(
            mentor,
            "rung.promoted",
            promotion,
            trainee_id=trainee.id,
            from_rung=promotion.from_rung,
            to_rung=promotion.to_rung,
        )
    return promotion, written


def correct_rung(
    mentor: User, trainee: User, to_rung: int | None, reason: str, *, step: int
) -> tuple[RungPromotion, Written]:
    """Record a rung correction downwards (e.g. the baseline was too high), with a reason, as
    the step the mentor's form was made for (see sign_off)."""
    reason = (reason or "").strip()

    def same(change):
        return change.kind is PromotionKind.CORRECTION and change.to_rung == to_rung

    if step != next_step(trainee):
        return _store_rung_change(mentor, trainee, step, None, same)
    current = ladder.current_rung(trainee)
    errors = {}
    if to_rung is None or not 0 <= to_rung < current:
        errors["to_rung"] = _("只能往下调，请选比现在（第%(n)d级）低的一级。", n=current)
    if not reason:
        errors["reason"] = _("请写明调整的原因。")
    elif len(reason) > 500:
        errors["reason"] = _("原因太长了，最多500个字。")
    if errors:
        raise ValidationError(errors)
    correction, written = _store_rung_change(
        mentor,
        trainee,
        step,
        {
            "kind": PromotionKind.CORRECTION,
            "from_rung": current,
            "to_rung": to_rung,
            "reason": reason,
            "signed_by_id": mentor.id,
            "evidence": {},
        },
        same,
    )
    if written is Written.CREATED:
        audit.record(
            mentor,
            "rung.corrected",
            correction,
            trainee_id=trainee.id,
            from_rung=current,
            to_rung=to_rung,
            reason=reason,
        )
    return correction, written
