"""The programme lead's pages: programmes, cohorts, dashboards and exports."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from lms.db import db
from lms.models import Cohort, Enrollment, Programme, Role
from lms.permissions import guard_blueprint, programmes_visible_to

bp = Blueprint("lead", __name__, url_prefix="/lead")
guard_blueprint(bp, Role.LEAD, Role.ADMIN)


@bp.get("/")
def home():
    visible = programmes_visible_to(current_user).subquery()
    rows = db.session.execute(
        select(
            Programme,
            select(func.count(Cohort.id))
            .where(Cohort.programme_id == Programme.id)
            .scalar_subquery()
            .label("cohorts"),
            select(func.count(Enrollment.id))
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.programme_id == Programme.id, Enrollment.left_on.is_(None))
            .scalar_subquery()
            .label("trainees"),
        )
        .where(Programme.id.in_(select(visible.c.id)))
        .order_by(Programme.name)
    ).all()
    return render_template("lead/home.html", rows=rows)
