"""Lesson Markdown → safe HTML, done once at import (Markdown + nh3).

The same allowlist decides what `curricula check` calls unsafe and what nh3 keeps, so a lesson
that passes the check renders exactly as written.
"""

import re
from html.parser import HTMLParser
from typing import NamedTuple

import markdown
import nh3

from lms.services.curricula.yamlfile import SLUG

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "a",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
IMAGE_SRC = re.compile(r"^img/[A-Za-z0-9._-]+\.(?:jpe?g|png|webp|svg)$")
SAFE_LINK = re.compile(r"^(?:https?://|mailto:|tel:|/|#)")
CARD_LINK = "card:"  # [淘宝的规则卡](card:taobao): a platform card, resolved at import
CARD_INDEX = "index"  # card:index is the list of every card


def to_html(source: str) -> str:
    """Markdown to HTML, before sanitising; raw HTML in the source passes through (to be caught)."""
    return markdown.markdown(
        source,
        extensions=["tables", "sane_lists"],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.images: list[str] = []
        self.cards: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
            return
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"<{tag} {name}=…>")
            elif tag == "a" and name == "href" and (value or "").startswith(CARD_LINK):
                self.cards.append(value.removeprefix(CARD_LINK))
            elif tag == "a" and name == "href" and not SAFE_LINK.match(value or ""):
                self.problems.append(f"<a href={value!r}>")
            elif tag == "img" and name == "src":
                if IMAGE_SRC.match(value or ""):
                    self.images.append(value)
                else:
                    self.problems.append(f"<img src={value!r}>")


class Inspection(NamedTuple):
    unsafe: list[str]  # constructs `curricula check` refuses
    images: list[str]  # local image paths (img/…)
    cards: list[str]  # what follows `card:` in links: a card's slug, or `index`


def inspect(source: str) -> Inspection:
    """What the rendered Markdown holds that the checker must look at."""
    inspector = _Inspector()
    inspector.feed(to_html(source))
    inspector.close()
    return Inspection(inspector.problems, inspector.images, inspector.cards)


def card_url(card_prefix: str, slug: str) -> str | None:
    """The page a `card:<slug>` link opens: the card's, or the list for `card:index`."""
    if slug == CARD_INDEX:
        return card_prefix
    return f"{card_prefix}/{slug}" if SLUG.match(slug) else None


def render(source: str, image_prefix: str, card_prefix: str) -> str:
    """Sanitised HTML; `img/x.jpg` becomes `<image_prefix>/x.jpg`, lazy-loaded, and
    `card:<slug>` becomes `<card_prefix>/<slug>` (`card:index`: `<card_prefix>`)."""

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return (
                f"{image_prefix}/{value.removeprefix('img/')}" if IMAGE_SRC.match(value) else None
            )
        if tag == "a" and attribute == "href" and value.startswith(CARD_LINK):
            return card_url(card_prefix, value.removeprefix(CARD_LINK))
        return value

    return nh3.clean(
        to_html(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=rewrite,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto", "tel", CARD_LINK.rstrip(":")},
    ).strip()
