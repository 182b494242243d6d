"""Reading and checking `platforms.yaml` and the platform cards it lists (`platforms/<slug>.md`):
one dated card per selling platform, which lessons link to (`card:<slug>`) instead of repeating
its rules. Every problem is reported with file and line. The file is optional: a tree without it
has no cards.

```yaml
platforms:
  - slug: taobao
    name: {zh: 淘宝, en: Taobao}
    checked_on: 2026-12-03          # 核对日期: when the card was checked against the platform
    file: platforms/taobao.md       # the card's text, Markdown like a lesson's, no pictures
```
"""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lms.services.curricula import lesson_markdown
from lms.services.curricula.lessons import report_markdown
from lms.services.curricula.yamlfile import Checker, Node, Seq

CARD_FILE = re.compile(r"^platforms/[a-z0-9]+(?:-[a-z0-9]+)*\.md$")


@dataclass
class PlatformSpec:
    slug: str
    name: dict[str, str]
    checked_on: date
    body: str


def load_platforms(root: Path, problems, tree) -> set[str]:
    """Parse `platforms.yaml` into `tree.platforms`. Returns every card slug the file names, even
    of an entry with problems, so a lesson's link to it is not reported a second time."""
    path = root / "platforms.yaml"
    if not path.is_file():
        return set()
    check = Checker(path, root, problems)
    data = check.load()
    if data is None or not check.fields(data, "platforms.yaml", {"platforms"}):
        return set()
    items = data["platforms"]
    if not isinstance(items, Seq) or not items:
        check.report(data.lines["platforms"], "'platforms' must be a non-empty list")
        return set()
    seen: set[str] = set()
    entries = []
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each platform must be a mapping")
            continue
        slug = check.slug(item, "slug", "platform")
        if slug == lesson_markdown.CARD_INDEX:
            check.report(
                item.lines["slug"], "'index' is the list of cards (card:index), not a slug"
            )
            slug = None
        elif slug in seen:
            check.report(item.lines["slug"], f"duplicate platform slug '{slug}'")
            continue
        if slug:
            seen.add(slug)
        complete = check.fields(item, "platform", {"slug", "name", "checked_on", "file"})
        values = (
            check.bilingual(item, "name", "platform"),
            check.date(item, "checked_on", "platform"),
        )
        entries.append((item, complete and slug and all(values), slug, values))
    for item, complete, slug, (name, checked_on) in entries:
        body = _load_card(check, item, seen)  # after every slug is known: cards link to cards
        if complete and body is not None:
            tree.platforms.append(PlatformSpec(slug, name, checked_on, body))
    return seen


def _load_card(check: Checker, item: Node, cards: set[str]) -> str | None:
    name = item.get("file")
    if name is None:
        return None
    line = check.line_of(item, "file")
    if not isinstance(name, str) or not CARD_FILE.match(name):
        check.report(line, f"platform 'file' must be a .md file in platforms/, got {name!r}")
        return None
    path = check.root / name
    if not path.is_file():
        check.report(line, f"platform card file '{name}' is missing")
        return None
    body = path.read_text(encoding="utf-8").strip()
    md = Checker(path, check.root, check.problems)
    if not body:
        md.report(1, "platform card text is empty")
        return None
    found = lesson_markdown.inspect(body)
    report_markdown(md, body, found, cards, pictures="a lesson's img/ folder, and a card has none")
    for image in found.images:
        md.report(_line_of(body, image), f"a platform card holds text only: no picture '{image}'")
    return body if not (found.unsafe or found.images) else None


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1
