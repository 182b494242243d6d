"""How values are shown to people: the interface language, money and short dates."""

from flask_babel import format_date, get_locale

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
    if ui_language() == "en":
        return format_date(value, "MMM d" if same_year else "MMM d, y")
    return format_date(value, "M月d日" if same_year else "y年M月d日")
