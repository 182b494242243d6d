"""A 5,000-row roster import through the lead's pages (upload → preview → confirm), timed to
done, in a scratch database of the same kind as the one measured, so a generated programme
stays as it was generated and the import can be run again and again.

When the confirm (or the upload) answers with a redirect to a page that refreshes itself (a
background job's progress page), that page is polled until it stops refreshing, and the time
runs until then.
"""

import importlib.util
import io
import random
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from lms.clock import local_today
from lms.db import db
from lms.devdata import synth
from lms.models import Cohort, Programme, Role, User
from lms.services.accounts import hash_password

from .measure import QueryCounter, csrf_token, login
from .target import make_app, migrate_and_load_curricula, scratch_database

HEADER = ["姓名", "手机号", "性别", "出生年份", "村", "农户类别", "基线级别", "基线月网店收入"]
HEADER += ["主要产品", "培训班"]
CATEGORIES = ["普通农户", "普通农户", "普通农户", "脱贫户", "监测户", "示范户"]
PRODUCTS = ["茶叶", "土鸡蛋", "蜂蜜", "笋干", "猕猴桃", "香菇", "腊肉", "红薯粉"]
VILLAGES = [f"基准{i}村" for i in range(1, 11)]
COHORTS = [f"基准导入第{i}期" for i in range(1, 6)]
LEAD_PHONE = "16690000001"
PHONE_BLOCK = "1668"  # + 7 digits: the imported trainees
REFRESH = re.compile(r"http-equiv=[\"']?refresh", re.I)
POLL_SECONDS = 0.5
JOB_TIMEOUT = 1800


