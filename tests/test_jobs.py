"""Background jobs through the real queues: this process's thread (the embedded default) and RQ
on Redis (LMS_TEST_REDIS_URL; without it, Redis on 127.0.0.1:6379 if one answers, else those
tests are skipped). Jobs run, report progress and fail with a stable code; a failure is logged
without the person; the periodic tick removes what has expired."""

import logging
import os
import uuid
from datetime import timedelta

import pytest
import redis
from rq import SimpleWorker
from sqlalchemy import func, select, update

from lms import create_app, jobs
from lms.clock import local_today, utcnow
from lms.config import TestConfig
from lms.db import db
from lms.jobs import Done, JobFailed, kept, progress, redis_queue, tick
from lms.jobs.runner import THREADS, run
from lms.models import Job, JobState, Role, User
from lms.services import files
from tests.factories import make_cohort, make_programme, make_user
from tests.views.test_jobs import confirm_form, job_of, people

URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@jobs.job("test.steps")
def _steps(job: Job) -> Done:
    for step in range(1, 4):
        progress(job, step, 3)
    return Done({"steps": 3, "said": job.args["say"]})


@jobs.job("test.refused")
def _refused(job: Job) -> Done:
    raise JobFailed("test_refused")


@jobs.job("test.breaks")
def _breaks(job: Job) -> Done:
    """Writes a row, then breaks on a unique phone: an error that quotes a person."""
    first, second = job.args["people"]  # (not in this source: a traceback quotes its lines)
    make_user(name=first[0], phone=first[1])
    make_user(name=second[0], phone=second[1])
    return Done()


@jobs.job("test.keeps")
def _keeps(job: Job) -> Done:
    return Done({}, file=kept.keep_file(job, b"kept,for,a,day\n", "csv"))


@pytest.fixture(autouse=True)
def _jobs_done():
    yield
    assert THREADS.wait_all(), "a job of this process is still running"


def queue_one(kind: str, **args) -> int:
    """Queue a job as a lead would (in a transaction that commits); its id."""
    lead = make_user(Role.LEAD)
    job = jobs.enqueue(kind, owner=lead, programme=make_programme(lead), **args)
    db.session.commit()
    return job.id


