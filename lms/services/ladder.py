"""The capability ladder: where trainees stand and what their next rung still needs.

Reads `ladder.yaml` as imported (rungs and their requirements). Quizzes alone never promote: a
rung needs its courses completed (train), verified practice records (practice) and a mentor's
sign-off during a follow-up visit (follow-up). Read-only. `evaluate_many` answers for a whole
caseload in a fixed number of queries, each requirement in words; `current_rung_of` and
`ready_for_signoff` answer only "which rung, and ready for sign-off?", by the same rules,
counted in SQL (for the caseload of 200).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import selectinload

from lms.clock import local_today
from lms.db import db
from lms.display import ui_language
from lms.models import (
    Course,
    CourseCompletion,
    PracticeKind,
    PracticeRecord,
    RecordStatus,
    Rung,
    RungPracticeRequirement,
    RungPromotion,
    TraineeProfile,
    User,
)
from lms.models.curriculum import rung_courses

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
class LadderStatus:
    rungs: list[Rung]
    current: int
    next: Rung | None
    requirements: list[Requirement] = field(default_factory=list)

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
            .options(selectinload(Rung.required_courses), selectinload(Rung.practice_requirements))
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
    ids = list(trainee_ids)
    rungs = dict(
        db.session.execute(
            select(User.id, current_rung_of(User.id, TraineeProfile.baseline_rung))
            .outerjoin(TraineeProfile, TraineeProfile.user_id == User.id)
            .where(User.id.in_(ids))
        ).all()
    )
    return {i: rungs.get(i, 0) for i in ids}


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


def ready_for_signoff(
    trainee_query: Select, currents: dict[int, int], *, today: date | None = None
) -> dict[int, bool]:
    """Trainee id → whether everything but the sign-off of their next rung is met, for the
    trainees `trainee_query` selects (their ids) with their rungs now (`currents`, id → rung):
    LadderStatus.ready_for_signoff without the words, counted in SQL one row per trainee. The
    rungs' requirements (two queries), the courses each has done, then verified records for
    those who have done them all: four queries at most."""
    today = today or local_today()
    courses, practice = _requirements()
    target = {c: next_level(c) for c in set(currents.values()) if next_level(c) in courses}
    done = _courses_done(trainee_query, {level: courses[level] for level in target.values()})
    ready = {  # every course done (the records are counted next)
        i: done.get((i, target[c]), 0) == len(courses[target[c]])
        for i, c in currents.items()
        if c in target
    }
    asked = {i: practice.get(target[currents[i]], []) for i, met in ready.items() if met}
    if counting := sorted(i for i, reqs in asked.items() if reqs):
        requirements = list({r.id: r for i in counting for r in asked[i]}.values())
        counted = _practice_counts(counting, requirements, today)
        for i in counting:
            ready[i] = all(counted.get((i, r.id), 0) >= r.count for r in asked[i])
    return {i: ready.get(i, False) for i in currents}


def _requirements() -> tuple[dict[int, set[int]], dict[int, list[RungPracticeRequirement]]]:
    """Each rung in use (level) → its required course ids, and → its practice requirements."""
    courses: dict[int, set[int]] = {}
    for level, course_id in db.session.execute(
        select(Rung.level, rung_courses.c.course_id)
        .outerjoin(rung_courses, rung_courses.c.rung_level == Rung.level)
        .where(Rung.archived_at.is_(None))
    ).all():
        courses.setdefault(level, set()).update([] if course_id is None else [course_id])
    practice: dict[int, list[RungPracticeRequirement]] = defaultdict(list)
    for req in db.session.scalars(
        select(RungPracticeRequirement).where(RungPracticeRequirement.rung_level.in_(courses))
    ):
        practice[req.rung_level].append(req)
    return courses, practice


def _courses_done(trainee_query: Select, courses: dict[int, set[int]]) -> dict[tuple, int]:
    """(trainee id, rung level) → how many of the rung's required courses they completed."""
    wanted = {level: ids for level, ids in courses.items() if ids}
    if not wanted:
        return {}
    columns = [
        func.sum(case((CourseCompletion.course_id.in_(ids), 1), else_=0)) for ids in wanted.values()
    ]
    return {
        (trainee_id, level): n or 0
        for trainee_id, *numbers in db.session.execute(
            select(CourseCompletion.trainee_id, *columns)
            .where(
                CourseCompletion.trainee_id.in_(trainee_query),
                CourseCompletion.course_id.in_(set().union(*wanted.values())),
            )
            .group_by(CourseCompletion.trainee_id)
        ).all()
        for level, n in zip(wanted, numbers, strict=True)
    }


def _practice_counts(
    trainee_ids: list[int], requirements: list[RungPracticeRequirement], today: date
) -> dict[tuple[int, int], int]:
    """(trainee id, requirement id) → verified records that count for it, in one query."""
    columns, windows = [], []
    for req in requirements:
        counts = PracticeRecord.kind.in_([PracticeKind(k) for k in req.kinds])
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


def evaluate(trainee: User, *, today: date | None = None) -> LadderStatus:
    """Each requirement of the trainee's next rung, met or missing, explained in plain words."""
    return evaluate_many([trainee.id], today=today)[trainee.id]


def evaluate_many(
    trainee_ids: Iterable[int], *, today: date | None = None
) -> dict[int, LadderStatus]:
    today = today or local_today()
    ids = list(trainee_ids)
    rungs = load_rungs()
    currents = current_rungs(ids)
    completed: dict[int, set[int]] = defaultdict(set)
    for trainee_id, course_id in db.session.execute(
        select(CourseCompletion.trainee_id, CourseCompletion.course_id).where(
            CourseCompletion.trainee_id.in_(ids)
        )
    ).all():
        completed[trainee_id].add(course_id)
    verified: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
    for record_id, trainee_id, kind, happened_on in db.session.execute(
        select(
            PracticeRecord.id,
            PracticeRecord.trainee_id,
            PracticeRecord.kind,
            PracticeRecord.happened_on,
        )
        .where(PracticeRecord.trainee_id.in_(ids), PracticeRecord.status == RecordStatus.VERIFIED)
        .order_by(PracticeRecord.happened_on.desc())
    ).all():
        verified[trainee_id].append((record_id, kind, happened_on))
    locale = ui_language()
    return {i: _status(rungs, currents[i], completed[i], verified[i], today, locale) for i in ids}


def _status(rungs, current, completed, verified, today, locale) -> LadderStatus:
    target = next_rung(rungs, current)
    status = LadderStatus(rungs, current, target)
    if target is None:
        return status
    for course in target.required_courses:
        met = course.id in completed
        title = course.localized("title", locale)
        status.requirements.append(
            Requirement(
                "course",
                met,
                _("已学完《%(title)s》", title=title)
                if met
                else _("学完《%(title)s》并通过小测验", title=title),
                course=course,
            )
        )
    for req in target.practice_requirements:
        kinds = [PracticeKind(k) for k in req.kinds]
        since = practice_since(req, today)
        counted = [
            record_id
            for record_id, kind, on in verified
            if kind in kinds and (since is None or on > since)
        ]
        names = _("或").join(k.label for k in kinds)
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
        status.requirements.append(
            Requirement(
                "practice",
                len(counted) >= req.count,
                text,
                practice_kind=kinds[0],
                record_ids=counted[: req.count] if len(counted) >= req.count else counted,
            )
        )
    if target.mentor_signoff:
        status.requirements.append(
            Requirement("signoff", False, _("驻点导师回访时确认你达到了这一级"))
        )
    return status
