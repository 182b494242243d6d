"""Reading and checking the curriculum tree (`curricula/`): every problem, with file and line.

`load_tree(path)` never touches the database. It returns the parsed tree and the list of problems;
the importer refuses a tree with any problem, so an invalid tree changes nothing.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lms.models.curriculum import Dimension, PracticeKind, QuizKind
from lms.services import lesson_markdown

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_IMAGE_BYTES = 60 * 1024
LETTERS = "ABCDEF"


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


# --- the parsed tree --------------------------------------------------------------------------


@dataclass
class QuizSpec:
    slug: str
    kind: str
    question: str
    options: list[str]
    answer: list[int]
    explanation: str


@dataclass
class PracticeSpec:
    slug: str
    kind: str
    title: dict[str, str]
    instructions: str
    record: str


@dataclass
class LessonSpec:
    slug: str
    title: dict[str, str]
    minutes: int
    body: str
    quiz: list[QuizSpec]
    practice: PracticeSpec | None


@dataclass
class CourseSpec:
    slug: str
    folder: Path
    tier: str
    order: int
    title: dict[str, str]
    summary: dict[str, str]
    target_rung: int
    dimensions: list[str]
    minutes: int
    prerequisites: list[str]
    pass_mark: int
    lessons: list[LessonSpec]


@dataclass
class TierSpec:
    slug: str
    title: dict[str, str]
    summary: dict[str, str]


@dataclass
class RungSpec:
    level: int
    name: dict[str, str]
    description: dict[str, str]
    courses: list[str] = field(default_factory=list)
    practice: list[dict[str, Any]] = field(default_factory=list)
    mentor_signoff: bool = False


@dataclass
class Tree:
    tiers: list[TierSpec] = field(default_factory=list)
    courses: list[CourseSpec] = field(default_factory=list)
    rungs: list[RungSpec] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        lessons = [lesson for course in self.courses for lesson in course.lessons]
        return {
            "tiers": len(self.tiers),
            "courses": len(self.courses),
            "lessons": len(lessons),
            "quiz items": sum(len(lesson.quiz) for lesson in lessons),
            "practice tasks": sum(1 for lesson in lessons if lesson.practice),
            "rungs": len(self.rungs),
        }


# --- checking ---------------------------------------------------------------------------------


class _Checker:
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


def load_tree(root: Path) -> tuple[Tree, list[Problem]]:
    """Parse and check the whole tree under `root`. Returns the tree and every problem found."""
    root = root.resolve()
    problems: list[Problem] = []
    tree = Tree()
    tiers = _load_tiers(root, problems, tree)
    course_lines = _load_courses(root, problems, tree, tiers)
    _check_prerequisites(tree, course_lines, problems)
    _load_ladder(root, problems, tree, course_lines)
    return tree, sorted(set(problems))


def _load_tiers(root: Path, problems: list[Problem], tree: Tree) -> set[str]:
    check = _Checker(root / "tiers.yaml", root, problems)
    data = check.load()
    if data is None or not check.fields(data, "tiers.yaml", {"tiers"}):
        return set()
    items = data["tiers"]
    if not isinstance(items, Seq) or not items:
        check.report(check.line_of(data, "tiers"), "'tiers' must be a non-empty list")
        return set()
    seen: set[str] = set()
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each tier must be a mapping")
            continue
        check.fields(item, "tier", {"slug", "title", "summary"})
        slug = check.slug(item, "slug", "tier")
        title = check.bilingual(item, "title", "tier")
        summary = check.bilingual(item, "summary", "tier")
        if slug in seen:
            check.report(item.lines["slug"], f"duplicate tier slug '{slug}'")
        elif slug and title and summary:
            tree.tiers.append(TierSpec(slug, title, summary))
        if slug:
            seen.add(slug)
    return seen


COURSE_REQUIRED = {
    "slug",
    "tier",
    "order",
    "title",
    "summary",
    "target_rung",
    "dimensions",
    "minutes",
    "lessons",
}
COURSE_OPTIONAL = {"prerequisites", "pass_mark"}


def _load_courses(root, problems, tree, tiers) -> dict[str, tuple[_Checker, Node]]:
    """Parse every course.yaml; returns slug → (checker, node) for cross-file checks."""
    by_slug: dict[str, tuple[_Checker, Node]] = {}
    lesson_slugs: dict[str, str] = {}
    task_slugs: dict[str, str] = {}
    folders = (
        sorted(p for p in (root / "courses").iterdir() if p.is_dir())
        if (root / "courses").is_dir()
        else []
    )
    if not folders:
        problems.append(Problem(str(root / "courses"), 0, "no course folders found"))
    for folder in folders:
        check = _Checker(folder / "course.yaml", root, problems)
        data = check.load()
        if data is None:
            continue
        complete = check.fields(data, "course", COURSE_REQUIRED, COURSE_OPTIONAL)
        slug = check.slug(data, "slug", "course")
        if slug and slug != folder.name:
            check.report(
                data.lines["slug"],
                f"course slug '{slug}' must equal its folder name '{folder.name}'",
            )
        if slug in by_slug:
            check.report(data.lines["slug"], f"duplicate course slug '{slug}'")
            continue
        tier = data.get("tier")
        if "tier" in data and tier not in tiers:
            check.report(data.lines["tier"], f"unknown tier '{tier}'")
        dimensions = data.get("dimensions")
        if "dimensions" in data:
            if not isinstance(dimensions, list) or not dimensions:
                check.report(data.lines["dimensions"], "'dimensions' must be a non-empty list")
            else:
                for d in dimensions:
                    if d not in set(Dimension):
                        check.report(
                            data.lines["dimensions"],
                            f"unknown dimension '{d}'; use {', '.join(Dimension)}",
                        )
        values = {
            "order": check.integer(data, "order", "course", 1, 99),
            "title": check.bilingual(data, "title", "course"),
            "summary": check.bilingual(data, "summary", "course"),
            "target_rung": check.integer(data, "target_rung", "course", 0, 6),
            "minutes": check.integer(data, "minutes", "course", 1, 600),
            "pass_mark": check.integer(data, "pass_mark", "course", 1, 100, default=80),
        }
        prerequisites = check.slug_list(data, "prerequisites", "course")
        lessons = _load_lessons(check, folder, data, lesson_slugs, task_slugs)
        if slug:
            by_slug[slug] = (check, data)
        if complete and slug and all(v is not None for v in values.values()) and lessons:
            tree.courses.append(
                CourseSpec(
                    slug=slug,
                    folder=folder,
                    tier=tier,
                    dimensions=list(dimensions),
                    prerequisites=[p for p, _ in prerequisites],
                    lessons=lessons,
                    **values,
                )
            )
    return by_slug


def _load_lessons(check, folder, data, lesson_slugs, task_slugs) -> list[LessonSpec]:
    items = data.get("lessons")
    if not isinstance(items, Seq) or not items:
        if "lessons" in data:
            check.report(data.lines["lessons"], "'lessons' must be a non-empty list")
        return []
    lessons = []
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each lesson must be a mapping")
            continue
        complete = check.fields(
            item, "lesson", {"slug", "title", "minutes"}, {"body", "quiz", "practice"}
        )
        slug = check.slug(item, "slug", "lesson")
        if slug in lesson_slugs:
            check.report(
                item.lines["slug"], f"duplicate lesson slug '{slug}' (also in {lesson_slugs[slug]})"
            )
            slug = None
        elif slug:
            lesson_slugs[slug] = check.name
        title = check.bilingual(item, "title", "lesson")
        minutes = check.integer(item, "minutes", "lesson", 1, 240)
        body = _load_body(check, folder, item, slug)
        quiz = _load_quiz(check, item)
        practice = _load_practice(check, item, task_slugs) if "practice" in item else None
        if (
            complete
            and slug
            and title
            and minutes
            and body is not None
            and quiz is not None
            and (practice is not None or "practice" not in item)
        ):
            lessons.append(LessonSpec(slug, title, minutes, body, quiz, practice))
    return lessons if len(lessons) == len(items) else []


def _load_body(check: _Checker, folder: Path, item: Node, slug: str | None) -> str | None:
    name = item.get("body") or (f"{slug}.md" if slug else None)
    if name is None:
        return None
    line = check.line_of(item, "body")
    path = folder / name
    if not isinstance(name, str) or not name.endswith(".md") or path.parent != folder:
        check.report(line, f"lesson body must be a .md file in the course folder, got {name!r}")
        return None
    if not path.is_file():
        check.report(line, f"lesson body file '{name}' is missing")
        return None
    body = path.read_text(encoding="utf-8").strip()
    md = _Checker(path, check.root, check.problems)
    if not body:
        md.report(1, "lesson text is empty")
        return None
    unsafe, images = lesson_markdown.inspect(body)
    for construct in unsafe:
        if construct.startswith("<img src="):
            message = (
                f"picture {construct[9:-1]} must be a .jpg/.png/.webp file in the course's "
                "img/ folder (nothing is loaded from outside the server)"
            )
        else:
            message = f"unsafe HTML {construct}: use plain Markdown"
        md.report(_line_containing(body, construct), message)
    for image in images:
        image_path = folder / image
        image_line = _line_containing(body, image)
        if not image_path.is_file():
            md.report(image_line, f"image '{image}' is missing")
        elif image_path.stat().st_size > MAX_IMAGE_BYTES:
            md.report(
                image_line,
                f"image '{image}' is {image_path.stat().st_size // 1024} KB; "
                f"the limit is {MAX_IMAGE_BYTES // 1024} KB",
            )
    return body if not unsafe else None


def _line_containing(text: str, construct: str) -> int:
    """The line of `text` a reported construct came from: by its quoted value, else its tag."""
    quoted = re.search(r"'([^']+)'", construct)
    needle = quoted.group(1) if quoted else re.sub(r"^<(\w+).*", r"<\1", construct)
    for number, line in enumerate(text.splitlines(), start=1):
        if needle.lower() in line.lower():
            return number
    return 1


def _load_quiz(check: _Checker, lesson: Node) -> list[QuizSpec] | None:
    items = lesson.get("quiz", Seq())
    if not isinstance(items, Seq):
        check.report(check.line_of(lesson, "quiz"), "'quiz' must be a list")
        return None
    quiz, slugs, ok = [], set(), True
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each quiz item must be a mapping")
            ok = False
            continue
        spec = _load_quiz_item(check, item)
        if spec and spec.slug in slugs:
            check.report(item.lines["slug"], f"duplicate quiz slug '{spec.slug}' in this lesson")
            spec = None
        if spec:
            slugs.add(spec.slug)
            quiz.append(spec)
        else:
            ok = False
    return quiz if ok else None


def _load_quiz_item(check: _Checker, item: Node) -> QuizSpec | None:
    kind = item.get("type")
    needs_options = kind in (QuizKind.SINGLE, QuizKind.MULTIPLE)
    complete = check.fields(
        item,
        "quiz item",
        {"slug", "type", "question", "answer", "explanation"}
        | ({"options"} if needs_options else set()),
        {"options"} if kind != QuizKind.TRUE_FALSE else set(),
    )
    slug = check.slug(item, "slug", "quiz item")
    question = check.text(item, "question", "quiz item")
    explanation = check.text(item, "explanation", "quiz item")
    if kind not in set(QuizKind):
        check.report(
            check.line_of(item, "type"),
            f"quiz type must be single, multiple or true_false, got {kind!r}",
        )
        return None
    answer_line = check.line_of(item, "answer")
    answer = item.get("answer")
    if kind == QuizKind.TRUE_FALSE:
        if "options" in item:
            check.report(item.lines["options"], "a true_false item has no options")
        if not isinstance(answer, bool):
            check.report(answer_line, "a true_false item needs 'answer: true' or 'answer: false'")
            return None
        options, indexes = [], [1 if answer else 0]
    else:
        options = item.get("options")
        if (
            not isinstance(options, list)
            or not 2 <= len(options) <= 6
            or not all(isinstance(o, str | int | float) and str(o).strip() for o in options)
        ):
            check.report(check.line_of(item, "options"), "options must be a list of 2 to 6 texts")
            return None
        options = [str(o).strip() for o in options]
        letters = answer if isinstance(answer, list) else [answer]
        if "answer" not in item:
            return None
        if not letters or any(
            not isinstance(a, str) or a not in LETTERS[: len(options)] for a in letters
        ):
            check.report(
                answer_line,
                f"answer must name the correct option(s) with letters "
                f"{LETTERS[0]}–{LETTERS[len(options) - 1]}",
            )
            return None
        indexes = sorted({LETTERS.index(a) for a in letters})
        if kind == QuizKind.SINGLE and (len(indexes) != 1 or isinstance(answer, list)):
            check.report(answer_line, "a single-choice item has exactly one correct letter")
            return None
        if kind == QuizKind.MULTIPLE and not isinstance(answer, list):
            check.report(answer_line, "a multiple-choice item lists its correct letters: [A, C]")
            return None
    if not (complete and slug and question and explanation):
        return None
    return QuizSpec(slug, str(kind), question, options, indexes, explanation)


def _load_practice(check: _Checker, lesson: Node, task_slugs: dict[str, str]):
    item = lesson["practice"]
    if not isinstance(item, Node):
        check.report(lesson.lines["practice"], "'practice' must be a mapping")
        return None
    complete = check.fields(
        item, "practice task", {"slug", "kind", "title", "instructions", "record"}
    )
    slug = check.slug(item, "slug", "practice task")
    if slug in task_slugs:
        check.report(
            item.lines["slug"],
            f"duplicate practice task slug '{slug}' (also in {task_slugs[slug]})",
        )
        slug = None
    elif slug:
        task_slugs[slug] = check.name
    kind = item.get("kind")
    if kind not in set(PracticeKind):
        check.report(
            check.line_of(item, "kind"),
            f"practice kind must be one of {', '.join(PracticeKind)}, got {kind!r}",
        )
        kind = None
    title = check.bilingual(item, "title", "practice task")
    instructions = check.text(item, "instructions", "practice task")
    record = check.text(item, "record", "practice task")
    for key, text in (("instructions", instructions), ("record", record)):
        if text:
            for construct in lesson_markdown.inspect(text)[0]:
                check.report(item.lines[key], f"unsafe HTML {construct} in '{key}'")
    if complete and slug and kind and title and instructions and record:
        return PracticeSpec(slug, kind, title, instructions, record)
    return None


def _check_prerequisites(tree: Tree, course_lines, problems: list[Problem]) -> None:
    graph: dict[str, list[str]] = {}
    for slug, (check, data) in course_lines.items():
        graph[slug] = []
        for prerequisite, line in _prerequisite_lines(data):
            if prerequisite not in course_lines:
                check.report(line, f"unknown prerequisite course '{prerequisite}'")
            elif prerequisite == slug:
                check.report(line, "a course cannot be its own prerequisite")
            else:
                graph[slug].append(prerequisite)
    # Depth-first search; report each cycle once, at the course that closes it.
    state: dict[str, int] = {}

    def visit(slug: str, path: list[str]) -> None:
        state[slug] = 1
        for nxt in graph[slug]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                check, data = course_lines[slug]
                check.report(
                    data.lines.get("prerequisites", data.line),
                    f"prerequisite cycle: {' → '.join(cycle)}",
                )
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[slug] = 2

    for slug in sorted(graph):
        if slug not in state:
            visit(slug, [slug])


def _prerequisite_lines(data: Node) -> list[tuple[str, int]]:
    value = data.get("prerequisites", [])
    if not isinstance(value, list):
        return []
    lines = getattr(value, "lines", [data.line] * len(value))
    return [(v, ln) for v, ln in zip(value, lines, strict=True) if isinstance(v, str)]


def _load_ladder(root: Path, problems: list[Problem], tree: Tree, course_lines) -> None:
    check = _Checker(root / "ladder.yaml", root, problems)
    data = check.load()
    if data is None or not check.fields(data, "ladder.yaml", {"rungs"}):
        return
    items = data["rungs"]
    if not isinstance(items, Seq):
        check.report(data.lines["rungs"], "'rungs' must be a list")
        return
    levels = []
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each rung must be a mapping")
            continue
        complete = check.fields(item, "rung", {"level", "name", "description"}, {"requires"})
        level = check.integer(item, "level", "rung", 0, 6)
        name = check.bilingual(item, "name", "rung")
        description = check.bilingual(item, "description", "rung")
        spec = (
            RungSpec(level, name, description)
            if complete and level is not None and name and (description)
            else None
        )
        if "requires" in item:
            _load_requirements(check, item, spec, course_lines)
        if level is not None:
            levels.append((level, item.lines["level"]))
        if spec:
            tree.rungs.append(spec)
    expected = list(range(7))
    if [lv for lv, _ in levels] != expected:
        check.report(data.lines["rungs"], "rungs must be levels 0 to 6, in order, each once")


def _load_requirements(check: _Checker, rung: Node, spec: RungSpec | None, course_lines) -> None:
    req = rung["requires"]
    if not isinstance(req, Node):
        check.report(rung.lines["requires"], "'requires' must be a mapping")
        return
    check.fields(req, "requires", set(), {"courses", "practice", "mentor_signoff"})
    courses = []
    for slug, line in check.slug_list(req, "courses", "requires"):
        if slug not in course_lines:
            check.report(line, f"unknown course '{slug}' in the ladder requirements")
        courses.append(slug)
    practice = []
    items = req.get("practice", Seq())
    if not isinstance(items, Seq):
        check.report(req.lines["practice"], "'practice' must be a list")
        items = Seq()
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each practice requirement must be a mapping")
            continue
        check.fields(item, "practice requirement", {"kinds", "count"}, {"within_days"})
        kinds = item.get("kinds")
        if (
            not isinstance(kinds, list)
            or not kinds
            or any(k not in set(PracticeKind) for k in kinds)
        ):
            check.report(
                check.line_of(item, "kinds"),
                f"'kinds' must list practice kinds from {', '.join(PracticeKind)}",
            )
            continue
        count = check.integer(item, "count", "practice requirement", 1, 1000)
        within = item.get("within_days")
        if within is not None:
            within = check.integer(item, "within_days", "practice requirement", 1, 3650)
            if within is None:
                continue
        if count:
            practice.append({"kinds": list(kinds), "count": count, "within_days": within})
    signoff = req.get("mentor_signoff", False)
    if not isinstance(signoff, bool):
        check.report(req.lines["mentor_signoff"], "'mentor_signoff' must be true or false")
    if spec:
        spec.courses, spec.practice, spec.mentor_signoff = courses, practice, bool(signoff)
