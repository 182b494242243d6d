"""Roster import: upload, preview every row's problems and changes, then import all rows or none.

The uploaded file waits in the uploads' rosters/ folder until the lead confirms or cancels; it
is removed after the import's commit, and `flask files sweep` removes any left for a day. A
roster of more than ROSTER_JOB_ROWS rows is checked when confirmed, then imported by a job
(lms.jobs.roster) whose page shows its progress; confirming it again leads to the same job.
"""

import re
import uuid
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from lms import jobs
from lms.db import db
from lms.errors import StaleVersion
from lms.forms import read_upload
from lms.jobs.roster import ROSTER_JOB_ROWS, job_key
from lms.permissions import acting_user, get_programme_or_404
from lms.security import no_store
from lms.services import files, roster, roster_files, roster_import
from lms.services.tracks import current_tracks

from . import bp
from .forms import RosterConfirmForm, RosterForm

TOKEN = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


def _stored(programme_id: int, token: str | None) -> Path | None:
    """The uploaded roster waiting for this confirm form; None once imported or cancelled."""
    if not TOKEN.match(token or ""):
        abort(400)
    path = files.folder("rosters") / f"{programme_id}-{token}"
    return path if path.is_file() else None


def _gone(programme):
    flash(_("这份名单已经导入或取消了（可能按了两次）。"), "info")
    return redirect(url_for("lead.programme", programme_id=programme.id))


def _preview_page(programme, result, form, filename, status=200, unconfirmed=()):
    form.digest.data = result.digest
    return render_template(
        "lead/roster_preview.html",
        programme=programme,
        preview=result,
        form=form,
        filename=filename,
        confirmed=set(_confirmed_lines()),
        unconfirmed=set(unconfirmed),
        labels=roster.FIELD_LABELS,
        in_background=len(result.rows) > ROSTER_JOB_ROWS,
    ), status


def _upload_page(programme, form, status=200):
    return render_template(
        "lead/roster_upload.html", programme=programme, form=form, tracks=current_tracks()
    ), status


def _confirmed_lines() -> list[int]:
    return [int(v) for v in request.form.getlist("confirm") if v.isascii() and v.isdigit()][:5000]


@bp.route("/programmes/<id:programme_id>/roster", methods=["GET", "POST"])
def roster_upload(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = RosterForm()
    if request.method == "GET":
        return _upload_page(programme, form)
    filename = form.file.data.filename if form.file.data else ""
    data = read_upload(form.file.data)
    if data is None:
        form.file.errors = [_("请选择一个文件。")]
        return _upload_page(programme, form, 422)
    try:
        result = roster.preview(programme, filename, data)
    except roster_files.RosterUnreadable as e:
        form.file.errors = [str(e)]
        return _upload_page(programme, form, 422)
    # Keep the file until the lead confirms, so the rows imported are the rows previewed.
    token = f"{uuid.uuid4().hex}.{'xlsx' if filename.lower().endswith('.xlsx') else 'csv'}"
    (files.folder("rosters") / f"{programme.id}-{token}").write_bytes(data)
    return _preview_page(programme, result, RosterConfirmForm(token=token), filename)


@bp.post("/programmes/<id:programme_id>/roster/import", endpoint="roster_import")
def roster_import_view(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = RosterConfirmForm()
    path = _stored(programme.id, form.token.data)
    if path is None:
        return _gone(programme)
    data = path.read_bytes()
    if not form.consent.data:
        form.consent.errors = [_("导入前请确认学员已同意。")]
        return _preview_page(
            programme, roster.preview(programme, path.name, data), form, path.name, 422
        )
    try:
        if len(roster_files.read_table(path.name, data)) - 1 > ROSTER_JOB_ROWS:
            return _import_as_job(programme, form, path, data)
        imported = roster_import.import_roster(
            acting_user(),
            programme,
            path.name,
            data,
            digest=form.digest.data or "",
            confirmed=set(_confirmed_lines()),
        )
        files.remove_after_commit("rosters", path.name)
        db.session.commit()
    except IntegrityError:  # the same roster confirmed twice at once: the other one imported it
        db.session.rollback()
        flash(_("这份名单刚刚已经导入了（可能按了两次“导入”），这一次没有再导入。"), "info")
        return redirect(url_for("lead.programme", programme_id=programme.id))
    except roster_import.RosterInvalid as invalid:
        db.session.rollback()
        flash(_("名单有问题，一行也没有导入。请改好后重新上传。"), "error")
        return _preview_page(programme, invalid.preview, form, path.name, 422)
    except roster_import.NamesNotConfirmed as names:
        db.session.rollback()
        flash(_("有几行会改掉已有学员的姓名，请逐行确认。一行也没有导入。"), "error")
        return _preview_page(programme, names.preview, form, path.name, 422, names.lines)
    except (roster_import.PreviewChanged, StaleVersion):
        db.session.rollback()
        flash(
            _("预览之后，名单上有学员的信息变了。一行也没有导入；请看下面新的预览，再确认一次。"),
            "error",
        )
        return _preview_page(
            programme, roster.preview(programme, path.name, data), form, path.name, 409
        )
    people = [(user.name, user.phone, password) for user, password in imported.created]
    return no_store(
        render_template(
            "lead/roster_done.html", programme=programme, result=imported, people=people
        )
    )


def _import_as_job(programme, form, path, data):
    """Check the roster as the lead confirmed it (raising what `import_roster` raises), then
    queue its import and show the job's page. The job is keyed by the upload's token, so a
    second confirm (a double click, a resend) leads to the job the first one started."""
    key = job_key(programme, form.token.data)
    job = jobs.find(key)
    if job is None:
        digest, confirmed = form.digest.data or "", set(_confirmed_lines())
        checked = roster_import.check(
            programme, path.name, data, digest=digest, confirmed=confirmed
        )
        job = jobs.enqueue(
            "roster.import",
            owner=acting_user(),
            programme=programme,
            key=key,
            total=len(checked.rows),
            file=path.name,
            digest=digest,
            confirmed=sorted(confirmed),
        )
        db.session.commit()
    return redirect(url_for("lead.job", programme_id=programme.id, job_id=job.id))


@bp.post("/programmes/<id:programme_id>/roster/cancel")
def roster_cancel(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = _stored(programme.id, form.token.data)
    if path is None:
        return _gone(programme)
    files.discard(path)
    flash(_("已取消，上传的文件已删除。"), "success")
    return redirect(url_for("lead.programme", programme_id=programme.id))
