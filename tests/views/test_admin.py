"""Admin pages: enrolling a trainee of one programme in another is explicit and audited."""

from datetime import date

from sqlalchemy import select

from lms.db import db
from lms.models import AuditEvent, Enrollment, Role
from tests.conftest import form_errors
from tests.factories import enroll, make_cohort, make_programme, make_user


def test_an_admin_enrols_a_trainee_of_another_programme_only_when_confirmed(app, login):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        first, second = make_programme(name="一号项目"), make_programme(name="二号项目")
        trainee = make_user(name="两个项目")
        enroll(trainee, make_cohort(first, name="一期", starts_on=date(2026, 1, 1)))
        target = make_cohort(second, name="二期", starts_on=date(2026, 4, 1))
        mentor = make_user(Role.MENTOR)
        db.session.commit()
    client = login(admin)
    page = client.get(f"/admin/users/{trainee.id}/enrol").get_data(as_text=True)
    assert "一号项目 · 一期" in page and "二号项目 · 二期" in page
    refused = client.post(f"/admin/users/{trainee.id}/enrol", data={"cohort_id": target.id})
    assert refused.status_code == 422
    assert form_errors(refused.get_data(as_text=True)) == ["这位学员已在别的项目里：请勾选确认。"]
    done = client.post(
        f"/admin/users/{trainee.id}/enrol", data={"cohort_id": target.id, "confirm": "y"}
    )
    assert done.status_code == 302
    again = client.post(
        f"/admin/users/{trainee.id}/enrol", data={"cohort_id": target.id, "confirm": "y"}
    )
    assert again.status_code == 422  # already in this programme: once is enough
    with app.app_context():
        cohorts = db.session.scalars(
            select(Enrollment.cohort_id).where(Enrollment.trainee_id == trainee.id)
        ).all()
        assert len(cohorts) == 2 and target.id in cohorts
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "trainee.enrolled"))
        assert event.actor_id == admin.id and event.details["also_in_programmes"] == [first.id]
    # Only trainees, and only admins.
    assert client.get(f"/admin/users/{mentor.id}/enrol").status_code == 404
    lead = login(make_lead(app), target=app.test_client())
    assert lead.get(f"/admin/users/{trainee.id}/enrol").status_code == 403


def make_lead(app):
    with app.app_context():
        lead = make_user(Role.LEAD)
        db.session.commit()
        return lead


def test_a_trainee_of_two_programmes_keeps_each_and_each_report_counts_from_its_enrolment(
    app, login
):
    from lms.services import programmes
    from tests.factories import make_record

    with app.app_context():
        admin = make_user(Role.ADMIN)
        lead_one, lead_two = make_user(Role.LEAD), make_user(Role.LEAD)
        first, second = make_programme(lead_one, name="一号"), make_programme(lead_two, name="二号")
        one = make_cohort(first, name="一期", starts_on=date(2026, 1, 1))
        two_a = make_cohort(second, name="A班", starts_on=date(2026, 4, 1))
        two_b = make_cohort(second, name="B班", starts_on=date(2026, 4, 1))
        trainee = make_user(name="两个项目")
        enroll(trainee, one)
        make_record(trainee, happened_on=date(2026, 2, 1), amount_fen=11100, status="verified")
        programmes.enrol_trainee(admin, trainee, two_a, confirmed=True, today=date(2026, 5, 1))
        make_record(trainee, happened_on=date(2026, 5, 2), amount_fen=22200, status="verified")
        db.session.commit()
    client = login(lead_two)
    # Moving within programme 2 leaves the enrolment in programme 1 alone.
    client.post(
        f"/lead/programmes/{second.id}/trainees/{trainee.id}/move", data={"cohort_id": two_b.id}
    )
    with app.app_context():
        current = db.session.scalars(
            select(Enrollment.cohort_id).where(
                Enrollment.trainee_id == trainee.id, Enrollment.left_on.is_(None)
            )
        ).all()
        assert sorted(current) == sorted([one.id, two_b.id])
    report = client.get(f"/lead/programmes/{second.id}/trainees/{trainee.id}/report")
    page = report.get_data(as_text=True)
    assert "¥222.00" in page and "¥111.00" not in page
    first_report = login(lead_one, target=app.test_client()).get(
        f"/lead/programmes/{first.id}/trainees/{trainee.id}/report"
    )
    assert "¥111.00" in first_report.get_data(as_text=True)