def roster_xlsx(rows: int, seed: int = 1) -> bytes:
    """A roster as programmes keep it: the ten known columns, every row a new adult trainee."""
    rng = random.Random(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(HEADER)
    for i in range(rows):
        gender = rng.choice(["female", "male"])
        sheet.append(
            [
                synth.person_name(rng, gender),
                f"{PHONE_BLOCK}{i:07d}",
                "女" if gender == "female" else "男",
                rng.randint(1962, 2004),
                VILLAGES[i % len(VILLAGES)],
                rng.choice(CATEGORIES),
                rng.choice([0, 0, 1, 2]),
                rng.choice([0, 0, 0, 200, 800]),
                "、".join(rng.sample(PRODUCTS, 2)),
                COHORTS[i % len(COHORTS)],
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _programme() -> int:
    """A lead, a programme of ten villages and five open cohorts; the programme's id."""
    password = hash_password(synth.PASSWORD)
    lead = User(phone=LEAD_PHONE, name="基准负责人", role=Role.LEAD, password_hash=password)
    db.session.add(lead)
    db.session.flush()
    programme = Programme(name="基准测试：花名册导入", lead_id=lead.id, villages=VILLAGES)
    db.session.add(programme)
    db.session.flush()
    starts = local_today() - timedelta(days=7)
    for name, village in zip(COHORTS, VILLAGES, strict=False):
        cohort = Cohort(programme_id=programme.id, name=name, village=village, starts_on=starts)
        db.session.add(cohort)
    db.session.commit()
    return programme.id


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    if not found:
        raise SystemExit(f"roster import: no {name} on the page")
    return found[1]


@dataclass
class Settled:
    response: object
    queries: int = 0  # statements of the requests after the first
    polls: int = 0  # fetches of a page that refreshes itself
    unavailable: int = 0  # polls answered 503 (tried again, as a person would reload)


def _settle(client, response, counter: QueryCounter) -> Settled:
    """Follow redirects, and poll a page that refreshes itself until it stops."""
    settled, location = Settled(response), None
    deadline = time.perf_counter() + JOB_TIMEOUT
    while True:
        response = settled.response
        if response.status_code in (301, 302, 303):
            location = response.headers["Location"]
        elif response.status_code == 200 and REFRESH.search(response.get_data(as_text=True)):
            settled.polls += 1
            time.sleep(POLL_SECONDS)
            location = response.request.url  # the same page again
        elif response.status_code == 503 and settled.polls:
            settled.unavailable += 1
            time.sleep(POLL_SECONDS)
        else:
            return settled
        if time.perf_counter() > deadline:
            raise SystemExit(f"roster import: not done after {JOB_TIMEOUT} s")
        counter.reset()
        settled.response = client.get(location)
        settled.queries += counter.count


def _run(url: str, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as uploads:
        app = make_app(url, uploads)
        app.config["JOB_QUEUE_URL"] = None  # a job runs in a thread of this process: no worker
        migrate_and_load_curricula(app)
        with app.app_context():
            pid = _programme()
            counter = QueryCounter(db.engine)
        data = roster_xlsx(rows)
        client = app.test_client()
        login(client, LEAD_PHONE, synth.PASSWORD)
        base = f"/lead/programmes/{pid}/roster"
        token = csrf_token(client.get(base).get_data(as_text=True))
        began = time.perf_counter()
        counter.reset()
        response = client.post(
            base,
            data={"csrf_token": token, "file": (io.BytesIO(data), "花名册.xlsx")},
            content_type="multipart/form-data",
        )
        upload_queries = counter.count
        first = _settle(client, response, counter)
        preview = first.response
        page = preview.get_data(as_text=True)
        if preview.status_code != 200 or "roster/import" not in page:
            raise SystemExit(f"roster preview failed ({preview.status_code})")
        previewed = time.perf_counter()
        counter.reset()
        response = client.post(
            f"{base}/import",
            data={
                "csrf_token": csrf_token(page),
                "token": _hidden(page, "token"),
                "digest": _hidden(page, "digest"),
                "consent": "y",
            },
        )
        confirm_queries = counter.count
        second = _settle(client, response, counter)
        done = second.response
        finished = time.perf_counter()
        if done.status_code != 200:
            raise SystemExit(f"roster import failed ({done.status_code})")
        with app.app_context():
            imported = db.session.scalar(
                select(func.count(User.id)).where(User.phone.startswith(PHONE_BLOCK))
            )
            db.session.remove()
            db.engine.dispose()
    if imported != rows:
        raise SystemExit(f"roster import: {imported} of {rows} trainees are in the database")
    return {
        "rows": rows,
        "file_bytes": len(data),
        "mode": f"background job (its page polled every {POLL_SECONDS} s)"
        if first.polls or second.polls
        else "synchronous (inside the confirm request)",
        "polls": first.polls + second.polls,
        "polls_unavailable_503": first.unavailable + second.unavailable,
        "upload_and_preview_s": round(previewed - began, 2),
        "confirm_to_done_s": round(finished - previewed, 2),
        "total_s": round(finished - began, 2),
        "queries": {
            "upload": upload_queries + first.queries,
            "confirm": confirm_queries + second.queries,
        },
        "imported": imported,
        "jobs_module": importlib.util.find_spec("lms.jobs") is not None,
    }


def measure_import(target_url: str, rows: int) -> dict:
    """Import `rows` new trainees in a scratch database beside the one measured (a PostgreSQL
    database bench_import on the same server, or a SQLite file in a temp folder)."""
    parsed = make_url(target_url)
    backend = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql"
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    with scratch_database(backend, "bench_import", server=server) as url:
        return _run(url, rows)


def print_import(result: dict) -> None:
    print(
        f"\nroster import of {result['rows']:,} rows ({result['file_bytes'] / 1024:.0f} KB XLSX), "
        f"{result['mode']}: upload + preview {result['upload_and_preview_s']:.1f} s, "
        f"confirm → done {result['confirm_to_done_s']:.1f} s, total {result['total_s']:.1f} s "
        f"(statements: upload {result['queries']['upload']}, "
        f"confirm {result['queries']['confirm']})"
    )
    if result.get("polls_unavailable_503"):
        print(
            f"  {result['polls_unavailable_503']} of "
            f"{result['polls'] + result['polls_unavailable_503']} polls of the job's page "
            "answered 503 (database unavailable) while the job ran"
        )
