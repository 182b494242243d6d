"""Every form and query-string handler, driven with hostile values by hypothesis.

For each route and method, as a user allowed there: the fields a page's form offers (or the ones
a POST-only handler reads), and the query parameters handlers read, are filled with values an
attacker would try — NUL and control characters, NaN, huge and negative numbers, other scripts'
digits, impossible dates, markup, formulas, very long text, random text — and a hostile file
where a form takes one. After every request: no 5xx; a refusal (4xx) stored nothing; an HTML
refusal answers in the user's language.

Bounded for CI (a few examples per route, derandomized by the "ci" profile); the number of
requests made is written to test-artifacts/hostile-inputs.txt.
"""

import io
import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, func, select

from lms.clock import local_today
from lms.db import db
from lms.extensions import limiter
from lms.inputs import CONTROL
from lms.models import Course, FollowUpVisit, Job, JobState, Lesson, MentorAssignment, Role
from tests.conftest import PASSWORD
from tests.factories import (
    assign,
    enroll,
    make_cohort,
    make_programme,
    make_record,
    make_user,
    sale_form,
)

TODAY = local_today()
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "NaN",
    "-NaN",
    "Infinity",
    "-1",
    "0",
    "1e999999",
    "9" * 30,
    str(2**31),
    str(2**63),
    "²",
    "١٢٣",
    "１２３",
    "1,5",
    "1.005",
    "-0",
    "0x10",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "'; DROP TABLE users;--",
    "../../etc/passwd",
    '=HYPERLINK("http://x","y")',
    "\u202e",
    "a" * 5000,
    "on",
    "true",
    "[]",
    "{}",
    "%00",
    "13800000000",
    "+86 139 0000 0001",
]
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
QUERY = [
    "page",
    "start",
    "end",
    "preset",
    "cohort",
    "village",
    "indicator",
    "arg",
    "action",
    "role",
    "task",
    "next",
    "category",
    "gender",
    "age",
]
# Fields POST-only handlers read (pages with a form are read for their own fields).
POST_FIELDS = {
    "mentor.verify": ["version", "back"],
    "learn.practice_delete": ["version"],
    "lead.end_assignment": ["back"],
    "lead.roster_import": ["token", "digest", "consent", "confirm"],
    "lead.roster_cancel": ["token"],
    "admin.set_active": ["active"],
    "auth.set_locale": ["locale", "next"],
    "api.sync": ["entries"],
}
# What a person fills in where the page starts empty, so a hostile value in any other field
# reaches the code that stores it; names and phones are made unique per request.
VALID = {
    "admin.new_user": {"name": lambda n: f"新人{n}", "phone": lambda n: f"137{n:08d}"},
    "auth.change_password": {"current": PASSWORD},
    "auth.login": {"phone": lambda n: f"137{n:08d}", "password": PASSWORD},
    "lead.new_cohort": {"name": lambda n: f"第{n}期", "starts_on": TODAY.isoformat()},
    "lead.new_programme": {"name": lambda n: f"项目{n}"},
    "learn.practice_new": {"product": "土鸡蛋", "link": "https://weidian.com/item.html?id=1"},
    "learn.practice_edit": {"minutes": "60", "viewers": "35", "orders": "2"},
    "mentor.new_visit": {"another": "1"},  # the world has a visit today already
    "mentor.reject": {"reason": "照片看不清"},
    "mentor.verify": {"version": "1"},
}
# Pages whose form depends on their query: the practice form is its kind's (a listing's link,
# a livestream's counts), so every kind-specific field is swept on one of the two.
PAGE_ARGS = {
    "learn.practice_new": {"kind": "product_listing"},
    "learn.practice_edit": {"kind": "livestream"},
}
AS_IN_WORLD = {  # the same, from the world's ids
    "auth.login": {"phone": "trainee_phone"},
    "lead.move_trainee": {"cohort_id": "other_cohort_id"},
}
FILE_FIELDS = {
    "learn.practice_new": "photo",
    "learn.practice_edit": "photo",
    "lead.roster_upload": "file",
    "api.sync_photo": "photo",
}
SKIP = {"static", "auth.logout", "learn.withdraw"}  # they end the session the test uses
ROLE_OF = {
    "learn": Role.TRAINEE,
    "api": Role.TRAINEE,
    "mentor": Role.MENTOR,
    "lead": Role.LEAD,
    "admin": Role.ADMIN,
}
requests_made = 0


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            found.append((rule.endpoint, method))
    return sorted(found)


def _all_routes():
    from lms import create_app
    from lms.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return routes(create_app(config))


