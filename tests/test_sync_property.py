"""Several phones sync what they hold, in any order: batches duplicated, reordered, lost on the
way (never arrived) or answered into the void (stored, but the phone never heard), with some
entries the server refuses. However it interleaves, once every phone has resent what it still
holds, the server holds exactly the distinct valid entries, each once, as its phone made it."""

import uuid as uuids
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.extensions import limiter
from lms.models import FollowUpVisit, PracticeRecord, Role
from tests.conftest import PASSWORD
from tests.factories import assign, enroll, make_cohort, make_programme, make_user

TODAY = local_today()
NOW = datetime.now(UTC).isoformat(timespec="seconds")
PHONES = 3  # two trainees, one mentor


def world(app):
    limiter.reset()  # every example logs in again, from the same test address
    with app.app_context():
        mentor = make_user(Role.MENTOR)
        trainees = [make_user(), make_user()]
        cohort = make_cohort(make_programme(make_user(Role.LEAD)), starts_on=TODAY - timedelta(9))
        for trainee in trainees:
            enroll(trainee, cohort)
        assign(mentor, cohort=cohort, starts_on=TODAY - timedelta(9))
        db.session.commit()
        return [(t.phone, t.id) for t in trainees] + [(mentor.phone, mentor.id)], trainees[0].id


def practice_entry(n: int, valid: bool) -> dict:
    return {
        "uuid": str(uuids.uuid4()),
        "kind": "practice_record",
        "client_time": NOW,
        "data": {
            "kind": "sale",
            "happened_on": TODAY.isoformat(),
            "channel": "wechat_group",
            "product": f"土鸡蛋{n}",
            "quantity": "30",
            "unit": "个",
            "amount": str(10 + n) if valid else "NaN",
        },
    }


def visit_entry(n: int, valid: bool, trainee_id: int) -> dict:
    levels = {
        f"level_{d}": "with_help"
        for d in ("tool_use", "info_analysis", "online_coordination", "resource_innovation")
    }
    return {
        "uuid": str(uuids.uuid4()),
        "kind": "visit",
        "client_time": NOW,
        "data": {
            "trainee_id": str(trainee_id),
            "visited_on": (TODAY - timedelta(days=n % 5)).isoformat(),
            "mode": "phone" if valid else "carrier pigeon",
            "actions": f"第{n}次约定",
            **levels,
        },
    }


SENDS = st.lists(
    st.tuples(
        st.integers(0, PHONES - 1),  # which phone
        st.lists(st.integers(0, 5), min_size=1, max_size=8),  # which of its entries, any order
        st.sampled_from(["answered", "lost", "unheard"]),  # what happened on the way
    ),
    max_size=12,
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(validity=st.lists(st.booleans(), min_size=PHONES * 6, max_size=PHONES * 6), sends=SENDS)
def test_any_interleaving_ends_with_exactly_the_distinct_entries(app, validity, sends):
    people, trainee_id = world(app)
    held, valid = [], set()  # per phone: its entries; the uuids the server should keep
    for p in range(PHONES):
        flags = validity[p * 6 : p * 6 + 6]
        if p < PHONES - 1:
            entries = [practice_entry(p * 10 + i, ok) for i, ok in enumerate(flags)]
        else:
            entries = [visit_entry(i, ok, trainee_id) for i, ok in enumerate(flags)]
        held.append(entries)
        valid |= {e["uuid"] for e, ok in zip(entries, flags, strict=True) if ok}
    clients = []
    for phone, _id in people:
        client = app.test_client()
        client.post("/login", data={"phone": phone, "password": PASSWORD})
        clients.append(client)
    waiting = [list(entries) for entries in held]  # what each phone still holds
    for phone, picks, fate in sends:
        if fate == "lost" or not waiting[phone]:
            continue
        batch = [waiting[phone][i % len(waiting[phone])] for i in picks]
        results = post(clients[phone], batch)
        if fate == "answered":  # the phone drops what the server has (or refused for good)
            done = {r["uuid"] for r in results if r["status"] in ("created", "duplicate")}
            waiting[phone] = [e for e in waiting[phone] if e["uuid"] not in done]
    for phone in range(PHONES):  # the connection comes back: each phone sends what it holds
        if waiting[phone]:
            results = post(clients[phone], waiting[phone])
            for entry, result in zip(waiting[phone], results, strict=True):
                expected = "rejected" if entry["uuid"] not in valid else result["status"]
                assert result["status"] == expected
                assert result["status"] in ("created", "duplicate", "rejected")
    uuids_sent = {e["uuid"] for entries in held for e in entries}
    with app.app_context():
        stored = [
            *db.session.scalars(select(PracticeRecord).where(PracticeRecord.uuid.in_(uuids_sent))),
            *db.session.scalars(select(FollowUpVisit).where(FollowUpVisit.uuid.in_(uuids_sent))),
        ]
        assert sorted(r.uuid for r in stored) == sorted(valid)  # each once, nothing more
        owner = {e["uuid"]: people[p][1] for p in range(PHONES) for e in held[p]}
        by_uuid = {e["uuid"]: e for entries in held for e in entries}
        for record in stored:
            made = by_uuid[record.uuid]["data"]
            if isinstance(record, PracticeRecord):
                assert record.trainee_id == owner[record.uuid]
                assert (record.product, record.amount_fen) == (
                    made["product"],
                    int(made["amount"]) * 100,
                )
            else:
                assert record.mentor_id == owner[record.uuid]
                assert record.actions == made["actions"]


def post(client, batch):
    response = client.post("/api/v1/sync", json={"entries": batch})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["uuid"] for r in results] == [e["uuid"] for e in batch]
    return results
