"""trainee_facts: kept true on every write (every test's teardown also checks it against a live
computation, see conftest.check_facts), rebuilt and checked by command, and right when two
transactions touch one trainee at once."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lms.clock import local_today
from lms.db import db
from lms.models import FollowUpVisit, Programme, Role, TraineeFacts, VisitMode
from lms.reporting import facts
from tests.factories import enroll, make_cohort, make_programme, make_record, make_user

TODAY = local_today()


@pytest.fixture
def trainee(app):
    with app.app_context():
        mentor = make_user(Role.MENTOR, name="陈导师")
        cohort = make_cohort(make_programme(), starts_on=TODAY - timedelta(days=40))
        person = make_user(name="王秀兰")
        enroll(person, cohort)
        db.session.commit()
        return person, mentor


def kept(trainee_id: int) -> TraineeFacts:
    db.session.expire_all()
    return db.session.get(TraineeFacts, trainee_id)


def test_a_write_refreshes_the_facts_in_its_own_commit(app, trainee):
    person, _ = trainee
    with app.app_context():
        assert kept(person.id).enrolled_on == TODAY - timedelta(days=40)
        assert kept(person.id).last_activity_on is None
        make_record(person, happened_on=TODAY)
        assert kept(person.id).pending_count == 0  # not before the commit…
        db.session.commit()
        assert (kept(person.id).pending_count, kept(person.id).last_activity_on) == (1, TODAY)
        make_record(person, happened_on=TODAY)
        db.session.rollback()  # …and a rolled-back write leaves nothing to refresh
        assert kept(person.id).pending_count == 1
        assert facts.differences([person.id]) == {}


def test_rebuild_and_check_commands_repair_and_report_stale_facts(app, trainee):
    person, _ = trainee
    runner = app.test_cli_runner()
    with app.app_context():
        db.session.execute(  # a change made behind the app's back, as a bulk load would
            update(TraineeFacts).where(TraineeFacts.trainee_id == person.id).values(pending_count=7)
        )
        db.session.commit()
    result = runner.invoke(args=["facts", "check"])
    assert result.exit_code == 1 and "1 differ" in result.output
    result = runner.invoke(args=["facts", "rebuild"])
    assert result.exit_code == 0 and "facts rebuilt for 1 trainees" in result.output
    result = runner.invoke(args=["facts", "check"])
    assert result.exit_code == 0 and "0 differ" in result.output


def test_a_programme_setting_refreshes_every_trainee_of_the_programme(app, trainee):
    person, _ = trainee
    with app.app_context():
        before = kept(person.id).closes_on
        programme = db.session.scalar(select(TraineeFacts.programme_id))
        db.session.get(Programme, programme).followup_early_every_days = 7
        db.session.commit()
        assert kept(person.id).closes_on < before  # visits due every week now: overdue sooner


def test_two_transactions_on_one_trainee_both_count(app, trainee):
    """A holds the trainee's facts row (its refresh ran, its commit not yet); B logs a visit and
    commits. B must wait for A, then count A's record as well as its own visit."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers: two cannot hold one row at once")
    person, mentor = trainee
    a_ready, b_done = threading.Event(), threading.Event()

    def b():
        with app.app_context():
            a_ready.wait(5)
            db.session.add(
                FollowUpVisit(
                    trainee_id=person.id,
                    mentor_id=mentor.id,
                    visited_on=TODAY,
                    mode=VisitMode.PHONE,
                )
            )
            db.session.commit()
            b_done.set()
            db.session.remove()

    thread = threading.Thread(target=b)
    thread.start()
    with app.app_context():
        make_record(person, happened_on=TODAY)
        facts.refresh([person.id])  # A's refresh: the row is locked until A commits
        a_ready.set()
        time.sleep(0.5)
        assert not b_done.is_set()  # B waits for A's lock
        db.session.info.pop(facts.STALE, None)
        db.session.commit()
    thread.join(10)
    assert b_done.is_set()
    with app.app_context():
        stored = kept(person.id)
        assert (stored.pending_count, stored.last_visit_on) == (1, TODAY)
        assert facts.differences([person.id]) == {}
