"""The database a benchmark runs against: its URL and name, a scratch one built on demand, the
app in-process, and the people and pages the benchmarks use (among them the bench mentor who
follows 200 trainees, added once, idempotently)."""

import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from lms import create_app
from lms.cli import analyze
from lms.clock import local_today
from lms.config import ROOT
from lms.db import db
from lms.devdata import synth
from lms.models import (
    Cohort,
    CourseCompletion,
    Enrollment,
    Lesson,
    MentorAssignment,
    PracticeRecord,
    Programme,
    Role,
    TraineeProfile,
    User,
)
from lms.models.curriculum import Course, course_prerequisites
from lms.permissions import assigned_trainee_ids
from lms.services import curricula
from lms.services.accounts import hash_password

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCRATCH = "bench_scratch"  # --build's database; the roster import's is bench_import
BENCH_MENTOR_PHONE = "16690000200"  # outside every synth block (17x) and the demo (138/139)
BENCH_MENTOR_NAME = "基准测试导师"
CASELOAD = 200


def database_url(given: str | None) -> str:
    url = given or os.environ.get("LMS_DATABASE_URL")
    if not url:
        raise SystemExit("give --database-url (or set LMS_DATABASE_URL), or --build N")
    return url


def database_name(url: str) -> str:
    """`lms_scale` for a PostgreSQL database, the file's stem for SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database or "memory").stem
    return parsed.database or "postgres"


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def make_app(url: str, upload_folder: str) -> Flask:
    """The real app on `url`, CSRF on, production password hashing; uploads in a temp folder."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "UPLOAD_FOLDER": upload_folder,
        }
    )


def _server(url: str) -> sa.Engine:
    return sa.create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )


def drop_postgres(url: str) -> None:
    name = make_url(url).database
    assert name and name.startswith("bench_"), name  # only the bench's own scratch databases
    with _server(url).connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def scratch_database(backend: str, name: str, *, server: str = PG_SERVER, keep: bool = False):
    """A new empty database `name` (PostgreSQL on `server`, or a SQLite file in a temp folder),
    dropped afterwards unless `keep`. Yields its URL."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="lms-bench-"))
        try:
            yield f"sqlite:///{folder}/{name}.sqlite3"
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    drop_postgres(url)
    with _server(url).connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        if not keep:
            drop_postgres(url)


def migrate_and_load_curricula(app: Flask) -> None:
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' own logging config prints every step
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        curricula.import_tree(ROOT / "curricula")
        db.session.commit()


def build(app: Flask, trainees: int, seed: int) -> float:
    """Schema, curricula and `flask synth`'s programme in an empty database; seconds taken."""
    migrate_and_load_curricula(app)
    with app.app_context():
        started = time.perf_counter()
        synth.build_programme(trainees, seed)
        db.session.commit()
        analyze()  # as `flask synth` does after its bulk load
        return time.perf_counter() - started


@dataclass
class Subjects:
    """Who and what the benchmarks fetch, chosen from the data (deterministically)."""

    programme_id: int
    programme: str
    trainees: int  # currently enrolled in the programme
    lead_phone: str
    cohort_id: int
    cohort_size: int
    village: str
    village_size: int
    trainee_phone: str  # the busiest trainee of that cohort (most practice records)
    lesson_slug: str
    mentor_phone: str  # the bench mentor
    mentor_caseload: int
    synth_mentor_phone: str  # the generated mentor with the largest caseload
    synth_mentor_caseload: int

    def as_dict(self) -> dict:
        return asdict(self)


def _current(programme_id: int):
    """Current enrolments in the programme's cohorts."""
    return (
        select(Enrollment.trainee_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.programme_id == programme_id, Enrollment.left_on.is_(None))
    )


