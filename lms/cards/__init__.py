"""The platform cards (平台规则卡): one dated card per selling platform, for every logged-in
role (trainees read them, mentors teach with them, leads check them)."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

# Under /learn/ like the lessons that link to them, so a phone keeps an opened card offline
# (lms.offline.KEPT_PREFIXES).
bp = Blueprint("cards", __name__, url_prefix="/learn/cards")
guard_blueprint(bp, *Role)

from . import views  # noqa: E402, F401  (the routes on bp)
