"""The capability ladder: where trainees stand and what their next rung still needs.

Reads `ladder.yaml` as imported (rungs and their requirements). Quizzes alone never promote: a
rung needs its courses completed (train), verified practice records (practice) and a mentor's
sign-off during a follow-up visit (follow-up). A rung with routes is climbed by its common
requirements plus any one route's (a `Way`); the trainee's track may add or replace courses
(`ways`, the one rule both paths follow). Read-only. `evaluate_many` answers for a whole
caseload in a fixed number of queries, each requirement in words, on the way met or closest;
`current_rung_of` and `ready_for_signoff` (ladder_ready) answer only "which rung, and ready for
sign-off?", by the same rules, counted in SQL (for the caseload of 200).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.clock import local_today
from lms.db import db
from lms.display import ui_language
from lms.models import (
    Channel,
    Course,
    CourseCompletion,
    PracticeKind,
    PracticeRecord,
    RecordStatus,
    Rung,
    RungPracticeRequirement,
    RungPromotion,
    RungRouteCourse,
    Track,
    TraineeProfile,
    User,
)

FIRST_EARNED_RUNG = 3  # rungs 0–2 describe where people start; they are recorded, not earned


@dataclass
class Requirement:
    kind: str  # "course" | "practice" | "signoff"
    met: bool
    text: str
    course: Course | None = None
    practice_kind: PracticeKind | None = None
    record_ids: list[int] = field(default_factory=list)  # the verified records that count


@dataclass
class Way:
    """One way up a rung: its common requirements plus one route's (route None: no routes), as
    the trainee's track asks them."""

    route: str | None
    course_ids: list[int]
    practice: list[RungPracticeRequirement]


def ways(
    level: int,
    common: list[int],
    routes: dict[str, list[int]],
    practice: list[RungPracticeRequirement],
    track: Track | None,
) -> list[Way]:
    """Every way up rung `level`: `common` course ids, each route's course ids (`routes`, in
    file order; {} for none) and the rung's practice requirements (each its route or None)."""
    found = [
        Way(route, [*common, *courses], [r for r in practice if r.route in (None, route)])
        for route, courses in (routes.items() if routes else [(None, [])])
    ]
    if track is not None:
        for way in found:
            way.course_ids = track.adjust(level, way.course_ids)
    return found


@dataclass
class RouteChoice:
    slug: str
    name: str
    missing: int  # requirements not met yet, the sign-off aside
    is_track_route: bool  # the route the trainee's track normally takes


@dataclass
class LadderStatus:
    rungs: list[Rung]
    current: int
    next: Rung | None
    requirements: list[Requirement] = field(default_factory=list)
    track: Track | None = None
    route: RouteChoice | None = None  # the route met, else the closest (None: no routes)
    other_routes: list[RouteChoice] = field(default_factory=list)

    @property
    def missing(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]

    @property
    def ready_for_signoff(self) -> bool:
        """Everything but the mentor's sign-off is met."""
        return self.next is not None and all(
            r.met for r in self.requirements if r.kind != "signoff"
        )


def load_rungs() -> list[Rung]:
    return list(
        db.session.scalars(
            select(Rung)
            .where(Rung.archived_at.is_(None))
            .order_by(Rung.level)
            .options(
                selectinload(Rung.required_courses),
                selectinload(Rung.practice_requirements),
                selectinload(Rung.route_courses).selectinload(RungRouteCourse.course),
            )
        )
    )


