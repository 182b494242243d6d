"""Terms explained where a learner first meets them (curricula/glossary.yaml).

Every term of the glossary must be explained in the lesson that first uses it, in learning order:
tiers in their order, the courses of a tier by `order`, the lessons of a course in order. It is
explained when the paragraph of its first use (a heading: with the paragraph after it) says what
it is in one of the ways the lessons do: "主图（…）", "主图：…", "主图就是…", "主图是…",
"主图，简称…", "叫主图", "简称主图", "称为主图" (bold and quotation marks around the term do
not matter). A learner who reads the lessons in order then never meets a term nobody explained,
and a lesson read aloud explains it in the same breath.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from lms.services.curricula.yamlfile import Checker, Node, Problem, Seq

GLOSSARY = "glossary.yaml"
MARKS = re.compile(r"\*\*|[“”\"「」]")


@dataclass
class Term:
    term: str
    meaning: dict[str, str]


def load_glossary(root: Path, problems: list[Problem]) -> list[Term]:
    """The glossary's terms; none (and no check) when the tree has no glossary.yaml."""
    check = Checker(root / GLOSSARY, root, problems)
    if not check.path.is_file():
        return []
    data = check.load()
    if data is None or not check.fields(data, GLOSSARY, {"terms"}):
        return []
    items = data["terms"]
    if not isinstance(items, Seq) or not items:
        check.report(check.line_of(data, "terms"), "'terms' must be a non-empty list")
        return []
    terms, seen = [], set()
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each term must be a mapping")
            continue
        check.fields(item, "term", {"term", "meaning"})
        term = check.text(item, "term", "term")
        meaning = check.bilingual(item, "meaning", "term")
        if term in seen:
            check.report(item.lines["term"], f"duplicate term '{term}'")
        elif term and meaning:
            terms.append(Term(term, meaning))
            seen.add(term)
    return terms


def explained(paragraph: str, term: str) -> bool:
    text, t = MARKS.sub("", paragraph), re.escape(term)
    ways = (
        rf"{t}[（(：:]",
        rf"{t}，?就?是",
        rf"{t}，?(?:简称|也叫|又叫)",
        rf"(?:叫|简称|称为|叫做){t}",
    )
    return any(re.search(way, text) for way in ways)


def check_glossary(terms: list[Term], lessons_in_order, problems: list[Problem]) -> None:
    """`lessons_in_order`: (the lesson's .md file as reports name it, its text)."""
    for term in terms:
        for name, body in lessons_in_order:
            at = body.find(term.term)
            if at < 0:
                continue
            start = body.rfind("\n\n", 0, at) + 1
            end = body.find("\n\n", at)
            if body[start:].lstrip().startswith("#") and end >= 0:  # a heading: and what follows
                end = body.find("\n\n", end + 2)
            paragraph = body[start : end if end >= 0 else len(body)]
            if not explained(paragraph, term.term):
                line = body.count("\n", 0, at) + 1  # as lessons.py counts the text's lines
                problems.append(
                    Problem(
                        name,
                        line,
                        f"'{term.term}' is first used here without saying what it is "
                        f"({GLOSSARY}: {term.meaning['zh']}); explain it where it is first "
                        f"used, e.g. {term.term}（…）",
                    )
                )
            break
