"""The mentor's area: the caseload, trainee files, visits, sign-offs and verification."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("mentor", __name__, url_prefix="/mentor")
guard_blueprint(bp, Role.MENTOR)

from . import tracks, views  # noqa: E402, F401  (the routes on bp)
