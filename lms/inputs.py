"""The input boundary: ids, page numbers, versions, dates and text, bounded before they reach
the database. Domain values (money, quantities, phone numbers) are parsed by their services
with the same rules: ASCII digits (full-width ones folded to ASCII; other scripts' digits,
superscripts, NaN and exponents refused), within their column's range.

Every request is checked once for control characters (`refuse_control_characters`): no person
types them, they break PostgreSQL text columns (NUL) and they hide text from the eye.
"""

import re
from datetime import date

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from werkzeug.routing import BaseConverter, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL's integer
MAX_PAGE = 100_000
MIN_YEAR, MAX_YEAR = 1900, 2100
# C0 controls but tab, newline and carriage return; DEL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(BaseConverter):
    """`<id:name>` in a route: a row id that fits the column; anything else is a 404."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}  # ！…～, the wide space


def fold_fullwidth(text: str | None) -> str:
    """`text` with full-width ASCII forms (as a Chinese keyboard types them: １２８，－) made
    ASCII and surrounding space removed. Other scripts' digits and superscripts stay as they
    are, so a parser refuses them instead of guessing."""
    return (text or "").translate(FULLWIDTH).strip()


def to_id(text) -> int | None:
    """A row id from a form or query string, or None when it is not one."""
    text = fold_fullwidth(str(text) if text is not None else "")
    if text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


def coerce_id(value) -> int:
    """For a SelectField's `coerce`: a row id, or ValueError (WTForms reports the field)."""
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    number = to_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def small_int(text, low: int, high: int) -> int | None:
    """A whole number within [low, high] from a form or query string, or None."""
    text = fold_fullwidth(str(text) if text is not None else "")
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        number = -int(text[1:][:12])
    elif text.isascii() and text.isdigit() and len(text) <= 12:
        number = int(text)
    else:
        return None
    return number if low <= number <= high else None


def page_number(text, pages: int | None = None) -> int:
    """A page number from the query string: 1 when it is not one, at most `pages`."""
    number = small_int(text, 1, MAX_PAGE) or 1
    return min(number, pages) if pages else number


def read_date(value) -> date | None:
    """A date from a form (ISO text, as a date field sends it) or from code; None when empty.
    Raises ValueError when it is given but is not a date between 1900 and 2100."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = date.fromisoformat(fold_fullwidth(value)) if fold_fullwidth(value) else None
        if value is None:
            return None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError("out of range")
    return value


def checked_text(value, errors: dict, name: str, max_length: int) -> str:
    """Stripped text for a service's validate(); too long is reported under `name`, never
    cut short."""
    text = (value or "").strip()
    if len(text) > max_length:
        errors[name] = _("太长了，最多%(n)d个字。", n=max_length)
    return text


def checked_date(value, errors: dict, name: str, *, required: str | None = None) -> date | None:
    """`read_date` for a service's validate(): an unreadable date is reported under `name`
    (never taken for "not given"), a missing one too when `required` is its message."""
    try:
        found = read_date(value)
    except ValueError:
        errors[name] = _("日期不对，请用日历选一个日期（1900年到2100年之间）。")
        return None
    if found is None and required:
        errors[name] = required
    return found


def parse_date(text: str | None) -> date | None:
    """A date from a query string, or None when it is missing, unreadable or out of range."""
    try:
        return read_date(text)
    except ValueError:
        return None


def refuse_control_characters(app: Flask) -> None:
    """Answer 400, in the user's language, to any form or query value holding a control
    character, before a view sees it: nothing is stored, nothing is silently stripped."""

    @app.before_request
    def _refuse():
        values = [*request.args.values(), *request.form.values(), *request.args, *request.form]
        if any(CONTROL.search(v) for v in values) or CONTROL.search(request.path):
            g.plain_page = True
            message = _("你填的内容里有看不见的控制字符（可能是从别处复制来的），请删掉后再试。")
            return render_template("errors/error.html", code=400, message=message), 400
        return None
