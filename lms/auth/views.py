"""Logging in and out, changing one's password, choosing the language."""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.db import db
from lms.errors import ValidationError
from lms.extensions import limiter
from lms.permissions import acting_user, home_endpoint
from lms.services import accounts

from . import bp, throttle
from .forms import LocaleForm, LoginForm, PasswordForm


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    throttle.PER_ACCOUNT_AND_CLIENT,
    key_func=throttle.account_and_client,
    methods=["POST"],
    deduct_when=throttle.failed,
    on_breach=throttle.too_many,
    scope="login-account",
)
@limiter.limit(
    throttle.PER_CLIENT,
    key_func=throttle.client,
    methods=["POST"],
    deduct_when=throttle.failed,
    on_breach=throttle.too_many,
    scope="login-client-failures",
)
@limiter.limit(
    throttle.ATTEMPTS_PER_CLIENT,
    key_func=throttle.client,
    methods=["POST"],
    on_breach=throttle.too_many,
    scope="login-client",
)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), (
            422 if request.method == "POST" else 200
        )
    try:
        user = accounts.authenticate(form.phone.data, form.password.data)
    except accounts.BadCredentials:
        db.session.rollback()
        form.password.errors.append(_("手机号或密码不对，请再试一次。"))
        return render_template("auth/login.html", form=form), 401
    except accounts.AccountInactive:
        db.session.rollback()
        form.password.errors.append(_("这个账号已停用。需要用的话，请联系项目负责人或管理员。"))
        return render_template("auth/login.html", form=form), 403
    db.session.commit()
    locale = session.get("locale")
    session.clear()  # no session fixation: a fresh session for the logged-in user
    if locale:
        session["locale"] = locale
    session.permanent = True
    login_user(user)
    return redirect(safe_next(form.next.data) or url_for(home_endpoint(user)))


@bp.post("/logout")
@login_required
def logout():
    accounts.log_out(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("你已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), (
            422 if request.method == "POST" else 200
        )
    user = acting_user()
    try:
        accounts.change_password(user, form.current.data, form.password.data)
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("auth/password.html", form=form), 422
    db.session.commit()
    login_user(user)  # this session carries the new token; every other one has ended
    flash(_("密码已修改。其他手机上的登录已失效。"), "success")
    return redirect(url_for(home_endpoint(user)))


@bp.post("/locale")
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("auth.index"))


@bp.get("/privacy")
def privacy():
    """The privacy notice trainees consent to, for anyone to read."""
    return render_template("auth/privacy.html")
