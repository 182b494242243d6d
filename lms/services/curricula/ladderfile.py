"""Reading and checking `ladder.yaml`: the rungs, what climbing each needs, and its routes.

A rung's `requires` gives common `courses` and `practice`, and may give `routes`: alternatives,
of which any one (its own courses and practice, besides the common ones) completes the rung.
Every problem is reported with file and line.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.models.curriculum import PracticeKind
from lms.models.practice import Channel
from lms.services.curricula.yamlfile import Checker, Node, Seq


@dataclass
class RouteSpec:
    slug: str
    name: dict[str, str]
    courses: list[str] = field(default_factory=list)
    practice: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RungSpec:
    level: int
    name: dict[str, str]
    description: dict[str, str]
    courses: list[str] = field(default_factory=list)
    practice: list[dict[str, Any]] = field(default_factory=list)
    mentor_signoff: bool = False
    routes: list[RouteSpec] = field(default_factory=list)

    def courses_named(self) -> set[str]:
        return {*self.courses, *(c for route in self.routes for c in route.courses)}


def _load_ladder(root: Path, problems, tree, course_lines) -> None:
    check = Checker(root / "ladder.yaml", root, problems)
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


def _load_requirements(check: Checker, rung: Node, spec: RungSpec | None, course_lines) -> None:
    req = rung["requires"]
    if not isinstance(req, Node):
        check.report(rung.lines["requires"], "'requires' must be a mapping")
        return
    check.fields(req, "requires", set(), {"courses", "practice", "mentor_signoff", "routes"})
    courses = _courses(check, req, "requires", course_lines)
    practice = _practice(check, req)
    routes = _routes(check, req, course_lines, set(courses))
    signoff = req.get("mentor_signoff", False)
    if not isinstance(signoff, bool):
        check.report(req.lines["mentor_signoff"], "'mentor_signoff' must be true or false")
    if spec:
        spec.courses, spec.practice, spec.mentor_signoff = courses, practice, bool(signoff)
        spec.routes = routes


def _courses(check: Checker, node: Node, what: str, course_lines, common=frozenset()) -> list[str]:
    courses: list[str] = []
    for slug, line in check.slug_list(node, "courses", what):
        if slug not in course_lines:
            check.report(line, f"unknown course '{slug}' in the ladder requirements")
        elif slug in common:
            check.report(line, f"course '{slug}' is already a common requirement of the rung")
        elif slug in courses:
            check.report(line, f"course '{slug}' is named twice")
        else:
            courses.append(slug)
    return courses


def _routes(check: Checker, req: Node, course_lines, common: set[str]) -> list[RouteSpec]:
    if "routes" not in req:
        return []
    items = req["routes"]
    if not isinstance(items, Seq) or len(items) < 2:
        check.report(req.lines["routes"], "'routes' must be a list of at least two routes")
        return []
    routes: list[RouteSpec] = []
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each route must be a mapping")
            continue
        complete = check.fields(item, "route", {"slug", "name"}, {"courses", "practice"})
        slug = check.slug(item, "slug", "route")
        name = check.bilingual(item, "name", "route")
        courses = _courses(check, item, "route", course_lines, common)
        practice = _practice(check, item)
        if slug and len(slug) > 40:
            check.report(item.lines["slug"], "route 'slug' must be at most 40 characters")
        elif slug in {r.slug for r in routes}:
            check.report(item.lines["slug"], f"duplicate route slug '{slug}'")
        elif "courses" not in item and "practice" not in item:
            check.report(item.line, "a route needs its own 'courses' or 'practice'")
        elif complete and slug and name:
            routes.append(RouteSpec(slug, name, courses, practice))
    return routes


def _practice(check: Checker, node: Node) -> list[dict[str, Any]]:
    practice: list[dict[str, Any]] = []
    items = node.get("practice", Seq())
    if not isinstance(items, Seq):
        check.report(node.lines["practice"], "'practice' must be a list")
        return practice
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each practice requirement must be a mapping")
            continue
        check.fields(item, "practice requirement", {"kinds", "count"}, {"within_days", "channels"})
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
        channels = item.get("channels")
        if channels is not None and (
            not isinstance(channels, list)
            or not channels
            or any(c not in set(Channel) for c in channels)
        ):
            check.report(
                item.lines["channels"],
                f"'channels' must list channels from {', '.join(Channel)}",
            )
            continue
        count = check.integer(item, "count", "practice requirement", 1, 1000)
        within = item.get("within_days")
        if within is not None:
            within = check.integer(item, "within_days", "practice requirement", 1, 3650)
            if within is None:
                continue
        if count:
            practice.append(
                {
                    "kinds": list(kinds),
                    "count": count,
                    "within_days": within,
                    "channels": list(channels) if channels else None,
                }
            )
    return practice
