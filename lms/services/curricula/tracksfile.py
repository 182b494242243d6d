"""Reading and checking `tracks.yaml` (分类培训, seed 003 §4.2), and that every course is named
by a rung or a track. Every problem is reported with file and line.

A track has `slug`, `kind` (product | role), `name` and `description` {zh, en}, `recommends`
(courses shown first) and optional `rungs`: per level, the `route` it normally takes, courses to
`add` and courses to `replace` ({course the rung asks: course asked instead}). The file is
optional: a tree without it has no tracks.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.models.tracks import TrackKind
from lms.services.curricula.yamlfile import Checker, Node, Seq


@dataclass
class TrackSpec:
    slug: str
    kind: str
    name: dict[str, str]
    description: dict[str, str]
    recommends: list[str]
    rungs: dict[int, dict[str, Any]] = field(default_factory=dict)

    def courses_named(self) -> set[str]:
        named = set(self.recommends)
        for change in self.rungs.values():
            named.update(change.get("add", []), (new for _, new in change.get("replace", [])))
        return named


def load_tracks(root: Path, problems, tree, course_lines) -> None:
    path = root / "tracks.yaml"
    if path.is_file():
        _load(Checker(path, root, problems), tree, course_lines)
    _check_every_course_is_named(tree, course_lines, problems)


def _load(check: Checker, tree, course_lines) -> None:
    data = check.load()
    if data is None or not check.fields(data, "tracks.yaml", {"tracks"}):
        return
    items = data["tracks"]
    if not isinstance(items, Seq) or not items:
        check.report(data.lines["tracks"], "'tracks' must be a non-empty list")
        return
    rungs = {r.level: r for r in tree.rungs}
    seen: set[str] = set()
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each track must be a mapping")
            continue
        complete = check.fields(
            item, "track", {"slug", "kind", "name", "description", "recommends"}, {"rungs"}
        )
        slug = check.slug(item, "slug", "track")
        kind = item.get("kind")
        if "kind" in item and kind not in set(TrackKind):
            check.report(item.lines["kind"], f"track 'kind' must be one of {', '.join(TrackKind)}")
        name = check.bilingual(item, "name", "track")
        description = check.bilingual(item, "description", "track")
        recommends = []
        for course, course_line in check.slug_list(item, "recommends", "track"):
            if course not in course_lines:
                check.report(course_line, f"unknown course '{course}' in the track")
            recommends.append(course)
        if "recommends" in item and not recommends:
            check.report(item.lines["recommends"], "track 'recommends' must name courses")
        changes = _rung_changes(check, item, rungs, course_lines)
        if slug in seen:
            check.report(item.lines["slug"], f"duplicate track slug '{slug}'")
        elif complete and slug and kind in set(TrackKind) and name and description and recommends:
            tree.tracks.append(TrackSpec(slug, kind, name, description, recommends, changes))
        if slug:
            seen.add(slug)


def _rung_changes(check: Checker, track: Node, rungs, course_lines) -> dict[int, dict]:
    items = track.get("rungs", Seq())
    if not isinstance(items, Seq):
        check.report(track.lines["rungs"], "track 'rungs' must be a list")
        return {}
    changes: dict[int, dict] = {}
    for item, line in zip(items, items.lines, strict=True):
        if not isinstance(item, Node):
            check.report(line, "each rung of a track must be a mapping")
            continue
        check.fields(item, "track rung", {"level"}, {"route", "add", "replace"})
        level = check.integer(item, "level", "track rung", 3, 6)
        rung = rungs.get(level)
        if level is None or rung is None:
            continue
        if level in changes:
            check.report(item.lines["level"], f"rung {level} is named twice in the track")
            continue
        asked = rung.courses_named()
        change: dict[str, Any] = {}
        if "route" in item:
            route = item["route"]
            if route not in {r.slug for r in rung.routes}:
                known = ", ".join(r.slug for r in rung.routes) or "none"
                check.report(
                    item.lines["route"], f"rung {level} has no route {route!r} (routes: {known})"
                )
            else:
                change["route"] = route
        add = []
        for course, course_line in check.slug_list(item, "add", "track rung"):
            if course not in course_lines:
                check.report(course_line, f"unknown course '{course}' in the track")
            elif course in rung.courses:
                check.report(course_line, f"rung {level} already asks every way for '{course}'")
            else:
                add.append(course)
        if add:
            change["add"] = add
        replace = _replacements(check, item, level, asked, course_lines)
        if replace:
            change["replace"] = replace
        if change:
            changes[level] = change
        elif not any(key in item for key in ("route", "add", "replace")):
            check.report(item.line, "a track rung needs a 'route', 'add' or 'replace'")
    return changes


def _replacements(check: Checker, item: Node, level: int, asked, course_lines) -> list:
    if "replace" not in item:
        return []
    value = item["replace"]
    if not isinstance(value, Node) or not value:
        check.report(item.lines["replace"], "'replace' must map a course to the one asked instead")
        return []
    out = []
    for old, new in value.items():
        line = value.lines[old]
        if old not in asked:
            check.report(line, f"rung {level} does not ask for course {old!r}: nothing to replace")
        elif not isinstance(new, str) or new not in course_lines:
            check.report(line, f"unknown course {new!r} to ask instead of '{old}'")
        else:
            out.append([old, new])
    return out


def _check_every_course_is_named(tree, course_lines, problems) -> None:
    """A course no rung asks for and no track recommends is found by nobody: report it."""
    files = ("ladder.yaml", "tracks.yaml")
    if not tree.rungs or any(p.path.endswith(files) for p in problems):
        return  # what the ladder or the tracks name is not known: their own problems say why
    named = set().union(*(r.courses_named() for r in tree.rungs))
    named = named.union(*(t.courses_named() for t in tree.tracks))
    for slug, (check, data) in sorted(course_lines.items()):
        if slug not in named:
            check.report(
                data.lines.get("slug", data.line),
                f"course '{slug}' is named by no rung (ladder.yaml) and no track (tracks.yaml)",
            )
