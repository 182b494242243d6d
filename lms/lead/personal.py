"""One trainee's personal data, for the programme lead or an admin: read it, export it (a ZIP of
JSON and photos), erase it. Routes on the lead blueprint, scoped like every lead page."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.db import db
from lms.forms import ConfirmForm
from lms.permissions import acting_user, get_programme_or_404, get_programme_trainee_or_404
from lms.security import no_store
from lms.services import consent, personal_data

from . import bp


def _load(programme_id: int, trainee_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    return programme, get_programme_trainee_or_404(acting_user(), programme, trainee_id)


@bp.get("/programmes/<id:programme_id>/trainees/<id:trainee_id>/data")
def personal_data_page(programme_id: int, trainee_id: int):
    programme, trainee = _load(programme_id, trainee_id)
    return no_store(
        render_template(
            "lead/personal_data.html",
            programme=programme,
            trainee=trainee,
            data=personal_data.gather(trainee),
            consent=consent.current_consent(trainee),
        )
    )


@bp.get("/programmes/<id:programme_id>/trainees/<id:trainee_id>/data.zip")
def personal_data_export(programme_id: int, trainee_id: int):
    _programme, trainee = _load(programme_id, trainee_id)
    body = personal_data.export_zip(acting_user(), trainee)
    db.session.commit()  # the audit event of the export
    return no_store(
        Response(
            body,
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="trainee-{trainee.id}.zip"'},
        )
    )


@bp.route("/programmes/<id:programme_id>/trainees/<id:trainee_id>/erase", methods=["GET", "POST"])
def erase(programme_id: int, trainee_id: int):
    programme, trainee = _load(programme_id, trainee_id)
    if trainee.erased_at is not None:
        flash(_("这位学员的个人信息已经删除了。"), "info")
        return redirect(url_for("lead.trainees", programme_id=programme.id))
    form = ConfirmForm()
    page = {"programme": programme, "trainee": trainee, "form": form, "error": None}
    if request.method == "GET":
        return render_template("lead/erase.html", **page)
    if not form.validate_on_submit():
        abort(400)
    if (request.form.get("confirm") or "").strip() != trainee.phone[-4:]:
        page["error"] = _("请填这位学员手机号的后4位，确认要删除的是这个人。")
        return render_template("lead/erase.html", **page), 422
    personal_data.erase(acting_user(), trainee)
    db.session.commit()
    flash(_("已删除这位学员的个人信息。统计数字保留，但不再能看出是谁。"), "success")
    return redirect(url_for("lead.trainees", programme_id=programme.id))
