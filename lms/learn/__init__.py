"""The trainee's area: lessons, quizzes, practice records and consent."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("learn", __name__, url_prefix="/learn")
guard_blueprint(bp, Role.TRAINEE)

from . import consent, records, views  # noqa: E402, F401  (the routes on bp)
