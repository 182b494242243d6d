"""The load run: 50 people at once against gunicorn on loopback, driven by locust (headless,
bounded), then the same with no pause between pages as a stress figure.

    .venv/bin/python -m bench load --database-url URL [--users 50] [--duration 60]
        [--workers 4] [--mentors 8] [--leads 2] [--no-stress] [--json PATH]

gunicorn serves the app on the bench database with --workers sync workers on 127.0.0.1 (a
free port). Default 4 on this 2-core machine: a sync worker waits while PostgreSQL answers, so
two per core keep both cores busy without queueing behind one slow dashboard; PostgreSQL and
the load generator share the same two cores, so the figures are conservative. locust
(bench/locustfile.py) spawns --users people, 10 a second: --leads sessions of the programme's
lead, --mentors mentors (the bench mentor with 200 trainees first, then the generated mentors
with the largest caseloads) and the rest distinct trainees, each logging in once (far under the
login throttle's 120 attempts a minute per address). They read for 1–3 s between pages for
--duration seconds; then the stress run repeats it with no pause. Reported per page kind and
over every page (logins apart): requests/s, p50/p95/p99/max and errors, against p95 ≤ 100 ms
with no errors.
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from lms.db import db
from lms.devdata import synth
from lms.models import Cohort, Enrollment, MentorAssignment, Role, User
from lms.models.curriculum import Course, Lesson, course_prerequisites

from .measure import machine, pad, write_json
from .server import Client, cpu_seconds, gunicorn, workers_of
from .target import (
    BENCH_MENTOR_PHONE,
    caseload_size,
    choose_subjects,
    database_name,
    make_app,
    shown_url,
    target,
)

FILE = re.compile(r'href="/mentor/trainees/(\d+)"')
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
P95_BUDGET_MS = 100
SPAWN_RATE = 10


def load_parser(database_options) -> argparse.ArgumentParser:
    summary = __doc__.splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m bench load", description=summary)
    database_options(parser)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--mentors", type=int, default=8, help="of the users, mentors")
    parser.add_argument("--leads", type=int, default=2, help="of the users, lead sessions")
    parser.add_argument("--no-stress", action="store_true", help="skip the run with no pause")
    return parser


def plan(subjects, args) -> dict:
    """Inside an app context: who logs in (distinct real people) and which pages exist."""
    pid = subjects.programme_id
    trainees = args.users - args.mentors - args.leads
    current = (
        select(Enrollment.trainee_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(User, User.id == Enrollment.trainee_id)
        .where(Cohort.programme_id == pid, Enrollment.left_on.is_(None), User.is_active.is_(True))
    )
    ids = sorted(set(db.session.scalars(current)))
    chosen = random.Random(1).sample(ids, min(trainees, len(ids)))
    phones = list(db.session.scalars(select(User.phone).where(User.id.in_(chosen))))
    mentors = [db.session.scalar(select(User).where(User.phone == BENCH_MENTOR_PHONE))]
    biggest = (
        select(MentorAssignment.mentor_id)
        .join(Enrollment, Enrollment.cohort_id == MentorAssignment.cohort_id)
        .where(
            MentorAssignment.programme_id == pid,
            MentorAssignment.ends_on.is_(None),
            Enrollment.left_on.is_(None),
        )
        .group_by(MentorAssignment.mentor_id)
        .order_by(func.count(Enrollment.id).desc(), MentorAssignment.mentor_id)
        .limit(args.mentors - 1)
    )
    mentors += [db.session.get(User, i) for i in db.session.scalars(biggest)]
    open_courses = select(Course.id).where(
        Course.archived_at.is_(None), Course.id.not_in(select(course_prerequisites.c.course_id))
    )
    lessons = db.session.scalars(
        select(Lesson.slug).where(Lesson.course_id.in_(open_courses), Lesson.archived_at.is_(None))
    ).all()
    courses = db.session.scalars(select(Course.slug).where(Course.archived_at.is_(None))).all()
    cohorts = db.session.scalars(select(Cohort.id).where(Cohort.programme_id == pid)).all()
    return {
        "password": synth.PASSWORD,
        "programme_id": pid,
        "cohort_ids": list(cohorts),
        "lead": {"phone": subjects.lead_phone},
        "lead_users": args.leads,
        "mentors": [
            {"phone": m.phone, "caseload": caseload_size(m)}
            for m in mentors
            if m is not None and m.role is Role.MENTOR
        ],
        "mentor_users": args.mentors,
        "trainees": [{"phone": p} for p in phones],
        "lessons": list(lessons),
        "courses": list(courses),
    }


def warm_up(base: str, people: dict, workers: int) -> tuple[int, float]:
    """Every kind of page from parallel sessions, a few per worker, before anything is timed:
    a worker's first requests import, compile templates and fill caches, as a server that has
    been up a while has done. (requests, seconds); nothing of it is counted."""
    password, pid = people["password"], people["programme_id"]
    lead = f"/lead/programmes/{pid}"
    pages = {
        "trainee": ["/learn/", "/learn/courses", "/learn/practice", "/learn/practice/new"]
        + [f"/learn/lessons/{people['lessons'][0]}", f"/learn/courses/{people['courses'][0]}"],
        "mentor": ["/mentor/"],
        "lead": [f"{lead}/dashboard", f"{lead}/trainees?indicator=sold", f"{lead}/needs"],
    }
    sessions = [("trainee", t["phone"]) for t in people["trainees"][: 2 * workers]]
    sessions += [("mentor", m["phone"]) for m in people["mentors"][:workers]]
    sessions += [("lead", people["lead"]["phone"])] * workers
    started = time.perf_counter()

    def visit(kind: str, phone: str) -> int:
        client = Client(base)
        client.login(phone, password)
        urls = list(pages[kind])
        for url in urls:
            status, body = client.get(url)
            if status != 200:
                raise SystemExit(f"warm-up: {url} answered {status}")
            if url == "/mentor/":  # and a few of the files it links to
                for trainee_id in sorted(set(FILE.findall(body.decode())))[:3]:
                    urls += [
                        f"/mentor/trainees/{trainee_id}",
                        f"/mentor/trainees/{trainee_id}/visits/new",
                    ]
        return len(urls)

    with ThreadPoolExecutor(len(sessions)) as pool:
        done = sum(pool.map(lambda s: visit(*s), sessions))
    return done, time.perf_counter() - started


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summarise(samples: list[list], errors: dict) -> dict:
    """Per page kind and over every page (logins apart): count, requests/s, percentiles in ms."""
    if not samples:
        raise SystemExit("locust recorded no request: see its log above")
    began = min(s[3] for s in samples)
    ended = max(s[3] + s[1] / 1000 for s in samples)
    seconds = max(ended - began, 1e-9)
    kinds: dict[str, list] = {}
    for name, ms, failed, _ in samples:
        kinds.setdefault(name, []).append((ms, failed))
    pages = [x for name, xs in kinds.items() if not name.startswith("auth:") for x in xs]
    # Once everyone has logged in: the 50 logins of the first seconds (an argon2 hash each)
    # take both cores for a while, which no real morning does all at once.
    logged_in = max((s[3] + s[1] / 1000 for s in samples if s[0] == "auth: login"), default=began)
    after = [
        (ms, failed)
        for name, ms, failed, at in samples
        if not name.startswith("auth:") and at >= logged_in
    ]

    def row(xs: list) -> dict:
        ordered = sorted(ms for ms, _ in xs)
        return {
            "requests": len(xs),
            "per_s": round(len(xs) / seconds, 1),
            "p50_ms": percentile(ordered, 50),
            "p95_ms": percentile(ordered, 95),
            "p99_ms": percentile(ordered, 99),
            "max_ms": ordered[-1],
            "errors": sum(failed for _, failed in xs),
        }

    return {
        "seconds": round(seconds, 1),
        "kinds": {name: row(xs) for name, xs in sorted(kinds.items())},
        "all_pages": row(pages),
        "after_logins": row(after) if after else None,
        "p95_ms_by_10_s": _by_slice(samples, began),
        "logins_done_after_s": round(logged_in - began, 1),
        "errors": errors,
    }


def _by_slice(samples: list[list], began: float, width: int = 10) -> list[int]:
    """p95 of every page (logins apart) started in each `width`-second slice of the run."""
    slices: dict[int, list] = {}
    for name, ms, _failed, at in samples:
        if not name.startswith("auth:"):
            slices.setdefault(int((at - began) // width), []).append(ms)
    return [percentile(sorted(slices.get(i, [0])), 95) for i in range(max(slices, default=-1) + 1)]


def run_locust(base: str, plan_: dict, *, think: bool, args, folder: Path, server) -> dict:
    label = "paced" if think else "stress"
    samples, log = folder / f"{label}-samples.json", folder / f"{label}-locust.log"
    plan_file = folder / f"{label}-plan.json"
    plan_file.write_text(json.dumps(plan_ | {"think": think, "samples": str(samples)}))
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless"]
    command += ["--users", str(args.users), "--spawn-rate", str(SPAWN_RATE)]
    command += ["--run-time", f"{args.duration}s", "--host", base, "--only-summary"]
    command += ["--loglevel", "WARNING", "--exit-code-on-error", "0"]
    env = {**os.environ, "BENCH_PLAN": str(plan_file)}
    print(f"locust: {args.users} users, {label}, {args.duration} s …", flush=True)
    workers, loaded = workers_of(server), os.getloadavg()[0]
    server_cpu = cpu_seconds(workers)
    locust_cpu = _children_cpu()
    with log.open("w") as out:
        finished = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    if finished.returncode != 0 or not samples.exists():
        print(log.read_text()[-3000:])
        raise SystemExit(f"locust failed ({finished.returncode})")
    recorded = json.loads(samples.read_text())
    summary = summarise(recorded["samples"], recorded["errors"])
    served = cpu_seconds(workers) - server_cpu
    summary["cpu"] = {  # where the two cores went: queueing shows as latency, not as CPU
        "gunicorn_workers_s": round(served, 1),
        "gunicorn_ms_per_request": round(
            1000 * served / sum(k["requests"] for k in summary["kinds"].values()), 1
        ),
        "locust_s": round(_children_cpu() - locust_cpu, 1),
        "load_average_before_after": [round(loaded, 2), round(os.getloadavg()[0], 2)],
    }
    return summary


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def print_load(label: str, summary: dict, budget: bool) -> None:
    print(f"\n{label}: {summary['seconds']} s")
    print(
        f"{'page kind':<34} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'errors':>6}"
    )
    rows = [*summary["kinds"].items(), ("all pages (logins apart)", summary["all_pages"])]
    if summary["after_logins"]:
        after = f"… once all logged in (+{summary['logins_done_after_s']} s)"
        rows.append((after, summary["after_logins"]))
    for name, r in rows:
        verdict = ""
        if budget and not name.startswith(("auth:", "lead:")):
            ok = r["p95_ms"] <= P95_BUDGET_MS and not r["errors"]
            verdict = "ok" if ok else "OVER"
        print(
            f"{pad(name, 34)} {r['requests']:>8} {r['per_s']:>6} {r['p50_ms']:>7.0f} "
            f"{r['p95_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['max_ms']:>7.0f} {r['errors']:>6} "
            f"{verdict}"
        )
    by_slice = " ".join(f"{ms:.0f}" for ms in summary["p95_ms_by_10_s"])
    print(f"p95 ms of every page by 10 s of the run: {by_slice}")
    cpu = summary["cpu"]
    print(
        f"CPU: gunicorn workers {cpu['gunicorn_workers_s']} s "
        f"({cpu['gunicorn_ms_per_request']} ms a request, logins included), "
        f"locust {cpu['locust_s']} s; "
        f"load average {cpu['load_average_before_after'][0]} → "
        f"{cpu['load_average_before_after'][1]}"
    )
    for error, count in list(summary["errors"].items())[:10]:
        print(f"  error ×{count}: {error}")
    if budget:
        print(f"budget: p95 ≤ {P95_BUDGET_MS} ms over every page, no errors")


def run_load(args) -> None:
    if not shutil.which("locust", path=str(Path(sys.executable).parent)):
        raise SystemExit("locust is not installed: .venv/bin/pip install -e '.[bench]'")
    if args.users < args.mentors + args.leads + 1 or args.mentors < 1 or args.leads < 1:
        raise SystemExit("--users must leave room for a trainee beside --mentors and --leads")
    with target(args) as (url, built), tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, tmp)
        with app.app_context():
            dialect = db.engine.dialect.name
            subjects = choose_subjects(args.programme)
            people = plan(subjects, args)
            db.engine.dispose()
        print(
            f"{shown_url(url)} ({dialect}): {subjects.programme}; gunicorn {args.workers} sync "
            f"workers on 127.0.0.1; {len(people['trainees'])} trainees, {args.mentors} mentors "
            f"(caseloads {', '.join(str(m['caseload']) for m in people['mentors'])}), "
            f"{args.leads} lead sessions; load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores"
        )
        report = {
            "database": database_name(url),
            "dialect": dialect,
            "url": shown_url(url),
            "taken_at": datetime.now().isoformat(timespec="seconds"),
            "machine": machine(),
            "build_s": built,
            "gunicorn_workers": args.workers,
            "users": args.users,
            "duration_s": args.duration,
            "subjects": subjects.as_dict(),
        }
        with gunicorn(url, args.workers) as (base, server):
            requests, seconds = warm_up(base, people, args.workers)
            print(
                f"warm-up: {requests} pages from parallel sessions in {seconds:.1f} s (not counted)"
            )
            folder = Path(tmp)
            report["paced"] = run_locust(
                base, people, think=True, args=args, folder=folder, server=server
            )
            print_load("paced (1–3 s between pages)", report["paced"], budget=True)
            if not args.no_stress:
                report["stress"] = run_locust(
                    base, people, think=False, args=args, folder=folder, server=server
                )
                print_load("stress (no pause)", report["stress"], budget=False)
        name = f"{database_name(url)}-{dialect}"
        print(f"\nJSON: {write_json(report, args.json, name, '-load')}")
