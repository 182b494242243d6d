"""The dated facts of each trainee in each of their programmes (programme_facts, tier_facts,
practice_windows, activity_months), computed from the records for a set of trainees in a fixed
number of queries. lms.reporting.facts stores them in the same refresh as trainee_facts, under
the same lock; lms.reporting.indicators compares their dates with a period's end.

Each fact counts from the trainee's first enrolment in the programme (`since`), in local dates:
a lesson learned, a course completed or an outcome before it belongs to another programme.
"""

from datetime import date

from sqlalchemy import and_, case, func, select

from lms.db import db
from lms.models import (
    ActivityMonth,
    Cohort,
    Course,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    Outcome,
    OutcomeKind,
    PracticeKind,
    PracticeRecord,
    PracticeTask,
    PracticeWindow,
    ProgrammeFacts,
    RecordStatus,
    RungPromotion,
    TierFacts,
    TraineeProfile,
)
from lms.sqlfuncs import date_plus, local_date_plus

PRACTICE_AFTER_COURSE_DAYS = 14
STILL_PRACTISING = (90, 180)  # days after the first enrolment
STILL_PRACTISING_WINDOW = 30  # a record (not rejected) in the 30 days up to that day
TABLES = (ProgrammeFacts, TierFacts, PracticeWindow, ActivityMonth)
OUTCOME_COLUMNS = {k: f"{k.value}_on" for k in OutcomeKind}


def _starts(ids):
    """(trainee_id, programme_id, since) for each programme the trainees were ever enrolled in."""
    return (
        select(
            Enrollment.trainee_id,
            Cohort.programme_id,
            func.min(Enrollment.enrolled_on).label("since"),
        )
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.trainee_id.in_(ids))
        .group_by(Enrollment.trainee_id, Cohort.programme_id)
        .subquery()
    )


def compute(ids: list[int]) -> dict[str, list[dict]]:
    """Rows for each of the three tables, for these trainees."""
    s = _starts(ids)
    run = db.session.execute
    key = lambda row: (row.trainee_id, row.programme_id)  # noqa: E731
    programmes = {}
    for row in run(
        select(s, TraineeProfile.baseline_rung).join(
            TraineeProfile, TraineeProfile.user_id == s.c.trainee_id
        )
    ).all():
        programmes[key(row)] = {
            "programme_id": row.programme_id,
            "trainee_id": row.trainee_id,
            "since": row.since,
            "rung": row.baseline_rung,
            "rung_since": None,
            "first_done_on": None,
            "practised_90": False,
            "practised_180": False,
            **{column: None for column in OUTCOME_COLUMNS.values()},
        }
    if not programmes:
        return {t.__tablename__: [] for t in TABLES}

    # The rung now is the person's, whatever programme signed it: the latest signature.
    newest = (
        select(
            RungPromotion.trainee_id,
            RungPromotion.to_rung,
            local_date_plus(RungPromotion.signed_at, 0).label("signed_on"),
            func.row_number()
            .over(
                partition_by=RungPromotion.trainee_id,
                order_by=(RungPromotion.signed_at.desc(), RungPromotion.id.desc()),
            )
            .label("n"),
        )
        .where(RungPromotion.trainee_id.in_(ids))
        .subquery()
    )
    rungs = {r.trainee_id: r for r in run(select(newest).where(newest.c.n == 1)).all()}
    for (trainee_id, _programme), row in programmes.items():
        if trainee_id in rungs:
            row["rung"], row["rung_since"] = rungs[trainee_id].to_rung, rungs[trainee_id].signed_on

    tiers = _tiers(s, run)
    for tier_row in tiers:
        row = programmes[(tier_row["trainee_id"], tier_row["programme_id"])]
        done = tier_row["first_done_on"]
        if done and (row["first_done_on"] is None or done < row["first_done_on"]):
            row["first_done_on"] = done

    day = PracticeRecord.happened_on
    for days in STILL_PRACTISING:
        for row in run(
            select(s.c.trainee_id, s.c.programme_id).where(
                select(PracticeRecord.id)
                .where(
                    PracticeRecord.trainee_id == s.c.trainee_id,
                    PracticeRecord.status.in_((RecordStatus.SELF_REPORTED, RecordStatus.VERIFIED)),
                    day > date_plus(s.c.since, days - STILL_PRACTISING_WINDOW),
                    day <= date_plus(s.c.since, days),
                )
                .exists()
            )
        ).all():
            programmes[key(row)][f"practised_{days}"] = True

    for row in run(
        select(s.c.trainee_id, s.c.programme_id, Outcome.kind, func.min(Outcome.happened_on))
        .join(Outcome, Outcome.trainee_id == s.c.trainee_id)
        .where(Outcome.happened_on >= s.c.since)
        .group_by(s.c.trainee_id, s.c.programme_id, Outcome.kind)
    ).all():
        programmes[key(row)][OUTCOME_COLUMNS[OutcomeKind(row.kind)]] = row[3]

    return {
        ProgrammeFacts.__tablename__: list(programmes.values()),
        TierFacts.__tablename__: tiers,
        PracticeWindow.__tablename__: _windows(s, run),
        ActivityMonth.__tablename__: _activity_months(s, run),
    }


