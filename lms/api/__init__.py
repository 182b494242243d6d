"""The JSON API under /api/v1 (the phones' sync)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import views  # noqa: E402, F401  (the routes on bp)
