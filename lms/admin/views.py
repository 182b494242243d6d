"""Administration: user accounts (create, reset password, deactivate). Every change is audited."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.db import db
from lms.errors import ValidationError
from lms.forms import ConfirmForm
from lms.models import Role, User
from lms.permissions import guard_blueprint
from lms.services import accounts

from .forms import UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


@bp.get("/")
def home():
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    role = request.args.get("role")
    query = select(User).order_by(User.role, User.name)
    if role in set(Role):
        query = query.where(User.role == Role(role))
    page = db.paginate(query, per_page=50)
    return render_template("admin/users.html", page=page, role=role, form=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    if not form.validate_on_submit():
        return render_template("admin/user_form.html", form=form), (
            422 if request.method == "POST" else 200
        )
    password = accounts.generate_password()
    try:
        user = accounts.create_user(
            current_user,
            accounts.NewUser(
                phone=form.phone.data,
                name=form.name.data,
                role=Role(form.role.data),
                password=password,
            ),
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("admin/user_form.html", form=form), 422
    db.session.commit()
    return render_template("admin/password_shown.html", user=user, password=password)


def _load_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.post("/users/<int:user_id>/reset-password")
def reset_password(user_id: int):
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    password = accounts.reset_password(current_user, user)
    db.session.commit()
    return render_template("admin/password_shown.html", user=user, password=password)


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    user = _load_user(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            accounts.set_active(current_user, user, request.form.get("active") == "1")
        except ValidationError as e:
            db.session.rollback()
            flash(next(iter(e.errors.values())), "error")
            return redirect(url_for("admin.users"))
        db.session.commit()
        flash(
            _("已停用 %(name)s。", name=user.name)
            if not user.is_active
            else _("已启用 %(name)s。", name=user.name),
            "success",
        )
    return redirect(url_for("admin.users"))
