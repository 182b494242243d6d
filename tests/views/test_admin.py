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
