"""Synthetic data: one realistic two-year programme of N trainees, for load tests and demos.

`build_programme(n, seed)` adds a lead, mentors (one per ~50 trainees) and cohorts (one per ~25)
in the villages of a made-up county, and for each trainee a user, a profile (about four in ten
with a track, mostly their product's), an enrolment and the story lms.devdata.synth_story
simulates: lessons, quizzes, practice records (teaching others and co-operative work among
them), follow-up visits, rung promotions by the ladder's routes as the track has them, and
outcomes.

Deterministic: the programme's shape comes from random.Random(seed), each trainee from a Random
seeded with the seed and the trainee's index, and every date is relative to `today`; the same N,
seed and today give the same rows, apart from ids, the password hash and the session tokens
(secrets). The big tables go in as bulk INSERTs of dicts, ~2,000 trainees at a time, and
everyone shares one password hash ("synth1234"): hashing thousands would take minutes.
"""

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.orm import selectinload

from lms import models as m
from lms.clock import local_today
from lms.db import db
from lms.devdata.synth_story import (
    PRODUCTS,
    CourseInfo,
    Curriculum,
    Trainee,
    Way,
    moment,
    pick,
    simulate,
)
from lms.errors import LmsError
from lms.reporting import facts
from lms.services import ladder
from lms.services.accounts import hash_password
from lms.services.consent import NOTICE_VERSION

PASSWORD = "synth1234"
DAYS = 730  # the programme's span, up to today
CHUNK, BATCH = 2000, 5000  # trainees simulated and inserted together; rows per INSERT
MAX_TRAINEES = 900_000  # a seed's block of phone numbers holds a million
ORGANISATION = "县电子商务公共服务中心（合成数据）"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶"
GIVEN = {
    "female": "秀兰英芳梅丽霞燕萍红玉珍娟凤琴云慧静敏婷雪春桂金翠美巧月莲香玲",
    "male": "建国明强军平伟华林福德志永海波斌勇杰涛峰辉东文春生荣祥忠庆根宝",
}
TOWNSHIPS = "云溪石门龙泉白鹤青山黄岭安仁竹坪桃源梅溪双溪金竹凤阳碧湖大港西屏南山高坪新兴仙渡"
VILLAGE_PARTS = (
    "大小上下东西南北前后高新石松竹桃梅龙凤金白青黄",
    "坪源溪岭坑塘湾口山田洋坞头桥垟庄",
)
SITES = ("{v}文化礼堂", "{v}党群服务中心", "{t}电商服务站", "县电商产业园培训室")
# The product track (tracks.yaml) of a trainee whose first product this is; others take a role.
PRODUCT_TRACKS = {"竹编": "handicraft"} | dict.fromkeys(
    ("茶叶", "笋干", "蜂蜜", "番薯干", "山核桃", "茶油", "木耳", "香菇"), "processed-food"
)
ROLE_TRACKS = ("livestream-helper", "customer-service-packing", "station-keeper")
INCOME = ((0, 0), (0, 0), (0, 30), (0, 80), (50, 300), (300, 1000))  # by rung, in ¥10 a month


def phone_prefix(seed: int) -> str:
    """Synthetic logins are 17x mobiles, a block of a million per seed (the demo uses 138/139)."""
    return f"17{seed % 10}{seed // 10 % 100:02d}"


@dataclass
class SynthReport:
    """What build_programme added: rows per table."""

    programme: str
    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return f"{self.programme}: " + ", ".join(f"{n} {t}" for t, n in self.counts.items())


def _wrong(item: m.QuizItem) -> list[int]:
    if item.kind is m.QuizKind.TRUE_FALSE:
        return [1 - item.answer[0]]
    if item.kind is m.QuizKind.SINGLE:
        return [(item.answer[0] + 1) % len(item.options)]
    return sorted(set(item.answer) ^ {len(item.options) - 1}) or [0]


def _course_info(c: m.Course) -> CourseInfo:
    items = [item for lesson in c.lessons for item in lesson.quiz_items]
    n = len(items)  # scored as lms.services.learning.submit_quiz does
    passing = [round(100 * k / n) >= c.pass_mark for k in range(n + 1)] if n else []
    return CourseInfo(
        c.id,
        frozenset(p.id for p in c.prerequisites if not p.is_archived),
        tuple(
            (le.id, le.revision, le.practice_task and (le.practice_task.id, le.practice_task.kind))
            for le in c.lessons
        ),
        tuple((str(i.id), i.answer, _wrong(i)) for i in items),
        {ok: [k for k, p in enumerate(passing) if p == ok] for ok in (True, False)},
    )


