"""Keeping `trainee_facts` true: every transaction that writes something a fact depends on
refreshes the facts of the trainees it touched, just before it commits.

Nothing has to remember to call this. Writes through the ORM are seen by a flush hook; the
idempotent `insert_once` (which bypasses the ORM) marks its trainee with `touch`; bulk loads
(`flask synth`, a restore) call `rebuild` themselves. A refresh recomputes a trainee's facts
from the source tables with the same code the pages used before the table existed
(lms.services.schedule and lms.services.caseload), so the table can always be checked against,
or rebuilt from, a live computation: `flask --app wsgi facts rebuild` / `facts check`.

Two transactions touching one trainee at once: on PostgreSQL the refresh first locks the
trainee's row (SELECT … FOR UPDATE), so the second waits for the first to commit and then
recomputes from what that one wrote (each statement of a READ COMMITTED transaction sees what
was committed before it). On SQLite writers are serialised, so this cannot happen.
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lms.clock import local_today, to_local
from lms.db import db
from lms.models import (
    Cohort,
    Course,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    Outcome,
    PracticeRecord,
    PracticeTask,
    Programme,
    QuizAttempt,
    RecordStatus,
    RungPromotion,
    TraineeFacts,
    TraineeProfile,
    User,
)
from lms.reporting import programme_facts

STALE = "lms.facts.stale"  # session.info key: trainee ids (or ALL) to refresh before commit
ALL = "all"
CHUNK = 2000
# Rows whose change can change a trainee's facts (each has a trainee_id).
TRACKED = (
    Enrollment,
    PracticeRecord,
    FollowUpVisit,
    CourseCompletion,
    LessonProgress,
    QuizAttempt,
    RungPromotion,
    Outcome,
)
# What of a profile the facts (and a period's kept rows, lms.reporting.figures) read.
PROFILE = (
    "village",
    "baseline_rung",
    "gender",
    "household_category",
    "birth_year",
    "baseline_monthly_income_fen",
)
COLUMNS = (
    "programme_id",
    "cohort_id",
    "village",
    "active",
    "enrolled_on",
    "last_activity_on",
    "last_visit_on",
    "next_due_on",
    "closes_on",
    "due_reason",
    "pending_count",
    "pending_since",
)


def touch(trainee_id, session: Session | None = None) -> None:
    """Mark a trainee's facts to be refreshed when the current transaction commits."""
    session = session or db.session()
    stale = session.info.setdefault(STALE, set())
    if isinstance(trainee_id, int) and ALL not in stale:
        stale.add(trainee_id)


def touch_programme(programme_id: int, session: Session | None = None) -> None:
    session = session or db.session()
    session.info.setdefault(STALE, set()).add(("programme", programme_id))


def touch_all(session: Session | None = None) -> None:
    session = session or db.session()
    session.info[STALE] = {ALL}