@pytest.fixture
def world(app, mini_curriculum):
    with app.app_context():
        users = {role: make_user(role) for role in Role}
        target = make_user(name="被管理的人")  # admin routes act on this one, not on ours
        trainee = users[Role.TRAINEE]
        programme = make_programme(users[Role.LEAD], name="敌意输入项目")
        programme.villages = ["大坪村"]
        cohort = make_cohort(programme, starts_on=TODAY - timedelta(days=30))
        other = make_cohort(programme, name="第二期", starts_on=TODAY)  # somewhere to move to
        enroll(trainee, cohort)
        enroll(target, cohort)
        assign(users[Role.MENTOR], cohort=cohort, starts_on=TODAY - timedelta(days=30))
        record = make_record(trainee, happened_on=TODAY)
        visit = FollowUpVisit(
            trainee_id=trainee.id,
            mentor_id=users[Role.MENTOR].id,
            visited_on=TODAY,
            mode="phone",
            observations={},
        )
        db.session.add(visit)
        job = Job(  # a large export, done (lms.jobs)
            kind="export",
            owner_id=users[Role.LEAD].id,
            programme_id=programme.id,
            args={"table": "needs", "fmt": "csv", "query": {}},
            state=JobState.DONE,
            result={"table": "needs", "format": "csv", "rows": 6000, "filename": "needs.csv"},
        )
        db.session.add(job)
        db.session.flush()
        ids = {
            "programme_id": programme.id,
            "cohort_id": cohort.id,
            "other_cohort_id": other.id,
            "trainee_phone": trainee.phone,
            "trainee_id": trainee.id,
            "record_id": record.id,
            "visit_id": visit.id,
            "assignment_id": db.session.scalar(select(MentorAssignment.id)),
            "user_id": target.id,
            "course_slug": "basics",
            "filename": "charger.png",
            "key": "sales",
            "fmt": "csv",
            "uuid": record.uuid,
            "job_id": job.id,
        }
        slugs = {
            "course": db.session.scalar(select(Course.slug).where(Course.slug == "basics")),
            "lesson": db.session.scalar(select(Lesson.slug).order_by(Lesson.id)),
        }
        db.session.commit()
    return users, ids, slugs


def counts():
    return [
        db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    ]


def url(endpoint, ids, slugs, app, *, page_args: bool = True):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {arg: ids[arg] for arg in rule.arguments if arg in ids}
    if "slug" in rule.arguments:
        values["slug"] = slugs["lesson" if "/lessons/" in rule.rule else "course"]
    with app.test_request_context():
        return url_for(endpoint, **values, **(PAGE_ARGS.get(endpoint, {}) if page_args else {}))


CORE = [
    "\x00",
    "NaN",
    "1e999999",
    "9" * 30,
    "-1",
    "²",
    "１２３",
    "1,5",
    "2026-02-30",
    "9999-12-31",
    "a" * 5000,
    '=HYPERLINK("http://x","y")',
    "<script>alert(1)</script>",
    "",
]


class FormReader(HTMLParser):
    """The fields of the page's forms, with the values the page filled in (what a browser
    would send if the person changed nothing)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self.names: set[str] = set()
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            self.names.add(name)
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):  # as checked, else a person picks the first
                if name not in self.values or "checked" in a:
                    self.values[name] = a.get("value", "on")
            elif kind != "file":
                self.values.setdefault(name, a.get("value") or "")
        elif tag == "select" and name:
            self.names.add(name)
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self.names.add(name)
            self._textarea = name
            self.values.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def client_for(app, world, endpoint):
    users, _ids, _slugs = world
    role = ROLE_OF.get(endpoint.split(".")[0], Role.TRAINEE)
    client = app.test_client()
    client.post("/login", data={"phone": users[role].phone, "password": PASSWORD})
    return client


def base_form(app, world, endpoint) -> dict[str, str]:
    """What the handler's own page would send; for POST-only handlers, its fields empty."""
    if endpoint in POST_FIELDS:
        return dict.fromkeys(POST_FIELDS[endpoint], "") | VALID.get(endpoint, {})
    _users, ids, slugs = world
    reader = FormReader()
    reader.feed(
        client_for(app, world, endpoint).get(url(endpoint, ids, slugs, app)).get_data(as_text=True)
    )
    form = {name: reader.values.get(name, "") for name in reader.names - {"csrf_token"}}
    form.pop(FILE_FIELDS.get(endpoint, ""), None)
    return (
        form
        | VALID.get(endpoint, {})
        | {field: str(ids[key]) for field, key in AS_IN_WORLD.get(endpoint, {}).items()}
    )


def filled(form: dict, **hostile) -> dict[str, str]:
    """The form with `hostile` set, and fresh unique values for the fields that need them."""
    fresh = {k: v(requests_made) for k, v in form.items() if callable(v)}
    if "uuid" in form:  # each submission comes from a fresh page
        fresh["uuid"] = str(uuid.uuid4())
    return {**form, **fresh, **hostile}