def _tiers(s, run) -> list[dict]:
    learned_on = local_date_plus(LessonProgress.learned_at, 0)
    found: dict[tuple, dict] = {}

    def row_for(trainee_id, programme_id, tier_id):
        return found.setdefault(
            (trainee_id, programme_id, tier_id),
            {
                "trainee_id": trainee_id,
                "programme_id": programme_id,
                "tier_id": tier_id,
                "started_on": None,
                "first_done_on": None,
                "all_done_on": None,
            },
        )

    for trainee_id, programme_id, tier_id, first in run(
        select(s.c.trainee_id, s.c.programme_id, Course.tier_id, func.min(learned_on))
        .join(LessonProgress, LessonProgress.trainee_id == s.c.trainee_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(learned_on >= s.c.since)
        .group_by(s.c.trainee_id, s.c.programme_id, Course.tier_id)
    ).all():
        row_for(trainee_id, programme_id, tier_id)["started_on"] = first

    live = (
        select(Course.tier_id, func.count().label("courses"))
        .where(Course.archived_at.is_(None))
        .group_by(Course.tier_id)
        .subquery()
    )
    done_on = local_date_plus(CourseCompletion.completed_at, 0)
    for trainee_id, programme_id, tier_id, first, last, n, courses in run(
        select(
            s.c.trainee_id,
            s.c.programme_id,
            Course.tier_id,
            func.min(done_on),
            func.max(done_on),
            func.count(),
            func.max(live.c.courses),
        )
        .join(CourseCompletion, CourseCompletion.trainee_id == s.c.trainee_id)
        .join(Course, Course.id == CourseCompletion.course_id)
        .join(live, live.c.tier_id == Course.tier_id)
        .where(Course.archived_at.is_(None), done_on >= s.c.since)
        .group_by(s.c.trainee_id, s.c.programme_id, Course.tier_id)
    ).all():
        row = row_for(trainee_id, programme_id, tier_id)
        row["first_done_on"] = first
        row["all_done_on"] = last if n >= courses else None
    return list(found.values())


def _windows(s, run) -> list[dict]:
    with_tasks = select(Lesson.course_id).join(PracticeTask, PracticeTask.lesson_id == Lesson.id)
    completed_on = local_date_plus(CourseCompletion.completed_at, 0)
    verified_on = (
        select(func.min(local_date_plus(PracticeRecord.reviewed_at, 0)))
        .where(
            PracticeRecord.trainee_id == CourseCompletion.trainee_id,
            PracticeRecord.status == RecordStatus.VERIFIED,
            PracticeRecord.happened_on >= completed_on,
            PracticeRecord.happened_on
            <= local_date_plus(CourseCompletion.completed_at, PRACTICE_AFTER_COURSE_DAYS),
        )
        .scalar_subquery()
    )
    return [
        dict(row._mapping)
        for row in run(
            select(
                s.c.programme_id,
                s.c.trainee_id,
                CourseCompletion.course_id,
                completed_on.label("completed_on"),
                verified_on.label("verified_on"),
            )
            .join(CourseCompletion, CourseCompletion.trainee_id == s.c.trainee_id)
            .where(and_(CourseCompletion.course_id.in_(with_tasks), completed_on >= s.c.since))
        ).all()
    ]


def _activity_months(s, run) -> list[dict]:
    """Per month from the first enrolment on, by the day each happened: verified sales (number
    and fen), verified records of any kind, and visits."""
    months: dict[tuple, dict] = {}

    def add(rows, *names):
        for programme_id, trainee_id, y, m, *values in rows:
            key = (programme_id, trainee_id, date(int(y), int(m), 1))
            row = months.setdefault(
                key,
                {"programme_id": key[0], "trainee_id": key[1], "month": key[2]}
                | dict.fromkeys(("sales", "fen", "verified", "visits"), 0),
            )
            for name, value in zip(names, values, strict=True):
                row[name] += int(value or 0)

    def per_month(day, *values, join, where):
        year, month = func.extract("year", day), func.extract("month", day)
        return run(
            select(s.c.programme_id, s.c.trainee_id, year, month, *values)
            .join(join, join.trainee_id == s.c.trainee_id)
            .where(day >= s.c.since, *where)
            .group_by(s.c.programme_id, s.c.trainee_id, year, month)
        ).all()

    record, verified = PracticeRecord, PracticeRecord.status == RecordStatus.VERIFIED
    sale = record.kind == PracticeKind.SALE
    add(
        per_month(
            record.happened_on,
            func.sum(case((sale, 1), else_=0)),
            func.sum(case((sale, record.amount_fen), else_=0)),
            func.count(),
            join=record,
            where=(verified,),
        ),
        "sales",
        "fen",
        "verified",
    )
    add(
        per_month(FollowUpVisit.visited_on, func.count(), join=FollowUpVisit, where=()),
        "visits",
    )
    return list(months.values())


def store(connection, ids: list[int], found: dict[str, list[dict]]) -> None:
    """Replace the trainees' rows in the three tables (their trainee_facts rows are locked)."""
    for model in TABLES:
        table = model.__table__
        connection.execute(table.delete().where(table.c.trainee_id.in_(ids)))
        if found[table.name]:
            connection.execute(table.insert(), found[table.name])


def stored(ids: list[int]) -> dict[str, list[dict]]:
    result = {}
    for model in TABLES:
        table = model.__table__
        keys = [c.name for c in table.primary_key.columns]
        result[table.name] = [
            dict(row._mapping)
            for row in db.session.execute(
                select(table).where(table.c.trainee_id.in_(ids)).order_by(*keys)
            )
        ]
    return result


def canonical(found: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows in primary-key order, to compare a computation with what is stored."""
    result = {}
    for model in TABLES:
        keys = [c.name for c in model.__table__.primary_key.columns]
        result[model.__tablename__] = sorted(
            found[model.__tablename__], key=lambda r: tuple(r[k] for k in keys)
        )
    return result
