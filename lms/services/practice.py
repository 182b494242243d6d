"""Practice records: validation, evidence photos, logging, editing and monthly totals.

Services flush, never commit. Bad input raises ValidationError with a message per field.
"""

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app, send_from_directory
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import extract, func, select

from lms.clock import local_today
from lms.db import db, new_uuid
from lms.errors import LmsError, ValidationError
from lms.models import Channel, PracticeKind, PracticeRecord, PracticeTask, RecordStatus, User

MAX_AMOUNT_FEN = 1_000_000 * 100  # over ¥1,000,000 for one record is not a real village sale
MAX_QUANTITY = Decimal("1000000")
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_MAX_SIDE = 1280
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


def parse_yuan(text: str) -> int:
    """'¥128.5' → 12850 fen. Raises ValueError with a message for people."""
    cleaned = re.sub(r"[\s,，¥￥元]", "", text or "")
    if not cleaned:
        raise ValueError(_("请填写收了多少钱。"))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("金额只能填数字，比如 128.50。")) from None
    if value.as_tuple().exponent < -2:
        raise ValueError(_("金额最多到分，比如 128.50。"))
    if value < 0:
        raise ValueError(_("金额不能是负数。"))
    fen = int(value * 100)
    if fen > MAX_AMOUNT_FEN:
        raise ValueError(_("一笔超过 ¥1,000,000，请检查是不是多打了0。"))
    return fen


def parse_quantity(text: str) -> Decimal:
    cleaned = (text or "").strip().replace("，", ".")
    if not cleaned:
        raise ValueError(_("请填写卖了多少。"))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("数量只能填数字，比如 20 或 2.5。")) from None
    if value <= 0:
        raise ValueError(_("数量要大于0。"))
    if value.as_tuple().exponent < -2 or value > MAX_QUANTITY:
        raise ValueError(_("这个数量不对，请检查一下。"))
    return value


@dataclass
class PracticeInput:
    """What a trainee typed, as text, before checking."""

    kind: str
    happened_on: date | None
    channel: str
    product: str
    quantity: str = ""
    unit: str = ""
    amount: str = ""
    note: str = ""

    def validate(self, today: date) -> dict:
        """Return the cleaned fields; raise ValidationError with every problem at once."""
        errors: dict[str, str] = {}
        fields: dict = {}
        try:
            fields["kind"] = PracticeKind(self.kind)
        except ValueError:
            errors["kind"] = _("请选择这是哪种实践。")
        if self.happened_on is None:
            errors["happened_on"] = _("请填写日期。")
        elif self.happened_on > today:
            errors["happened_on"] = _("日期不能晚于今天。")
        else:
            fields["happened_on"] = self.happened_on
        try:
            fields["channel"] = Channel(self.channel)
        except ValueError:
            errors["channel"] = _("请选择在哪里卖的或发的。")
        product = (self.product or "").strip()
        if not product:
            errors["product"] = _("请填写卖了什么（或发布了什么商品）。")
        elif len(product) > 100:
            errors["product"] = _("商品名太长了，最多100个字。")
        fields["product"] = product
        is_sale = fields.get("kind") is PracticeKind.SALE
        for name, parse, required in (
            ("quantity", parse_quantity, is_sale),
            ("amount", parse_yuan, is_sale),
        ):
            raw = getattr(self, name).strip()
            if not raw and not required:
                fields[name] = None
                continue
            try:
                fields[name] = parse(raw)
            except ValueError as e:
                errors[name] = str(e)
        if is_sale and fields.get("amount") == 0:
            errors["amount"] = _("一笔销售的金额要大于0。")
        unit = (self.unit or "").strip()
        if len(unit) > 10:
            errors["unit"] = _("单位太长了，比如：斤、箱、个。")
        elif is_sale and not unit:
            errors["unit"] = _("请填写单位，比如：斤、箱、个。")
        fields["unit"] = unit
        note = (self.note or "").strip()
        if len(note) > 1000:
            errors["note"] = _("备注太长了，最多1000个字。")
        fields["note"] = note
        if errors:
            raise ValidationError(errors)
        fields["amount_fen"] = fields.pop("amount")
        return fields