def load_curriculum() -> Curriculum:
    """The imported curriculum, as the simulation reads it; LmsError when there is none."""
    query = (
        select(m.Course)
        .join(m.Course.tier)
        .where(m.Course.archived_at.is_(None))
        .order_by(m.Tier.position, m.Course.position)
        .options(selectinload(m.Course.prerequisites), selectinload(m.Course.lessons))
    )
    current = list(db.session.scalars(query))
    courses = [_course_info(c) for c in current if c.lessons]
    if not courses:
        raise LmsError("no curriculum: run `flask --app wsgi curricula import` first")
    refs = {c.id: {"id": c.id, "slug": c.slug, "title": c.title_zh} for c in current}
    rungs = {}
    for rung in ladder.load_rungs():
        ways = [
            Way(
                way.route,
                way.course_ids,
                [
                    (set(p.kinds), set(p.channels or ()), p.count, p.within_days)
                    for p in way.practice
                ],
            )
            for way in ladder.rung_ways(rung, None)
        ]
        if any(way.course_ids or way.practice for way in ways):
            rungs[rung.level] = ways  # rungs 0–2 are recorded at enrolment, not earned
    tracks = db.session.scalars(select(m.Track).where(m.Track.archived_at.is_(None)))
    return Curriculum(courses, rungs, refs, {t.slug: t for t in tracks})


@dataclass
class Plan:
    """The programme's shape: who runs it, and where and when its cohorts meet."""

    lead: str
    mentors: list[str]
    villages: dict[str, tuple[str, list[str]]]  # village → (township, local products)
    cohorts: list[dict]  # Cohort columns
    sizes: list[int]  # trainees per cohort
    cohort_mentors: list[int]  # per cohort, an index into `mentors`


