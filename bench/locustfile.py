"""The people of the load run (bench/load.py starts gunicorn and runs this headless): trainees,
mentors (one of them the bench mentor with 200 trainees) and the programme lead, each logged in
once through the form as a distinct generated person (the lead's sessions share the programme's
one lead), reading pages as they would and pausing 1–3 s between them, or not at all in the
stress run. Read-only: nobody saves anything, so the database stays as generated. Every request
is recorded, and written for bench/load.py when locust quits.

The plan (who logs in, which pages exist) comes from the JSON file named by BENCH_PLAN.
"""

import itertools
import json
import os
import random
import re
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, constant, events, task

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FILE = re.compile(r'href="/mentor/trainees/(\d+)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LISTS = [("sold", None), ("visited", None), ("not_visited", None), ("climbed", None)]
LISTS += [("rung", level) for level in range(7)] + [("completed_any", None)]
SAMPLES: list[list] = []
ERRORS: dict[str, int] = {}
PEOPLE = {
    "trainee": itertools.cycle(PLAN["trainees"]),
    "mentor": itertools.cycle(PLAN["mentors"]),
    "lead": itertools.cycle([PLAN["lead"]]),
}


@events.request.add_listener
def _record(name, response_time, exception, start_time, response_length, **_kw) -> None:
    SAMPLES.append([name, round(response_time, 2), exception is not None, start_time])
    if exception is not None:
        key = f"{name}: {exception}"[:200]
        ERRORS[key] = ERRORS.get(key, 0) + 1


@events.quitting.add_listener
def _write(**_kw) -> None:
    Path(PLAN["samples"]).write_text(json.dumps({"samples": SAMPLES, "errors": ERRORS}))


class Person(FastHttpUser):
    abstract = True
    wait_time = between(1, 3) if PLAN["think"] else constant(0)
    kind = ""

    def on_start(self) -> None:
        self.rng = random.Random()
        self.person = next(PEOPLE[self.kind])
        page = self.page("/login", "auth: login page")
        token = CSRF.search(page.text or "")
        body = {"phone": self.person["phone"], "password": PLAN["password"]}
        body["csrf_token"] = token[1] if token else ""
        with self.client.post(
            "/login",
            data=urlencode(body),
            headers=FORM,
            name="auth: login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            where = (response.headers or {}).get("Location", "")
            if response.status_code != 302 or "/login" in where:
                response.failure(f"login refused ({response.status_code})")

    def page(self, url: str, name: str):
        """GET a page as a browser would; anything but 200 (a redirect to the login page
        included) is an error."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            return r


class Trainee(Person):
    kind = "trainee"
    weight = 1  # every user that is not a mentor or the lead

    @task(3)
    def home(self):
        self.page("/learn/", "trainee: home")

    @task(4)
    def lesson(self):
        self.page(f"/learn/lessons/{self.rng.choice(PLAN['lessons'])}", "trainee: lesson")

    @task(1)
    def courses(self):
        self.page("/learn/courses", "trainee: courses")

    @task(1)
    def course(self):
        self.page(f"/learn/courses/{self.rng.choice(PLAN['courses'])}", "trainee: course")

    @task(1)
    def records(self):
        self.page("/learn/practice", "trainee: practice records")

    @task(1)
    def sale_form(self):
        self.page("/learn/practice/new", "trainee: practice form")


class Mentor(Person):
    kind = "mentor"
    fixed_count = PLAN["mentor_users"]

    def on_start(self) -> None:
        super().on_start()
        self.files: list[str] = []
        self.caseload()

    @task(2)
    def caseload(self):
        size = self.person["caseload"]
        name = "mentor: caseload (200)" if size >= 200 else "mentor: caseload (~50)"
        page = self.page("/mentor/", name)
        self.files = sorted(set(FILE.findall(page.text or ""))) or self.files

    @task(4)
    def trainee_file(self):
        if self.files:
            self.page(f"/mentor/trainees/{self.rng.choice(self.files)}", "mentor: trainee file")

    @task(1)
    def visit_form(self):
        if self.files:
            url = f"/mentor/trainees/{self.rng.choice(self.files)}/visits/new"
            self.page(url, "mentor: visit form")


class Lead(Person):
    kind = "lead"
    fixed_count = PLAN["lead_users"]

    @property
    def base(self) -> str:
        return f"/lead/programmes/{PLAN['programme_id']}"

    @task(1)
    def dashboard(self):
        self.page(f"{self.base}/dashboard", "lead: programme dashboard")

    @task(1)
    def cohort_dashboard(self):
        cohort = self.rng.choice(PLAN["cohort_ids"])
        self.page(f"{self.base}/dashboard?cohort={cohort}", "lead: cohort dashboard")

    @task(4)
    def listing(self):
        indicator, arg = self.rng.choice(LISTS)
        query = {"indicator": indicator} | ({"arg": arg} if arg is not None else {})
        self.page(f"{self.base}/trainees?{urlencode(query)}", "lead: list behind a number")

    @task(2)
    def needs(self):
        self.page(f"{self.base}/needs", "lead: 需要跟进")
