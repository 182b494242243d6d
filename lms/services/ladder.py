"""The capability ladder: where trainees stand and what their next rung still needs.

Reads `ladder.yaml` as imported (rungs and their requirements). Quizzes alone never promote: a
rung needs its courses completed (train), verified practice records (practice) and a mentor's
sign-off during a follow-up visit (follow-up). Read-only. `evaluate_many` answers for a whole
caseload in a fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
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
    RungPromotion,
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


def current_rungs(trainee_ids: Iterable[int]) -> dict[int, int]:
    """Each trainee's rung: the latest signed promotion or correction, else the baseline."""
    ids = list(trainee_ids)
    rungs = dict(
        db.session.execute(
            select(TraineeProfile.user_id, TraineeProfile.baseline_rung).where(
                TraineeProfile.user_id.in_(ids)
            )
        ).all()
    )
    for trainee_id, to_rung in db.session.execute(
        select(RungPromotion.trainee_id, RungPromotion.to_rung)
        .where(RungPromotion.trainee_id.in_(ids))
        .order_by(RungPromotion.signed_at, RungPromotion.id)
    ).all():
        rungs[trainee_id] = to_rung  # ordered: the last one wins
    return {i: rungs.get(i, 0) for i in ids}


def current_rung(trainee: User) -> int:
    return current_rungs([trainee.id])[trainee.id]


def next_rung(rungs: list[Rung], current: int) -> Rung | None:
    """The next rung worth climbing: the one above, but never below the first earned rung."""
    target = max(current + 1, FIRST_EARNED_RUNG)
    return next((r for r in rungs if r.level == target), None)


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
        since = today - timedelta(days=req.within_days) if req.within_days else None
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
