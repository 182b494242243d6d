"""The synthetic programme generator (lms.devdata.synth) and `flask synth`."""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.devdata import synth, synth_story
from lms.errors import LmsError
from lms.models import (
    Cohort,
    ConsentRecord,
    CourseCompletion,
    Dimension,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    MentorAssignment,
    Observation,
    Outcome,
    PracticeRecord,
    Programme,
    QuizAttempt,
    Role,
    RungPromotion,
    TraineeProfile,
    User,
)
from lms.models.practice_kinds import KIND_FORMS
from lms.services import accounts, curricula, ladder

TODAY = date(2026, 11, 22)
MIDNIGHT = datetime.combine(TODAY, time())
TABLES = (User, TraineeProfile, Cohort, Enrollment, MentorAssignment, LessonProgress, QuizAttempt)
TABLES += (CourseCompletion, PracticeRecord, FollowUpVisit, RungPromotion, Outcome, ConsentRecord)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def pairs(query) -> dict:
    return dict(db.session.execute(query).all())


def snapshot() -> tuple:
    """What was built, without ids (a second build after a rollback gets new ids)."""
    phones = pairs(select(User.id, User.phone))
    records = db.session.execute(
        select(
            PracticeRecord.trainee_id, PracticeRecord.happened_on, PracticeRecord.kind
        ).add_columns(PracticeRecord.amount_fen, PracticeRecord.status, PracticeRecord.uuid)
    ).all()
    visits = db.session.execute(
        select(FollowUpVisit.trainee_id, FollowUpVisit.visited_on, FollowUpVisit.observations)
    ).all()
    return (
        {model.__tablename__: count(model) for model in TABLES},
        db.session.scalar(select(func.sum(PracticeRecord.amount_fen))),
        db.session.execute(
            select(User.phone, User.name, TraineeProfile.baseline_rung, TraineeProfile.village)
            .join(TraineeProfile)
            .order_by(User.phone)
        ).all(),
        sorted((phones[t], *rest) for t, *rest in records),
        sorted((phones[t], on, str(obs)) for t, on, obs in visits),
    )


def test_the_same_seed_and_day_build_the_same_rows(ctx, mini_curriculum):
    synth.build_programme(120, 7, today=TODAY)
    first = snapshot()
    db.session.rollback()
    assert count(User) == 0
    synth.build_programme(120, 7, today=TODAY)
    assert snapshot() == first
    db.session.rollback()
    synth.build_programme(120, 8, today=TODAY)
    assert snapshot()[2] != first[2]


def test_the_random_parts_repeat_for_a_seed():
    plans = [synth.plan_programme(random.Random(3), 500, TODAY) for _ in range(2)]
    assert plans[0] == plans[1]
    assert synth.plan_programme(random.Random(4), 500, TODAY) != plans[0]
    lessons, quiz = ((10, 1, None), (11, 1, (5, "sale"))), (("7", [1], [0]),)
    course = synth_story.CourseInfo(1, frozenset(), lessons, quiz, {True: [1], False: [0]})
    ways = [synth_story.Way(None, [1], [])]
    cur = synth_story.Curriculum([course], {3: ways}, {1: {"id": 1, "slug": "c", "title": "课"}})
    person = synth.make_person(random.Random(1), "大坪村", ["茶叶", "蜂蜜"], date(2025, 3, 1))
    person["engagement"] = 0.9

    def story(seed):
        rng = random.Random(seed)
        trainee = synth_story.Trainee(rng, 42, 2, person, date(2025, 3, 1), TODAY)
        return {
            model.__tablename__: rows for model, rows in synth_story.simulate(cur, trainee).items()
        }

    assert story(5) == story(5) != story(6)
    assert story(5)["lesson_progress"] and story(5)["followup_visits"]


@pytest.fixture
def built(ctx, mini_curriculum):
    report = synth.build_programme(200, 7, today=TODAY)
    db.session.flush()
    return report


def test_row_counts_are_in_the_expected_ranges(built):
    counts = built.counts
    assert counts["programmes"] == 1 and counts["cohorts"] == 8
    assert counts["trainee_profiles"] == counts["enrollments"] == 200
    assert counts["users"] == 200 + 4 + 1  # trainees, a mentor per 50, the lead
    assert counts["mentor_assignments"] == 8
    in_tables = {model.__tablename__: count(model) for model in TABLES}
    assert in_tables == {table: n for table, n in counts.items() if table != "programmes"}
    assert 200 < counts["lesson_progress"] <= 200 * 3  # the mini curriculum has 3 lessons
    assert counts["course_completions"] <= counts["quiz_attempts"]
    assert 1_000 < counts["practice_records"] < 20_000
    assert 400 < counts["followup_visits"] < 5_000
    assert count(RungPromotion, RungPromotion.kind == "promotion") > 20
    assert count(Outcome) > 0
    programme = db.session.scalar(select(Programme))
    assert programme.name == "合成项目 seed=7 n=200"
    assert len(programme.villages) == 3
    assert {role for (role,) in db.session.execute(select(User.role).distinct())} == {
        Role.TRAINEE,
        Role.MENTOR,
        Role.LEAD,
    }
    assert f"{counts['practice_records']} practice_records" in built.summary()


