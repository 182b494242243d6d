"""Trainee and mentor pages under load: p95 at 50 concurrent users, gunicorn on PostgreSQL.

    .venv/bin/python bench/load.py [--users 50] [--requests 40] [--think 0] [--workers 4]

Builds a scratch PostgreSQL database `lms_load` (migrations, shipped curricula, the demo and a
generated programme of --trainees), starts gunicorn on 127.0.0.1:8765 with --workers sync
workers, logs in --users people (trainees and mentors, about 4 to 1) and lets each fetch
--requests pages of their role in a loop, all at once, pausing --think seconds on average
between pages as a person reading would (0: back to back, a stress test). Prints p50 / p95 /
max per page and overall, then stops gunicorn and drops the database. The load generator runs
on the same two cores as the server, so the figures are conservative. Traffic stays on
127.0.0.1.
"""

import argparse
import http.cookiejar
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from lms import create_app  # noqa: E402
from lms.cli import analyze  # noqa: E402
from lms.config import ROOT  # noqa: E402
from lms.db import db  # noqa: E402
from lms.devdata import demo, synth  # noqa: E402
from lms.models import Course, Lesson, Role, User  # noqa: E402
from lms.services import curricula  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_load"
BASE = "http://127.0.0.1:8765"


def database(action: str) -> None:
    engine = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS lms_load WITH (FORCE)"))
        if action == "create":
            conn.execute(sa.text("CREATE DATABASE lms_load"))
    engine.dispose()


def prepare(trainees: int, users: int) -> tuple[list[str], list[str], list[str]]:
    """Build the data; return trainee phones, mentor phones and lesson slugs to read."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "SECRET_KEY": "load-test"})
    with app.app_context():
        upgrade()
        curricula.import_tree(ROOT / "curricula")
        demo.create_demo()
        synth.build_programme(trainees, 1)
        db.session.commit()
        analyze()
        mentors = list(
            db.session.scalars(
                sa.select(User.phone)
                .where(User.role == Role.MENTOR, User.phone.like(f"{synth.phone_prefix(1)}%"))
                .order_by(User.id)
                .limit(max(1, users // 5))
            )
        )
        learners = list(
            db.session.scalars(
                sa.select(User.phone)
                .where(User.role == Role.TRAINEE, User.phone.like(f"{synth.phone_prefix(1)}%"))
                .order_by(User.id)
                .limit(users - len(mentors))
            )
        )
        lessons = list(
            db.session.scalars(
                sa.select(Lesson.slug)
                .join(Course)
                .where(Course.slug.in_(["phone-basics", "wechat-basics"]))
            )
        )
        db.engine.dispose()
    return learners, mentors, lessons


class Client:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(BASE + path, timeout=30) as response:
            return response.status, response.read().decode()

    def login(self, phone: str) -> None:
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        data = urllib.parse.urlencode(
            {"phone": phone, "password": synth.PASSWORD, "csrf_token": token}
        ).encode()
        with self.opener.open(BASE + "/login", data=data, timeout=30) as response:
            assert "/login" not in response.url, f"login failed for {phone}"


def run_user(
    phone: str,
    pages: list[str],
    requests: int,
    results,
    start: threading.Event,
    think: float,
    rng: random.Random,
):
    client = Client()
    client.login(phone)
    start.wait()
    for i in range(requests):
        if think:  # a person reads the page before tapping again
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))
        page = pages[i % len(pages)]
        began = time.perf_counter()
        status, _ = client.get(page)
        results[page.split("?")[0].rstrip("/").rsplit("/", 1)[0] or page].append(
            time.perf_counter() - began
        )
        assert status == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a person reads before the next tap (0: no pause)",
    )
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    database("create")
    server = None
    try:
        learners, mentors, lessons = prepare(args.trainees, args.users)
        env = {**os.environ, "LMS_DATABASE_URL": URL, "LMS_SECRET_KEY": "load-test"}
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                str(args.workers),
                "--bind",
                "127.0.0.1:8765",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(BASE + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        trainee_pages = [
            "/learn/",
            "/learn/courses",
            "/learn/courses/phone-basics",
            *[f"/learn/lessons/{slug}" for slug in lessons[:4]],
            "/learn/practice",
            "/learn/practice/new",
        ]
        mentor_pages = ["/mentor/"]
        results: dict[str, list[float]] = defaultdict(list)
        start = threading.Event()
        people = [(p, trainee_pages) for p in learners] + [(p, mentor_pages) for p in mentors]
        threads = [
            threading.Thread(
                target=run_user,
                args=(phone, pages, args.requests, results, start, args.think, random.Random(i)),
            )
            for i, (phone, pages) in enumerate(people)
        ]
        for t in threads:
            t.start()
        time.sleep(1)
        began = time.perf_counter()
        start.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        everything = [x for xs in results.values() for x in xs]
        if len(everything) != len(people) * args.requests:
            raise SystemExit(
                f"only {len(everything)} of {len(people) * args.requests} requests "
                "succeeded: see the errors above"
            )
        print(
            f"\n{len(learners)} trainees + {len(mentors)} mentors at once, "
            f"{len(everything)} requests in {elapsed:.1f} s "
            f"({len(everything) / elapsed:.0f} req/s), gunicorn --workers {args.workers}"
        )
        print(f"{'page':<32} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
        for page, xs in sorted(results.items()) + [("all", everything)]:
            xs = sorted(xs)
            p95 = xs[max(0, int(len(xs) * 0.95) - 1)]
            print(
                f"{page:<32} {len(xs):>6} {statistics.median(xs) * 1000:>7.0f} "
                f"{p95 * 1000:>7.0f} {xs[-1] * 1000:>7.0f}"
            )
    finally:
        if server:
            server.terminate()
            server.wait()
        database("drop")


if __name__ == "__main__":
    main()
