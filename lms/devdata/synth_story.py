"""What each synthetic trainee does: the pure, seeded simulation behind lms.devdata.synth.

Given a trainee's profile and a random generator of their own, `simulate` returns the rows of
their story as dicts: lessons learned and quizzes taken in curriculum order, practice records,
the mentor's follow-up visits with sign-offs and corrections, and outcomes. No database access.
"""

import math
import random
import uuid
from bisect import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from lms import models as m
from lms.devdata.synth_tables import (  # noqa: F401 (PRODUCTS and lines are read from here)
    ACTIONS,
    CORRECTIONS,
    LEVELS,
    NOTES,
    OUTCOMES,
    PRODUCTS,
    REJECTIONS,
    THRESHOLDS,
    WEIGHTS,
    lines,
)
from lms.models.practice_kinds import KIND_FORMS

ONE_DAY = timedelta(days=1)


def pick(rng: random.Random, name: str) -> str:
    items, cum_weights = WEIGHTS[name]  # what random.choices does, faster for one item
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def moment(rng: random.Random, day: date) -> datetime:
    """A naive-UTC moment on `day` between 08:00 and 21:00 Beijing time."""
    return datetime.combine(day, time()) + timedelta(seconds=rng.randrange(13 * 3600))


def _later(rng: random.Random, clock: datetime, day: date) -> datetime:
    at = moment(rng, day)
    return at if at > clock else clock + timedelta(seconds=rng.randrange(120, 3600))


@dataclass(frozen=True)
class CourseInfo:
    """A current course, as the simulation reads it."""

    id: int
    prerequisites: frozenset[int]
    lessons: tuple  # (lesson id, revision, (practice task id, kind) or None)
    quiz: tuple  # (quiz item id, a right answer, a wrong answer)
    scores: dict[bool, list[int]]  # passed → the numbers of right answers that give it


@dataclass
class Way:
    """One way up a rung (lms.services.ladder.Way), as the simulation reads it."""

    route: str | None
    course_ids: list[int]
    practice: list[tuple]  # (kinds, channels (empty: any), count, within days or None)


@dataclass
class Curriculum:
    courses: list[CourseInfo]  # in curriculum order: tier, then position
    rungs: dict[int, list[Way]]  # the earned rungs, each way up
    refs: dict[int, dict] = field(default_factory=dict)  # course id → {id, slug, title}
    tracks: dict[str, m.Track] = field(default_factory=dict)  # by slug

    def ways(self, level: int, track: str | None) -> list[Way]:
        """The ways up `level` as a trainee of `track` has them, the track's own route first."""
        found = self.rungs[level]
        if (t := self.tracks.get(track)) is not None:
            found = [Way(w.route, t.adjust(level, w.course_ids), w.practice) for w in found]
            found.sort(key=lambda w: w.route != t.route_for(level))
        return found


@dataclass
class Trainee:
    """One trainee being simulated: who they are, and the rows of their story so far."""

    rng: random.Random
    id: int
    mentor: int
    person: dict
    start: date
    today: date
    rows: dict = field(default_factory=lambda: defaultdict(list))  # model → row dicts

    def add(self, model, **row) -> dict:
        row["trainee_id"] = self.id
        self.rows[model].append(row)
        return row


def simulate(cur: Curriculum, t: Trainee) -> dict:
    """The trainee's rows from the start of their cohort until yesterday (pure: the same for the
    same random generator). Promotions name visits and records by uuid until they have ids."""
    done, tasks, last = _learn(cur, t)
    last = _practise(t, tasks, last)
    _follow_up(cur, t, done, min(last, t.today))
    return t.rows


