"""The resident mentor's pages: caseload, follow-up visits, verification and sign-off."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from lms.db import db
from lms.models import Role
from lms.permissions import assigned_trainee_ids, guard_blueprint

bp = Blueprint("mentor", __name__, url_prefix="/mentor")
guard_blueprint(bp, Role.MENTOR)


@bp.get("/")
def home():
    ids = assigned_trainee_ids(current_user).subquery()
    caseload = db.session.scalar(select(func.count()).select_from(ids))
    return render_template("mentor/home.html", caseload=caseload)