def test_profiles_look_like_a_rural_programme(built):
    profiles = db.session.scalars(select(TraineeProfile)).all()
    consented = set(db.session.scalars(select(ConsentRecord.trainee_id)))
    assert consented == {p.user_id for p in profiles}  # each signed the notice on paper
    share = defaultdict(int)
    for p in profiles:
        share[p.household_category.value] += 1 / len(profiles)
        assert 1958 <= p.birth_year <= 2004 and 0 <= p.baseline_rung <= 5
        assert p.main_products
        assert p.baseline_monthly_income_fen == 0 or p.baseline_rung >= 2
    assert 0.4 < share["ordinary"] < 0.7 and 0.15 < share["formerly_poor"] < 0.35
    assert share["monitored"] > 0 and share["demonstration"] > 0
    female = sum(p.gender.value == "female" for p in profiles) / len(profiles)
    assert 0.45 < female < 0.75
    assert sum(p.baseline_rung <= 2 for p in profiles) > len(profiles) / 2
    for user in db.session.scalars(select(User)):
        assert accounts.normalise_phone(user.phone) == user.phone
        assert user.phone.startswith(synth.phone_prefix(7)) and user.name


def test_every_trainee_is_enrolled_and_followed_by_their_cohort_mentor(built):
    mentor_of = pairs(select(MentorAssignment.cohort_id, MentorAssignment.mentor_id))
    enrolments = db.session.execute(
        select(
            Enrollment.trainee_id, Enrollment.cohort_id, Enrollment.enrolled_on, Cohort.starts_on
        ).join(Cohort)
    ).all()
    assert len({trainee for trainee, *_ in enrolments}) == len(enrolments) == 200
    assert all(enrolled == starts for *_, enrolled, starts in enrolments)
    assert len(mentor_of) == 8
    mentor = {trainee: mentor_of[cohort] for trainee, cohort, *_ in enrolments}
    start = {trainee: enrolled for trainee, _, enrolled, _ in enrolments}
    for visit in db.session.scalars(select(FollowUpVisit)):
        assert visit.mentor_id == mentor[visit.trainee_id]
        assert start[visit.trainee_id] < visit.visited_on < TODAY
        assert set(visit.observations) == {d.value for d in Dimension}
        assert all(Observation(o["level"]) for o in visit.observations.values())
    for record in db.session.scalars(select(PracticeRecord)):
        assert start[record.trainee_id] <= record.happened_on < TODAY
        if record.status == "verified":
            assert record.reviewed_by_id == mentor[record.trainee_id]
            assert record.created_at < record.reviewed_at < MIDNIGHT
        elif record.status == "rejected":
            assert record.reject_reason and record.reviewed_by_id == mentor[record.trainee_id]
        else:
            assert record.reviewed_by_id is None and record.reviewed_at is None
        if record.kind == "sale":
            assert 2_000 <= record.amount_fen <= 200_000 and record.unit
    statuses = pairs(select(PracticeRecord.status, func.count()).group_by(PracticeRecord.status))
    assert statuses["verified"] > 10 * statuses["rejected"] > 0 and statuses["self_reported"] > 0


def test_learning_follows_the_curriculum(built):
    start = pairs(select(Enrollment.trainee_id, Enrollment.enrolled_on))
    completed = defaultdict(dict)
    for c in db.session.scalars(select(CourseCompletion)):
        completed[c.trainee_id][c.course.slug] = c.completed_at
    assert any("selling" in courses for courses in completed.values())
    for courses in completed.values():
        if "selling" in courses:  # its prerequisite first
            assert courses["basics"] <= courses["selling"]
    learned = defaultdict(set)
    for p in db.session.scalars(select(LessonProgress)):
        learned[p.trainee_id].add(p.lesson.slug)
        assert datetime.combine(start[p.trainee_id], time()) <= p.learned_at < MIDNIGHT
    lessons = pairs(select(Lesson.slug, Lesson.course_id))
    passed = select(QuizAttempt.trainee_id, QuizAttempt.course_id).where(QuizAttempt.passed)
    passed = set(db.session.execute(passed).all())
    for c in db.session.scalars(select(CourseCompletion)):
        assert {s for s, course in lessons.items() if course == c.course_id} <= learned[
            c.trainee_id
        ]
        assert (c.trainee_id, c.course_id) in passed and c.completed_at < MIDNIGHT
    partly = [t for t, slugs in learned.items() if "basics-charge" in slugs and not completed[t]]
    assert partly  # some stopped part-way through a course
    failed = count(QuizAttempt, QuizAttempt.passed.is_(False))
    assert 0 < failed < count(QuizAttempt) / 2


