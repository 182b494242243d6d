"""Importing the curriculum tree into the database: idempotent, all or nothing, never deleting.

Each row is matched by slug. A row whose content changed gets the new content and revision + 1;
its id stays, so every learner's progress stays attached. A row no longer in the files is
archived. Flushes, never commits: the caller commits once (or rolls back for a dry run).
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from lms.clock import utcnow
from lms.db import db
from lms.errors import LmsError
from lms.models import (
    Course,
    Lesson,
    PlatformCard,
    PracticeTask,
    QuizItem,
    Rung,
    RungPracticeRequirement,
    RungRouteCourse,
    Tier,
    Track,
)
from lms.models.curriculum import course_prerequisites, rung_courses
from lms.services.curricula import lesson_markdown
from lms.services.curricula.files import Problem, Tree, load_tree

IMAGE_URL_PREFIX = "/learn/img"  # served by learn.lesson_image
CARD_URL_PREFIX = "/learn/cards"  # served by cards.index and cards.card
KINDS = (
    "tiers",
    "courses",
    "lessons",
    "quiz items",
    "practice tasks",
    "rungs",
    "tracks",
    "platform cards",
)


class CurriculumInvalid(LmsError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class ImportReport:
    counts: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in KINDS})

    def summary(self) -> str:
        lines = []
        for kind in KINDS:
            c = self.counts[kind]
            lines.append(
                f"{kind:<15} added {c['added']:>4}  updated {c['updated']:>4}  "
                f"unchanged {c['unchanged']:>4}  archived {c['archived']:>4}"
            )
        return "\n".join(lines)


def content_hash(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


class _Sync:
    """Upsert rows of one model by key, counting what happened, then archive the rest."""

    def __init__(self, report: ImportReport, kind: str, rows: dict[Any, Any], now):
        self.counter, self.rows, self.now, self.seen = report.counts[kind], rows, now, set()

    def upsert(self, model, key, values: dict[str, Any], *, also_hashed: Any = None, **links):
        """Add or update the row `key`; `also_hashed` is content kept elsewhere (links)."""
        digest = content_hash({"values": values, "also": also_hashed})
        row = self.rows.get(key)
        self.seen.add(key)
        if row is None:
            row = model(**values, **links, content_hash=digest, revision=1)
            db.session.add(row)
            self.counter["added"] += 1
        elif (
            row.content_hash != digest
            or row.archived_at is not None
            or any(getattr(row, k) != v for k, v in links.items())
        ):
            if row.content_hash != digest:
                row.revision += 1
            for name, value in {**values, **links, "content_hash": digest}.items():
                setattr(row, name, value)
            row.archived_at = None
            self.counter["updated"] += 1
        else:
            self.counter["unchanged"] += 1
        return row

    def archive_rest(self) -> None:
        for key, row in self.rows.items():
            if key not in self.seen and row.archived_at is None:
                row.archived_at = self.now
                self.counter["archived"] += 1


def import_tree(path: Path) -> ImportReport:
    """Bring the database in line with the files under `path`.

    Raises CurriculumInvalid (and writes nothing) if the tree has any problem.
    """
    tree, problems = load_tree(path)
    if problems:
        raise CurriculumInvalid(problems)
    report, now = ImportReport(), utcnow()

    tiers = _Sync(report, "tiers", {t.slug: t for t in db.session.scalars(select(Tier))}, now)
    tier_rows = {}
    for position, spec in enumerate(tree.tiers, start=1):
        tier_rows[spec.slug] = tiers.upsert(
            Tier,
            spec.slug,
            {
                "slug": spec.slug,
                "position": position,
                "title_zh": spec.title["zh"],
                "title_en": spec.title["en"],
                "summary_zh": spec.summary["zh"],
                "summary_en": spec.summary["en"],
            },
        )
    tiers.archive_rest()
    db.session.flush()

    courses = _Sync(report, "courses", {c.slug: c for c in db.session.scalars(select(Course))}, now)
    lessons = _Sync(report, "lessons", {x.slug: x for x in db.session.scalars(select(Lesson))}, now)
    quiz = _Sync(
        report,
        "quiz items",
        {(q.lesson_id, q.slug): q for q in db.session.scalars(select(QuizItem))},
        now,
    )
    tasks = _Sync(
        report, "practice tasks", {t.slug: t for t in db.session.scalars(select(PracticeTask))}, now
    )

    course_rows = {}
    for spec in tree.courses:
        course_rows[spec.slug] = courses.upsert(
            Course,
            spec.slug,
            _course_values(spec),
            also_hashed=sorted(spec.prerequisites),
            tier_id=tier_rows[spec.tier].id,
        )
    courses.archive_rest()
    db.session.flush()

    db.session.execute(delete(course_prerequisites))
    pairs = [
        {"course_id": course_rows[s.slug].id, "prerequisite_id": course_rows[p].id}
        for s in tree.courses
        for p in s.prerequisites
    ]
    if pairs:
        db.session.execute(insert(course_prerequisites), pairs)

    for spec in tree.courses:
        image_prefix = f"{IMAGE_URL_PREFIX}/{spec.slug}"
        for position, lesson_spec in enumerate(spec.lessons, start=1):
            lesson = lessons.upsert(
                Lesson,
                lesson_spec.slug,
                {
                    "slug": lesson_spec.slug,
                    "position": position,
                    "title_zh": lesson_spec.title["zh"],
                    "title_en": lesson_spec.title["en"],
                    "minutes": lesson_spec.minutes,
                    "body_md": lesson_spec.body,
                    "body_html": lesson_markdown.render(
                        lesson_spec.body, image_prefix, CARD_URL_PREFIX
                    ),
                    "audio": (lesson_spec.audio or "").removeprefix("audio/") or None,
                },
                course_id=course_rows[spec.slug].id,
            )
            db.session.flush()
            for q_position, item in enumerate(lesson_spec.quiz, start=1):
                quiz.upsert(
                    QuizItem,
                    (lesson.id, item.slug),
                    {
                        "slug": item.slug,
                        "position": q_position,
                        "kind": item.kind,
                        "question": item.question,
                        "options": item.options,
                        "answer": item.answer,
                        "explanation": item.explanation,
                    },
                    lesson_id=lesson.id,
                )
            if lesson_spec.practice:
                task = lesson_spec.practice
                tasks.upsert(
                    PracticeTask,
                    task.slug,
                    {
                        "slug": task.slug,
                        "kind": task.kind,
                        "title_zh": task.title["zh"],
                        "title_en": task.title["en"],
                        "instructions_html": lesson_markdown.render(
                            task.instructions, image_prefix, CARD_URL_PREFIX
                        ),
                        "record_html": lesson_markdown.render(
                            task.record, image_prefix, CARD_URL_PREFIX
                        ),
                    },
                    lesson_id=lesson.id,
                )
    lessons.archive_rest()
    quiz.archive_rest()
    tasks.archive_rest()
    db.session.flush()

    _import_rungs(tree, report, course_rows, now)
    _import_tracks(tree, report, course_rows, now)
    _import_platforms(tree, report, now)
    db.session.flush()
    return report


def _course_values(spec) -> dict[str, Any]:
    return {
        "slug": spec.slug,
        "position": spec.order,
        "title_zh": spec.title["zh"],
        "title_en": spec.title["en"],
        "summary_zh": spec.summary["zh"],
        "summary_en": spec.summary["en"],
        "target_rung": spec.target_rung,
        "dimensions": spec.dimensions,
        "minutes": spec.minutes,
        "pass_mark": spec.pass_mark,
    }


def _import_rungs(tree: Tree, report: ImportReport, course_rows, now) -> None:
    rungs = _Sync(report, "rungs", {r.level: r for r in db.session.scalars(select(Rung))}, now)
    for spec in tree.rungs:
        rungs.upsert(
            Rung,
            spec.level,
            {
                "level": spec.level,
                "name_zh": spec.name["zh"],
                "name_en": spec.name["en"],
                "description_zh": spec.description["zh"],
                "description_en": spec.description["en"],
                "mentor_signoff": spec.mentor_signoff,
                "routes": [
                    {"slug": r.slug, "name_zh": r.name["zh"], "name_en": r.name["en"]}
                    for r in spec.routes
                ],
            },
            also_hashed={
                "courses": spec.courses,
                "practice": spec.practice,
                "routes": [[r.slug, r.courses, r.practice] for r in spec.routes],
            },
        )
    rungs.archive_rest()
    db.session.flush()
    db.session.execute(delete(rung_courses))
    db.session.execute(delete(RungPracticeRequirement))
    db.session.execute(delete(RungRouteCourse))
    links = [
        {"rung_level": s.level, "course_id": course_rows[c].id}
        for s in tree.rungs
        for c in s.courses
    ]
    if links:
        db.session.execute(insert(rung_courses), links)
    route_links = [
        {"rung_level": s.level, "route": r.slug, "course_id": course_rows[c].id, "position": i}
        for s in tree.rungs
        for r in s.routes
        for i, c in enumerate(r.courses, start=1)
    ]
    if route_links:
        db.session.execute(insert(RungRouteCourse), route_links)
    for spec in tree.rungs:
        reqs = [(None, req) for req in spec.practice]
        reqs += [(route.slug, req) for route in spec.routes for req in route.practice]
        for position, (route, req) in enumerate(reqs, start=1):
            db.session.add(
                RungPracticeRequirement(
                    rung_level=spec.level, position=position, route=route, **req
                )
            )
    db.session.expire_all()


def _import_tracks(tree: Tree, report: ImportReport, course_rows, now) -> None:
    """Tracks name courses by id (ids never change: courses are archived, never deleted)."""
    tracks = _Sync(report, "tracks", {t.slug: t for t in db.session.scalars(select(Track))}, now)
    for position, spec in enumerate(tree.tracks, start=1):
        rungs = {
            str(level): {
                **({"route": change["route"]} if "route" in change else {}),
                "add": [course_rows[c].id for c in change.get("add", [])],
                "replace": [
                    [course_rows[old].id, course_rows[new].id]
                    for old, new in change.get("replace", [])
                ],
            }
            for level, change in spec.rungs.items()
        }
        tracks.upsert(
            Track,
            spec.slug,
            {
                "slug": spec.slug,
                "kind": spec.kind,
                "position": position,
                "name_zh": spec.name["zh"],
                "name_en": spec.name["en"],
                "description_zh": spec.description["zh"],
                "description_en": spec.description["en"],
                "recommends": [course_rows[c].id for c in spec.recommends],
                "rungs": rungs,
            },
        )
    tracks.archive_rest()


def _import_platforms(tree: Tree, report: ImportReport, now) -> None:
    cards = _Sync(
        report, "platform cards", {c.slug: c for c in db.session.scalars(select(PlatformCard))}, now
    )
    for position, spec in enumerate(tree.platforms, start=1):
        cards.upsert(
            PlatformCard,
            spec.slug,
            {
                "slug": spec.slug,
                "position": position,
                "name_zh": spec.name["zh"],
                "name_en": spec.name["en"],
                "checked_on": spec.checked_on,
                "body_md": spec.body,
                "body_html": lesson_markdown.render(spec.body, IMAGE_URL_PREFIX, CARD_URL_PREFIX),
            },
        )
    cards.archive_rest()