def _learn(cur: Curriculum, t: Trainee) -> tuple[dict[int, date], list[tuple], date]:
    """Courses in curriculum order, prerequisites first, until the trainee quits or time is up.
    Returns course id → day completed, the practice tasks met (task id, kind, day), the last day."""
    rng, e, done, tasks = t.rng, t.person["engagement"], {}, []
    day, clock = t.start, moment(t.rng, t.start)
    quit_p = 0.6 if e < 0.1 else 0.03 + 0.3 * (1 - e) ** 2  # per course
    for course in cur.courses:
        if not course.prerequisites <= done.keys():
            continue
        quits = rng.random() < quit_p
        lessons = course.lessons[: rng.randrange(len(course.lessons))] if quits else course.lessons
        for lesson_id, revision, task in lessons:
            if (day - t.start).days > 4:  # after the class week, at their own pace
                day += timedelta(int(rng.expovariate(1 / (0.5 + 5 * (1 - e)))))
            elif rng.random() < 0.4:
                day += ONE_DAY
            if day >= t.today:
                return done, tasks, day
            clock = _later(rng, clock, day)
            t.add(m.LessonProgress, lesson_id=lesson_id, revision=revision, learned_at=clock)
            if task:
                tasks.append((*task, day))
        if quits:
            return done, tasks, day
        failed_first = course.quiz and rng.random() < 0.1 + 0.25 * (1 - e)
        for passed in (False, True)[not failed_first :] if course.quiz else ():
            clock = _later(rng, clock, day)
            _attempt(t, course, clock, passed)
            day += ONE_DAY * (0 if passed else rng.randint(0, 3))
            if day >= t.today:
                return done, tasks, day
        t.add(m.CourseCompletion, course_id=course.id, completed_at=clock)
        done[course.id] = day
        day += timedelta(int(rng.expovariate(1 / (1 + 25 * (1 - e)))))
    return done, tasks, day


def _attempt(t: Trainee, course: CourseInfo, at: datetime, passed: bool) -> None:
    scores, total = course.scores[passed], len(course.quiz)
    right = scores[-1] if passed and t.rng.random() < 0.5 else t.rng.choice(scores)
    wrong = set(t.rng.sample(range(total), total - right))
    answers = {item: bad if i in wrong else good for i, (item, good, bad) in enumerate(course.quiz)}
    t.add(
        m.QuizAttempt,
        uuid=new_uuid(t.rng),
        course_id=course.id,
        answers=answers,
        correct=right,
        total=total,
        percent=round(100 * right / total),
        passed=passed,
        submitted_at=at,
    )


def _practise(t: Trainee, tasks: list[tuple], last: date) -> date:
    """A record for most practice tasks met, then sales (and listings, videos, livestreams) at
    the trainee's own rate until they stop. Returns the last active day."""
    rng, e, rung = t.rng, t.person["engagement"], t.person["profile"]["baseline_rung"]
    for task_id, kind, day in tasks:
        if rng.random() < 0.4 + 0.5 * e:
            last = max(last, _record(t, kind, day + timedelta(rng.randint(0, 10)), task_id))
    selling = [day for _, kind, day in tasks if kind in ("sale", "product_listing")]
    begin = t.start + timedelta(3) if rung >= 4 else min(selling, default=None)
    if begin is None or rng.random() > (0.9 if rung >= 4 else 0.3 + 0.6 * e):
        return last
    stop = t.today
    if rng.random() < 0.25 + 0.35 * (1 - e):  # gives up selling after a while
        stop = min(stop, begin + timedelta(int(rng.expovariate(1 / 150))))
    per_month = [("sale", min(12, rng.lognormvariate(math.log(0.8 + 2.5 * e + rung / 3), 0.5)))]
    per_month += [("product_listing", 0.4)] + [
        (kind, rng.uniform(0.3, 2.5))
        for kind in ("short_video", "livestream")
        if any(k == kind for _, k, _ in tasks) and rng.random() < 0.5 + 0.3 * e
    ]
    for kind, rate in per_month:
        day = begin
        for _ in range(300):
            day += timedelta(1 + int(rng.expovariate(rate / 30)))
            if day >= stop:
                break
            last = max(last, _record(t, kind, day))
    for kind, chance, most in (("taught_others", 0.1, 4), ("cooperative_work", 0.06, 2)):
        if rng.random() < chance + 0.3 * e * (rung >= 3):  # sellers who bring others along
            day = begin + timedelta(rng.randint(60, 400))
            for _ in range(rng.randint(1, most)):
                if day >= stop:
                    break
                last = max(last, _record(t, kind, day))
                day += timedelta(rng.randint(20, 120))
    day = begin + timedelta(rng.randint(30, 300))
    if rng.random() < 0.15 + 0.25 * e and day < stop:  # selling led to a job, a shop, a business
        _outcome(t, pick(rng, "outcome"), day)
    return last


