"""A background job's page (a large roster import, a large export): its progress, refreshed
every few seconds without JavaScript, then its result, its file or what went wrong. Only the
one who started it (or an admin) sees it; only the one who started it takes its file."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.db import db
from lms.forms import ConfirmForm
from lms.jobs import exports as big_exports
from lms.jobs import kept
from lms.jobs.roster import initial_passwords
from lms.models import Job, JobState, Programme
from lms.permissions import acting_user, can_take_job_file, get_job_or_404, get_programme_or_404
from lms.security import no_store
from lms.services import exports

from . import bp

REFRESH_SECONDS = 3

FAILURES = {
    "roster_gone": _l("上传的名单文件已经不在了（可能已经导入或取消了）。一行也没有导入。"),
    "roster_unreadable": _l("名单文件读不出来了。一行也没有导入，请重新上传。"),
    "roster_invalid": _l("名单有问题，一行也没有导入。请改好后重新上传。"),
    "names_not_confirmed": _l("有几行会改掉已有学员的姓名，请逐行确认。一行也没有导入。"),
    "roster_changed": _l(
        "预览之后，名单上有学员的信息变了。一行也没有导入；请重新上传名单，看新的预览再确认一次。"
    ),
    "roster_conflict": _l(
        "名单里有手机号刚刚被别人导入了。一行也没有导入；请重新上传名单，看新的预览再确认一次。"
    ),
    "not_found": _l("要导出的内容已经不在了，或者你已经不能查看它。请回到原来的页面重新导出。"),
    "erased": _l("导出的时候，有学员的个人信息被删除了，这份文件没有保留。请重新导出。"),
    "timeout": _l("这项工作用的时间太长，被停下来了，什么也没有改变。请稍后再试。"),
    "interrupted": _l("这项工作中断了（服务器重启或出了故障），什么也没有改变。请重新做一次。"),
    "queue_unavailable": _l(
        "后台任务现在排不上队（任务队列没有响应），什么也没有改变。请稍后再试。"
    ),
    "internal": _l(
        "出了点问题，这项工作没有完成，什么也没有改变。请稍后再试；一直这样的话，请联系管理员。"
    ),
}


def title_of(job: Job) -> str:
    if job.kind == "roster.import":
        return _("导入花名册")
    entry = big_exports.TABLES.get(job.args.get("table"))
    return _("导出：%(what)s", what=entry[2] if entry else job.args.get("table", ""))


def start_export(name: str, programme: Programme, fmt: str, query):
    """An export too large for a request: queue it and show its page (a view's hook)."""
    job = big_exports.start(name, acting_user(), programme, fmt, query)
    db.session.commit()
    return redirect(url_for("lead.job", programme_id=programme.id, job_id=job.id))


@bp.get("/programmes/<id:programme_id>/jobs/<id:job_id>")
def job(programme_id: int, job_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    job = get_job_or_404(acting_user(), programme, job_id)
    mine = can_take_job_file(acting_user(), job)
    path = kept.path_of(job) if mine and job.state is JobState.DONE else None
    people = initial_passwords(path) if path and job.kind == "roster.import" else None
    return no_store(
        render_template(
            "lead/job.html",
            programme=programme,
            job=job,
            title=title_of(job),
            running=not job.is_finished,
            refresh=REFRESH_SECONDS,
            done=format_decimal(job.progress_done),
            total=format_decimal(job.progress_total or 0),
            mine=mine,
            file_ready=path is not None,
            people=people,
            failure=FAILURES.get(job.error or "", FAILURES["internal"]),
            form=ConfirmForm(),
        )
    )


@bp.get("/programmes/<id:programme_id>/jobs/<id:job_id>/file")
def job_file(programme_id: int, job_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    job = get_job_or_404(acting_user(), programme, job_id)
    path = kept.path_of(job) if job.kind == "export" else None
    if path is None or not can_take_job_file(acting_user(), job):
        abort(404)
    return exports.send_kept(path, job.result["format"], job.result["filename"])


@bp.post("/programmes/<id:programme_id>/jobs/<id:job_id>/forget")
def job_forget(programme_id: int, job_id: int):
    """The owner printed the new trainees' initial passwords: remove them now."""
    programme = get_programme_or_404(acting_user(), programme_id)
    job = get_job_or_404(acting_user(), programme, job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not can_take_job_file(acting_user(), job):
        abort(404)
    if job.file:
        kept.forget(job)
        db.session.commit()
    flash(_("初始密码已经删除了。"), "success")
    return redirect(url_for("lead.job", programme_id=programme.id, job_id=job.id))
