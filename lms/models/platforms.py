"""Platform cards (平台规则卡): one dated card per selling platform (淘宝, 拼多多, 抖音, 快手,
微信小店), as imported from `curricula/platforms.yaml` and `curricula/platforms/<slug>.md`.

A card says what opening a shop needs, that deposits and fees exist and where they are paid,
which permissions matter and where the platform's rules centre is, with the date it was checked.
Lessons link to a card (`card:<slug>` in their Markdown) instead of repeating what it says.
"""

from datetime import date

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import db
from lms.models.curriculum import Bilingual, Versioned


class PlatformCard(Versioned, Bilingual, db.Model):
    __tablename__ = "platform_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int]
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(150))
    checked_on: Mapped[date]  # 核对日期: when the card was last checked against the platform
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered and sanitised once, at import
