"""Practice records: logging, editing and monthly totals (what is typed is checked in
lms.services.practice_input, evidence photos in lms.services.practice_photos).

Services flush, never commit. Bad input raises ValidationError with a message per field.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import extract, func, select

from lms.clock import local_today
from lms.db import Written, client_uuid, db, flush_versioned, insert_once
from lms.errors import LmsError, RecordGone, StaleVersion, UuidTaken, ValidationError
from lms.models import (
    LIVE_STATUSES,
    Channel,
    PracticeKind,
    PracticeRecord,
    PracticeTask,
    RecordStatus,
    User,
)
from lms.services import files
from lms.services.practice_input import (  # noqa: F401  (re-exported: writers import them here)
    PracticeInput,
    parse_count,
    parse_link,
    parse_quantity,
    parse_yuan,
)
from lms.services.practice_photos import check_photo


class RecordLocked(LmsError):
    """A verified record can no longer be changed by the trainee."""


class PossibleDuplicate(LmsError):
    """The trainee already has a record with exactly this content (for example: saved, went
    back and saved again). Nothing is stored until they say it is another one."""

    def __init__(self, twin: PracticeRecord, kept: dict[str, str]):
        super().__init__(f"same as record {twin.id}")
        self.twin = twin
        self.kept = kept


def _validated(
    owner_id: int, data: PracticeInput, today: date | None, *, stored_photo: bool = False
) -> tuple[dict, str | None]:
    """Check the fields and the photo together, so every problem is reported at once.

    Returns the cleaned fields and the staging token of the photo (a new one, checked and
    staged here, or the one the form carried back from an earlier try). A photo that passed
    stays staged when other fields fail, and the error hands its token back to the form.
    """
    errors: dict[str, str] = {}
    fields, token = {}, None
    if data.photo:
        try:
            token = files.stage(owner_id, check_photo(data.photo))
        except ValidationError as e:
            errors.update(e.errors)
    elif files.staged_path(owner_id, data.staged_photo):
        token = data.staged_photo
    has_photo = bool(token) or bool(data.photo) or stored_photo or data.photo_follows
    try:
        fields = data.validate(today or local_today(), has_photo=has_photo)
    except ValidationError as e:
        errors = {**e.errors, **errors}
    if errors:
        raise ValidationError(errors, kept={"staged_photo": token or ""})
    return fields, token


def log_practice_record(
    trainee: User,
    data: PracticeInput,
    *,
    task: PracticeTask | None = None,
    uuid: str | None = None,
    base_version: int = 1,
    ask_if_duplicate: bool = False,
    today: date | None = None,
) -> tuple[PracticeRecord, Written]:
    """Store a trainee's practice record (status self_reported), keyed by its client uuid.

    The same uuid again with the same content is a duplicate (nothing written); with other
    content it is an edit of the stored record made from `base_version` (the version a form
    made for a new record starts from: 1), refused with StaleVersion if the record moved on.
    Concurrent resends store one row. Raises UuidTaken for a uuid of someone else's record,
    RecordGone for a deleted one, ValidationError with per-field messages, and — when
    `ask_if_duplicate` and another record has exactly this content — PossibleDuplicate.
    Flushes, never commits; the photo is moved into place after the commit.
    """
    uuid = client_uuid(uuid)
    existing = _by_uuid(uuid)
    mine = existing is not None and existing.trainee_id == trainee.id
    fields, token = _validated(
        trainee.id, data, today, stored_photo=mine and existing.photo is not None
    )
    task_id = task.id if task else None
    if existing is None:
        if ask_if_duplicate and (twin := _twin(trainee, fields, task_id, uuid)) is not None:
            raise PossibleDuplicate(twin, kept={"staged_photo": token or ""})
        values = {**fields, "uuid": uuid, "trainee_id": trainee.id, "task_id": task_id}
        values["photo"] = files.published_name(token) if token else None
        if insert_once(PracticeRecord, values, "uuid"):
            if token:
                files.publish(trainee.id, token, "practice")
            return _by_uuid(uuid), Written.CREATED
        existing = _by_uuid(uuid)  # a concurrent resend stored it first
    if existing.trainee_id != trainee.id:
        raise UuidTaken()
    if existing.status is RecordStatus.DELETED:
        raise RecordGone()
    if _same(existing, fields, task_id, token):
        return existing, Written.DUPLICATE
    _check_editable(existing, base_version)
    _apply(existing, fields, token, remove_photo=False)
    flush_versioned()
    return existing, Written.UPDATED


def update_practice_record(
    record: PracticeRecord,
    data: PracticeInput,
    *,
    base_version: int,
    remove_photo: bool = False,
    today: date | None = None,
) -> PracticeRecord:
    """The trainee edits their own record, as it was at `base_version`.

    A rejected record goes back for review. Raises RecordLocked once verified, RecordGone once
    deleted, StaleVersion if it changed since (nothing written then), ValidationError.
    """
    _check_editable(record, base_version)
    fields, token = _validated(
        record.trainee_id, data, today, stored_photo=bool(record.photo) and not remove_photo
    )
    _apply(record, fields, token, remove_photo)
    flush_versioned()
    return record


def delete_practice_record(record: PracticeRecord, *, base_version: int) -> None:
    """The trainee deletes their record, as it was at `base_version` (see update_practice_record).

    The row stays, marked deleted, so a re-sent uuid is still recognised; its photo is swept.
    """
    _check_editable(record, base_version)
    record.status = RecordStatus.DELETED
    flush_versioned()


def attach_photo(record: PracticeRecord, data: bytes) -> Written:
    """Give a record its evidence photo, sent after the record (offline sync): checked and
    re-encoded like a form's. The same photo again is a duplicate; raises RecordLocked once
    verified, RecordGone once deleted, ValidationError for a bad photo."""
    if record.status is RecordStatus.DELETED:
        raise RecordGone()
    if record.is_locked:
        raise RecordLocked()
    checked = check_photo(data)
    stored = files.folder("practice") / (record.photo or "-")
    if record.photo and stored.is_file() and stored.read_bytes() == checked:
        return Written.DUPLICATE
    _apply(record, {}, files.stage(record.trainee_id, checked), remove_photo=False)
    flush_versioned()
    return Written.UPDATED


def _by_uuid(uuid: str) -> PracticeRecord | None:
    return db.session.scalar(select(PracticeRecord).where(PracticeRecord.uuid == uuid))


def _check_editable(record: PracticeRecord, base_version: int) -> None:
    if record.status is RecordStatus.DELETED:
        raise RecordGone()
    if record.is_locked:
        raise RecordLocked()
    if record.version != base_version:
        raise StaleVersion()


def _apply(record: PracticeRecord, fields: dict, token: str | None, remove_photo: bool) -> None:
    for name, value in fields.items():
        setattr(record, name, value)
    if token or remove_photo:
        files.remove_after_commit("practice", record.photo)
        record.photo = files.publish(record.trainee_id, token, "practice") if token else None
    if record.status is RecordStatus.REJECTED:
        record.status = RecordStatus.SELF_REPORTED


# What a resend is compared on (the same uuid with these the same is a duplicate).
CONTENT = (
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
)


def _same(record: PracticeRecord, fields: dict, task_id, token: str | None) -> bool:
    """Whether a resend carries what is stored: the same fields, task and photo (a resend
    without a photo leaves the stored one alone)."""
    if record.task_id != task_id or any(getattr(record, f) != fields[f] for f in CONTENT):
        return False
    if token is None:
        return True
    stored = files.folder("practice") / (record.photo or "-")
    staged = files.staged_path(record.trainee_id, token)
    return stored.is_file() and staged is not None and stored.read_bytes() == staged.read_bytes()


def _twin(trainee: User, fields: dict, task_id, uuid: str) -> PracticeRecord | None:
    """Another live record of this trainee with exactly this content."""
    return db.session.scalar(
        select(PracticeRecord)
        .where(
            PracticeRecord.trainee_id == trainee.id,
            PracticeRecord.uuid != uuid,
            PracticeRecord.status.in_(LIVE_STATUSES),
            PracticeRecord.task_id.is_(None)
            if task_id is None
            else PracticeRecord.task_id == task_id,
            *(
                getattr(PracticeRecord, f).is_(None)
                if fields[f] is None
                else getattr(PracticeRecord, f) == fields[f]
                for f in CONTENT
            ),
        )
        .order_by(PracticeRecord.id.desc())
        .limit(1)
    )


@dataclass
class MonthTotal:
    year: int
    month: int
    records: int
    sales: int
    amount_fen: int


def monthly_totals(trainee: User) -> list[MonthTotal]:
    """Per month, newest first: records, sales and money from sales (rejected ones left out)."""
    year = extract("year", PracticeRecord.happened_on)
    month = extract("month", PracticeRecord.happened_on)
    is_sale = PracticeRecord.kind == PracticeKind.SALE
    rows = db.session.execute(
        select(
            year,
            month,
            func.count(PracticeRecord.id),
            func.count(PracticeRecord.id).filter(is_sale),
            func.coalesce(func.sum(PracticeRecord.amount_fen).filter(is_sale), 0),
        )
        .where(
            PracticeRecord.trainee_id == trainee.id,
            PracticeRecord.status.in_((RecordStatus.SELF_REPORTED, RecordStatus.VERIFIED)),
        )
        .group_by(year, month)
        .order_by(year.desc(), month.desc())
    ).all()
    return [MonthTotal(int(y), int(m), n, s, int(a)) for y, m, n, s, a in rows]


def last_channel(trainee: User) -> Channel | None:
    return db.session.scalar(
        select(PracticeRecord.channel)
        .where(PracticeRecord.trainee_id == trainee.id)
        .order_by(PracticeRecord.created_at.desc(), PracticeRecord.id.desc())
        .limit(1)
    )
