"""Two people at once, and the same request sent many times at once, against a live server with
real threads: every race ends in one stored row and a page for each person, never a 5xx.

Each case starts N clients on a barrier so their requests reach the server together.
"""

import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db, new_uuid
from lms.models import (
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    Lesson,
    LessonProgress,
    MentorAssignment,
    Outcome,
    PeriodFigures,
    PracticeRecord,
    QuizAttempt,
    QuizItem,
    RecordStatus,
    ReportPeriod,
    Role,
    RungPromotion,
    User,
)
from tests.conftest import PASSWORD, count_rows, serving
from tests.factories import (
    assign,
    enroll,
    kind_form,
    make_cohort,
    make_programme,
    make_record,
    make_user,
    sale_form,
)

N = 8
TODAY = local_today()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One phone: its own cookies, logged in once."""

    def __init__(self, base: str, user):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect
        )
        assert self.post("/login", {"phone": user.phone, "password": PASSWORD}) == 302

    def get(self, path: str) -> int:
        return self._status(path, None)

    def post(self, path: str, data: dict) -> int:
        return self._status(path, urllib.parse.urlencode(data, doseq=True).encode())

    def _status(self, path: str, body: bytes | None) -> int:
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code


def at_once(calls) -> list[int]:
    """Run each call in its own thread, released together; their status codes."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # a dropped connection counts as a failure too
            results[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def no_server_errors(statuses) -> None:
    assert all(isinstance(s, int) and s < 500 for s in statuses), statuses


@pytest.fixture
def people(app, mini_curriculum):
    with app.app_context():
        mentor = make_user(Role.MENTOR)
        trainee, other = make_user(name="甲"), make_user(name="乙")
        trainee.profile.baseline_rung = 3
        cohort = make_cohort(make_programme(), starts_on=TODAY - timedelta(days=30))
        enroll(trainee, cohort)
        enroll(other, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(days=30))
        db.session.commit()
        return {"mentor": mentor, "trainee": trainee, "other": other}


def sale(uuid: str, **overrides) -> dict:
    return sale_form(**{"uuid": uuid, "amount": "45.50", **overrides})


def test_the_same_sale_sent_by_eight_clients_at_once_is_stored_once(app, people):
    uuid = new_uuid()
    with serving(app) as base:
        phones = [Client(base, people["trainee"]) for _ in range(N)]
        statuses = at_once([lambda p=p: p.post("/learn/practice/new", sale(uuid)) for p in phones])
        no_server_errors(statuses)
        assert statuses == [302] * N
        # Its uuid, sent by someone else: refused with a page, nothing stored or changed.
        thief = Client(base, people["other"])
        assert thief.post("/learn/practice/new", sale(uuid, amount="99999")) == 409
    assert count_rows(app, PracticeRecord) == 1
    with app.app_context():
        record = db.session.scalar(select(PracticeRecord))
        assert record.trainee_id == people["trainee"].id and record.amount_fen == 4550


def test_the_same_visit_and_the_same_quiz_sent_at_once_are_stored_once(app, people):
    trainee = people["trainee"]
    visit = {
        "uuid": new_uuid(),
        "visited_on": TODAY.isoformat(),
        "mode": "phone",
        "level_tool_use": "independent",
        "level_info_analysis": "with_help",
        "level_online_coordination": "with_help",
        "level_resource_innovation": "not_yet",
    }
    with app.app_context():
        quiz = {"uuid": new_uuid()}
        for item in db.session.scalars(select(QuizItem)):
            quiz[f"q{item.id}"] = [str(i) for i in sorted(item.answer)]
    with serving(app) as base:
        mentors = [Client(base, people["mentor"]) for _ in range(N)]
        trainees = [Client(base, trainee) for _ in range(N)]
        path = f"/mentor/trainees/{trainee.id}/visits/new"
        statuses = at_once([lambda m=m: m.post(path, visit) for m in mentors])
        no_server_errors(statuses)
        statuses = at_once(
            [lambda t=t: t.post("/learn/courses/basics/quiz", quiz) for t in trainees]
        )
        no_server_errors(statuses)
    assert count_rows(app, FollowUpVisit) == 1 and count_rows(app, QuizAttempt) == 1


def test_a_double_tap_on_the_last_lesson_stores_one_progress_and_one_completion(app, people):
    trainee = people["trainee"]
    with app.app_context():
        lessons = {x.slug: x for x in db.session.scalars(select(Lesson))}
        db.session.add(
            LessonProgress(trainee_id=trainee.id, lesson_id=lessons["basics-charge"].id, revision=1)
        )
        course_id = lessons["basics-charge"].course_id
        db.session.add(
            QuizAttempt(
                trainee_id=trainee.id,
                course_id=course_id,
                answers={},
                correct=3,
                total=3,
                percent=100,
                passed=True,
            )
        )
        db.session.commit()
    with serving(app) as base:
        taps = [Client(base, trainee) for _ in range(N)]
        statuses = at_once(
            [lambda t=t: t.post("/learn/lessons/basics-wifi/learned", {}) for t in taps]
        )
        no_server_errors(statuses)
    assert count_rows(app, LessonProgress, trainee_id=trainee.id) == 2
    assert count_rows(app, CourseCompletion, trainee_id=trainee.id) == 1


@pytest.mark.parametrize("round_", range(4))
def test_a_mentor_verifying_while_the_trainee_edits_never_verifies_what_they_did_not_see(
    app, people, round_
):
    with app.app_context():
        record = make_record(people["trainee"], amount_fen=1000)
        db.session.commit()
    with serving(app) as base:
        mentor, trainee = Client(base, people["mentor"]), Client(base, people["trainee"])
        statuses = at_once(
            [
                lambda: mentor.post(f"/mentor/records/{record.id}/verify", {"version": "1"}),
                lambda: trainee.post(
                    f"/learn/practice/{record.id}/edit",
                    sale(record.uuid, amount="99999", version="1"),
                ),
            ]
        )
    no_server_errors(statuses)
    with app.app_context():
        stored = db.session.get(PracticeRecord, record.id)
        if stored.status is RecordStatus.VERIFIED:  # the mentor was first: the edit refused
            assert stored.amount_fen == 1000 and stored.version == 2
        else:  # the trainee was first: the verify refused, the mentor shown the new values
            assert stored.status is RecordStatus.SELF_REPORTED
            assert stored.amount_fen == 9999900 and statuses[0] == 409


@pytest.mark.parametrize("round_", range(2))
def test_a_mentor_verifying_a_livestream_while_the_trainee_edits_its_counts(app, people, round_):
    """The same race for a kind with its own fields (issue 13): never a verified record with
    counts the mentor did not see."""
    with app.app_context():
        record = make_record(
            people["trainee"],
            kind="livestream",
            amount_fen=None,
            quantity=None,
            unit="",
            product="",
            minutes=60,
            viewers=35,
            orders=3,
        )
        db.session.commit()
    edit = kind_form("livestream", viewers="3500", uuid=record.uuid, version="1")
    with serving(app) as base:
        mentor, trainee = Client(base, people["mentor"]), Client(base, people["trainee"])
        statuses = at_once(
            [
                lambda: mentor.post(f"/mentor/records/{record.id}/verify", {"version": "1"}),
                lambda: trainee.post(f"/learn/practice/{record.id}/edit", edit),
            ]
        )
    no_server_errors(statuses)
    with app.app_context():
        stored = db.session.get(PracticeRecord, record.id)
        if stored.status is RecordStatus.VERIFIED:
            assert stored.viewers == 35 and stored.version == 2
        else:
            assert stored.status is RecordStatus.SELF_REPORTED
            assert stored.viewers == 3500 and statuses[0] == 409


@pytest.mark.parametrize("round_", range(4))
def test_a_trainee_deleting_while_the_mentor_verifies_gives_one_outcome_and_no_error(
    app, people, round_
):
    with app.app_context():
        record = make_record(people["trainee"])
        db.session.commit()
    with serving(app) as base:
        mentor, trainee = Client(base, people["mentor"]), Client(base, people["trainee"])
        statuses = at_once(
            [
                lambda: mentor.post(f"/mentor/records/{record.id}/verify", {"version": "1"}),
                lambda: trainee.post(f"/learn/practice/{record.id}/delete", {"version": "1"}),
            ]
        )
    no_server_errors(statuses)
    with app.app_context():
        stored = db.session.get(PracticeRecord, record.id)
        assert stored.status in (RecordStatus.VERIFIED, RecordStatus.DELETED)
        assert stored.version == 2  # exactly one of the two was applied


def test_sign_off_submitted_many_times_at_once_stores_one_promotion(app, people):
    trainee, mentor = people["trainee"], people["mentor"]
    with app.app_context():
        from lms.models import Course

        for course in db.session.scalars(select(Course)):
            db.session.add(CourseCompletion(trainee_id=trainee.id, course_id=course.id))
        for _ in range(2):
            make_record(trainee, happened_on=TODAY, status="verified")
        visits = []
        for mode in ("phone", "in_person"):
            visit = FollowUpVisit(
                trainee_id=trainee.id,
                mentor_id=mentor.id,
                visited_on=TODAY,
                mode=mode,
                observations={},
            )
            db.session.add(visit)
            visits.append(visit)
        db.session.commit()
    with serving(app) as base:
        clients = [Client(base, mentor) for _ in range(N)]
        path = f"/mentor/trainees/{trainee.id}/signoff"
        # The same form sent N times, and half of them naming the other recent visit.
        statuses = at_once(
            [
                lambda c=c, i=i: c.post(path, {"visit_id": visits[i % 2].id, "step": "1"})
                for i, c in enumerate(clients)
            ]
        )
    no_server_errors(statuses)
    assert count_rows(app, RungPromotion) == 1


def test_an_outcome_tapped_twice_at_once_is_recorded_once(app, people):
    trainee = people["trainee"]
    form = {"uuid": new_uuid(), "kind": "shop_opened", "happened_on": TODAY.isoformat()}
    with serving(app) as base:
        clients = [Client(base, people["mentor"]) for _ in range(N)]
        path = f"/mentor/trainees/{trainee.id}/outcomes/new"
        no_server_errors(at_once([lambda c=c: c.post(path, form) for c in clients]))
    assert count_rows(app, Outcome) == 1


def test_lead_and_admin_forms_sent_twice_at_once_never_answer_5xx(app, people):
    """A double tap on 导入 (the same confirmed roster), on 分配导师, on 调班, and an admin's
    加入培训班: one result each, and a page for every request."""
    from lms.services import files, roster

    with app.app_context():
        lead, admin = make_user(Role.LEAD), make_user(Role.ADMIN)
        programme = make_programme(lead, name="并发项目")
        programme.villages = ["大坪村"]
        cohort = make_cohort(programme, name="一期", starts_on=TODAY - timedelta(days=10))
        other_cohort = make_cohort(programme, name="二期", starts_on=TODAY - timedelta(days=10))
        elsewhere = make_cohort(make_programme(), name="外班", starts_on=TODAY)
        mover = make_user(name="调班的")
        enroll(mover, cohort)
        db.session.commit()
        data = "姓名,手机号,村,培训班\n新人,13912349999,大坪村,一期\n".encode()
        token = f"{'a' * 32}.csv"
        (files.folder("rosters") / f"{programme.id}-{token}").write_bytes(data)
        digest = roster.preview(programme, token, data).digest
    with serving(app) as base:
        leads = [Client(base, lead) for _ in range(N)]
        confirm = {"token": token, "digest": digest, "consent": "y"}
        path = f"/lead/programmes/{programme.id}/roster/import"
        no_server_errors(at_once([lambda c=c: c.post(path, confirm) for c in leads]))
        path = f"/lead/cohorts/{cohort.id}/mentor"
        mentor_id = people["mentor"].id
        no_server_errors(
            at_once([lambda c=c: c.post(path, {"mentor_id": mentor_id}) for c in leads])
        )
        path = f"/lead/programmes/{programme.id}/trainees/{mover.id}/move"
        no_server_errors(
            at_once([lambda c=c: c.post(path, {"cohort_id": other_cohort.id}) for c in leads])
        )
        admins = [Client(base, admin) for _ in range(N)]
        path = f"/admin/users/{mover.id}/enrol"
        form = {"cohort_id": elsewhere.id, "confirm": "y"}
        no_server_errors(at_once([lambda c=c: c.post(path, form) for c in admins]))
    assert count_rows(app, User, phone="13912349999") == 1
    assert count_rows(app, Enrollment, trainee_id=mover.id, left_on=None) == 2
    with app.app_context():
        current = db.session.scalars(
            select(MentorAssignment).where(
                MentorAssignment.cohort_id == cohort.id, MentorAssignment.ends_on.is_(None)
            )
        ).all()
        assert len(current) >= 1  # a twin made at the very same instant ends with it (below)
        from lms.services import programmes

        programmes.end_assignment(lead, current[0])
        db.session.commit()
        assert count_rows(app, MentorAssignment, cohort_id=cohort.id, ends_on=None) == 0


def test_leads_opening_one_dashboard_at_once_compute_its_period_once(app, people):
    with app.app_context():
        lead = make_user(Role.LEAD)
        mine = select(Enrollment).where(Enrollment.trainee_id == people["trainee"].id)
        programme = db.session.scalar(mine).cohort.programme
        programme.lead_id = lead.id
        db.session.commit()
        url = f"/lead/programmes/{programme.id}/dashboard?preset=90d"
    with serving(app) as base:
        leads = [Client(base, lead) for _ in range(4)]
        statuses = at_once([lambda c=c: c.get(url) for c in leads])
    assert statuses == [200] * 4
    assert count_rows(app, ReportPeriod) == 1
    assert count_rows(app, PeriodFigures) == 2  # one row per trainee, none twice