def person_name(rng: random.Random, gender: str) -> str:
    given = "".join(rng.choice(GIVEN[gender]) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def plan_programme(rng: random.Random, trainees: int, today: date) -> Plan:
    """A village per ~100 trainees (at least 3), ~8 villages a township, cohorts of ~25 starting
    over the two years before `today`, a mentor per ~50 trainees following whole cohorts."""
    names = [a + b + "村" for a in VILLAGE_PARTS[0] for b in VILLAGE_PARTS[1]]
    villages = rng.sample(names, min(len(names), max(3, round(trainees / 100))))
    n_towns = min(len(TOWNSHIPS) // 2, max(2, math.ceil(len(villages) / 8)))
    towns = [TOWNSHIPS[2 * i : 2 * i + 2] + rng.choice("镇镇乡") for i in range(n_towns)]
    local = {v: (towns[i % n_towns], rng.sample(list(PRODUCTS), 3)) for i, v in enumerate(villages)}
    n_cohorts, n_mentors = max(1, round(trainees / 25)), max(1, round(trainees / 50))
    sizes = [trainees // n_cohorts + (i < trainees % n_cohorts) for i in range(n_cohorts)]
    for _ in range(n_cohorts):  # classes are uneven
        a, b, move = rng.randrange(n_cohorts), rng.randrange(n_cohorts), rng.randint(0, 6)
        if sizes[a] - move >= 5:
            sizes[a] -= move
            sizes[b] += move
    cohorts = []
    for i in range(n_cohorts):
        village = rng.choice(villages)
        town = local[village][0]
        starts = today - timedelta(DAYS - int((i + rng.random()) * (DAYS - 14) / n_cohorts))
        cohort = dict(name=f"第{i + 1}期 {village}班", township=town, village=village)
        cohort["site"] = rng.choice(SITES).format(v=village, t=town)
        cohorts.append(cohort | dict(starts_on=starts, ends_on=starts + timedelta(90)))
    mentors = [person_name(rng, rng.choice(("female", "male"))) for _ in range(n_mentors)]
    lead = person_name(rng, "female")
    return Plan(lead, mentors, local, cohorts, sizes, [i % n_mentors for i in range(n_cohorts)])


def make_person(rng: random.Random, village: str, products: list[str], start: date) -> dict:
    """A trainee's name and profile, and how engaged they will be (0–1)."""
    gender = "female" if rng.random() < 0.6 else "male"
    birth_year = min(2004, int(rng.triangular(1958, 2005, 1980)))
    household, rung = pick(rng, "household"), int(pick(rng, "rung"))
    if household == "demonstration" and rung < 5 and rng.random() < 0.5:
        rung += 1
    if birth_year < 1968 and rung > 0 and rng.random() < 0.5:
        rung -= 1
    income = rng.randint(*INCOME[rung]) * 1000 if rung >= 3 or rng.random() < 0.25 else 0
    engagement = rng.betavariate(2, 2) + 0.05 * (rung - 2) - 0.1 * (birth_year < 1965)
    if rng.random() < 0.08:  # gone after the first days
        engagement = rng.uniform(0, 0.1)
    products = rng.sample(products, rng.choice((1, 1, 2)))
    track = None  # about four in ten follow a track, most of them their product's
    if rng.random() < 0.4:
        by_product = PRODUCT_TRACKS.get(products[0], "fresh-produce")
        track = by_product if rng.random() < 0.75 else rng.choice(ROLE_TRACKS)
    profile = dict(village=village, gender=gender, birth_year=birth_year, baseline_rung=rung)
    profile |= dict(household_category=household, baseline_monthly_income_fen=income)
    profile |= dict(main_products="、".join(products))
    consented_at = moment(rng, start)
    return {
        "consented_at": consented_at,
        "name": person_name(rng, gender),
        "created_at": moment(rng, start - timedelta(rng.randint(1, 9))),
        "engagement": min(0.98, max(0.02, engagement)),
        "products": products,
        "profile": profile,
        "track": track,  # a slug: the profile's track_id once the curriculum is known
    }


@dataclass
class _Build:
    cur: Curriculum
    plan: Plan
    seed: int
    today: date
    password_hash: str
    report: SynthReport

    def user(self, index: int, name: str, role: str, created_at: datetime) -> dict:
        phone = f"{phone_prefix(self.seed)}{index:06d}"
        row = dict(phone=phone, name=name, role=role, created_at=created_at)
        return row | {"password_hash": self.password_hash}  # session_token: a secret per row

    def insert(self, model, rows: list[dict]) -> None:
        """Bulk INSERT in batches of dicts with the same keys: a Core executemany in the session's
        transaction (no RETURNING, slow for many rows; no ORM bookkeeping, ~20% slower)."""
        statement = insert(model.__table__)
        for at in range(0, len(rows), BATCH):
            db.session.execute(statement, rows[at : at + BATCH])
        self.report.counts[model.__tablename__] += len(rows)

    def ids(self, key, where) -> dict:
        """The ids of the rows just inserted, by a unique key (phone, uuid)."""
        return dict(db.session.execute(select(key, key.class_.id).where(where)).all())


def build_programme(trainees: int, seed: int, *, today: date | None = None) -> SynthReport:
    """Add the programme "合成项目 seed=… n=…": a lead, mentors, cohorts, and trainees with up to
    two years of learning, practice and follow-up before `today`.

    Raises LmsError when no curriculum is imported, when this programme (or the seed's block of
    phone numbers) exists already, or when `trainees` is out of range. Flushes, never commits.
    """
    today = today or local_today()
    if not 1 <= trainees <= MAX_TRAINEES:
        raise LmsError(f"the number of trainees must be between 1 and {MAX_TRAINEES}")
    cur = load_curriculum()
    name, prefix = f"合成项目 seed={seed} n={trainees}", phone_prefix(seed)
    if db.session.scalar(select(m.Programme.id).where(m.Programme.name == name)):
        raise LmsError(f"programme {name!r} exists already: synth builds it only once")
    if db.session.scalar(select(m.User.id).where(m.User.phone.startswith(prefix)).limit(1)):
        raise LmsError(f"phone numbers {prefix}…… belong to another synth build: use another seed")
    plan = plan_programme(random.Random(seed), trainees, today)
    b = _Build(cur, plan, seed, today, hash_password(PASSWORD), SynthReport(name))
    began = datetime.combine(today - timedelta(DAYS + 30), time(1))
    staff = [b.user(0, plan.lead, "lead", began)]
    staff += [b.user(i, n, "mentor", began) for i, n in enumerate(plan.mentors, start=1)]
    b.insert(m.User, staff)
    staff_ids = [b.ids(m.User.phone, m.User.phone.startswith(prefix))[u["phone"]] for u in staff]
    description = f"合成数据：{trainees}名学员，随机种子{seed}，截至{today.isoformat()}。"
    programme = m.Programme(name=name, organisation=ORGANISATION, description=description)
    programme.lead_id, programme.created_at = staff_ids[0], began
    programme.villages = list(plan.villages)  # the villages the roster may name
    db.session.add(programme)
    db.session.flush()
    cohorts = [m.Cohort(programme_id=programme.id, **c) for c in plan.cohorts]
    db.session.add_all(cohorts)
    db.session.flush()
    b.report.counts.update(programmes=1, cohorts=len(cohorts))
    mentors = [staff_ids[1 + i] for i in plan.cohort_mentors]
    b.insert(
        m.MentorAssignment,
        [
            dict(
                programme_id=programme.id,
                mentor_id=mentor,
                cohort_id=c.id,
                starts_on=c.starts_on,
                ends_on=None,
            )
            for c, mentor in zip(cohorts, mentors, strict=True)
        ],
    )
    chunk, index = [], len(staff)
    for cohort, size, mentor in zip(cohorts, plan.sizes, mentors, strict=True):
        chunk.append((cohort, size, mentor))
        if sum(size for _, size, _ in chunk) >= CHUNK or cohort is cohorts[-1]:
            index = _build_chunk(b, chunk, index)
            chunk = []
    if db.session.get_bind().dialect.name == "postgresql":
        # The rebuild reads what was just loaded: without statistics PostgreSQL plans it as if
        # the tables were empty, and 100,000 trainees took 40 minutes instead of one.
        db.session.execute(text("ANALYZE"))
    facts.rebuild(programme_id=programme.id)  # bulk INSERTs pass by the hooks that keep them
    return b.report


def _build_chunk(b: _Build, cohorts: list[tuple], index: int) -> int:
    """The trainees of a few cohorts: users, profiles, enrolments, and their stories."""
    trainees = []
    for cohort, size, mentor in cohorts:
        town = b.plan.villages[cohort.village][0]
        neighbours = [v for v, (t, _) in b.plan.villages.items() if t == town]
        for _ in range(size):
            rng = random.Random(f"synth:{b.seed}:{index}")
            village = cohort.village if rng.random() < 0.6 else rng.choice(neighbours)
            person = make_person(rng, village, b.plan.villages[village][1], cohort.starts_on)
            trainees.append((index, rng, person, cohort, mentor))
            index += 1
    users = [b.user(i, p["name"], "trainee", p["created_at"]) for i, _, p, _, _ in trainees]
    b.insert(m.User, users)
    by_phone = b.ids(m.User.phone, m.User.phone.between(users[0]["phone"], users[-1]["phone"]))
    ids = [by_phone[user["phone"]] for user in users]
    profiles, consents, enrollments, rows = [], [], [], defaultdict(list)
    for tid, (_, rng, person, cohort, mentor) in zip(ids, trainees, strict=True):
        track = b.cur.tracks.get(person["track"])
        profiles.append(person["profile"] | {"user_id": tid, "track_id": track and track.id})
        consents.append(
            dict(
                trainee_id=tid,
                notice_version=NOTICE_VERSION,
                given_by="roster",
                given_at=person["consented_at"],
                recorded_by_id=None,
                guardian_name="",
                withdrawn_at=None,
            )
        )
        enrollments.append(dict(cohort_id=cohort.id, trainee_id=tid, enrolled_on=cohort.starts_on))
        story = simulate(b.cur, Trainee(rng, tid, mentor, person, cohort.starts_on, b.today))
        for model, story_rows in story.items():
            rows[model] += story_rows
    b.insert(m.TraineeProfile, profiles)
    b.insert(m.ConsentRecord, consents)
    b.insert(m.Enrollment, enrollments)
    for model in (m.LessonProgress, m.QuizAttempt, m.CourseCompletion):
        b.insert(model, rows[model])
    by_uuid = {}
    for model in (m.PracticeRecord, m.FollowUpVisit):
        b.insert(model, rows[model])
        by_uuid |= b.ids(model.uuid, model.trainee_id.between(min(ids), max(ids)))
    for p in rows[m.RungPromotion]:  # uuids → ids
        if p["visit_id"] is not None:
            p["visit_id"] = p["evidence"]["visit_id"] = by_uuid[p["visit_id"]]
            p["evidence"]["records"] = [by_uuid[u] for u in p["evidence"]["records"]]
    b.insert(m.RungPromotion, rows[m.RungPromotion])
    b.insert(m.Outcome, rows[m.Outcome])
    return index
