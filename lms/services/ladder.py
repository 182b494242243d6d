"""The capability ladder: where a trainee stands and what the next rung still needs.

Reads `ladder.yaml` as imported (rungs and their requirements). Quizzes alone never promote: a
rung needs its courses completed (train), verified practice records (practice) and a mentor's
sign-off during a follow-up visit (follow-up). Read-only; no writes.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.models import (
    Course,
    CourseCompletion,
    PracticeKind,
    PracticeRecord,
    RecordStatus,
    Rung,
    User,
)

FIRST_EARNED_RUNG = 3  # rungs 0–2 describe where people start; they are recorded, not earned


@dataclass
class Requirement:
    kind: str  # "course" | "practice" | "signoff"
    met: bool
    text: str
    course: Course | None = None
    practice_kind: PracticeKind | None = None  # the kind to log, for a "log it" link


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


def current_rung(trainee: User) -> int:
    """The trainee's rung: the baseline recorded at enrolment."""
    return trainee.profile.baseline_rung if trainee.profile else 0


def next_rung(rungs: list[Rung], current: int) -> Rung | None:
    """The next rung worth climbing: the one above, but never below the first earned rung."""
    target = max(current + 1, FIRST_EARNED_RUNG)
    return next((r for r in rungs if r.level == target), None)


def evaluate(
    trainee: User, *, today: date | None = None, current: int | None = None
) -> LadderStatus:
    """Each requirement of the trainee's next rung, met or missing, explained in plain words."""
    today = today or local_today()
    rungs = db.session.scalars(
        select(Rung).where(Rung.archived_at.is_(None)).order_by(Rung.level)
    ).all()
    current = current_rung(trainee) if current is None else current
    target = next_rung(rungs, current)
    status = LadderStatus(rungs, current, target)
    if target is None:
        return status

    completed = set(
        db.session.scalars(
            select(CourseCompletion.course_id).where(CourseCompletion.trainee_id == trainee.id)
        )
    )
    locale = "en" if get_locale().language == "en" else "zh"
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
        query = select(func.count(PracticeRecord.id)).where(
            PracticeRecord.trainee_id == trainee.id,
            PracticeRecord.status == RecordStatus.VERIFIED,
            PracticeRecord.kind.in_(kinds),
        )
        if req.within_days:
            query = query.where(
                PracticeRecord.happened_on > today - timedelta(days=req.within_days)
            )
        have = db.session.scalar(query)
        names = _("或").join(k.label for k in kinds)
        if req.within_days:
            text = _(
                "最近%(days)d天内有%(count)d条导师核实过的%(kinds)s记录（现在有%(have)d条）",
                days=req.within_days,
                count=req.count,
                kinds=names,
                have=have,
            )
        else:
            text = _(
                "有%(count)d条导师核实过的%(kinds)s记录（现在有%(have)d条）",
                count=req.count,
                kinds=names,
                have=have,
            )
        status.requirements.append(
            Requirement("practice", have >= req.count, text, practice_kind=kinds[0])
        )
    if target.mentor_signoff:
        status.requirements.append(
            Requirement(
                "signoff",
                False,
                _("驻点导师回访时确认你达到了这一级"),
            )
        )
    return status