def stored(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_runs_in_this_process_after_the_commit(app):
    with app.app_context():
        job_id = queue_one("test.steps", say="你好")
        assert jobs.wait(job_id)
        job = stored(job_id)
        assert job.state is JobState.DONE
        assert (job.progress_done, job.progress_total) == (3, 3)
        assert job.result == {"steps": 3, "said": "你好"}
        assert job.created_at <= job.started_at <= job.finished_at
        assert job.error is None


def test_a_job_rolled_back_with_its_transaction_is_never_run(app):
    with app.app_context():
        lead = make_user(Role.LEAD)
        db.session.commit()
        jobs.enqueue("test.steps", owner=lead, say="x")
        db.session.rollback()
        assert db.session.scalar(select(func.count(Job.id))) == 0
        job_id = queue_one("test.steps", say="y")  # the next commit queues only its own
        assert jobs.wait(job_id) and stored(job_id).state is JobState.DONE
        assert db.session.scalar(select(func.count(Job.id))) == 1


def test_one_key_makes_one_job(app):
    with app.app_context():
        lead = make_user(Role.LEAD)
        first = jobs.enqueue("test.steps", owner=lead, key="the-same-thing", say="a")
        second = jobs.enqueue("test.steps", owner=lead, key="the-same-thing", say="b")
        db.session.commit()
        assert first.id == second.id
        assert jobs.wait(first.id)
        assert db.session.scalar(select(func.count(Job.id))) == 1
        assert stored(first.id).result["said"] == "a"


def test_failures_are_recorded_with_a_code_and_logged_without_the_person(app, caplog):
    with app.app_context():
        name, phone = "王秀" + "兰", "139" + "12345678"
        make_user(name=name, phone=phone)
        db.session.commit()
        refused = queue_one("test.refused")
        broken = queue_one("test.breaks", people=[["李" + "四", "139" + "11112222"], [name, phone]])
        unknown = queue_one("test.no-such-kind")
        with caplog.at_level(logging.INFO):
            assert all(jobs.wait(job_id) for job_id in (refused, broken, unknown))
        codes = {
            job_id: (stored(job_id).state, stored(job_id).error)
            for job_id in (refused, broken, unknown)
        }
        assert codes == {
            refused: (JobState.FAILED, "test_refused"),
            broken: (JobState.FAILED, "internal"),
            unknown: (JobState.FAILED, "unknown_kind"),
        }
        assert stored(broken).finished_at is not None
        # The failed job's own writes were rolled back with it.
        assert db.session.scalar(select(User).where(User.phone == "139" + "11112222")) is None
    logged = caplog.text
    assert f"job {broken} (test.breaks) failed: internal" in logged  # with its traceback …
    assert "IntegrityError" in logged
    assert "13912345678" not in logged and "王秀兰" not in logged  # … and never the person
    assert "13911112222" not in logged and "李四" not in logged


def test_a_job_delivered_twice_runs_once(app):
    with app.app_context():
        job_id = queue_one("test.steps", say="once")
        assert jobs.wait(job_id)
        finished = stored(job_id).finished_at
        assert run(job_id) is None
        assert stored(job_id).finished_at == finished


def test_a_job_stopped_while_it_ran_keeps_nothing(app):
    """As when a trainee is erased while an export of their programme runs (lms.jobs.kept)."""

    @jobs.job("test.stopped")
    def _stopped(job: Job) -> Done:
        name = kept.keep_file(job, b"someone's data", "csv")
        with db.engine.begin() as conn:  # another transaction gives the job up meanwhile
            conn.execute(update(Job).where(Job.id == job.id).values(state="failed", error="erased"))
        return Done({}, file=name)

    with app.app_context():
        job_id = queue_one("test.stopped")
        assert jobs.wait(job_id)
        job = stored(job_id)
        assert (job.state, job.error, job.file) == (JobState.FAILED, "erased", None)
        assert list(files.folder(kept.FOLDER).glob(f"{job_id}-*")) == []


def test_a_queue_that_cannot_take_the_job_marks_it_failed(app):
    config = {
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "JOB_QUEUE_URL": "redis://127.0.0.1:1/0",  # nothing listens there
    }
    web = create_app(config)
    try:
        with web.app_context():
            job_id = queue_one("test.steps", say="x")
            job = stored(job_id)
            assert (job.state, job.error) == (JobState.FAILED, "queue_unavailable")
    finally:
        with web.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_tick_removes_expired_files_old_jobs_and_gives_up_lost_ones(app, runner):
    with app.app_context():
        kept_id = queue_one("test.keeps")
        assert jobs.wait(kept_id)
        job = stored(kept_id)
        path = files.folder(kept.FOLDER) / job.file
        assert path.read_bytes() == b"kept,for,a,day\n"
        assert kept.path_of(job) == path
        lost = queue_one("test.steps", say="x")
        assert jobs.wait(lost)
        db.session.execute(update(Job).where(Job.id == lost).values(state=JobState.RUNNING))
        db.session.commit()

        report = tick.tick()
        db.session.commit()
        assert (report.expired, report.given_up) == (0, 0)  # not yet
        assert path.exists() and stored(kept_id).file is not None

        report = tick.tick(now=job.expires_at + timedelta(hours=5))
        db.session.commit()
        assert (report.expired, report.given_up) == (1, 1)
        assert not path.exists() and stored(kept_id).file is None
        assert (stored(lost).state, stored(lost).error) == (JobState.FAILED, "interrupted")

        report = tick.tick(now=utcnow() + tick.KEEP_JOBS + timedelta(days=3))
        db.session.commit()
        assert report.removed_jobs == 2
        assert db.session.scalar(select(func.count(Job.id))) == 0
    result = runner.invoke(args=["jobs", "tick"])
    assert result.exit_code == 0 and "0 old job(s) removed" in result.output


def test_the_worker_command_needs_a_queue(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "LMS_JOB_QUEUE_URL" in result.output


def reachable() -> bool:
    try:
        return redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(
    not os.environ.get("LMS_TEST_REDIS_URL") and not reachable(), reason="no Redis to test on"
)


@pytest.fixture
def rq_app(app):
    """A web worker configured for RQ on Redis (its own queue, removed afterwards)."""
    name = f"lms-test-{uuid.uuid4().hex}"
    config = {
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "JOB_QUEUE_URL": URL,
        "JOB_QUEUE_NAME": name,
    }
    web = create_app(config)
    yield web
    client = redis.Redis.from_url(URL)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)
    client.srem("rq:queues", f"rq:queue:{name}")  # RQ's list of every queue it has seen
    with web.app_context():
        db.session.remove()
        db.engine.dispose()


def work_off(app) -> None:
    """What `flask --app wsgi worker --burst` does, in this process (an RQ SimpleWorker)."""
    with app.app_context():
        redis_queue.work(burst=True, worker_class=SimpleWorker)


@needs_redis
def test_jobs_run_and_fail_on_the_redis_queue(rq_app):
    with rq_app.app_context():
        ok = queue_one("test.steps", say="redis")
        refused = queue_one("test.refused")
        assert redis_queue.queue(rq_app).count == 2
        assert stored(ok).state is JobState.QUEUED  # nothing runs in the web worker
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])  # forks per job
    assert result.exit_code == 0, result.output
    with rq_app.app_context():
        job = stored(ok)
        finished = job.finished_at
        assert (job.state, job.result, job.progress_done) == (
            JobState.DONE,
            {"steps": 3, "said": "redis"},
            3,
        )
        assert (stored(refused).state, stored(refused).error) == (JobState.FAILED, "test_refused")
        assert redis_queue.queue(rq_app).count == 0
        redis_queue.put(rq_app, ok)  # delivered again: left alone
    work_off(rq_app)
    with rq_app.app_context():
        assert stored(ok).finished_at == finished


@needs_redis
def test_a_large_roster_confirmed_twice_is_one_job_on_the_redis_queue(rq_app, login):
    with rq_app.app_context():
        lead = make_user(Role.LEAD)
        programme = make_programme(lead)
        programme.villages = ["石门村"]
        make_cohort(programme, name="第一期", starts_on=local_today() - timedelta(days=30))
        db.session.commit()
    client = login(lead, target=rq_app.test_client())
    form = confirm_form(client, programme.id, people(301))
    url = f"/lead/programmes/{programme.id}/roster/import"
    job_id = job_of(client.post(url, data=form))
    assert job_of(client.post(url, data=form)) == job_id  # a double click: the same job
    page = client.get(f"/lead/programmes/{programme.id}/jobs/{job_id}").get_data(as_text=True)
    assert "排队中" in page and 'http-equiv="refresh"' in page
    work_off(rq_app)
    page = client.get(f"/lead/programmes/{programme.id}/jobs/{job_id}").get_data(as_text=True)
    assert "新学员 301，更新 0，不变 0。" in page
    with rq_app.app_context():
        assert db.session.scalar(select(func.count(Job.id))) == 1
        trainees = select(func.count(User.id)).where(User.role == Role.TRAINEE)
        assert db.session.scalar(trainees) == 301