def current_rung_of(trainee_id, baseline):
    """SQL for a trainee's rung now: their latest signed promotion or correction, else
    `baseline` (their profile's baseline_rung, joined by the caller), else 0."""
    latest = (
        select(RungPromotion.to_rung)
        .where(RungPromotion.trainee_id == trainee_id)
        .order_by(RungPromotion.signed_at.desc(), RungPromotion.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, baseline, 0)


def current_rungs(trainee_ids: Iterable[int]) -> dict[int, int]:
    """Each trainee's rung: the latest signed promotion or correction, else the baseline."""
    return {i: rung for i, (rung, _) in _rungs_and_tracks(list(trainee_ids)).items()}


def _rungs_and_tracks(ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """Each trainee's rung now and track id, in one query."""
    found = {
        i: (rung, track_id)
        for i, rung, track_id in db.session.execute(
            select(
                User.id,
                current_rung_of(User.id, TraineeProfile.baseline_rung),
                TraineeProfile.track_id,
            )
            .outerjoin(TraineeProfile, TraineeProfile.user_id == User.id)
            .where(User.id.in_(ids))
        ).all()
    }
    return {i: found.get(i, (0, None)) for i in ids}


def load_tracks(track_ids: Iterable[int | None]) -> dict[int, Track]:
    """The tracks by id (no query when nobody has one)."""
    wanted = {t for t in track_ids if t is not None}
    if not wanted:
        return {}
    return {t.id: t for t in db.session.scalars(select(Track).where(Track.id.in_(wanted)))}


def current_rung(trainee: User) -> int:
    return current_rungs([trainee.id])[trainee.id]


def next_level(current: int) -> int:
    """The next rung worth climbing: the one above, but never below the first earned rung."""
    return max(current + 1, FIRST_EARNED_RUNG)


def next_rung(rungs: list[Rung], current: int) -> Rung | None:
    target = next_level(current)
    return next((r for r in rungs if r.level == target), None)


def practice_since(req: RungPracticeRequirement, today: date) -> date | None:
    """Records count for `req` when they happened after this day (None: whenever)."""
    return today - timedelta(days=req.within_days) if req.within_days else None


def rung_ways(rung: Rung, track: Track | None) -> list[Way]:
    routes: dict[str, list[int]] = {r["slug"]: [] for r in rung.routes}
    for link in rung.route_courses:
        routes.setdefault(link.route, []).append(link.course_id)
    common = [c.id for c in rung.required_courses]
    return ways(rung.level, common, routes, list(rung.practice_requirements), track)


def evaluate(trainee: User, *, today: date | None = None) -> LadderStatus:
    """Each requirement of the trainee's next rung, met or missing, explained in plain words."""
    return evaluate_many([trainee.id], today=today)[trainee.id]


def evaluate_many(
    trainee_ids: Iterable[int], *, today: date | None = None
) -> dict[int, LadderStatus]:
    today = today or local_today()
    ids = list(trainee_ids)
    rungs = load_rungs()
    currents = _rungs_and_tracks(ids)
    tracks = load_tracks(t for _, t in currents.values())
    completed: dict[int, set[int]] = defaultdict(set)
    for trainee_id, course_id in db.session.execute(
        select(CourseCompletion.trainee_id, CourseCompletion.course_id).where(
            CourseCompletion.trainee_id.in_(ids)
        )
    ).all():
        completed[trainee_id].add(course_id)
    verified: dict[int, list[tuple[int, str, date, str]]] = defaultdict(list)
    for record_id, trainee_id, kind, happened_on, channel in db.session.execute(
        select(
            PracticeRecord.id,
            PracticeRecord.trainee_id,
            PracticeRecord.kind,
            PracticeRecord.happened_on,
            PracticeRecord.channel,
        )
        .where(PracticeRecord.trainee_id.in_(ids), PracticeRecord.status == RecordStatus.VERIFIED)
        .order_by(PracticeRecord.happened_on.desc())
    ).all():
        verified[trainee_id].append((record_id, kind, happened_on, channel))
    courses = {c.id: c for r in rungs for c in r.required_courses}
    courses.update((link.course_id, link.course) for r in rungs for link in r.route_courses)
    asked = {c for t in tracks.values() for ch in t.rungs.values() for c in _track_courses(ch)}
    if missing := asked - set(courses):
        extra = db.session.scalars(select(Course).where(Course.id.in_(missing)))
        courses.update((c.id, c) for c in extra)
    locale = ui_language()
    return {
        i: _status(
            rungs,
            currents[i][0],
            tracks.get(currents[i][1]),
            courses,
            completed[i],
            verified[i],
            today,
            locale,
        )
        for i in ids
    }


def _track_courses(change: dict) -> list[int]:
    return [*change.get("add", []), *(new for _, new in change.get("replace", []))]


def _status(rungs, current, track, courses, completed, verified, today, locale) -> LadderStatus:
    target = next_rung(rungs, current)
    status = LadderStatus(rungs, current, target, track=track)
    if target is None:
        return status
    found = [
        (way, _way_requirements(way, courses, completed, verified, today, locale))
        for way in rung_ways(target, track)
    ]
    preferred = track.route_for(target.level) if track else None

    def missing(reqs):
        return sum(not r.met for r in reqs)

    order = sorted(
        range(len(found)),
        key=lambda n: (missing(found[n][1]), found[n][0].route != preferred, n),
    )
    best_way, status.requirements = found[order[0]]
    if best_way.route is not None:
        choices = [
            RouteChoice(
                way.route,
                target.route_name(way.route, locale),
                missing(reqs),
                way.route == preferred,
            )
            for way, reqs in (found[n] for n in order)
        ]
        status.route, status.other_routes = choices[0], choices[1:]
    if target.mentor_signoff:
        status.requirements.append(
            Requirement("signoff", False, _("驻点导师回访时确认你达到了这一级"))
        )
    return status


def _way_requirements(way, courses, completed, verified, today, locale) -> list[Requirement]:
    out = []
    for course_id in way.course_ids:
        course = courses[course_id]
        met = course_id in completed
        title = course.localized("title", locale)
        out.append(
            Requirement(
                "course",
                met,
                _("已学完《%(title)s》", title=title)
                if met
                else _("学完《%(title)s》并通过小测验", title=title),
                course=course,
            )
        )
    for req in way.practice:
        kinds = [PracticeKind(k) for k in req.kinds]
        channels = set(req.channels or [])
        since = practice_since(req, today)
        counted = [
            record_id
            for record_id, kind, on, channel in verified
            if kind in kinds
            and (since is None or on > since)
            and (not channels or channel in channels)
        ]
        names = _("或").join(k.label for k in kinds)
        if channels:
            where = _("或").join(Channel(c).label for c in req.channels)
            names = _("在%(channels)s卖的%(kinds)s", channels=where, kinds=names)
        if req.within_days:
            text = _(
                "最近%(days)d天内有%(count)d条导师核实过的%(kinds)s记录（现在有%(have)d条）",
                days=req.within_days,
                count=req.count,
                kinds=names,
                have=len(counted),
            )
        else:
            text = _(
                "有%(count)d条导师核实过的%(kinds)s记录（现在有%(have)d条）",
                count=req.count,
                kinds=names,
                have=len(counted),
            )
        out.append(
            Requirement(
                "practice",
                len(counted) >= req.count,
                text,
                practice_kind=kinds[0],
                record_ids=counted[: req.count] if len(counted) >= req.count else counted,
            )
        )
    return out
