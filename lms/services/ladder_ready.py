"""Whether trainees are ready for the sign-off of their next rung, counted in SQL (the
caseload of 200): LadderStatus.ready_for_signoff without the words, by the same rule
(ladder.ways: common requirements plus any one route's, as the trainee's track asks them).
Read-only.
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import Select, String, and_, case, cast, func, null, select, union_all

from lms.clock import local_today
from lms.db import db
from lms.models import (
    CourseCompletion,
    PracticeKind,
    PracticeRecord,
    RecordStatus,
    Rung,
    RungPracticeRequirement,
    RungRouteCourse,
    TraineeProfile,
)
from lms.models.curriculum import rung_courses
from lms.services.ladder import Way, load_tracks, next_level, practice_since, ways


def ready_for_signoff(
    trainee_query: Select,
    currents: dict[int, int],
    *,
    today: date | None = None,
    tracks: dict[int, int | None] | None = None,
) -> dict[int, bool]:
    """Trainee id → whether everything but the sign-off of their next rung is met, for the
    trainees `trainee_query` selects (their ids) with their rungs now (`currents`, id → rung)
    and their track ids (`tracks`, id → track id; looked up when not given). The rungs'
    requirements (two queries), the tracks (one, when someone has one), the courses each has
    done, then verified records for those who have done a way's courses: five queries at most."""
    today = today or local_today()
    if tracks is None:
        tracks = dict(
            db.session.execute(
                select(TraineeProfile.user_id, TraineeProfile.track_id).where(
                    TraineeProfile.user_id.in_(trainee_query), TraineeProfile.track_id.isnot(None)
                )
            ).all()
        )
    common, routes, practice = _requirements()
    track_rows = load_tracks(tracks.get(i) for i in currents)
    asked: dict[int, list[Way]] = {}
    for i, current in currents.items():
        level = next_level(current)
        if level in common:
            track = track_rows.get(tracks.get(i))
            asked[i] = ways(level, common[level], routes[level], practice[level], track)
    sets = list({frozenset(w.course_ids) for found in asked.values() for w in found})
    done = _courses_done(trainee_query, sets)
    course_ready = {
        i: [w for w in found if done.get((i, frozenset(w.course_ids)), 0) == len(w.course_ids)]
        for i, found in asked.items()
    }
    ready = {i: any(not w.practice for w in found) for i, found in course_ready.items()}
    if counting := sorted(i for i, found in course_ready.items() if found and not ready[i]):
        reqs = list(
            {r.id: r for i in counting for w in course_ready[i] for r in w.practice}.values()
        )
        counted = _practice_counts(counting, reqs, today)
        for i in counting:
            ready[i] = any(
                all(counted.get((i, r.id), 0) >= r.count for r in w.practice)
                for w in course_ready[i]
            )
    return {i: ready.get(i, False) for i in currents}


def _requirements():
    """Each rung in use (level) → its common course ids; → route → the route's course ids;
    → its practice requirements (each for every way or for one route). Two queries."""
    rows = db.session.execute(
        union_all(
            select(Rung.level, cast(null(), String(40)).label("route"), rung_courses.c.course_id)
            .outerjoin(rung_courses, rung_courses.c.rung_level == Rung.level)
            .where(Rung.archived_at.is_(None)),
            select(RungRouteCourse.rung_level, RungRouteCourse.route, RungRouteCourse.course_id)
            .join(Rung, Rung.level == RungRouteCourse.rung_level)
            .where(Rung.archived_at.is_(None)),
        )
    ).all()
    common: dict[int, list[int]] = {}
    routes: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for level, route, course_id in rows:
        if route is None:
            common.setdefault(level, []).extend([] if course_id is None else [course_id])
        else:
            routes[level].setdefault(route, []).append(course_id)
    practice: dict[int, list[RungPracticeRequirement]] = defaultdict(list)
    for req in db.session.scalars(
        select(RungPracticeRequirement)
        .where(RungPracticeRequirement.rung_level.in_(common))
        .order_by(RungPracticeRequirement.position)
    ):
        practice[req.rung_level].append(req)
        if req.route is not None:
            routes[req.rung_level].setdefault(req.route, [])
    return common, routes, practice


def _courses_done(trainee_query: Select, sets: list[frozenset[int]]) -> dict[tuple, int]:
    """(trainee id, course set) → how many of the set's courses they completed."""
    wanted = [ids for ids in sets if ids]
    if not wanted:
        return {}
    columns = [func.sum(case((CourseCompletion.course_id.in_(ids), 1), else_=0)) for ids in wanted]
    return {
        (trainee_id, ids): n or 0
        for trainee_id, *numbers in db.session.execute(
            select(CourseCompletion.trainee_id, *columns)
            .where(
                CourseCompletion.trainee_id.in_(trainee_query),
                CourseCompletion.course_id.in_(set().union(*wanted)),
            )
            .group_by(CourseCompletion.trainee_id)
        ).all()
        for ids, n in zip(wanted, numbers, strict=True)
    }


def _practice_counts(
    trainee_ids: list[int], requirements: list[RungPracticeRequirement], today: date
) -> dict[tuple[int, int], int]:
    """(trainee id, requirement id) → verified records that count for it, in one query."""
    columns, windows = [], []
    for req in requirements:
        counts = PracticeRecord.kind.in_([PracticeKind(k) for k in req.kinds])
        if req.channels:
            counts = and_(counts, PracticeRecord.channel.in_(req.channels))
        since = practice_since(req, today)
        windows.append(since)
        if since is not None:
            counts = and_(counts, PracticeRecord.happened_on > since)
        columns.append(func.sum(case((counts, 1), else_=0)))
    query = (
        select(PracticeRecord.trainee_id, *columns)
        .where(
            PracticeRecord.trainee_id.in_(trainee_ids),
            PracticeRecord.status == RecordStatus.VERIFIED,
        )
        .group_by(PracticeRecord.trainee_id)
    )
    if None not in windows:  # every requirement has a window: older records never count
        query = query.where(PracticeRecord.happened_on > min(windows))
    return {
        (trainee_id, req.id): n or 0
        for trainee_id, *numbers in db.session.execute(query).all()
        for req, n in zip(requirements, numbers, strict=True)
    }
