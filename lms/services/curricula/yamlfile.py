"""Line-aware YAML reading and the checks shared by every curriculum file: each problem is
reported with its file and line, and one cause gives one problem."""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# --- YAML with line numbers -------------------------------------------------------------------


class Node(dict):
    """A mapping that remembers its own line and each key's line."""

    def __init__(self, *args):
        super().__init__(*args)
        self.line: int = 0
        self.lines: dict[str, int] = {}


class Seq(list):
    """A list that remembers its own line and each item's line."""

    def __init__(self, *args):
        super().__init__(*args)
        self.line: int = 0
        self.lines: list[int] = [0] * len(self)


class _Loader(yaml.SafeLoader):
    duplicate_keys: list[tuple[str, int]]


# Dates stay text for `Checker.date` to read: YAML's own reading of 2026-13-03 raises a bare
# ValueError with no line, where the checker reports the file and line.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    result = Node()
    result.line, result.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            loader.duplicate_keys.append((str(key), key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class Checker:
    """Collects problems for one file; each `need_*` returns a value or None after reporting."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        self.path, self.root, self.problems = path, root, problems
        try:
            self.name = str(path.relative_to(root.parent))
        except ValueError:
            self.name = str(path)

    def report(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def load(self) -> Node | None:
        if not self.path.is_file():
            self.report(0, "file is missing")
            return None
        loader = _Loader(self.path.read_text(encoding="utf-8"))
        loader.duplicate_keys = []
        try:
            data = loader.get_single_data()
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            self.report(mark.line + 1 if mark else 0, f"invalid YAML: {getattr(e, 'problem', e)}")
            return None
        finally:
            loader.dispose()
        for key, line in loader.duplicate_keys:
            self.report(line, f"duplicate key '{key}'")
        if not isinstance(data, Node):
            self.report(1, "expected a mapping at the top of the file")
            return None
        return data

    def fields(self, node: Node, what: str, required: set[str], optional: set[str] = frozenset()):
        for key in node:
            if key not in required | optional:
                self.report(node.lines[key], f"unknown field '{key}' in {what}")
        missing = sorted(required - set(node))
        for key in missing:
            self.report(node.line, f"{what} is missing '{key}'")
        return not missing

    def line_of(self, node: Node, key: str) -> int:
        return node.lines.get(key, node.line)

    # The readers below return None without a report when the key is absent: `fields` has
    # already reported it as missing, and one cause should give one problem.

    def text(self, node: Node, key: str, what: str, *, default: str | None = None) -> str | None:
        if key not in node and default is None:
            return None
        value = node.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.report(self.line_of(node, key), f"{what} '{key}' must be non-empty text")
            return None
        return value.strip()

    def integer(self, node: Node, key: str, what: str, low: int, high: int, default=None):
        if key not in node and default is None:
            return None
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.report(
                self.line_of(node, key), f"{what} '{key}' must be a whole number {low}–{high}"
            )
            return None
        return value

    def date(self, node: Node, key: str, what: str) -> date | None:
        if key not in node:
            return None
        value = node.get(key)
        try:
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.report(
            self.line_of(node, key), f"{what} '{key}' must be a date YYYY-MM-DD, got {value!r}"
        )
        return None

    def bilingual(self, node: Node, key: str, what: str) -> dict[str, str] | None:
        if key not in node:
            return None
        value = node.get(key)
        line = self.line_of(node, key)
        if not isinstance(value, Node):
            self.report(line, f"{what} '{key}' must be a mapping with zh and en")
            return None
        ok = self.fields(value, f"{what} '{key}'", {"zh", "en"})
        for lang in ("zh", "en"):
            if lang in value and (not isinstance(value[lang], str) or not value[lang].strip()):
                self.report(value.lines[lang], f"{what} '{key}.{lang}' must be non-empty text")
                ok = False
        return {lang: value[lang].strip() for lang in ("zh", "en")} if ok else None

    def slug(self, node: Node, key: str, what: str) -> str | None:
        if key not in node:
            return None
        value = node.get(key)
        if not isinstance(value, str) or not SLUG.match(value):
            self.report(
                self.line_of(node, key),
                f"{what} '{key}' must be lowercase letters, digits and hyphens, got {value!r}",
            )
            return None
        return value

    def slug_list(self, node: Node, key: str, what: str) -> list[tuple[str, int]]:
        value = node.get(key, Seq())
        if not isinstance(value, list):
            self.report(self.line_of(node, key), f"{what} '{key}' must be a list")
            return []
        lines = getattr(value, "lines", [self.line_of(node, key)] * len(value))
        out = []
        for item, line in zip(value, lines, strict=True):
            if isinstance(item, str) and SLUG.match(item):
                out.append((item, line))
            else:
                self.report(line, f"{what} '{key}' has an invalid slug {item!r}")
        return out
