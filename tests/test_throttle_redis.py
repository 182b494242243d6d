"""Login throttling on Redis: failures counted by one worker are seen by another.

Uses LMS_TEST_REDIS_URL (`.ci/run` sets it and starts Redis when it is not running); without
it, Redis on 127.0.0.1:6379 if one answers, else the test is skipped.
"""

import os
import uuid

import pytest
import redis

from lms import create_app
from lms.config import TestConfig
from lms.db import db
from tests.factories import make_user

URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def reachable() -> bool:
    try:
        return redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(
    not os.environ.get("LMS_TEST_REDIS_URL") and not reachable(), reason="no Redis to test on"
)
def test_two_workers_share_the_count_of_failed_logins(app):
    prefix = f"lms-test-{uuid.uuid4().hex}"
    config = {
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_STORAGE_URI": URL,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    workers = [create_app(config), create_app(config)]
    with workers[0].app_context():
        user = make_user()
        db.session.commit()

    def fail(worker):
        return worker.test_client().post(
            "/login",
            data={"phone": user.phone, "password": "wrong"},
            environ_base={"REMOTE_ADDR": "10.1.1.1"},
        )

    try:
        statuses = [fail(workers[i % 2]).status_code for i in range(6)]
        assert statuses == [401] * 5 + [429]
    finally:
        client = redis.Redis.from_url(URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
        for worker in workers:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
