"""A mentor's caseload, sorted by what needs the mentor, and one trainee's loop as a timeline.

"Stalled" has one definition, here: a trainee is **stalled** when they have had no learning or
practice activity (a lesson learned, a quiz submitted, a practice record logged) for more than
30 days — counted from their first enrolment in the programme if they have had none at all (a
move to another cohort restarts no clock, docs/indicators.md).

The caseload reads `trainee_facts` (kept exact on every write by lms.reporting.facts, from the
schedule and `last_activity` below) and judges its dates against today when it is read; the
rung and "ready for sign-off" are counted live by lms.services.ladder. Read-only; a fixed
number of queries whatever its size.
"""

from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from functools import cached_property

from sqlalchemy import func, select

from lms.clock import local_today, to_local
from lms.db import db
from lms.models import (
    LIVE_STATUSES,
    Cohort,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    LessonProgress,
    Outcome,
    PracticeRecord,
    QuizAttempt,
    RecordStatus,
    RungPromotion,
    TraineeFacts,
    TraineeProfile,
    User,
)
from lms.permissions import assigned_trainee_ids
from lms.services import ladder, ladder_ready

STALLED_AFTER_DAYS = 30


class Need(IntEnum):
    """Why a trainee needs the mentor, most urgent first."""

    OVERDUE = 0
    PENDING = 1
    ELIGIBLE = 2
    STALLED = 3
    NONE = 4


def is_stalled(last_activity_on: date | None, enrolled_on: date | None, today: date) -> bool:
    since = last_activity_on or enrolled_on
    return since is not None and (today - since).days > STALLED_AFTER_DAYS


def last_activity(trainee_ids: list[int]) -> dict[int, date]:
    """The local date of each trainee's latest learning or practice activity."""
    latest: dict[int, date] = {}
    for column, key in (
        (LessonProgress.learned_at, LessonProgress.trainee_id),
        (QuizAttempt.submitted_at, QuizAttempt.trainee_id),
        (PracticeRecord.created_at, PracticeRecord.trainee_id),
    ):
        for trainee_id, at in db.session.execute(
            select(key, func.max(column)).where(key.in_(trainee_ids)).group_by(key)
        ).all():
            day = to_local(at).date()
            latest[trainee_id] = max(day, latest.get(trainee_id, day))
    return latest


@dataclass
class CaseloadRow:
    """One trainee of the caseload, as of `today`."""

    trainee_id: int
    name: str
    phone: str
    village: str  # the profile's ("" without one)
    cohort: Cohort | None
    enrolled_on: date | None  # first enrolment in the programme
    rung: int
    ready_for_signoff: bool
    next_due_on: date | None  # the next follow-up due, or the oldest one overdue
    closes_on: date | None  # the first open follow-up window to close
    pending: int
    last_activity_on: date | None
    today: date

    @property
    def is_overdue(self) -> bool:
        """A follow-up window closed without a visit (schedule.TraineeSchedule.is_overdue)."""
        return self.closes_on is not None and self.closes_on < self.today

    @property
    def days_overdue(self) -> int:
        """Days since the first open window closed (schedule.TraineeSchedule.days_overdue)."""
        return (self.today - self.closes_on).days if self.is_overdue else 0

    @property
    def stalled(self) -> bool:
        return is_stalled(self.last_activity_on, self.enrolled_on, self.today)

    @cached_property  # read by the sort and by the page
    def needs(self) -> list[Need]:
        found = []
        if self.is_overdue:
            found.append(Need.OVERDUE)
        if self.pending:
            found.append(Need.PENDING)
        if self.ready_for_signoff:
            found.append(Need.ELIGIBLE)
        if self.stalled:
            found.append(Need.STALLED)
        return found or [Need.NONE]

    def sort_key(self):
        first = self.needs[0]
        detail = {Need.OVERDUE: -self.days_overdue, Need.PENDING: -self.pending}.get(first, 0)
        return (first, detail, self.name, self.trainee_id)


