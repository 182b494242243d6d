"""The programme lead's area: programmes, cohorts, rosters, dashboards and lists."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("lead", __name__, url_prefix="/lead")
guard_blueprint(bp, Role.LEAD, Role.ADMIN)

from . import audit, dashboard, jobs, needs, personal, roster, views  # noqa: E402, F401  (the routes on bp)