@event.listens_for(Session, "after_flush")
def _seen_in_flush(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TRACKED):
            touch(obj.trainee_id, session)
        elif isinstance(obj, TraineeProfile) and _changed(obj, *PROFILE):
            touch(obj.user_id, session)
        elif isinstance(obj, User) and _changed(obj, "is_active"):
            touch(obj.id, session)  # not on every login: only when the account is switched
        elif isinstance(obj, Programme) and obj in session.dirty:
            touch_programme(obj.id, session)  # its follow-up settings may have changed
        elif isinstance(obj, PracticeTask | Course | Lesson):
            touch_all(session)  # the curriculum changed: schedules, tiers and windows follow


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return state.pending or any(state.attrs[n].history.has_changes() for n in names)


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    session.flush()
    stale = session.info.pop(STALE, None)
    if not stale:
        return
    if ALL in stale:
        rebuild(session)
        return
    ids = {i for i in stale if isinstance(i, int)}
    for _kind, programme_id in (i for i in stale if isinstance(i, tuple)):
        ids.update(session.scalars(_programme_trainees(programme_id)))
    refresh(sorted(ids), session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(STALE, None)


def _programme_trainees(programme_id: int):
    return (
        select(Enrollment.trainee_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.programme_id == programme_id)
        .distinct()
    )


def rebuild(session: Session | None = None, *, programme_id: int | None = None) -> int:
    """Recompute the facts of every trainee, or of one programme's (after a bulk load); the
    number of trainees."""
    session = session or db.session()
    session.info.pop(STALE, None)
    if programme_id is None:
        query = select(TraineeProfile.user_id)
        session.execute(
            TraineeFacts.__table__.delete().where(TraineeFacts.trainee_id.not_in(query))
        )
    else:
        query = _programme_trainees(programme_id)
    ids = sorted(session.scalars(query))
    for i in range(0, len(ids), CHUNK):
        refresh(ids[i : i + CHUNK], session)
    return len(ids)


def refresh(trainee_ids: Iterable[int], session: Session | None = None) -> None:
    """Recompute and store the facts of these trainees, locking their rows first."""
    session = session or db.session()
    ids = sorted(set(trainee_ids))
    if not ids:
        return
    ids = list(
        session.scalars(select(TraineeProfile.user_id).where(TraineeProfile.user_id.in_(ids)))
    )
    if not ids:
        return
    table = TraineeFacts.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    connection = session.connection()
    connection.execute(
        insert(table).on_conflict_do_nothing(index_elements=["trainee_id"]),
        [{"trainee_id": i, "pending_count": 0} for i in ids],
    )
    connection.execute(
        select(table.c.trainee_id)
        .where(table.c.trainee_id.in_(ids))
        .order_by(table.c.trainee_id)
        .with_for_update()
    ).all()
    rows = compute(ids)
    connection.execute(  # one more version: figures kept from the older one are out of date
        update(table)
        .where(table.c.trainee_id == db.bindparam("b_id"))
        .values(version=table.c.version + 1),
        [{"b_id": i, **{c: row.get(c) for c in COLUMNS}} for i, row in rows.items()],
    )
    programme_facts.store(connection, ids, programme_facts.compute(ids))


def compute(ids: list[int], *, today: date | None = None) -> dict[int, dict]:
    """The live computation: each trainee's facts from the source tables."""
    from lms.services import caseload, schedule  # they read facts' sources, not facts

    today = today or local_today()
    facts = {i: {c: None for c in COLUMNS} | {"pending_count": 0} for i in ids}
    for trainee_id, village, active in db.session.execute(
        select(TraineeProfile.user_id, TraineeProfile.village, User.is_active)
        .join(User, User.id == TraineeProfile.user_id)
        .where(TraineeProfile.user_id.in_(ids))
    ).all():
        facts[trainee_id].update(village=village, active=active)
    current = {}
    for trainee_id, cohort_id, programme_id in db.session.execute(
        select(Enrollment.trainee_id, Enrollment.cohort_id, Cohort.programme_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.trainee_id.in_(ids), Enrollment.left_on.is_(None))
        .order_by(Enrollment.enrolled_on, Enrollment.id)
    ).all():
        current[trainee_id] = (cohort_id, programme_id)  # the latest wins, as in the schedule
    first = {
        (trainee_id, programme_id): on
        for trainee_id, programme_id, on in db.session.execute(
            select(Enrollment.trainee_id, Cohort.programme_id, func.min(Enrollment.enrolled_on))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.trainee_id.in_(ids))
            .group_by(Enrollment.trainee_id, Cohort.programme_id)
        ).all()
    }
    for trainee_id, (cohort_id, programme_id) in current.items():
        facts[trainee_id].update(
            cohort_id=cohort_id,
            programme_id=programme_id,
            enrolled_on=first[(trainee_id, programme_id)],
        )
    for trainee_id, on in caseload.last_activity(ids).items():
        facts[trainee_id]["last_activity_on"] = on
    for trainee_id, on in db.session.execute(
        select(FollowUpVisit.trainee_id, func.max(FollowUpVisit.visited_on))
        .where(FollowUpVisit.trainee_id.in_(ids))
        .group_by(FollowUpVisit.trainee_id)
    ).all():
        facts[trainee_id]["last_visit_on"] = on
    for trainee_id, count, oldest in db.session.execute(
        select(PracticeRecord.trainee_id, func.count(), func.min(PracticeRecord.created_at))
        .where(
            PracticeRecord.trainee_id.in_(ids),
            PracticeRecord.status == RecordStatus.SELF_REPORTED,
        )
        .group_by(PracticeRecord.trainee_id)
    ).all():
        facts[trainee_id].update(pending_count=count, pending_since=to_local(oldest).date())
    for trainee_id, plan in schedule.schedules(ids, today=today).items():
        if not plan.items or trainee_id not in current:
            continue
        closing = min(plan.items, key=lambda i: (i.closes_on, i.due_on))
        facts[trainee_id].update(
            next_due_on=plan.next_due.due_on,
            closes_on=closing.closes_on,
            due_reason=closing.reason.value,
        )
    return facts


def stored(ids: list[int]) -> dict[int, dict]:
    """The facts as the table holds them, in compute()'s shape (for checks and tests)."""
    table = TraineeFacts.__table__
    return {
        row.trainee_id: {c: getattr(row, c) for c in COLUMNS}
        for row in db.session.execute(select(table).where(table.c.trainee_id.in_(ids)))
    }


def differences(ids: list[int]) -> dict:
    """Where the stored facts differ from the live computation: trainee id → (stored, live),
    and table name → (stored rows, live rows) for the programme tables."""
    live, kept = compute(ids), stored(ids)
    wrong: dict = {i: (kept.get(i), live[i]) for i in ids if kept.get(i) != live[i]}
    live_rows = programme_facts.canonical(programme_facts.compute(ids))
    kept_rows = programme_facts.stored(ids)
    for name, rows in live_rows.items():
        if rows != kept_rows[name]:
            wrong[name] = (kept_rows[name], rows)
    return wrong