def _record(t: Trainee, kind: str, day: date, task_id: int | None = None) -> date:
    """A practice record (recent ones often wait for the mentor, a few are rejected); returns
    its day, or the trainee's start when the day is not before today and there is no record."""
    rng, today = t.rng, t.today
    if day >= today:
        return t.start
    product, quantity, unit, amount = rng.choice(t.person["products"]), None, "", None
    if kind == "sale":  # ¥20–¥2,000, in whole yuan
        unit, low, high, q_low, q_high, steps = PRODUCTS[product]
        price, q = rng.uniform(low, high), rng.randint(round(q_low * steps), round(q_high * steps))
        q = min(max(q, math.ceil(20 * steps / price)), math.floor(2000 * steps / price)) / steps
        quantity, amount = Decimal(q).quantize(Decimal("0.01")), round(q * price) * 100
    fields = _kind_fields(rng, kind)
    if not KIND_FORMS[m.PracticeKind(kind)].asks_for("product"):
        product = ""
    roll, created = rng.random(), moment(rng, day)
    status = "rejected" if roll > 0.975 else "verified"
    if roll < (0.6 if (today - day).days <= 21 else 0.01):
        status = "self_reported"
    reviewed = None
    if status != "self_reported":
        reviewed = _later(rng, created, min(day + timedelta(rng.randint(0, 7)), today - ONE_DAY))
    t.add(
        m.PracticeRecord,
        uuid=new_uuid(rng),
        task_id=task_id,
        kind=kind,
        happened_on=day,
        channel=pick(rng, kind),
        product=product,
        quantity=quantity,
        unit=unit,
        amount_fen=amount,
        **fields,
        note=rng.choice(NOTES) if kind == "sale" and rng.random() < 0.15 else "",
        status=status,
        reviewed_by_id=t.mentor if reviewed else None,
        reviewed_at=reviewed,
        reject_reason=rng.choice(REJECTIONS) if status == "rejected" else "",
        created_at=created,
        updated_at=reviewed or created,
    )
    if kind == "shop_opened" and status != "rejected" and rng.random() < 0.7:
        _outcome(t, "shop_opened", day)
    return day


