"""Administration: user accounts (create, reset password, deactivate). Every change is audited."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.db import db
from lms.errors import ValidationError
from lms.forms import ConfirmForm
from lms.inputs import page_number
from lms.models import Cohort, Enrollment, Programme, Role, User
from lms.permissions import acting_user
from lms.security import no_store
from lms.services import accounts, programmes

from . import bp
from .forms import EnrolForm, UserForm


@bp.get("/")
def home():
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users():
    role = request.args.get("role")
    query = select(User).order_by(User.role, User.name)
    if role in set(Role):
        query = query.where(User.role == Role(role))
    page = db.paginate(
        query, page=page_number(request.args.get("page")), per_page=50, max_per_page=50
    )
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
    return no_store(render_template("admin/password_shown.html", user=user, password=password))


def _load_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.post("/users/<id:user_id>/reset-password")
def reset_password(user_id: int):
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    password = accounts.reset_password(current_user, user)
    db.session.commit()
    return no_store(render_template("admin/password_shown.html", user=user, password=password))


@bp.post("/users/<id:user_id>/active")
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


@bp.route("/users/<id:user_id>/enrol", methods=["GET", "POST"])
def enrol(user_id: int):
    """Enrol a trainee in a cohort of any programme: the explicit, audited way a person of one
    programme joins another."""
    user = _load_user(user_id)
    if user.role is not Role.TRAINEE:
        abort(404)
    current = db.session.execute(
        select(Enrollment, Cohort, Programme)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Enrollment.trainee_id == user.id, Enrollment.left_on.is_(None))
        .order_by(Enrollment.enrolled_on)
    ).all()
    open_cohorts = db.session.execute(
        select(Cohort, Programme.name)
        .join(Programme, Programme.id == Cohort.programme_id)
        .where(Cohort.closed_on.is_(None))
        .order_by(Programme.name, Cohort.starts_on)
    ).all()
    form = EnrolForm()
    form.cohort_id.choices = [SelectChoice(c.id, f"{name} · {c.name}") for c, name in open_cohorts]
    if request.method == "POST":
        cohort = db.session.get(Cohort, form.cohort_id.data or 0)
        if cohort is None or cohort.is_closed:
            form.cohort_id.errors = [_("请选择一个培训班。")]
        else:
            try:
                programmes.enrol_trainee(
                    acting_user(), user, cohort, confirmed=bool(form.confirm.data)
                )
            except ValidationError as e:
                db.session.rollback()
                e.attach_to(form)
            else:
                db.session.commit()
                flash(
                    _("已把 %(name)s 加入「%(cohort)s」。", name=user.name, cohort=cohort.name),
                    "success",
                )
                return redirect(url_for("admin.users", role="trainee"))
    return render_template(
        "admin/enrol.html", user=user, current=current, form=form
    ), 422 if form.errors else 200
