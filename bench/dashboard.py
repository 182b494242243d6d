"""Time the programme dashboard on a generated programme, on SQLite and on PostgreSQL.

    .venv/bin/python bench/dashboard.py --trainees 20000 [--seed 1] [--runs 5] [--backend both]

For each database: a fresh schema (migrations), the shipped curricula, then
`flask synth`'s generator builds the programme (timed). The programme lead's dashboard, the trainee
list behind its headline number and one export are then fetched through the real app (test
client, no network) `--runs` times; the script prints min / median / max seconds and the number
of SQL statements per page. PostgreSQL runs in a scratch database `lms_bench` on
127.0.0.1:5432 (created and dropped here), never the test database.
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from lms import create_app  # noqa: E402
from lms.cli import analyze  # noqa: E402
from lms.config import ROOT  # noqa: E402
from lms.db import db  # noqa: E402
from lms.devdata import synth  # noqa: E402
from lms.models import Programme, User  # noqa: E402
from lms.services import curricula  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_bench"


def fresh_postgres() -> str:
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS lms_bench WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE lms_bench"))
    engine.dispose()
    return PG_BENCH


def drop_postgres() -> None:
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS lms_bench WITH (FORCE)"))
    engine.dispose()


def timed(client, url: str, runs: int, engine) -> tuple[list[float], int, int]:
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    times = []
    for _ in range(runs):
        statements.clear()
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return times, len(statements), len(response.data)


def bench(url: str, label: str, trainees: int, seed: int, runs: int) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench"}
    )
    with app.app_context():
        upgrade()
        curricula.import_tree(ROOT / "curricula")
        db.session.commit()
        start = time.perf_counter()
        synth.build_programme(trainees, seed)
        db.session.commit()
        analyze()  # as `flask synth` does after its bulk load
        built = time.perf_counter() - start
        programme = db.session.scalar(sa.select(Programme).order_by(Programme.id.desc()))
        lead = db.session.get(User, programme.lead_id)
        engine = db.engine
        pid, phone = programme.id, lead.phone
    client = app.test_client()
    client.post("/login", data={"phone": phone, "password": synth.PASSWORD})
    print(f"\n[{label}] built {trainees:,} trainees (seed {seed}) in {built:.1f} s")
    print(f"{'page':<58} {'min':>6} {'median':>6} {'max':>6}  queries  bytes")
    for name, page in [
        ("programme dashboard", f"/lead/programmes/{pid}/dashboard"),
        (
            "trainees behind 'verified sale in period'",
            f"/lead/programmes/{pid}/trainees?indicator=sold",
        ),
        ("export: equity table as XLSX", f"/lead/programmes/{pid}/dashboard/equity.xlsx"),
    ]:
        times, queries, size = timed(client, page, runs, engine)
        print(
            f"{name:<58} {min(times):>6.2f} {statistics.median(times):>6.2f} "
            f"{max(times):>6.2f}  {queries:>7}  {size:,}"
        )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{tmp}/bench.sqlite3", "SQLite", args.trainees, args.seed, args.runs)
    if args.backend in ("postgresql", "both"):
        try:
            bench(fresh_postgres(), "PostgreSQL", args.trainees, args.seed, args.runs)
        finally:
            drop_postgres()


if __name__ == "__main__":
    main()
