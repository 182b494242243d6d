"""The admin area: accounts, roles and the programmes' setup across the server."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)

from . import views  # noqa: E402, F401  (the routes on bp)
