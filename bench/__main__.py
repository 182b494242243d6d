"""Server budgets (DESIGN §6) measured through the real app on a generated programme.

    .venv/bin/python -m bench --database-url URL [--runs 5] [--skip import memory] [--json PATH]
    .venv/bin/python -m bench --build 2000 [--backend sqlite|postgresql] [--keep]
    .venv/bin/python -m bench load --database-url URL [--users 50] [--duration 60] [--workers 4]

The database (--database-url, or LMS_DATABASE_URL) holds a programme built by
`flask --app wsgi synth --trainees N --seed S`; with --build N the bench builds one itself in a
scratch database (PostgreSQL `bench_scratch` on --pg-server, or a SQLite file in a temp folder),
dropped afterwards unless --keep. The generated programme with the most trainees is measured
(--programme ID for another). The only writes to that database: a bench mentor (16690000200)
and, the first time, 200 direct assignments to current trainees for the caseload of 200.

`python -m bench` fetches each page in-process (Flask test client, CSRF on, gzip asked for as a
browser does) as the user who opens it: one warm-up, then --runs timed fetches; it prints the
median, min and max, the budget, the SQL statements per request (a before_cursor_execute
listener) and the size. Pages: the programme, cohort (the largest) and village (the largest)
dashboards, the lists behind "verified sale in period" and "rung 3 now", one table as XLSX
(--export, default equity, the one that reads every fact), 需要跟进, the bench mentor's caseload
of 200 and the largest generated one, the trainee home and a lesson. Then:

- memory: one gunicorn sync worker on 127.0.0.1; its RSS after logging in and after 1, 3 and 10
  programme dashboards (--memory-renders);
- import: a 5,000-row XLSX roster (--rows) through upload → preview → confirm, timed to done, in
  a scratch database of the same kind (PostgreSQL `bench_import` on the same server, or SQLite),
  so the generated programme stays as generated. A redirect to a self-refreshing page (a
  background job's progress page) is polled until it stops refreshing.

The table goes to stdout and everything to JSON (--json; by default
bench/results/<db>-<dialect>-<date>.json, not committed). Budgets, for PostgreSQL at 100,000
trainees (SQLite: twice as long): dashboards ≤ 1 s; a list, an export and 需要跟进 ≤ 300 ms; a
caseload of 200 and trainee pages ≤ 100 ms; a worker's memory flat across dashboards.

`python -m bench load` drives gunicorn (--workers sync workers, default 4, on 127.0.0.1) with
locust, headless and bounded (bench/load.py, bench/locustfile.py); install it with
`.venv/bin/pip install -e '.[bench]'` (or `make bench-install`). None of this runs in `make test`.
"""

import argparse
import os
import sys
import tempfile
from datetime import datetime

from lms.db import db
from lms.devdata import synth
from lms.reporting.tables import BUILDERS

from .measure import machine, print_pages, write_json
from .pages import measure_pages
from .roster import measure_import, print_import
from .server import measure_memory, print_memory
from .target import PG_SERVER, choose_subjects, database_name, make_app, shown_url, target


def database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="default: LMS_DATABASE_URL")
    parser.add_argument("--build", type=int, metavar="N", help="build N trainees in a scratch db")
    parser.add_argument("--seed", type=int, default=1, help="with --build (default 1)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--pg-server", default=PG_SERVER, help="where --build's database goes")
    parser.add_argument("--keep", action="store_true", help="keep --build's database")
    parser.add_argument("--programme", type=int, help="default: the largest generated one")
    parser.add_argument("--json", help="default: bench/results/<db>-<dialect>-<date>[-load].json")


def pages_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    database_options(parser)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page (default 5)")
    parser.add_argument("--export", default="equity", help="dashboard tables to export, a,b,…")
    parser.add_argument("--rows", type=int, default=5000, help="roster rows to import")
    parser.add_argument("--memory-renders", default="1,3,10", help="dashboards before each RSS")
    parser.add_argument("--skip", nargs="*", default=[], choices=["pages", "memory", "import"])
    return parser


def run_pages(args) -> None:
    exports = [key for key in args.export.split(",") if key]
    if unknown := [key for key in exports if key not in BUILDERS]:
        raise SystemExit(f"no table {unknown}: choose from {', '.join(BUILDERS)}")
    with target(args) as (url, built), tempfile.TemporaryDirectory() as uploads:
        app = make_app(url, uploads)
        with app.app_context():
            dialect = db.engine.dialect.name
            subjects = choose_subjects(args.programme)
        name = database_name(url)
        print(
            f"{shown_url(url)} ({dialect}): {subjects.programme}, {subjects.trainees:,} current "
            f"trainees; {args.runs} runs per page after one warm-up; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        report = {
            "database": name,
            "dialect": dialect,
            "url": shown_url(url),
            "taken_at": datetime.now().isoformat(timespec="seconds"),
            "machine": machine(),
            "build_s": built,
            "subjects": subjects.as_dict(),
            "runs": args.runs,
        }
        if "pages" not in args.skip:
            results = measure_pages(app, subjects, args.runs, exports)
            report["pages"] = [r.as_dict() for r in results]
            print_pages(results)
        if "memory" not in args.skip:
            counts = [int(n) for n in args.memory_renders.split(",")]
            path = f"/lead/programmes/{subjects.programme_id}/dashboard"
            lead = subjects.lead_phone
            report["memory"] = measure_memory(url, lead, synth.PASSWORD, path, counts)
            print_memory(report["memory"])
        if "import" not in args.skip:
            report["import"] = measure_import(url, args.rows)
            print_import(report["import"])
        with app.app_context():
            db.engine.dispose()
        print(f"\nJSON: {write_json(report, args.json, f'{name}-{dialect}')}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["load"]:
        from .load import load_parser, run_load  # locust is an optional extra

        run_load(load_parser(database_options).parse_args(argv[1:]))
    else:
        run_pages(pages_parser().parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