def send(app, world, endpoint, method, *, query=None, form=None, file_bytes=b"") -> None:
    """One request as a user allowed there; checked (see `check`)."""
    global requests_made
    _users, ids, slugs = world
    client = client_for(app, world, endpoint)
    path = url(endpoint, ids, slugs, app, page_args=method == "POST")  # GETs sweep the query
    sent = [str(v) for v in (query or form or {}).values()]
    control = any(CONTROL.search(v) for v in sent)
    if method == "GET":
        response = client.get(path, query_string=query or {})
        check(app, response, None, control)
    else:
        form = dict(form or {})
        if endpoint in FILE_FIELDS:
            form[FILE_FIELDS[endpoint]] = (io.BytesIO(file_bytes), "x.png")
        with app.app_context():
            before = counts()
        response = client.post(path, data=form, content_type="multipart/form-data")
        check(app, response, before, control)
    response.close()
    requests_made += 1
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "hostile-inputs.txt").write_text(
        f"{requests_made} hostile requests, 0 server errors\n"
    )


@pytest.mark.parametrize(("endpoint", "method"), _all_routes())
def test_every_nasty_value_in_every_field(app, world, endpoint, method):
    """The sweep. GET: every value of NASTY in every query parameter at once. POST: the form as
    its page fills it, with one field at a time set to each value of CORE (so the value
    reaches the code that reads that field, past the checks of the others)."""
    if method == "GET":
        for nasty in NASTY:
            send(app, world, endpoint, method, query=dict.fromkeys(QUERY, nasty))
        return
    base = base_form(app, world, endpoint)
    for name in sorted(base) or [None]:
        for nasty in CORE:
            form = filled(base, **{name: nasty}) if name else filled(base)
            send(app, world, endpoint, method, form=form, file_bytes=nasty.encode()[:64])
    assert_dates_in_bounds(app)


def assert_dates_in_bounds(app) -> None:
    """Whatever was accepted, no stored date lies outside the years the boundary admits (a
    9999-12-31 cohort once took four pages down)."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, Date | DateTime):
                    low, high = db.session.execute(select(func.min(column), func.max(column))).one()
                    for value in (low, high):
                        if value is not None:
                            assert 1900 <= value.year <= 2100, (column, value)


@pytest.mark.parametrize(("endpoint", "method"), _all_routes())
@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_values_never_break_a_page(app, world, endpoint, method, data):
    """Random mixes: any subset of fields and parameters draws hostile values; a hostile file."""
    if method == "GET":
        query = {name: data.draw(HOSTILE) for name in QUERY if data.draw(st.booleans())}
        send(app, world, endpoint, method, query=query)
        return
    base = base_form(app, world, endpoint)
    form = filled(base, **{n: data.draw(HOSTILE) for n in sorted(base) if data.draw(st.booleans())})
    send(app, world, endpoint, method, form=form, file_bytes=data.draw(st.binary(max_size=64)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | HOSTILE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE, inner, max_size=3),
    max_leaves=8,
)
SYNC_FIELDS = ["uuid", "kind", "client_time", "base_version", "user_id", "data"]
SALE = sale_form()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_sync_entries_never_break_the_sync(app, world, data):
    """The sync's JSON body: each entry a valid sale with hostile values in any of its fields
    or its data's fields. Every entry is answered; a refused one stores nothing."""
    global requests_made
    entries = []
    for _ in range(data.draw(st.integers(1, 4))):
        entry = {
            "uuid": str(uuid.uuid4()),
            "kind": "practice_record",
            "client_time": "2026-01-01T00:00:00+08:00",
            "data": dict(SALE),
        }
        for name in SYNC_FIELDS:
            if data.draw(st.booleans()):
                entry[name] = data.draw(JSON_VALUES)
        if isinstance(entry["data"], dict):
            for name in list(SALE):
                if data.draw(st.booleans()):
                    entry["data"][name] = data.draw(JSON_VALUES)
        entries.append(entry)
    limiter.reset()  # each example logs in again
    client = client_for(app, world, "api.sync")
    with app.app_context():
        before = db.session.scalar(
            select(func.count()).select_from(db.metadata.tables["practice_records"])
        )
    response = client.post("/api/v1/sync", json={"entries": entries})
    requests_made += 1
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert len(results) == len(entries)
    created = sum(r["status"] == "created" for r in results)
    assert {r["status"] for r in results} <= {"created", "rejected"}
    with app.app_context():
        after = db.session.scalar(
            select(func.count()).select_from(db.metadata.tables["practice_records"])
        )
    assert after == before + created


def check(app, response, before, control: bool) -> None:
    assert response.status_code < 500, response.status_code
    if control:  # refused whole, never stored or silently stripped
        assert response.status_code == 400, response.status_code
    if response.status_code < 400:
        return
    if before is not None:
        with app.app_context():
            assert counts() == before, "a refused request stored something"
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        assert 'lang="zh-CN"' in page and re.search(r"[\u4e00-\u9fff]", page)
