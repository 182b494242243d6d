"""The trainee's pages: learning, practice and their own ladder."""

from flask import Blueprint, render_template

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("learn", __name__, url_prefix="/learn")
guard_blueprint(bp, Role.TRAINEE)


@bp.get("/")
def home():
    return render_template("learn/home.html")
