"""The pages of DESIGN §6, fetched through the app in-process by the user who opens them: the
lead's dashboards, lists, export and 需要跟进, the mentors' caseloads, the trainee's home and
a lesson."""

from urllib.parse import urlencode

from flask import Flask

from lms.db import db
from lms.devdata import synth

from .measure import QueryCounter, Result, budget, login, time_page
from .target import Subjects


def pages(s: Subjects, exports: list[str], dialect: str) -> list[tuple[str, Result]]:
    """(who opens it, the page) for every page measured."""
    lead = f"/lead/programmes/{s.programme_id}"

    def page(who: str, name: str, kind: str, url: str, note: str = "") -> tuple[str, Result]:
        return who, Result(name, kind, url, budget(kind, dialect), note=note)

    listed = [
        page(
            "lead",
            "programme dashboard",
            "dashboard",
            f"{lead}/dashboard",
            f"{s.trainees:,} trainees",
        ),
        page(
            "lead",
            "cohort dashboard",
            "dashboard",
            f"{lead}/dashboard?cohort={s.cohort_id}",
            f"{s.cohort_size} trainees",
        ),
        page(
            "lead",
            "village dashboard",
            "dashboard",
            f"{lead}/dashboard?{urlencode({'village': s.village})}",
            f"{s.village}, {s.village_size:,} trainees",
        ),
        page("lead", "list: verified sale in period", "list", f"{lead}/trainees?indicator=sold"),
        page("lead", "list: rung 3 now", "list", f"{lead}/trainees?indicator=rung&arg=3"),
    ]
    listed += [
        page("lead", f"export: {key} table as XLSX", "export", f"{lead}/dashboard/{key}.xlsx")
        for key in exports
    ]
    listed += [
        page("lead", "需要跟进 needs follow-up", "needs", f"{lead}/needs"),
        page(
            "mentor",
            f"mentor caseload ({s.mentor_caseload})",
            "caseload",
            "/mentor/",
            "the bench mentor",
        ),
        page(
            "synth_mentor",
            f"mentor caseload ({s.synth_mentor_caseload})",
            "caseload",
            "/mentor/",
            "the largest generated caseload",
        ),
        page("trainee", "trainee home /learn/", "trainee", "/learn/"),
        page("trainee", "lesson page", "trainee", f"/learn/lessons/{s.lesson_slug}", s.lesson_slug),
    ]
    return listed


def measure_pages(app: Flask, s: Subjects, runs: int, exports: list[str]) -> list[Result]:
    """Each page: one warm-up, then `runs` timed fetches, as its user (logged in once)."""
    with app.app_context():
        counter = QueryCounter(db.engine)
        dialect = db.engine.dialect.name
    phones = {
        "lead": s.lead_phone,
        "mentor": s.mentor_phone,
        "synth_mentor": s.synth_mentor_phone,
        "trainee": s.trainee_phone,
    }
    clients = {}
    for who, phone in phones.items():
        clients[who] = app.test_client()
        login(clients[who], phone, synth.PASSWORD)
    results = []
    for who, result in pages(s, exports, dialect):
        print(f"  {result.name} …", end="", flush=True)
        time_page(clients[who], result, runs, counter)
        print(f" {result.median:.3f} s")
        results.append(result)
    return results