class RecordLocked(LmsError):
    """A verified record can no longer be changed by the trainee."""


def check_photo(data: bytes) -> bytes:
    """Validate an evidence photo and return it re-encoded: JPEG, at most 1280 px, no metadata."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": _("照片太大了（最大 2 MB）。请换一张，或用手机拍小一点。")})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in PHOTO_FORMATS:
                raise UnidentifiedImageError
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=80, optimize=True)  # no exif: metadata stripped
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError({"photo": _("只能上传照片（JPG、PNG 或 WebP 格式）。")}) from None


def photo_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "practice"
    path.mkdir(parents=True, exist_ok=True)
    return path


def send_photo(record: PracticeRecord):
    """The evidence photo as a private, briefly cached response (callers check permission)."""
    response = send_from_directory(photo_dir(), record.photo, max_age=3600)
    response.cache_control.private = True
    return response


def _store_photo(jpeg: bytes) -> str:
    name = f"{new_uuid()}.jpg"
    (photo_dir() / name).write_bytes(jpeg)
    return name


def _validated(data: PracticeInput, photo: bytes | None, today: date | None):
    """Check the fields and the photo together, so every problem is reported at once."""
    errors: dict[str, str] = {}
    fields, jpeg = {}, None
    try:
        fields = data.validate(today or local_today())
    except ValidationError as e:
        errors.update(e.errors)
    try:
        jpeg = check_photo(photo) if photo else None
    except ValidationError as e:
        errors.update(e.errors)
    if errors:
        raise ValidationError(errors)
    return fields, jpeg


def log_practice_record(
    trainee: User,
    data: PracticeInput,
    *,
    photo: bytes | None = None,
    task: PracticeTask | None = None,
    uuid: str | None = None,
    today: date | None = None,
) -> PracticeRecord:
    """Store a trainee's practice record (status self_reported).

    A record re-sent with the same uuid is recognised and returned, never stored twice.
    Raises ValidationError with per-field messages; stores nothing then.
    """
    if uuid:
        existing = db.session.scalar(select(PracticeRecord).where(PracticeRecord.uuid == uuid))
        if existing is not None and existing.trainee_id == trainee.id:
            return existing
    fields, jpeg = _validated(data, photo, today)
    record = PracticeRecord(
        trainee_id=trainee.id,
        task_id=task.id if task else None,
        **fields,
        **({"uuid": uuid} if uuid else {}),
    )
    if jpeg:
        record.photo = _store_photo(jpeg)
    db.session.add(record)
    db.session.flush()
    return record


def update_practice_record(
    record: PracticeRecord,
    data: PracticeInput,
    *,
    photo: bytes | None = None,
    remove_photo: bool = False,
    today: date | None = None,
) -> PracticeRecord:
    """The trainee edits their own record. A rejected record goes back for review."""
    if record.is_locked:
        raise RecordLocked()
    fields, jpeg = _validated(data, photo, today)
    for name, value in fields.items():
        setattr(record, name, value)
    if jpeg or remove_photo:
        _delete_photo(record)
        record.photo = _store_photo(jpeg) if jpeg else None
    if record.status is RecordStatus.REJECTED:
        record.status = RecordStatus.SELF_REPORTED
    db.session.flush()
    return record


def delete_practice_record(record: PracticeRecord) -> None:
    if record.is_locked:
        raise RecordLocked()
    _delete_photo(record)
    db.session.delete(record)
    db.session.flush()


def _delete_photo(record: PracticeRecord) -> None:
    if record.photo:
        (photo_dir() / record.photo).unlink(missing_ok=True)


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
            PracticeRecord.trainee_id == trainee.id, PracticeRecord.status != RecordStatus.REJECTED
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
