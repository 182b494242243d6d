"""Roster import: upload, preview every row's problems, then import all rows or none."""

import re
import uuid
from pathlib import Path

from flask import abort, current_app, flash, render_template, request
from flask_babel import gettext as _

from lms.db import db
from lms.forms import read_upload
from lms.permissions import acting_user, get_programme_or_404
from lms.services import roster

from .forms import RosterConfirmForm, RosterForm
from .views import bp

TOKEN = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


def _upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "rosters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored(programme_id: int, token: str) -> Path:
    if not TOKEN.match(token or ""):
        abort(400)
    path = _upload_dir() / f"{programme_id}-{token}"
    if not path.is_file():
        abort(404)
    return path


@bp.route("/programmes/<int:programme_id>/roster", methods=["GET", "POST"])
def roster_upload(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = RosterForm()
    if request.method == "GET":
        return render_template("lead/roster_upload.html", programme=programme, form=form)
    filename = form.file.data.filename if form.file.data else ""
    data = read_upload(form.file.data)
    if data is None:
        form.file.errors = [_("请选择一个文件。")]
        return render_template("lead/roster_upload.html", programme=programme, form=form), 422
    try:
        result = roster.preview(programme, filename, data)
    except roster.RosterUnreadable as e:
        form.file.errors = [str(e)]
        return render_template("lead/roster_upload.html", programme=programme, form=form), 422
    # Keep the file until the lead confirms, so the rows imported are the rows previewed.
    token = f"{uuid.uuid4().hex}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"
    (_upload_dir() / f"{programme.id}-{token}").write_bytes(data)
    confirm = RosterConfirmForm(token=token)
    return render_template(
        "lead/roster_preview.html",
        programme=programme,
        preview=result,
        form=confirm,
        filename=filename,
    )


@bp.post("/programmes/<int:programme_id>/roster/import")
def roster_import(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = RosterConfirmForm()
    path = _stored(programme.id, form.token.data)
    data = path.read_bytes()
    if not form.consent.data:
        result = roster.preview(programme, path.name, data)
        form.consent.errors = [_("导入前请确认学员已同意。")]
        return render_template(
            "lead/roster_preview.html",
            programme=programme,
            preview=result,
            form=form,
            filename=path.name,
        ), 422
    try:
        imported = roster.import_roster(acting_user(), programme, path.name, data)
    except roster.RosterInvalid as invalid:
        db.session.rollback()
        flash(_("名单有问题，一行也没有导入。请改好后重新上传。"), "error")
        return render_template(
            "lead/roster_preview.html",
            programme=programme,
            preview=invalid.preview,
            form=form,
            filename=path.name,
        ), 422
    db.session.commit()
    path.unlink(missing_ok=True)
    return render_template("lead/roster_done.html", programme=programme, result=imported)