def find_programme(programme_id: int | None) -> Programme:
    """The programme asked for, else the generated one with the most enrolments."""
    if programme_id is not None:
        programme = db.session.get(Programme, programme_id)
        if programme is None:
            raise SystemExit(f"no programme {programme_id}")
        return programme
    sizes = (
        select(Programme, func.count(Enrollment.id).label("n"))
        .join(Cohort, Cohort.programme_id == Programme.id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .group_by(Programme.id)
        .order_by(Programme.name.startswith("合成项目").desc(), sa.text("n DESC"), Programme.id)
    )
    found = db.session.execute(sizes.limit(1)).first()
    if found is None:
        raise SystemExit("no programme with trainees: run `flask --app wsgi synth` first")
    return found[0]


def ensure_bench_mentor(programme: Programme, size: int = CASELOAD) -> User:
    """A mentor who follows `size` of the programme's current trainees, each assigned directly,
    spread over the programme by id. Idempotent: adds only what is missing; commits."""
    mentor = db.session.scalar(select(User).where(User.phone == BENCH_MENTOR_PHONE))
    if mentor is None:
        mentor = User(
            phone=BENCH_MENTOR_PHONE,
            name=BENCH_MENTOR_NAME,
            role=Role.MENTOR,
            password_hash=hash_password(synth.PASSWORD),
        )
        db.session.add(mentor)
        db.session.flush()
    today = local_today()
    followed = set(db.session.scalars(assigned_trainee_ids(mentor, today=today)))
    if len(followed) < size:
        active = select(User.id).where(User.is_active.is_(True), User.role == Role.TRAINEE)
        candidates = sorted(
            set(db.session.scalars(_current(programme.id).where(Enrollment.trainee_id.in_(active))))
        )
        step = max(1, len(candidates) // size)
        spread = candidates[::step] + candidates
        chosen = list(dict.fromkeys(t for t in spread if t not in followed))
        for trainee_id in chosen[: size - len(followed)]:
            db.session.add(
                MentorAssignment(
                    programme_id=programme.id,
                    mentor_id=mentor.id,
                    trainee_id=trainee_id,
                    starts_on=today,
                )
            )
    db.session.commit()
    return mentor


def caseload_size(mentor: User) -> int:
    ids = assigned_trainee_ids(mentor).subquery()
    return db.session.scalar(select(func.count()).select_from(ids))


def _open_lesson(trainee_id: int) -> str:
    """A lesson the trainee may open: the first of the course they completed last, else the
    first of a course with no prerequisites."""
    done = db.session.scalar(
        select(Lesson.slug)
        .join(Course, Course.id == Lesson.course_id)
        .join(CourseCompletion, CourseCompletion.course_id == Course.id)
        .where(
            CourseCompletion.trainee_id == trainee_id,
            Course.archived_at.is_(None),
            Lesson.archived_at.is_(None),
        )
        .order_by(CourseCompletion.completed_at.desc(), Lesson.position)
        .limit(1)
    )
    if done:
        return done
    has_prerequisites = select(course_prerequisites.c.course_id)
    return db.session.scalar(
        select(Lesson.slug)
        .join(Course, Course.id == Lesson.course_id)
        .where(
            Course.archived_at.is_(None),
            Lesson.archived_at.is_(None),
            Course.id.not_in(has_prerequisites),
        )
        .order_by(Course.position, Lesson.position)
        .limit(1)
    )


def choose_subjects(programme_id: int | None) -> Subjects:
    """Inside an app context: pick the programme, its biggest cohort and village, that cohort's
    busiest trainee, and the mentors (ensuring the bench mentor)."""
    programme = find_programme(programme_id)
    if programme.lead is None:
        raise SystemExit(f"programme {programme.id} has no lead")
    pid = programme.id
    current = _current(pid).subquery()
    total = db.session.scalar(select(func.count(func.distinct(current.c.trainee_id))))
    cohort_id, cohort_size = db.session.execute(
        select(Enrollment.cohort_id, func.count())
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.programme_id == pid, Enrollment.left_on.is_(None))
        .group_by(Enrollment.cohort_id)
        .order_by(func.count().desc(), Enrollment.cohort_id)
        .limit(1)
    ).one()
    village, village_size = db.session.execute(
        select(TraineeProfile.village, func.count())
        .where(TraineeProfile.user_id.in_(select(current.c.trainee_id)))
        .group_by(TraineeProfile.village)
        .order_by(func.count().desc(), TraineeProfile.village)
        .limit(1)
    ).one()
    in_cohort = select(Enrollment.trainee_id).where(
        Enrollment.cohort_id == cohort_id, Enrollment.left_on.is_(None)
    )
    trainee_id, trainee_phone = db.session.execute(
        select(User.id, User.phone)
        .outerjoin(PracticeRecord, PracticeRecord.trainee_id == User.id)
        .where(User.id.in_(in_cohort), User.is_active.is_(True))
        .group_by(User.id, User.phone)
        .order_by(func.count(PracticeRecord.id).desc(), User.id)
        .limit(1)
    ).one()
    mentor = ensure_bench_mentor(programme)
    synth_mentor_id, synth_size = db.session.execute(
        select(MentorAssignment.mentor_id, func.count(Enrollment.id))
        .join(Enrollment, Enrollment.cohort_id == MentorAssignment.cohort_id)
        .where(
            MentorAssignment.programme_id == pid,
            MentorAssignment.ends_on.is_(None),
            MentorAssignment.mentor_id != mentor.id,
            Enrollment.left_on.is_(None),
        )
        .group_by(MentorAssignment.mentor_id)
        .order_by(func.count(Enrollment.id).desc(), MentorAssignment.mentor_id)
        .limit(1)
    ).one()
    synth_mentor = db.session.get(User, synth_mentor_id)
    return Subjects(
        programme_id=pid,
        programme=programme.name,
        trainees=total,
        lead_phone=programme.lead.phone,
        cohort_id=cohort_id,
        cohort_size=cohort_size,
        village=village,
        village_size=village_size,
        trainee_phone=trainee_phone,
        lesson_slug=_open_lesson(trainee_id),
        mentor_phone=mentor.phone,
        mentor_caseload=caseload_size(mentor),
        synth_mentor_phone=synth_mentor.phone,
        synth_mentor_caseload=caseload_size(synth_mentor) if synth_size else 0,
    )


@contextmanager
def target(args) -> Iterator[tuple[str, float | None]]:
    """The database to measure: --database-url as given, or with --build N a scratch one built
    here (dropped afterwards unless --keep). Yields (url, seconds the build took or None)."""
    if not args.build:
        yield database_url(args.database_url), None
        return
    with scratch_database(args.backend, SCRATCH, server=args.pg_server, keep=args.keep) as url:
        with tempfile.TemporaryDirectory() as uploads:
            built = build(make_app(url, uploads), args.build, args.seed)
        print(f"built {args.build:,} trainees (seed {args.seed}) in {built:.1f} s")
        yield url, built
        if args.keep:
            print(f"kept: --database-url {shown_url(url)}")
