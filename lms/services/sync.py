"""Sync: entries made on a phone, offline or not, applied exactly once (DESIGN §5 "Identity of
a write").

An entry is what a form would have posted, kept on the phone with the uuid its form was made
with, the kind of write, the client time it was made and, for an edit, the version it was based
on:

    {"uuid": "…", "kind": "practice_record", "client_time": "2026-12-01T09:30:00+08:00",
     "base_version": 1, "data": {"kind": "sale", "happened_on": "2026-12-01", …}}

Each entry gets one answer: `created`; `updated` (the same uuid with another payload, applied
as an edit of the version it was based on); `duplicate` (that uuid is stored with this payload:
nothing written); `rejected` with field errors in the user's language (nothing written; the
phone keeps the entry for the person to fix); or `conflict` with the server's current version
(the record changed, was verified or deleted since: nothing overwritten). One entry's failure
never loses another's: each is committed, or rolled back, on its own.

Client time is when the person made the entry; what they say happened (`happened_on`,
`visited_on`) is counted by the dashboards; the server's own time is when it arrived. A client
time in the future means the phone's clock is wrong: the entry is rejected with a message
saying so, and is accepted once the clock is fixed — nothing is stranded.

Entries are applied with the same services, and the same rules, as the forms. A practice
record's data holds the fields its kind asks (lms.models.practice_kinds.KIND_FORMS) — any other
one filled in is rejected, as by the form — and `"photo_follows": "1"` when its photo is sent
after it, which counts as the screenshot a link-or-screenshot kind needs.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from lms.clock import LOCAL_TZ, utcnow
from lms.db import Written, client_uuid, db
from lms.errors import RecordGone, StaleVersion, UuidTaken, ValidationError
from lms.inputs import CONTROL
from lms.models import (
    Course,
    Dimension,
    FollowUpVisit,
    Lesson,
    PracticeRecord,
    PracticeTask,
    QuizAttempt,
    Role,
    User,
)
from lms.models.practice_kinds import ASKABLE
from lms.permissions import assigned_trainee_ids
from lms.services import learning, practice, visits

MAX_ENTRIES = 500
MAX_TEXT = 5000  # longer than any field takes; the services give each field its own limit
CLOCK_SLACK = timedelta(minutes=10)  # phones drift a little; more than this is a wrong clock
PRACTICE_FIELDS = (*ASKABLE, "unit")  # which of them a record's kind takes: the service decides
KINDS = {
    "practice_record": Role.TRAINEE,
    "lesson_learned": Role.TRAINEE,
    "quiz_attempt": Role.TRAINEE,
    "visit": Role.MENTOR,
}


@dataclass
class Answer:
    uuid: str | None
    status: str  # created, updated, duplicate, rejected, conflict
    errors: dict[str, str] | None = None
    message: str | None = None
    id: int | None = None
    version: int | None = None

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class Conflict(Exception):
    def __init__(self, message: str, record=None):
        super().__init__(message)
        self.message = message
        self.record = record


def apply(user: User, entries, *, now: datetime | None = None) -> list[Answer]:
    """Apply a batch, entry by entry; commits each one that is written."""
    now = now or utcnow()
    answers = []
    for entry in entries:
        answer = _apply_one(user, entry, now)
        if answer.status in ("created", "updated"):
            db.session.commit()
        else:
            db.session.rollback()
        answers.append(answer)
    return answers


def _apply_one(user: User, entry, now: datetime) -> Answer:
    raw_uuid = entry.get("uuid") if isinstance(entry, dict) else None
    shown_uuid = raw_uuid if isinstance(raw_uuid, str) and len(raw_uuid) <= 40 else None
    try:
        kind, uuid, data, base_version = _read(user, entry, now)
        return APPLY[kind](user, uuid, data, base_version)
    except ValidationError as e:
        return Answer(shown_uuid, "rejected", errors=e.errors)
    except Conflict as c:
        record = c.record
        return Answer(
            shown_uuid,
            "conflict",
            message=c.message,
            id=record.id if record is not None else None,
            version=record.version if record is not None else None,
        )


def _read(user: User, entry, now: datetime):
    """The entry's shape, checked: kind for this user, uuid, client time, data of plain text."""
    if not isinstance(entry, dict):
        raise ValidationError({"entry": _("这条记录的格式不对。")})
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValidationError({"kind": _("不认识这种记录。")})
    if KINDS[kind] is not user.role:
        raise ValidationError({"kind": _("你的账号不能上传这种记录。")})
    if not isinstance(entry.get("uuid"), str) or not entry["uuid"].strip():
        raise ValidationError({"uuid": _("这条记录没有编号。")})
    uuid = client_uuid(entry["uuid"])
    if "user_id" in entry and entry["user_id"] != user.id:
        message = _("这条记录是另一个账号在这台手机上填的，请用那个账号登录后上传。")
        raise ValidationError({"user_id": message})
    made = _client_time(entry.get("client_time"))
    if made > now + CLOCK_SLACK:
        raise ValidationError(
            {
                "client_time": _(
                    "这台手机的时间比现在晚（手机上是%(phone)s）。请在手机设置里把日期和时间改对，再上传。",
                    phone=made.replace(tzinfo=UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                )
            }
        )
    data = entry.get("data")
    if not isinstance(data, dict) or not all(_plain(v) for v in data.values()):
        raise ValidationError({"data": _("这条记录的内容格式不对。")})
    if any(_has_control(v) for v in data.values()):
        raise ValidationError(
            {"data": _("你填的内容里有看不见的控制字符（可能是从别处复制来的），请删掉后再试。")}
        )
    base = entry.get("base_version", 1)
    if isinstance(base, bool) or not isinstance(base, int) or not 0 < base < 2**31:
        raise ValidationError({"base_version": _("这条记录的版本号不对，请重新打开再填一次。")})
    return kind, uuid, data, base


def _client_time(value) -> datetime:
    """An ISO 8601 time with its offset, as naive UTC."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None and 1900 <= parsed.year <= 2100:
            return parsed.astimezone(UTC).replace(tzinfo=None)
    raise ValidationError({"client_time": _("这条记录没有填写的时间，或时间格式不对。")})


def _plain(value) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if isinstance(value, list):
        return len(value) <= 50 and all(isinstance(v, str) and len(v) <= 100 for v in value)
    return False


def _has_control(value) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(CONTROL.search(v) for v in values)


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def _texts(data: dict, name: str) -> list[str]:
    value = data.get(name, [])
    return [value] if isinstance(value, str) else value


def _written(written: Written, record) -> Answer:
    return Answer(record.uuid, written.value, id=record.id, version=record.version)


# --- the kinds -------------------------------------------------------------------------------


def _practice_record(user: User, uuid: str, data: dict, base_version: int) -> Answer:
    task = learning.current(PracticeTask, _text(data, "task"))
    entry = practice.PracticeInput(
        kind=_text(data, "kind"),
        happened_on=_text(data, "happened_on"),
        channel=_text(data, "channel"),
        **{name: _text(data, name) for name in PRACTICE_FIELDS},
        note=_text(data, "note"),
        # The phone sends a record's photo after it (attach_photo): a screenshot on its way
        # counts for a kind that asks for a link or a screenshot.
        photo_follows=_text(data, "photo_follows") == "1",
    )
    try:
        record, written = practice.log_practice_record(
            user, entry, task=task, uuid=uuid, base_version=base_version
        )
    except UuidTaken:
        raise ValidationError({"uuid": _("这条记录的编号已被别的记录用了。")}) from None
    except practice.RecordLocked:
        message = _("导师已核实这条记录，不能再改了。")
        raise Conflict(message, _stored(PracticeRecord, uuid)) from None
    except RecordGone:
        raise Conflict(_("这条记录已经删除了。"), _stored(PracticeRecord, uuid)) from None
    except StaleVersion:
        raise Conflict(
            _("这条记录刚有变化（可能导师刚处理过），没有用手机上的内容覆盖。"),
            _stored(PracticeRecord, uuid),
        ) from None
    return _written(written, record)


def _visit(user: User, uuid: str, data: dict, base_version: int) -> Answer:
    trainee_id = _text(data, "trainee_id")
    trainee = None
    if trainee_id.isascii() and trainee_id.isdigit() and len(trainee_id) < 10:
        trainee = db.session.scalar(
            select(User).where(User.id == int(trainee_id), User.id.in_(assigned_trainee_ids(user)))
        )
    if trainee is None:  # not theirs, or no such person: the same answer
        raise ValidationError({"trainee_id": _("你现在没有负责这位学员，这次回访不能上传。")})
    entry = visits.VisitInput(
        visited_on=_text(data, "visited_on"),
        mode=_text(data, "mode"),
        levels={d.value: _text(data, f"level_{d.value}") for d in Dimension},
        notes={d.value: _text(data, f"note_{d.value}") for d in Dimension},
        problem_tags=_texts(data, "problem_tags"),
        actions=_text(data, "actions"),
        next_due_on=_text(data, "next_due_on"),
    )
    try:
        visit, written = visits.log_visit(
            user, trainee, entry, uuid=uuid, base_version=base_version
        )
    except UuidTaken:
        raise ValidationError({"uuid": _("这条记录的编号已被别的记录用了。")}) from None
    except visits.EditNotAllowed:
        raise Conflict(
            _("这次回访已经超过7天，不能再改了。"), _stored(FollowUpVisit, uuid)
        ) from None
    except StaleVersion:
        raise Conflict(
            _("这次回访已经保存过，之后又有改动，没有用手机上的内容覆盖。"),
            _stored(FollowUpVisit, uuid),
        ) from None
    return _written(written, visit)


def _lesson_learned(user: User, uuid: str, data: dict, base_version: int) -> Answer:
    lesson = learning.current(Lesson, _text(data, "lesson"))
    if lesson is None:
        raise ValidationError({"lesson": _("这一课已经不在了。")})
    before = learning.learned_lesson_ids(user, lesson.course)
    try:
        learning.mark_learned(user, lesson)
    except learning.CourseLocked:
        raise ValidationError({"lesson": _("要先学完前面的课程，才能学这一课。")}) from None
    status = "duplicate" if lesson.id in before else "created"
    return Answer(uuid, status, id=lesson.id)


def _quiz_attempt(user: User, uuid: str, data: dict, base_version: int) -> Answer:
    course = learning.current(Course, _text(data, "course"))
    if course is None:
        raise ValidationError({"course": _("这门课已经不在了。")})
    items = learning.quiz_items(course)
    chosen = learning.chosen_answers(items, lambda name: _texts(data, name))
    existed = db.session.scalar(select(QuizAttempt.id).where(QuizAttempt.uuid == uuid))
    try:
        result = learning.submit_quiz(user, course, chosen, uuid=uuid)
    except learning.CourseLocked:
        raise ValidationError({"course": _("要先学完前面的课程，才能做这门课的测验。")}) from None
    except (learning.AttemptAlreadySubmitted, UuidTaken):
        raise ValidationError({"uuid": _("这次测验已经交过了，请重新做一次。")}) from None
    attempt = result.attempt
    return Answer(uuid, "duplicate" if existed else "created", id=attempt.id)


def _stored(model, uuid: str):
    db.session.rollback()
    return db.session.scalar(select(model).where(model.uuid == uuid))


APPLY = {
    "practice_record": _practice_record,
    "visit": _visit,
    "lesson_learned": _lesson_learned,
    "quiz_attempt": _quiz_attempt,
}


def attach_photo(trainee: User, uuid: str, data: bytes) -> Answer:
    """The evidence photo of an entry already accepted, sent on its own (one per request).

    Shrunk on the phone, checked and re-encoded here like a form's photo. Sending the same photo
    again stores nothing; a record verified or deleted meanwhile is a conflict.
    """
    uuid = client_uuid(uuid)
    record = db.session.scalar(
        select(PracticeRecord).where(
            PracticeRecord.uuid == uuid, PracticeRecord.trainee_id == trainee.id
        )
    )
    if record is None:
        raise ValidationError({"uuid": _("找不到这张照片的记录，请先上传记录。")})
    try:
        status, message = practice.attach_photo(record, data).value, None
    except practice.RecordLocked:
        status, message = "conflict", _("导师已核实这条记录，照片没有加上。")
    except RecordGone:
        status, message = "conflict", _("这条记录已经删除了。")
    return Answer(uuid, status, message=message, id=record.id, version=record.version)