def test_promotions_climb_one_rung_at_a_time_on_evidence(built):
    rung = pairs(select(TraineeProfile.user_id, TraineeProfile.baseline_rung))
    promotions = db.session.scalars(
        select(RungPromotion).order_by(RungPromotion.signed_at, RungPromotion.id)
    ).all()
    assert any(p.kind == "promotion" for p in promotions)
    for p in promotions:
        assert p.from_rung == rung[p.trainee_id] and p.signed_at < MIDNIGHT
        if p.kind == "correction":
            assert p.to_rung == p.from_rung - 1 and p.reason and p.visit_id is None
        else:
            assert p.to_rung == max(p.from_rung + 1, 3)
            visit = db.session.get(FollowUpVisit, p.visit_id)
            assert visit.trainee_id == p.trainee_id and visit.mentor_id == p.signed_by_id
            assert p.evidence["visit_id"] == p.visit_id and p.evidence["requirements"] == []
            assert [c["slug"] for c in p.evidence["courses"]] == (
                ["basics"] if p.to_rung == 3 else ["selling"]
            )
            records = [db.session.get(PracticeRecord, i) for i in p.evidence["records"]]
            assert len(records) == (2 if p.to_rung == 4 else 0)
            for record in records:
                assert record.trainee_id == p.trainee_id and record.status == "verified"
                assert record.kind == "sale" and record.reviewed_at.date() <= visit.visited_on
        rung[p.trainee_id] = p.to_rung


def test_a_programme_is_built_only_once(ctx, mini_curriculum):
    synth.build_programme(50, 7, today=TODAY)
    with pytest.raises(LmsError, match="exists already"):
        synth.build_programme(50, 7, today=TODAY)
    with pytest.raises(LmsError, match="use another seed"):
        synth.build_programme(60, 7, today=TODAY)
    synth.build_programme(60, 17, today=TODAY)  # another block of phone numbers
    assert count(Programme) == 2


def test_it_needs_a_curriculum(ctx):
    with pytest.raises(LmsError, match="curricula import"):
        synth.build_programme(50, 7, today=TODAY)


def test_the_command_builds_commits_and_prints_a_summary(app, runner, mini_curriculum):
    args = ["synth", "--trainees", "60", "--seed", "7", "--today", TODAY.isoformat()]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "合成项目 seed=7 n=60: " in result.output and "60 enrollments" in result.output
    assert result.output.rstrip().endswith("s") and len(result.output.splitlines()) == 1
    with app.app_context():
        assert count(TraineeProfile) == 60
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "exists already" in again.output


SHIPPED = Path(__file__).resolve().parents[2] / "curricula"


def test_on_the_shipped_curriculum_trainees_follow_tracks_and_climb_by_its_routes(ctx):
    curricula.import_tree(SHIPPED)
    synth.build_programme(400, 3, today=TODAY)
    db.session.flush()
    profiles = db.session.scalars(select(TraineeProfile)).all()
    tracks = {p.user_id: p.track for p in profiles}
    with_track = [t for t in tracks.values() if t]
    assert 0.3 < len(with_track) / len(profiles) < 0.5
    assert {t.kind.value for t in with_track} == {"product", "role"}
    rungs = {r.level: r for r in ladder.load_rungs()}
    routes = defaultdict(set)
    promotions = db.session.scalars(select(RungPromotion).where(RungPromotion.kind == "promotion"))
    for p in promotions:
        courses = [c["id"] for c in p.evidence["courses"]]
        records = [db.session.get(PracticeRecord, i) for i in p.evidence["records"]]
        visit = db.session.get(FollowUpVisit, p.visit_id)
        done = pairs(
            select(CourseCompletion.course_id, CourseCompletion.completed_at).where(
                CourseCompletion.trainee_id == p.trainee_id
            )
        )
        assert all(done[c].date() <= visit.visited_on for c in courses)
        # The ladder's own ways up the rung, as the trainee's track has them: one of them is met.
        way = next(
            w
            for w in ladder.rung_ways(rungs[p.to_rung], tracks[p.trainee_id])
            if w.course_ids == courses
        )
        for req in way.practice:
            since = visit.visited_on - timedelta(req.within_days or 10_000)
            assert req.count <= sum(
                r.kind in req.kinds
                and (not req.channels or r.channel in req.channels)
                and since < r.happened_on <= visit.visited_on
                and r.status == "verified"
                for r in records
            )
        routes[p.to_rung].add(way.route)
    assert len(routes[5]) >= 2  # more than one way to rung 5 is taken
    assert count(PracticeRecord, PracticeRecord.kind == "taught_others") > 0
    assert count(PracticeRecord, PracticeRecord.kind == "cooperative_work") > 0
    for record in db.session.scalars(select(PracticeRecord)):  # what each kind's form asks
        form = KIND_FORMS[record.kind]
        for ask in form.asks:
            value = getattr(record, "amount_fen" if ask.name == "amount" else ask.name)
            assert value is not None or not ask.required, (record.kind, ask.name)
        assert record.link or not form.link_or_photo
        assert bool(record.product) == form.asks_for("product")
