"""A lead reads, filters and exports the audit trail of their programme, and no other's."""

from datetime import timedelta

from lms.clock import local_today
from lms.db import db
from lms.models import Role
from tests.factories import enroll, make_cohort, make_programme, make_user

TODAY = local_today()


def test_the_trail_of_a_programme_and_its_trainees_only(app, login):
    with app.app_context():
        lead, other_lead = make_user(Role.LEAD, name="林"), make_user(Role.LEAD, name="别人")
        mentor = make_user(Role.MENTOR, name="陈导师")
        mine, theirs = make_programme(lead, name="我的"), make_programme(other_lead, name="他们的")
        cohort = make_cohort(mine, starts_on=TODAY - timedelta(days=5))
        their_cohort = make_cohort(theirs, starts_on=TODAY - timedelta(days=5))
        trainee, stranger = make_user(name="王秀兰"), make_user(name="外人")
        enroll(trainee, cohort)
        enroll(stranger, their_cohort)
        db.session.commit()
    client = login(lead)
    client.post(f"/lead/cohorts/{cohort.id}/mentor", data={"mentor_id": mentor.id})
    other = login(other_lead, target=app.test_client())
    other.post(f"/lead/cohorts/{their_cohort.id}/close")
    me = login(trainee, target=app.test_client())
    me.post("/learn/consent/withdraw")

    page = client.get(f"/lead/programmes/{mine.id}/audit").get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    assert "分配导师" in rows and "学员撤回同意" in rows and "结束培训班" not in rows
    assert "共 2 条" in page
    only = client.get(f"/lead/programmes/{mine.id}/audit?action=mentor.assigned")
    assert "共 1 条" in only.get_data(as_text=True)
    export = client.get(f"/lead/programmes/{mine.id}/audit.csv")
    assert export.headers["Cache-Control"] == "no-store"
    lines = export.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "时间,操作人,操作,对象,学员编号,细节" and len(lines) == 3
    assert other.get(f"/lead/programmes/{mine.id}/audit").status_code == 404
    for query in ("start=0001-01-01", "action=%3Cscript%3E", "page=99999999999999"):
        assert client.get(f"/lead/programmes/{mine.id}/audit?{query}").status_code == 200
