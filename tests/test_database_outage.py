"""The database goes away and comes back: pages answer a clean 503 in the user's language, never
a raw error, and recover by themselves.

Runs on a private PostgreSQL cluster this test creates, starts and stops (never the shared
server). initdb refuses to run as root, so the cluster belongs to the `postgres` user.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from glob import glob
from pathlib import Path

import pytest
from flask_migrate import upgrade

from lms import create_app
from lms.config import TestConfig
from lms.db import db
from lms.models import Role
from tests.conftest import PASSWORD
from tests.factories import make_user

BIN = sorted(glob("/usr/lib/postgresql/*/bin"))
pytestmark = pytest.mark.skipif(
    not BIN or shutil.which("runuser") is None or os.geteuid() != 0,
    reason="needs PostgreSQL's server binaries and root (to run them as postgres)",
)


def as_postgres(*args: str, check: bool = True) -> None:
    # No pipes: the server pg_ctl starts would inherit them and keep them open.
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *args],
        check=check,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_postgres():
    """A throwaway cluster: yields (url, stop, start)."""
    pg_ctl, initdb = Path(BIN[-1]) / "pg_ctl", Path(BIN[-1]) / "initdb"
    root = Path(tempfile.mkdtemp(prefix="lms-pg-"))
    shutil.chown(root, "postgres")
    data, log, port = root / "data", root / "server.log", free_port()
    as_postgres(str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start():
        as_postgres(str(pg_ctl), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")

    def stop():
        as_postgres(str(pg_ctl), "-D", str(data), "-m", "fast", "-w", "stop")

    start()
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop, start
    finally:
        as_postgres(str(pg_ctl), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_pages_answer_503_while_the_database_is_down_and_recover(private_postgres, tmp_path):
    url, stop, start = private_postgres
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(tmp_path),
        }
    )
    with app.app_context():
        upgrade()
        trainee = make_user(Role.TRAINEE, name="王秀兰")
        db.session.commit()
    client, english = app.test_client(), app.test_client()
    for each in (client, english):
        login = each.post("/login", data={"phone": trainee.phone, "password": PASSWORD})
        assert login.status_code == 302
    english.post("/locale", data={"locale": "en", "next": "/learn/"})
    assert client.get("/learn/").status_code == 200

    stop()
    for path in ("/learn/", "/learn/practice", "/healthz"):
        response = client.get(path)
        assert response.status_code == 503, path
        if path != "/healthz":
            page = response.get_data(as_text=True)
            assert "服务器暂时连不上数据库" in page and "王秀兰" not in page
    assert "cannot reach its database" in english.get("/learn/").get_data(as_text=True)

    start()
    assert client.get("/healthz").status_code == 200
    assert client.get("/learn/").status_code == 200
    with app.app_context():
        db.engine.dispose()
