"""Consent (PIPL): each trainee's consent to the notice, with the version they were shown.

A trainee without consent to the current notice is asked when they next open a page
(lms.learn.consent). A minor by birth year (under 18) needs a guardian named; under 14 —
sensitive personal information under PIPL Art. 28 and 31 — a roster cannot enrol them
without one either. Withdrawing ends the trainee's sessions; their record stays, marked.
Services flush, never commit.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from lms.clock import local_today, utcnow
from lms.db import db
from lms.errors import ValidationError
from lms.inputs import checked_text
from lms.models import ConsentGiver, ConsentRecord, User
from lms.services import audit

NOTICE_VERSION = "2026-12"
ADULT_AGE = 18
CHILD_AGE = 14  # PIPL Art. 28: a child's personal information is sensitive


def age_by_birth_year(birth_year: int | None, today: date | None = None) -> int | None:
    return None if birth_year is None else (today or local_today()).year - birth_year


def is_minor(birth_year: int | None, today: date | None = None) -> bool:
    age = age_by_birth_year(birth_year, today)
    return age is not None and age < ADULT_AGE


def current_consent(trainee: User) -> ConsentRecord | None:
    """The trainee's consent to the current notice, if they gave it and have not withdrawn."""
    return db.session.scalar(
        select(ConsentRecord)
        .where(
            ConsentRecord.trainee_id == trainee.id,
            ConsentRecord.notice_version == NOTICE_VERSION,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .order_by(ConsentRecord.id.desc())
        .limit(1)
    )


def give_consent(
    trainee: User, *, agreed: bool, guardian_name: str = "", guardian_agreed: bool = False
) -> ConsentRecord:
    """The trainee consents, on their own phone, to the notice they were just shown.

    Raises ValidationError when they did not tick it, or — for a minor — without a guardian.
    """
    errors: dict[str, str] = {}
    if not agreed:
        errors["agreed"] = _("请勾选“我已读过，同意”，才能继续使用。")
    guardian = checked_text(guardian_name, errors, "guardian_name", 50)
    if trainee.profile is not None and is_minor(trainee.profile.birth_year):
        if not guardian:
            errors["guardian_name"] = _("你还不满18岁：请填写同意你参加的监护人姓名。")
        if not guardian_agreed:
            errors["guardian_agreed"] = _("请让监护人看过上面的说明，再勾选“监护人已同意”。")
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord(
        trainee_id=trainee.id,
        notice_version=NOTICE_VERSION,
        given_by=ConsentGiver.TRAINEE,
        guardian_name=guardian,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(trainee, "consent.given", record, trainee_id=trainee.id, version=NOTICE_VERSION)
    return record


def record_roster_consent(actor: User, trainee: User, guardian_name: str = "") -> ConsentRecord:
    """The lead confirmed, at import, the trainee's signed consent to the current notice."""
    record = ConsentRecord(
        trainee_id=trainee.id,
        notice_version=NOTICE_VERSION,
        given_by=ConsentGiver.ROSTER,
        recorded_by_id=actor.id,
        guardian_name=guardian_name,
    )
    db.session.add(record)
    return record


def withdraw_consent(trainee: User) -> None:
    """The trainee withdraws: their consents are marked withdrawn, their sessions end, and
    the programme is told (the lead's report shows it, with the way to erase the data)."""
    now = utcnow()
    for record in db.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.trainee_id == trainee.id, ConsentRecord.withdrawn_at.is_(None)
        )
    ):
        record.withdrawn_at = now
    trainee.rotate_session_token()
    audit.record(trainee, "consent.withdrawn", trainee, trainee_id=trainee.id)
    db.session.flush()
