"""Production's queue: RQ on Redis. Web workers on any host queue jobs; `flask --app wsgi worker`
(on any host, as many as wanted) runs them. Redis carries only a job's id: what the job is,
its arguments, state and result are in the database, so nothing is lost with Redis's memory
but the queue itself (a job never taken is given up by the tick, lms.jobs.tick)."""

import os
from datetime import timedelta

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, Worker

from lms.db import db
from lms.jobs.runner import run

JOB_TIMEOUT = timedelta(minutes=30)  # RQ stops a job that runs longer (the page says so)
KEEP_FAILED = timedelta(days=7)  # RQ's own record of a job it could not run at all

_own_app: Flask | None = None  # a worker started as `rq worker`, outside flask's CLI
_worker_pid: int | None = None


def connection(app: Flask) -> redis.Redis:
    """One client (and connection pool) per app and process."""
    client = app.extensions.get("lms.jobs.redis")
    if client is None:
        client = redis.Redis.from_url(app.config["JOB_QUEUE_URL"], socket_connect_timeout=5)
        app.extensions["lms.jobs.redis"] = client
    return client


def queue(app: Flask) -> Queue:
    return Queue(app.config["JOB_QUEUE_NAME"], connection=connection(app))


def put(app: Flask, job_id: int) -> None:
    queue(app).enqueue_call(
        run_queued,
        args=(job_id,),
        timeout=int(JOB_TIMEOUT.total_seconds()),
        result_ttl=0,  # the result is in the jobs table
        failure_ttl=int(KEEP_FAILED.total_seconds()),
        description=f"lms job {job_id}",
    )


def run_queued(job_id: int) -> None:
    """What RQ calls: run the job in a fresh app context of the worker's app."""
    app = current_app._get_current_object() if has_app_context() else _app()
    with app.app_context():
        if _worker_pid is not None and os.getpid() != _worker_pid:
            # A forked work horse: never share the parent's pooled database connections.
            db.engine.dispose(close=False)
        run(job_id)


def _app() -> Flask:
    global _own_app
    if _own_app is None:
        from lms import create_app

        _own_app = create_app()
    return _own_app


def work(*, burst: bool = False, worker_class: type[Worker] = Worker) -> bool:
    """Run an RQ worker on the app's queue (in its app context): for ever, or with `burst`
    until the queue is empty. The default worker forks a process per job, so a job's memory
    goes back when it ends."""
    global _worker_pid
    _worker_pid = os.getpid()
    app = current_app._get_current_object()
    worker = worker_class([queue(app)], connection=connection(app))
    return worker.work(burst=burst, with_scheduler=False)
