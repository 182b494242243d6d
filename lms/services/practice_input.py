"""Practice records as typed: the parsers (money, quantities, counts, links) and PracticeInput,
which checks a record against what its kind asks (lms.models.practice_kinds). Every writer —
the form, offline sync, the CLI and tests — goes through it.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import gettext as _

from lms.errors import ValidationError
from lms.inputs import checked_date, fold_fullwidth
from lms.models import Channel, PracticeKind
from lms.models.practice_kinds import ASKABLE, FIELD_NOUNS, KIND_FORMS, NUMBER_BOUNDS, KindForm

MAX_AMOUNT_FEN = 1_000_000 * 100  # over ¥1,000,000 for one record is not a real village sale
MAX_QUANTITY = Decimal("1000000")
MAX_LINK = 500  # the column's length


# Plain decimals in ASCII digits (full-width folded); a comma only as a thousands separator.
DECIMAL = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,12})?$")
THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,12})?$")


def _decimal(text: str, *, unit_chars: str = "") -> Decimal | None:
    """The number in `text`, or None if it is not a plain decimal (no NaN, no exponent, no
    other scripts' digits); ValueError for a comma that could be a decimal point ("1,5")."""
    cleaned = re.sub(rf"[\s{unit_chars}]", "", fold_fullwidth(text))
    if THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        raise ValueError(_("逗号看不懂：小数点请用“.”，比如 1.50。"))
    return Decimal(cleaned) if DECIMAL.match(cleaned.removeprefix("-")) else None


def parse_yuan(text: str) -> int:
    """'¥128.5' → 12850 fen. Raises ValueError with a message for people."""
    if not re.sub(r"[\s¥￥元]", "", fold_fullwidth(text)):
        raise ValueError(_("请填写收了多少钱。"))
    value = _decimal(text, unit_chars="¥￥元")
    if value is None:
        raise ValueError(_("金额只能填数字，比如 128.50。"))
    if value.as_tuple().exponent < -2:
        raise ValueError(_("金额最多到分，比如 128.50。"))
    if value < 0:
        raise ValueError(_("金额不能是负数。"))
    fen = int(value * 100)
    if fen > MAX_AMOUNT_FEN:
        raise ValueError(_("一笔超过 ¥1,000,000，请检查是不是多打了0。"))
    return fen


def parse_quantity(text: str) -> Decimal:
    if not fold_fullwidth(text):
        raise ValueError(_("请填写卖了多少。"))
    value = _decimal(text)
    if value is None:
        raise ValueError(_("数量只能填数字，比如 20 或 2.5。"))
    if value <= 0:
        raise ValueError(_("数量要大于0。"))
    if value.as_tuple().exponent < -2 or value > MAX_QUANTITY:
        raise ValueError(_("这个数量不对，请检查一下。"))
    return value


def parse_count(text: str, name: str) -> int:
    """A whole number for `name` (minutes, viewers, orders, people) within its bounds (ASCII or
    full-width digits, thousands commas). Raises ValueError with a message for people."""
    noun = FIELD_NOUNS[name]
    cleaned = re.sub(r"\s", "", fold_fullwidth(text))
    if THOUSANDS.match(cleaned) and "." not in cleaned:
        cleaned = cleaned.replace(",", "")
    low, high = NUMBER_BOUNDS[name]
    if cleaned.startswith("-") and cleaned[1:].isascii() and cleaned[1:].isdigit():
        raise ValueError(_("%(field)s不能是负数。", field=noun))
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(_("%(field)s只能填整数，比如 %(example)d。", field=noun, example=low + 2))
    if len(cleaned) > 12 or int(cleaned) > high:
        raise ValueError(_("%(field)s太大了，请检查是不是多打了0。", field=noun))
    if int(cleaned) < low:
        raise ValueError(_("%(field)s要大于0。", field=noun))
    return int(cleaned)


# A link on its own may hold any character but space; inside share text it ends where the
# characters a URL may hold (RFC 3986) end, so "…/iRNBho6u/复制此链接" loses the Chinese.
WHOLE_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
LINK = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%]+", re.IGNORECASE)


def parse_link(text: str) -> str:
    """The http(s) link in `text`: the link itself, or the one inside an app's share text
    ("3.88 复制打开抖音，看看… https://v.douyin.com/…/ …"). Raises ValueError for people."""
    text = fold_fullwidth(text)
    found = text if WHOLE_LINK.fullmatch(text) else (m[0] if (m := LINK.search(text)) else None)
    if found is None:
        raise ValueError(_("链接要以 http:// 或 https:// 开头，请从 App 里“复制链接”再粘贴。"))
    if len(found) > MAX_LINK:
        raise ValueError(_("链接太长了（最多500个字符），可以改拍一张截图。"))
    if not urlsplit(found).hostname:
        raise ValueError(_("这个链接看不懂，请从 App 里“复制链接”再粘贴。"))
    return found


