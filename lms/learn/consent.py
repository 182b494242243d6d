"""The trainee's consent to the privacy notice: asked before any other page until given, shown
again with a way to withdraw it. Routes on the learn blueprint."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from lms.db import db
from lms.errors import ValidationError
from lms.forms import ConfirmForm
from lms.permissions import acting_user
from lms.services import consent as consents

from . import bp
from .forms import ConsentForm

OPEN_WITHOUT_CONSENT = {"learn.consent"}


@bp.before_request
def _ask_for_consent_first():
    if request.endpoint in OPEN_WITHOUT_CONSENT:
        return None
    if consents.current_consent(acting_user()) is None:
        return redirect(url_for("learn.consent"))
    return None


@bp.route("/consent", methods=["GET", "POST"])
def consent():
    me = acting_user()
    given = consents.current_consent(me)
    form = ConsentForm()
    page = {
        "form": form,
        "given": given,
        "minor": me.profile is not None and consents.is_minor(me.profile.birth_year),
        "withdraw_form": ConfirmForm(),
    }
    if request.method == "GET" or given is not None:
        return render_template("learn/consent.html", **page)
    try:
        consents.give_consent(
            me,
            agreed=form.agreed.data,
            guardian_name=form.guardian_name.data,
            guardian_agreed=form.guardian_agreed.data,
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("learn/consent.html", **page), 422
    db.session.commit()
    flash(_("谢谢！现在可以开始学习了。"), "success")
    return redirect(url_for("learn.home"))


@bp.post("/consent/withdraw")
def withdraw():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("learn.consent"))
    consents.withdraw_consent(acting_user())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("你已撤回同意，已退出登录。项目负责人会按你的要求处理你的信息。"), "info")
    return redirect(url_for("auth.login"))
