"""Reading and checking the curriculum tree (`curricula/`): every problem, with file and line.

`load_tree(path)` never touches the database. It returns the parsed tree and the list of problems;
the importer refuses a tree with any problem, so an invalid tree changes nothing. Lessons are
checked in .lessons, the platform cards in .platformsfile and the quiz balance in .quizbalance;
the YAML and the shared checks live in .yamlfile.
"""

from dataclasses import dataclass, field
from pathlib import Path

from lms.models.curriculum import Dimension
from lms.services.curricula.glossary import check_glossary, load_glossary
from lms.services.curricula.ladderfile import RungSpec, _load_ladder
from lms.services.curricula.lessons import LessonSpec, load_lessons
from lms.services.curricula.platformsfile import PlatformSpec, load_platforms
from lms.services.curricula.quizbalance import check_quiz_balance
from lms.services.curricula.tracksfile import TrackSpec, load_tracks
from lms.services.curricula.yamlfile import Checker, Node, Problem, Seq


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
class Tree:
    tiers: list[TierSpec] = field(default_factory=list)
    courses: list[CourseSpec] = field(default_factory=list)
    rungs: list[RungSpec] = field(default_factory=list)
    tracks: list[TrackSpec] = field(default_factory=list)
    platforms: list[PlatformSpec] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        lessons = [lesson for course in self.courses for lesson in course.lessons]
        return {
            "tiers": len(self.tiers),
            "courses": len(self.courses),
            "lessons": len(lessons),
            "quiz items": sum(len(lesson.quiz) for lesson in lessons),
            "practice tasks": sum(1 for lesson in lessons if lesson.practice),
            "rungs": len(self.rungs),
            "tracks": len(self.tracks),
            "platform cards": len(self.platforms),
        }


def load_tree(root: Path) -> tuple[Tree, list[Problem]]:
    """Parse and check the whole tree under `root`. Returns the tree and every problem found."""
    root = root.resolve()
    problems: list[Problem] = []
    tree = Tree()
    tiers = _load_tiers(root, problems, tree)
    cards = load_platforms(root, problems, tree)
    course_lines = _load_courses(root, problems, tree, tiers, cards)
    _check_prerequisites(tree, course_lines, problems)
    _load_ladder(root, problems, tree, course_lines)
    load_tracks(root, problems, tree, course_lines)
    quiz = [q for course in tree.courses for lesson in course.lessons for q in lesson.quiz]
    check_quiz_balance(quiz, problems)
    check_glossary(load_glossary(root, problems), list(_lessons_in_order(tree, root)), problems)
    return tree, sorted(set(problems))


def _lessons_in_order(tree: Tree, root: Path):
    """(its text file's name in reports, its text) of every lesson, in learning order."""
    tiers = [t.slug for t in tree.tiers]
    courses = sorted(
        tree.courses, key=lambda c: (tiers.index(c.tier) if c.tier in tiers else 99, c.order)
    )
    for course in courses:
        for lesson in course.lessons:
            yield Checker(lesson.body_file, root, []).name, lesson.body


def _load_tiers(root: Path, problems: list[Problem], tree: Tree) -> set[str]:
    check = Checker(root / "tiers.yaml", root, problems)
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


def _load_courses(root, problems, tree, tiers, cards) -> dict[str, tuple[Checker, Node]]:
    """Parse every course.yaml; returns slug → (checker, node) for cross-file checks. `cards`
    are the platform cards' slugs, which lessons and tasks may link to."""
    by_slug: dict[str, tuple[Checker, Node]] = {}
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
        check = Checker(folder / "course.yaml", root, problems)
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
        lessons = load_lessons(check, folder, data, lesson_slugs, task_slugs, cards)
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
