"""Timing a request through the app in-process: the budget it answers to, the SQL statements it
ran (a before_cursor_execute listener on the engine), its size, and the table and JSON they
are reported in."""

import gzip
import json
import os
import platform
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

# DESIGN §6, seconds, at 100,000 trainees on PostgreSQL; SQLite gets twice as long.
BUDGETS = {
    "dashboard": 1.0,
    "list": 0.3,
    "export": 0.3,
    "needs": 0.3,
    "caseload": 0.1,
    "trainee": 0.1,
}
SQLITE_FACTOR = 2
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BROWSER = {"Accept-Encoding": "gzip"}  # as a phone or laptop asks: the time includes compressing
PASSWORD = re.compile(r"://([^:/@\s]+):[^@\s]+@")  # in a database URL: never in a results file
RESULTS = Path(__file__).resolve().parent / "results"


def budget(kind: str, dialect: str) -> float | None:
    seconds = BUDGETS.get(kind)
    if seconds is None:
        return None
    return seconds * (SQLITE_FACTOR if dialect == "sqlite" else 1)


class QueryCounter:
    """Counts the statements sent to the database through `engine` since the last reset()."""

    def __init__(self, engine: sa.Engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    def reset(self) -> None:
        self.count = 0


def csrf_token(page: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise AssertionError("no csrf_token on the page")
    return found[1]


def login(client, phone: str, password: str) -> None:
    """Log in through the login form (CSRF token included), as a browser does."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"phone": phone, "password": password, "csrf_token": token}
    )
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"login failed for {phone}: {response.status_code}")


@dataclass
class Result:
    """One page: the seconds of each timed run, statements per run, bytes of the last."""

    name: str
    kind: str
    url: str
    budget: float | None
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    wire_bytes: int = 0  # as sent (compressed when the response was)
    body_bytes: int = 0  # uncompressed
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def ok(self) -> bool | None:
        return None if self.budget is None else self.median <= self.budget

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "median_s": round(self.median, 4),
            "min_s": round(min(self.times), 4),
            "max_s": round(max(self.times), 4),
            "runs_s": [round(t, 4) for t in self.times],
            "budget_s": self.budget,
            "within_budget": self.ok,
            "queries": sorted(set(self.queries)),
            "wire_bytes": self.wire_bytes,
            "body_bytes": self.body_bytes,
            "note": self.note,
        }


def fetch(client, url: str, counter: QueryCounter):
    """GET `url` as a browser would; (seconds, statements, response)."""
    counter.reset()
    started = time.perf_counter()
    response = client.get(url, headers=BROWSER)
    seconds = time.perf_counter() - started
    return seconds, counter.count, response


def time_page(client, result: Result, runs: int, counter: QueryCounter) -> Result:
    """One warm-up, then `runs` timed GETs; each must answer 200."""
    for run in range(runs + 1):
        seconds, queries, response = fetch(client, result.url, counter)
        if response.status_code != 200:
            raise SystemExit(f"{result.name}: {result.url} answered {response.status_code}")
        if run:  # the first is the warm-up
            result.times.append(seconds)
            result.queries.append(queries)
    result.wire_bytes = len(response.data)
    compressed = response.headers.get("Content-Encoding") == "gzip"
    result.body_bytes = len(gzip.decompress(response.data)) if compressed else result.wire_bytes
    return result


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return text + " " * max(0, width - len(text) - wide)


def print_pages(results: list[Result]) -> None:
    print(
        f"\n{'page':<42} {'median':>9} {'min':>9} {'max':>9} {'budget':>8}     "
        f"{'queries':>7} {'body KB':>8} {'sent KB':>8}"
    )
    for r in results:
        verdict = {True: "ok", False: "OVER", None: ""}[r.ok]
        budget_text = f"≤{_seconds(r.budget)}" if r.budget else "—"
        queries = "–".join(str(q) for q in sorted({min(r.queries), max(r.queries)}))
        print(
            f"{pad(r.name, 42)} {_seconds(r.median):>9} {_seconds(min(r.times)):>9} "
            f"{_seconds(max(r.times)):>9} {budget_text:>8} {verdict:<4} {queries:>7} "
            f"{r.body_bytes / 1024:>8.1f} {r.wire_bytes / 1024:>8.1f}"
        )


def machine() -> dict:
    """What ran it, and how busy the machine was as it began (other work skews the figures)."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "command": PASSWORD.sub(r"://\1:***@", " ".join(["python -m bench", *sys.argv[1:]])),
    }


def write_json(report: dict, path: str | None, name: str, suffix: str = "") -> Path:
    target = Path(path) if path else RESULTS / f"{name}-{date.today().isoformat()}{suffix}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    return target
