"""Logging in and out, one-time passwords and password changes."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402, F401  (the routes on bp)