@dataclass
class PracticeInput:
    """What a trainee typed, as text, before checking. Which fields a kind asks, and which of
    them it requires, is lms.models.practice_kinds.KIND_FORMS; any other one filled in is
    refused, so the form, the phone and a hand-made request all meet one rule."""

    kind: str
    happened_on: date | str | None  # as the date field sent it, or a date
    channel: str
    product: str = ""
    quantity: str = ""
    unit: str = ""
    amount: str = ""
    minutes: str = ""
    viewers: str = ""
    orders: str = ""
    people: str = ""
    link: str = ""
    note: str = ""
    photo: bytes | None = None  # a new evidence photo, as uploaded
    staged_photo: str | None = None  # or the token of one checked on an earlier try
    photo_follows: bool = False  # the phone sends the photo after the record (offline sync)

    def validate(self, today: date, *, has_photo: bool = False) -> dict:
        """Return the cleaned fields (those the kind does not ask as empty); raise
        ValidationError with every problem at once. `has_photo`: a photo is (or will be) there,
        which a kind asking for a link or a screenshot takes instead of the link."""
        errors: dict[str, str] = {}
        fields: dict = {}
        try:
            fields["kind"] = PracticeKind(self.kind)
        except ValueError:
            errors["kind"] = _("请选择这是哪种实践。")
        happened_on = checked_date(
            self.happened_on, errors, "happened_on", required=_("请填写日期。")
        )
        if happened_on is not None and happened_on > today:
            errors["happened_on"] = _("日期不能晚于今天。")
        elif happened_on is not None:
            fields["happened_on"] = happened_on
        try:
            fields["channel"] = Channel(self.channel)
        except ValueError:
            errors["channel"] = _("请选择在哪里卖的或发的。")
        note = (self.note or "").strip()
        if len(note) > 1000:
            errors["note"] = _("备注太长了，最多1000个字。")
        fields["note"] = note
        form = KIND_FORMS.get(fields.get("kind"))
        if form is not None:
            self._kind_fields(form, fields, errors, has_photo or bool(self.photo))
        if errors:
            raise ValidationError(errors)
        return fields

    def _kind_fields(self, form: KindForm, fields: dict, errors: dict, has_photo: bool) -> None:
        raw = {name: (getattr(self, name) or "").strip() for name in (*ASKABLE, "unit")}
        for name, text in raw.items():
            if text and not form.asks_for(name):
                errors[name] = _(
                    "%(record)s不用填%(field)s。", record=form.noun, field=FIELD_NOUNS[name]
                )
        for name in ASKABLE:
            text = raw[name] if form.asks_for(name) else ""
            if not text:
                if form.required(name):
                    errors[name] = _REQUIRED[name]()
                fields[name] = None
                continue
            try:
                fields[name] = _PARSE[name](text, name)
            except ValueError as e:
                errors[name] = str(e)
        if fields.get("kind") is PracticeKind.SALE and fields.get("amount") == 0:
            errors["amount"] = _("一笔销售的金额要大于0。")
        unit = raw["unit"] if form.asks_for("unit") else ""
        if len(unit) > 10:
            errors["unit"] = _("单位太长了，比如：斤、箱、个。")
        elif form.required("unit") and not unit:
            errors["unit"] = _("请填写单位，比如：斤、箱、个。")
        fields["unit"] = unit
        fields["product"] = fields.get("product") or ""
        if form.link_or_photo and not raw["link"] and not has_photo and "link" not in errors:
            errors["link"] = _("链接或截图至少一个：请粘贴链接，或在下面拍一张截图。")
        fields["amount_fen"] = fields.pop("amount", None)


def _product(text: str, _name: str) -> str:
    if len(text) > 100:
        raise ValueError(_("商品名太长了，最多100个字。"))
    return text


_PARSE = {
    "product": _product,
    "quantity": lambda text, _name: parse_quantity(text),
    "amount": lambda text, _name: parse_yuan(text),
    "minutes": parse_count,
    "viewers": parse_count,
    "orders": parse_count,
    "people": parse_count,
    "link": lambda text, _name: parse_link(text),
}
_REQUIRED = {
    "product": lambda: _("请填写卖了什么（或发布了什么商品）。"),
    "quantity": lambda: _("请填写卖了多少。"),
    "amount": lambda: _("请填写收了多少钱。"),
    "minutes": lambda: _("请填写直播了多少分钟。"),
    "viewers": lambda: _("请填写最多的时候有多少人在看。"),
    "orders": lambda: _("请填写直播间下了几单（没有就填 0）。"),
    "people": lambda: _("请填写人数。"),
    "link": lambda: _("请粘贴链接。"),
}