def _kind_fields(rng: random.Random, kind: str) -> dict:
    """What a record of `kind` tells besides a sale's product, quantity and amount
    (lms.models.practice_kinds): a livestream's minutes, viewers and orders, a video's, shop's or
    listing's link, the people taught or brought in."""
    fields = dict.fromkeys(("link", "minutes", "viewers", "orders", "people"))
    if kind == "livestream":
        viewers = int(rng.lognormvariate(math.log(30), 1))
        fields |= dict(minutes=rng.randint(20, 150), viewers=viewers)
        fields["orders"] = rng.randint(0, max(1, viewers // 10))
    elif kind in ("short_video", "shop_opened", "product_listing"):
        fields["link"] = f"https://example.com/{kind.replace('_', '-')}/{rng.getrandbits(40):x}"
        if kind == "short_video":
            fields["viewers"] = int(rng.lognormvariate(math.log(300), 1.2))
    elif kind == "taught_others":
        fields["people"] = rng.randint(1, 5)
    elif kind == "cooperative_work":
        fields["people"] = rng.randint(2, 30)
    return fields


def _outcome(t: Trainee, kind: str, day: date) -> None:
    if kind == "shop_opened" and any(o["kind"] == kind for o in t.rows[m.Outcome]):
        return
    note = t.rng.choice(OUTCOMES[kind])
    recorded = moment(t.rng, min(day + timedelta(t.rng.randint(0, 14)), t.today - ONE_DAY))
    t.add(
        m.Outcome,
        kind=kind,
        happened_on=day,
        note=note,
        recorded_by_id=t.mentor,
        created_at=recorded,
    )


def _follow_up(cur: Curriculum, t: Trainee, done: dict[int, date], last: date) -> None:
    """The mentor's visits while the trainee is engaged, with missed rounds (so some are overdue);
    a sign-off at a visit once the next rung's courses and verified records are there; a rare
    correction of the baseline."""
    rng, rung, visits = t.rng, t.person["profile"]["baseline_rung"], t.rows[m.FollowUpVisit]
    verified = sorted(  # newest first, as the ladder counts them
        (r["happened_on"], r["kind"], r["channel"], r["reviewed_at"].date(), r["uuid"])
        for r in t.rows[m.PracticeRecord]
        if r["status"] == "verified"
    )[::-1]
    day = t.start + timedelta(rng.randint(5, 14))
    until = min(t.today, last + timedelta(rng.randint(20, 75)))
    step = 0  # the trainee's rung changes, numbered (RungPromotion.step)
    while day < until and len(visits) < 60:
        visit = _visit(t, day, rung)
        signed = visit["created_at"] + timedelta(minutes=rng.randint(5, 40))
        target = max(rung + 1, 3)
        change = None
        if len(visits) == 1 and rung >= 2 and rng.random() < 0.03:
            change = dict(kind="correction", to_rung=rung - 1, evidence={}, visit_id=None)
            change["reason"] = rng.choice(CORRECTIONS)
        elif target in cur.rungs and rng.random() < 0.85:
            met = _evidence(cur.ways(target, t.person["track"]), done, verified, day)
            if met is not None:  # record uuids, until the visit and the records have ids
                courses, records = met
                evidence = {"courses": [cur.refs[c] for c in courses], "records": records}
                evidence |= {"requirements": [], "visit_id": visit["uuid"]}
                change = dict(kind="promotion", to_rung=target, evidence=evidence, reason="")
                change["visit_id"] = visit["uuid"]
        if change:
            step += 1
            t.add(
                m.RungPromotion,
                step=step,
                from_rung=rung,
                signed_by_id=t.mentor,
                signed_at=signed,
                **change,
            )
            rung = change["to_rung"]
            if rung == 5 and rng.random() < 0.5:
                _outcome(t, "business_started", day)
        day += timedelta(rng.randint(10, 21) if (day - t.start).days < 90 else rng.randint(21, 42))
        if rng.random() < 0.07:  # a missed round
            day += timedelta(rng.randint(20, 80))


def _evidence(ways: list[Way], done: dict[int, date], verified: list, day: date):
    """The first way up the rung met on `day`: its course ids and the uuids of the records that
    meet its practice requirements; None while every way still misses a course or a record."""
    for way in ways:
        if any(done.get(c, date.max) > day for c in way.course_ids):
            continue
        found: list[str] = []
        for kinds, channels, count, within in way.practice:
            since = day - timedelta(within) if within else date.min
            hits = [
                uuid
                for on, kind, channel, seen, uuid in verified
                if kind in kinds
                and (not channels or channel in channels)
                and since < on <= day
                and seen <= day
            ]
            if len(hits) < count:
                break
            found += [uuid for uuid in hits[:count] if uuid not in found]
        else:
            return way.course_ids, found
    return None


def _visit(t: Trainee, day: date, rung: int) -> dict:
    rng, observations = t.rng, {}
    for dimension, (with_help, alone) in THRESHOLDS.items():
        level = (rung >= with_help) + (rung >= alone)
        if rng.random() < 0.2:
            level = min(2, max(0, level + rng.choice((-1, 1))))
        observations[dimension] = {"level": LEVELS[level], "note": ""}
    tags = {pick(rng, "tag") for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3)))}
    actions = "；".join(rng.sample(ACTIONS, rng.randint(1, 2)))
    created = moment(rng, day)
    return t.add(
        m.FollowUpVisit,
        uuid=new_uuid(rng),
        mentor_id=t.mentor,
        visited_on=day,
        mode=pick(rng, "mode"),
        observations=observations,
        problem_tags=sorted(tags, key=WEIGHTS["tag"][0].index),
        actions=actions.format(p=rng.choice(t.person["products"])),
        next_due_on=day + timedelta(rng.randint(14, 35)) if rng.random() < 0.5 else None,
        created_at=created,
        updated_at=created,
    )
