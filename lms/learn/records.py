"""The trainee's practice records: log, edit and delete them, with an evidence photo.

Every record is keyed by the client uuid its form was made with, so a resend or a double tap
stores it once; back + save again asks before storing the same content twice; edits and deletes
carry the version the trainee saw. Routes on the learn blueprint.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.clock import local_today
from lms.db import Written, db, new_uuid
from lms.errors import RecordGone, StaleVersion, UuidTaken, ValidationError
from lms.forms import ConfirmForm, posted_version
from lms.models import LIVE_STATUSES, PracticeKind, PracticeRecord, PracticeTask, RecordStatus
from lms.models.practice_kinds import KIND_FORMS
from lms.permissions import acting_user
from lms.services import learning, practice, practice_photos

from . import bp
from .forms import UNITS, PracticeForm


def _my_record_or_404(record_id: int) -> PracticeRecord:
    record = db.session.get(PracticeRecord, record_id)
    if (
        record is None
        or record.trainee_id != current_user.id
        or record.status is RecordStatus.DELETED
    ):
        abort(404)  # don't reveal that another trainee's record exists
    return record


def _kind(text) -> PracticeKind | None:
    try:
        return PracticeKind(text)
    except ValueError:
        return None


def _render_practice_form(form, record=None, task=None, status=200, **extra):
    """The form of the kind it carries, or — no kind chosen yet — the choice of kind first
    (links: no JavaScript needed). Errors on fields the kind does not show go on top."""
    kind = _kind(form.kind.data)
    kind_form = KIND_FORMS.get(kind)
    shown = set()
    if kind_form is not None:
        shown = {"kind", "happened_on", "channel", "note", "photo", "uuid"}
        shown |= {a.name for a in kind_form.asks} | (
            {"unit"} if kind_form.asks_for("unit") else set()
        )
    stray = [e for name, f in form._fields.items() if name not in shown for e in f.errors]
    endpoint, args = (
        ("learn.practice_edit", {"record_id": record.id})
        if record
        else ("learn.practice_new", {"task": task.slug} if task else {})
    )
    if draft := request.args.get("draft"):
        args["draft"] = draft[:40]
    return render_template(
        "learn/practice_form.html",
        form=form,
        record=record,
        task=task,
        kind=kind,
        kind_form=kind_form,
        kinds=[(k, url_for(endpoint, kind=k.value, **args)) for k in PracticeKind],
        stray=stray,
        units=UNITS,
        today=local_today().isoformat(),
        **extra,
    ), status


@bp.get("/practice")
def practice_list():
    me = acting_user()
    records = db.session.scalars(
        select(PracticeRecord)
        .where(PracticeRecord.trainee_id == me.id, PracticeRecord.status.in_(LIVE_STATUSES))
        .order_by(PracticeRecord.happened_on.desc(), PracticeRecord.id.desc())
    ).all()
    return render_template(
        "learn/practice_list.html",
        records=records,
        totals=practice.monthly_totals(me),
        form=ConfirmForm(),
    )


@bp.route("/practice/new", methods=["GET", "POST"])
def practice_new():
    me = acting_user()
    task = learning.current(PracticeTask, request.values.get("task"))
    form = PracticeForm()
    if request.method == "GET":
        form.uuid.data = new_uuid()
        kind = _kind(request.args.get("kind")) or (task.kind if task else None)
        form.kind.data = kind.value if kind else ""
        form.happened_on.data = local_today().isoformat()
        form.unit.data = "斤"
        last = practice.last_channel(me)
        form.channel.data = last.value if last else "wechat_moments"
        return _render_practice_form(form, task=task)
    # CSRF is checked for every POST by CSRFProtect; the fields by the service, in Chinese.
    try:
        record, written = practice.log_practice_record(
            me,
            form.to_input(),
            task=task,
            uuid=form.uuid.data,
            base_version=posted_version(form.version.data or "1"),
            ask_if_duplicate=request.form.get("another") != "1",
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return _render_practice_form(form, task=task, status=422)
    except practice.PossibleDuplicate as duplicate:
        db.session.rollback()
        form.staged_photo.data = duplicate.kept["staged_photo"]
        return _render_practice_form(form, task=task, status=409, twin=duplicate.twin)
    except UuidTaken:
        db.session.rollback()
        form.uuid.data = new_uuid()
        flash(_("这张表单没能保存（表单编号不对）。你填的内容都还在，请再按一次“保存”。"), "error")
        return _render_practice_form(form, task=task, status=409)
    except (practice.RecordLocked, RecordGone, StaleVersion) as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(url_for("learn.practice_list"))
    db.session.commit()
    flash(_SAVED[written](), "success")
    return redirect(url_for("learn.practice_list", _anchor=f"r{record.id}"))


_SAVED = {
    Written.CREATED: lambda: _("记好了！等导师核实。"),
    Written.DUPLICATE: lambda: _("这条记录已经保存过了，没有重复记。"),
    Written.UPDATED: lambda: _("改好了。"),
}


def _refusal(error) -> str:
    if isinstance(error, practice.RecordLocked):
        return _("导师已核实这条记录，不能再改了。")
    if isinstance(error, RecordGone):
        return _("这条记录已经删除了。")
    return _("这条记录刚有变化（可能导师刚处理过），请看一下现在的内容再改。")


@bp.route("/practice/<id:record_id>/edit", methods=["GET", "POST"])
def practice_edit(record_id: int):
    record = _my_record_or_404(record_id)
    if record.is_locked:
        flash(_refusal(practice.RecordLocked()), "error")
        return redirect(url_for("learn.practice_list"))
    form = PracticeForm(obj=_RecordData(record))  # posted data, when there is any, wins
    if request.method == "GET":
        if kind := _kind(request.args.get("kind")):  # changing what kind of record it is
            form.kind.data = kind.value
        return _render_practice_form(form, record=record, task=record.task)
    try:
        practice.update_practice_record(
            record,
            form.to_input(),
            base_version=posted_version(form.version.data),
            remove_photo=form.remove_photo.data,
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return _render_practice_form(form, record=record, task=record.task, status=422)
    except StaleVersion:
        # Someone (the mentor, or this trainee in another tab) changed it first: keep what was
        # typed, show what is stored now, and let the next save apply to that version.
        db.session.rollback()
        record = _my_record_or_404(record_id)
        if record.is_locked or record.status is RecordStatus.DELETED:
            flash(_refusal(practice.RecordLocked() if record.is_locked else RecordGone()), "error")
            return redirect(url_for("learn.practice_list"))
        form.version.data = str(record.version)
        return _render_practice_form(
            form, record=record, task=record.task, status=409, changed=record
        )
    except (practice.RecordLocked, RecordGone) as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(url_for("learn.practice_list"))
    db.session.commit()
    flash(_("改好了。"), "success")
    return redirect(url_for("learn.practice_list", _anchor=f"r{record.id}"))


@bp.post("/practice/<id:record_id>/delete")
def practice_delete(record_id: int):
    record = db.session.get(PracticeRecord, record_id)
    if record is None or record.trainee_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        practice.delete_practice_record(
            record, base_version=posted_version(request.form.get("version"))
        )
    except RecordGone:
        db.session.rollback()
        flash(_("已删除。"), "success")  # deleted already: a second tap, or a resend
        return redirect(url_for("learn.practice_list"))
    except (practice.RecordLocked, StaleVersion) as refused:
        db.session.rollback()
        flash(
            _("导师已核实这条记录，不能删除。")
            if isinstance(refused, practice.RecordLocked)
            else _("这条记录刚有变化，请看一下现在的内容，再决定要不要删除。"),
            "error",
        )
        return redirect(url_for("learn.practice_list", _anchor=f"r{record_id}"))
    db.session.commit()
    flash(_("已删除。"), "success")
    return redirect(url_for("learn.practice_list"))


@bp.get("/practice/<id:record_id>/photo")
def practice_photo(record_id: int):
    record = _my_record_or_404(record_id)
    if not record.photo:
        abort(404)
    return practice_photos.send_photo(record)


class _RecordData:
    """A practice record as the form's initial data (money back in yuan)."""

    def __init__(self, record: PracticeRecord):
        self.uuid = record.uuid
        self.version = str(record.version)
        self.kind = record.kind.value
        self.happened_on = record.happened_on.isoformat()
        self.channel = record.channel.value
        self.product = record.product
        self.quantity = "" if record.quantity is None else f"{record.quantity.normalize():f}"
        self.unit = record.unit
        self.amount = (
            ""
            if record.amount_fen is None
            else (f"{record.amount_fen // 100}.{record.amount_fen % 100:02d}")
        )
        for name in ("minutes", "viewers", "orders", "people"):
            value = getattr(record, name)
            setattr(self, name, "" if value is None else str(value))
        self.link = record.link or ""
        self.note = record.note
        self.remove_photo = False