def caseload(mentor: User, *, today: date | None = None) -> list[CaseloadRow]:
    """Every trainee the mentor follows today, most urgent first: one query for the trainees,
    their facts and rungs, and ladder.ready_for_signoff for what their next rung needs."""
    today = today or local_today()
    followed = assigned_trainee_ids(mentor, today=today)
    F = TraineeFacts
    found = db.session.execute(
        select(
            User.id,
            User.name,
            User.phone,
            TraineeProfile.village,
            ladder.current_rung_of(User.id, TraineeProfile.baseline_rung).label("rung"),
            TraineeProfile.track_id,
            Cohort,
            F.enrolled_on,
            F.next_due_on,
            F.closes_on,
            F.pending_count,
            F.last_activity_on,
        )
        .select_from(User)
        .outerjoin(TraineeProfile, TraineeProfile.user_id == User.id)
        .outerjoin(F, F.trainee_id == User.id)
        .outerjoin(Cohort, Cohort.id == F.cohort_id)
        .where(User.id.in_(followed), User.is_active.is_(True))
    ).all()
    if not found:
        return []
    ready = ladder_ready.ready_for_signoff(
        followed,
        {row.id: row.rung for row in found},
        today=today,
        tracks={row.id: row.track_id for row in found},
    )
    rows = [
        CaseloadRow(
            trainee_id,
            name,
            phone,
            village or "",
            cohort,
            enrolled_on,
            rung,
            ready[trainee_id],
            next_due_on,
            closes_on,
            pending or 0,
            last_activity_on,
            today,
        )
        for (
            trainee_id,
            name,
            phone,
            village,
            rung,
            _track_id,
            cohort,
            enrolled_on,
            next_due_on,
            closes_on,
            pending,
            last_activity_on,
        ) in found
    ]
    return sorted(rows, key=CaseloadRow.sort_key)


def pending_records(rows: list[CaseloadRow], *, limit: int = 20) -> list[PracticeRecord]:
    """Practice records waiting for the mentor of this caseload, oldest first.

    By the caseload's ids, not a subquery: PostgreSQL cannot tell how few trainees a subquery
    gives, and for "oldest first, 20 of them" it then walks every record in date order (1.5 s
    for 200 trainees among 100,000), where the ids take 10 ms."""
    if not rows:
        return []
    return list(
        db.session.scalars(
            select(PracticeRecord)
            .where(
                PracticeRecord.trainee_id.in_([row.trainee_id for row in rows]),
                PracticeRecord.status == RecordStatus.SELF_REPORTED,
            )
            .order_by(PracticeRecord.created_at)
            .limit(limit)
            .options(db.joinedload(PracticeRecord.trainee))
        )
    )


@dataclass
class Event:
    on: date
    kind: str  # enrolled | course | quiz | record | visit | promotion | correction | outcome
    obj: object


def timeline(trainee: User) -> list[Event]:
    """The train → practice → follow-up loop of one trainee, newest first."""
    events: list[Event] = []
    for enrolment in db.session.scalars(
        select(Enrollment)
        .where(Enrollment.trainee_id == trainee.id)
        .options(db.joinedload(Enrollment.cohort))
    ):
        events.append(Event(enrolment.enrolled_on, "enrolled", enrolment))
    for completion in db.session.scalars(
        select(CourseCompletion)
        .where(CourseCompletion.trainee_id == trainee.id)
        .options(db.joinedload(CourseCompletion.course))
    ):
        events.append(Event(to_local(completion.completed_at).date(), "course", completion))
    for attempt in db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.trainee_id == trainee.id)
        .options(db.joinedload(QuizAttempt.course))
    ):
        events.append(Event(to_local(attempt.submitted_at).date(), "quiz", attempt))
    for record in db.session.scalars(
        select(PracticeRecord).where(
            PracticeRecord.trainee_id == trainee.id, PracticeRecord.status.in_(LIVE_STATUSES)
        )
    ):
        events.append(Event(record.happened_on, "record", record))
    for visit in db.session.scalars(
        select(FollowUpVisit)
        .where(FollowUpVisit.trainee_id == trainee.id)
        .options(db.joinedload(FollowUpVisit.mentor))
    ):
        events.append(Event(visit.visited_on, "visit", visit))
    for promotion in db.session.scalars(
        select(RungPromotion)
        .where(RungPromotion.trainee_id == trainee.id)
        .options(db.joinedload(RungPromotion.signed_by))
    ):
        events.append(Event(to_local(promotion.signed_at).date(), promotion.kind.value, promotion))
    for outcome in db.session.scalars(select(Outcome).where(Outcome.trainee_id == trainee.id)):
        events.append(Event(outcome.happened_on, "outcome", outcome))
    order = {
        "outcome": 0,
        "promotion": 1,
        "correction": 1,
        "visit": 2,
        "record": 3,
        "course": 4,
        "quiz": 5,
        "enrolled": 6,
    }
    return sorted(events, key=lambda e: (-e.on.toordinal(), order[e.kind]))


def filter_rows(
    rows: list[CaseloadRow], *, cohort_id: int | None = None, village: str | None = None
) -> list[CaseloadRow]:
    if cohort_id:
        rows = [r for r in rows if r.cohort is not None and r.cohort.id == cohort_id]
    if village:
        rows = [r for r in rows if r.village == village]
    return rows


def villages_and_cohorts(rows: list[CaseloadRow]) -> tuple[list[str], list[Cohort]]:
    villages = sorted({r.village for r in rows if r.village})
    cohorts = {r.cohort.id: r.cohort for r in rows if r.cohort}
    return villages, sorted(cohorts.values(), key=lambda c: c.starts_on)
