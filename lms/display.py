"""How values are shown to people: the interface language, money, short dates and what a
practice record says."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from babel.dates import format_date as babel_format_date
from flask_babel import format_date, get_locale, gettext

from lms.clock import local_today


def ui_language() -> str:
    """'en' or 'zh_CN': the catalog in use (Babel spells the Chinese locale zh_Hans_CN)."""
    return "en" if get_locale().language == "en" else "zh_CN"


def format_yuan(fen: int | None) -> str:
    """Integer fen as people read money: 12850 → ¥128.50."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def format_short_date(value) -> str:
    """11月22日 in Chinese, Nov 22 in English; the year only when it is not this year."""
    if not value:
        return ""
    same_year = value.year == local_today().year
    if isinstance(value, datetime):  # Flask-Babel moves it to the user's time zone first
        return format_date(value, _short_pattern(ui_language() == "en", same_year))
    # What flask_babel.format_date does for a date, once per date and language: a list of 200
    # trainees shows two dates a row, and Babel is slow to format them.
    locale = get_locale()
    key = (value, same_year, locale.language, locale.territory, locale.script, locale.variant)
    text = _short_dates.get(key)
    if text is None:
        pattern = _short_pattern(locale.language == "en", same_year)
        text = babel_format_date(value, pattern, locale)
        if len(_short_dates) >= 4096:
            _short_dates.clear()
        _short_dates[key] = text
    return text


_short_dates: dict[tuple, str] = {}


def _short_pattern(english: bool, same_year: bool) -> str:
    if english:
        return "MMM d" if same_year else "MMM d, y"
    return "M月d日" if same_year else "y年M月d日"


@dataclass(frozen=True)
class Fact:
    """One thing a page says about a practice record: its field, the words, a link's address."""

    name: str
    text: str
    href: str | None = None


def record_facts(record) -> list[Fact]:
    """A practice record's own fields, as its kind asks them (KIND_FORMS), in its order: a
    listing's product and link, a livestream's minutes, viewers and orders — never a blank
    amount or a quantity the kind does not ask."""
    from lms.models.practice_kinds import KIND_FORMS

    facts = []
    for ask in KIND_FORMS[record.kind].asks:
        value = record.amount_fen if ask.name == "amount" else getattr(record, ask.name)
        if value is None or value == "":
            continue
        if ask.name == "product":
            facts.append(Fact("product", value))
        elif ask.name == "quantity":
            facts.append(Fact("quantity", f"{value.normalize():f}{record.unit}"))
        elif ask.name == "amount":
            facts.append(Fact("amount", format_yuan(value)))
        elif ask.name == "link":
            host = urlsplit(value).hostname or value
            facts.append(Fact("link", gettext("链接：%(host)s", host=host), href=value))
        else:
            facts.append(Fact(ask.name, str(ask.shown) % {"n": f"{value:,}"}))
    return facts
