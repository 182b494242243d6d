"""A mentor's caseload, sorted by what needs the mentor, and one trainee's loop as a timeline.

"Stalled" has one definition, here: a trainee is **stalled** when they have had no learning or
practice activity (a lesson learned, a quiz submitted, a practice record logged) for more than
30 days — counted from their enrolment if they have had none at all.

Read-only; the caseload is built in a fixed number of queries whatever its size.
"""

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

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
    TraineeProfile,
    User,
)
from lms.permissions import assigned_trainee_ids
from lms.services import ladder, schedule

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
    trainee: User
    profile: TraineeProfile | None
    cohort: Cohort | None
    enrolled_on: date | None
    status: ladder.LadderStatus
    schedule: schedule.TraineeSchedule
    pending: int
    last_activity_on: date | None
    stalled: bool

    @property
    def needs(self) -> list[Need]:
        found = []
        if self.schedule.is_overdue:
            found.append(Need.OVERDUE)
        if self.pending:
            found.append(Need.PENDING)
        if self.status.ready_for_signoff:
            found.append(Need.ELIGIBLE)
        if self.stalled:
            found.append(Need.STALLED)
        return found or [Need.NONE]

    def sort_key(self):
        first = self.needs[0]
        detail = {Need.OVERDUE: -self.schedule.days_overdue, Need.PENDING: -self.pending}.get(
            first, 0
        )
        return (first, detail, self.trainee.name)


def caseload(mentor: User, *, today: date | None = None) -> list[CaseloadRow]:
    """Every trainee the mentor follows today, most urgent first."""
    today = today or local_today()
    ids_query = assigned_trainee_ids(mentor, today=today)
    rows = db.session.execute(
        select(User, TraineeProfile)
        .outerjoin(TraineeProfile, TraineeProfile.user_id == User.id)
        .where(User.id.in_(ids_query), User.is_active.is_(True))
    ).all()
    enrolments: dict[int, tuple[Cohort, date]] = {}
    for trainee_id, cohort, enrolled_on in db.session.execute(
        select(Enrollment.trainee_id, Cohort, Enrollment.enrolled_on)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.trainee_id.in_(ids_query), Enrollment.left_on.is_(None))
        .order_by(Enrollment.enrolled_on)
    ).all():
        enrolments[trainee_id] = (cohort, enrolled_on)
    ids = [user.id for user, _ in rows]
    if not ids:
        return []
    statuses = ladder.evaluate_many(ids, today=today)
    schedules = schedule.schedules(ids, today=today)
    pending = dict(
        db.session.execute(
            select(PracticeRecord.trainee_id, func.count(PracticeRecord.id))
            .where(
                PracticeRecord.trainee_id.in_(ids),
                PracticeRecord.status == RecordStatus.SELF_REPORTED,
            )
            .group_by(PracticeRecord.trainee_id)
        ).all()
    )
    activity = last_activity(ids)
    result = []
    for user, profile in rows:
        cohort, enrolled_on = enrolments.get(user.id, (None, None))
        result.append(
            CaseloadRow(
                user,
                profile,
                cohort,
                enrolled_on,
                statuses[user.id],
                schedules[user.id],
                pending.get(user.id, 0),
                activity.get(user.id),
                is_stalled(activity.get(user.id), enrolled_on, today),
            )
        )
    return sorted(result, key=CaseloadRow.sort_key)


def pending_records(mentor: User, *, limit: int = 20) -> list[PracticeRecord]:
    """Practice records waiting for this mentor, oldest first."""
    return list(
        db.session.scalars(
            select(PracticeRecord)
            .where(
                PracticeRecord.trainee_id.in_(assigned_trainee_ids(mentor)),
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
        rows = [r for r in rows if r.profile is not None and r.profile.village == village]
    return rows


def villages_and_cohorts(rows: list[CaseloadRow]) -> tuple[list[str], list[Cohort]]:
    villages = sorted({r.profile.village for r in rows if r.profile and r.profile.village})
    cohorts = {r.cohort.id: r.cohort for r in rows if r.cohort}
    return villages, sorted(cohorts.values(), key=lambda c: c.starts_on)
