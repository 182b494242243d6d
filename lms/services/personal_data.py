"""A trainee's personal data (PIPL): everything held about them, exported; and erased.

Export gathers every row that is about the trainee (and the evidence photos) into a ZIP with a
`data.json`; the same data is shown as a readable page. Erasure removes what identifies the
person — name, phone, password, free text they or their mentor wrote, photos, the links to
their shops and videos, a guardian's name, the details of audit events — and keeps the rest
under the trainee's row id, which is not a person: dates, amounts, counts, rungs, household
category and village, so the programme's figures stay true. The account can no longer be
used. Both are audited.

Copies outside the database are reached too: the photos (after the commit), staged uploads,
the files background jobs keep for the trainee's programmes (exports, initial passwords: after
the commit; an export still running keeps nothing); roster files are swept within a day
anyway, and backups age out with the backup rotation.
Services flush, never commit.
"""

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select

from lms.clock import utcnow
from lms.db import db
from lms.errors import LmsError
from lms.jobs import kept
from lms.models import (
    AuditEvent,
    Cohort,
    ConsentRecord,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    MentorAssignment,
    Outcome,
    PracticeRecord,
    Programme,
    QuizAttempt,
    RungPromotion,
    User,
)
from lms.services import audit, files

ERASED_NAME = "已删除的学员"


class AlreadyErased(LmsError):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value.normalize())
    return value


def _rows(objects, *fields: str) -> list[dict]:
    return [{f: _plain(getattr(o, f)) for f in fields} for o in objects]


def _of(model, trainee: User):
    return db.session.scalars(
        select(model).where(model.trainee_id == trainee.id).order_by(model.id)
    )


def gather(trainee: User) -> dict[str, Any]:
    """Everything held about the trainee, section by section (plain JSON values)."""
    profile = trainee.profile
    enrolments = db.session.execute(
        select(Enrollment, Cohort.name, Programme.name)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Enrollment.trainee_id == trainee.id)
        .order_by(Enrollment.enrolled_on)
    ).all()
    lessons = db.session.execute(
        select(LessonProgress.learned_at, Lesson.slug, Lesson.title_zh)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.trainee_id == trainee.id)
        .order_by(LessonProgress.learned_at)
    ).all()
    return {
        "person": {
            "id": trainee.id,
            "name": trainee.name,
            "phone": trainee.phone,
            "role": trainee.role.value,
            "is_active": trainee.is_active,
            "created_at": _plain(trainee.created_at),
            "last_login_at": _plain(trainee.last_login_at),
            "erased_at": _plain(trainee.erased_at),
        },
        "profile": {
            f: _plain(getattr(profile, f))
            for f in (
                "village",
                "gender",
                "birth_year",
                "household_category",
                "baseline_rung",
                "baseline_monthly_income_fen",
                "main_products",
            )
        }
        if profile
        else {},
        "consents": _rows(
            _of(ConsentRecord, trainee),
            "notice_version",
            "given_by",
            "given_at",
            "guardian_name",
            "withdrawn_at",
        ),
        "enrolments": [
            {
                "programme": programme,
                "cohort": cohort,
                "enrolled_on": _plain(e.enrolled_on),
                "left_on": _plain(e.left_on),
            }
            for e, cohort, programme in enrolments
        ],
        "mentors": [
            {"mentor": name, "starts_on": _plain(a.starts_on), "ends_on": _plain(a.ends_on)}
            for a, name in db.session.execute(
                select(MentorAssignment, User.name)
                .join(User, User.id == MentorAssignment.mentor_id)
                .where(MentorAssignment.trainee_id == trainee.id)
            ).all()
        ],
        "lessons_learned": [
            {"lesson": slug, "title": title, "learned_at": _plain(at)}
            for at, slug, title in lessons
        ],
        "quiz_attempts": _rows(
            _of(QuizAttempt, trainee),
            "course_id",
            "correct",
            "total",
            "percent",
            "passed",
            "submitted_at",
        ),
        "courses_completed": _rows(_of(CourseCompletion, trainee), "course_id", "completed_at"),
        "practice_records": _rows(
            _of(PracticeRecord, trainee),
            "uuid",
            "kind",
            "happened_on",
            "channel",
            "product",
            "quantity",
            "unit",
            "amount_fen",
            "minutes",
            "viewers",
            "orders",
            "people",
            "link",
            "note",
            "photo",
            "status",
            "reject_reason",
            "created_at",
        ),
        "follow_up_visits": _rows(
            _of(FollowUpVisit, trainee),
            "visited_on",
            "mode",
            "observations",
            "problem_tags",
            "actions",
            "next_due_on",
        ),
        "rung_changes": _rows(
            _of(RungPromotion, trainee), "kind", "from_rung", "to_rung", "reason", "signed_at"
        ),
        "outcomes": _rows(_of(Outcome, trainee), "kind", "happened_on", "note"),
        "audit_trail": _rows(_of(AuditEvent, trainee), "action", "created_at"),
    }


def export_zip(actor: User, trainee: User) -> bytes:
    """`data.json` and the trainee's evidence photos, as one ZIP. Audited."""
    data = {"exported_at": _plain(utcnow()), **gather(trainee)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        folder = files.folder("practice")
        for record in data["practice_records"]:
            if record["photo"] and (folder / record["photo"]).is_file():
                archive.write(folder / record["photo"], f"photos/{record['photo']}")
    audit.record(actor, "trainee.exported", trainee, trainee_id=trainee.id)
    return out.getvalue()


def erase(actor: User, trainee: User) -> None:
    """Remove what identifies the trainee, keep the figures (see the module docstring)."""
    if trainee.erased_at is not None:
        raise AlreadyErased()
    now = utcnow()
    trainee.name = f"{ERASED_NAME}#{trainee.id}"
    trainee.phone = f"x{trainee.id:010d}"  # never a mobile number: nobody can log in as it
    trainee.password_hash = "!"  # matches no password
    trainee.is_active = False
    trainee.locale = None
    trainee.erased_at = now
    trainee.rotate_session_token()
    if trainee.profile is not None:
        trainee.profile.birth_year = None
        trainee.profile.main_products = ""
    for record in _of(PracticeRecord, trainee):
        files.remove_after_commit("practice", record.photo)
        record.photo, record.product, record.note, record.reject_reason = None, "", "", ""
        record.link = None  # a shop's or a video's address leads to the person
    for visit in _of(FollowUpVisit, trainee):
        visit.observations = {
            d: {"level": seen.get("level"), "note": ""} for d, seen in visit.observations.items()
        }
        visit.actions = ""
    for outcome in _of(Outcome, trainee):
        outcome.note = ""
    for change in _of(RungPromotion, trainee):
        change.reason = ""
    for consent in _of(ConsentRecord, trainee):
        consent.guardian_name = ""
    for event in _of(AuditEvent, trainee):
        event.details = {}
    for staged in files.folder("staging").glob(f"{trainee.id}-*"):
        staged.unlink(missing_ok=True)  # forms in progress: no transaction refers to them
    programmes = (
        select(Cohort.programme_id).join(Enrollment).where(Enrollment.trainee_id == trainee.id)
    )
    kept.erase_programmes(sorted(set(db.session.scalars(programmes))))
    db.session.flush()
    audit.record(actor, "trainee.erased", trainee, trainee_id=trainee.id)
