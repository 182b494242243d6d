"""The resident mentor's pages: caseload, trainee file, visits, verification, sign-off, outcomes.

Every route that names a trainee, record or visit loads it through the mentor's current
assignments: anything else is a 404, so a mentor cannot learn that other trainees exist.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from lms.clock import local_today
from lms.db import Written, db, new_uuid
from lms.errors import RecordGone, StaleVersion, UuidTaken, ValidationError
from lms.forms import ConfirmForm, posted_version
from lms.inputs import small_int, to_id
from lms.models import FollowUpVisit, PracticeRecord
from lms.permissions import acting_user, get_assigned_trainee_or_404, is_assigned
from lms.services import caseload, ladder, learning, practice_photos, schedule, tracks, visits
from lms.services import signoff as rungs

from . import bp
from .forms import (
    CorrectionForm,
    OutcomeForm,
    RejectForm,
    SignOffForm,
    VisitForm,
)


def _followed_or_404(model, row_id: int):
    """A practice record or visit of a trainee this mentor follows; 404 otherwise."""
    row = db.session.get(model, row_id)
    if row is None or not is_assigned(acting_user(), row.trainee_id):
        abort(404)
    return row


def _back_to(trainee_id: int, anchor: str | None = None):
    target = request.form.get("back")
    if target == "caseload":
        return redirect(url_for("mentor.home"))
    return redirect(url_for("mentor.trainee", trainee_id=trainee_id, _anchor=anchor))


@bp.get("/")
def home():
    rows = caseload.caseload(acting_user())
    villages, cohorts = caseload.villages_and_cohorts(rows)
    cohort_id = to_id(request.args.get("cohort"))
    village = request.args.get("village") or None
    shown = caseload.filter_rows(rows, cohort_id=cohort_id, village=village)
    files = {row.trainee_id: url_for("mentor.trainee", trainee_id=row.trainee_id) for row in rows}
    return render_template(
        "mentor/home.html",
        rows=shown,
        total=len(rows),
        villages=villages,
        cohorts=cohorts,
        cohort_id=cohort_id,
        village=village,
        pending=caseload.pending_records(rows),
        form=ConfirmForm(),
        Need=caseload.Need,
        files=files,  # each trainee's file, built once for the row and for `keep`
        # Every trainee's file and a visit form for them, kept on the phone for the village.
        keep=[
            url
            for row in rows
            for url in (
                files[row.trainee_id],
                url_for("mentor.new_visit", trainee_id=row.trainee_id),
            )
        ],
    )


@bp.get("/trainees/<id:trainee_id>")
def trainee(trainee_id: int):
    trainee = get_assigned_trainee_or_404(acting_user(), trainee_id)
    today = local_today()
    status = ladder.evaluate(trainee, today=today)
    return render_template(
        "mentor/trainee.html",
        trainee=trainee,
        status=status,
        schedule=schedule.schedules([trainee.id], today=today)[trainee.id],
        catalogue=learning.catalogue(trainee),
        events=caseload.timeline(trainee),
        visits_for_signoff=rungs.signoff_visits(acting_user(), trainee, today),
        form=ConfirmForm(),
        now_editable=lambda v: visits.can_edit_visit(acting_user(), v),
        tracks=tracks.current_tracks(),
    )


def _render_visit_form(form, trainee, visit=None, status=200, **extra):
    return render_template(
        "mentor/visit_form.html", form=form, trainee=trainee, visit=visit, **extra
    ), status


@bp.route("/trainees/<id:trainee_id>/visits/new", methods=["GET", "POST"])
def new_visit(trainee_id: int):
    trainee = get_assigned_trainee_or_404(acting_user(), trainee_id)
    form = VisitForm()
    if request.method == "GET":
        form.uuid.data = new_uuid()
        form.visited_on.data = local_today().isoformat()
        form.mode.data = "in_person"
        return _render_visit_form(form, trainee)
    try:
        _visit, written = visits.log_visit(
            acting_user(),
            trainee,
            form.to_input(),
            uuid=form.uuid.data,
            base_version=posted_version(form.version.data or "1"),
            ask_if_duplicate=request.form.get("another") != "1",
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return _render_visit_form(form, trainee, status=422)
    except visits.PossibleDuplicate as duplicate:
        db.session.rollback()
        return _render_visit_form(form, trainee, status=409, twin=duplicate.twin)
    except UuidTaken:
        db.session.rollback()
        form.uuid.data = new_uuid()
        flash(_("这张表单没能保存（表单编号不对）。你填的内容都还在，请再按一次保存。"), "error")
        return _render_visit_form(form, trainee, status=409)
    except (StaleVersion, visits.EditNotAllowed):
        db.session.rollback()
        flash(_("这次回访已经保存过，之后又有改动，这次没有再保存。请看下面的记录。"), "error")
        return redirect(url_for("mentor.trainee", trainee_id=trainee.id))
    db.session.commit()
    flash(
        _("这次回访已经保存过了，没有重复记。")
        if written is Written.DUPLICATE
        else _("回访记录已保存。"),
        "success",
    )
    return redirect(url_for("mentor.trainee", trainee_id=trainee.id))


@bp.route("/visits/<id:visit_id>/edit", methods=["GET", "POST"])
def edit_visit(visit_id: int):
    visit = _followed_or_404(FollowUpVisit, visit_id)
    if not visits.can_edit_visit(acting_user(), visit):
        flash(_("只有记录人本人在7天内可以修改回访记录。"), "error")
        return redirect(url_for("mentor.trainee", trainee_id=visit.trainee_id))
    form = VisitForm()
    if request.method == "GET":
        form.load(visit)
        return _render_visit_form(form, visit.trainee, visit)
    try:
        visits.update_visit(
            acting_user(), visit, form.to_input(), base_version=posted_version(form.version.data)
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return _render_visit_form(form, visit.trainee, visit, status=422)
    except StaleVersion:
        # Changed in another tab or on another phone first: keep what was typed, show what is
        # stored now, and let the next save apply to that.
        db.session.rollback()
        visit = _followed_or_404(FollowUpVisit, visit_id)
        form.version.data = str(visit.version)
        return _render_visit_form(form, visit.trainee, visit, status=409, changed=visit)
    except visits.EditNotAllowed:
        db.session.rollback()
        flash(_("只有记录人本人在7天内可以修改回访记录。"), "error")
        return redirect(url_for("mentor.trainee", trainee_id=visit.trainee_id))
    db.session.commit()
    flash(_("回访记录已修改。"), "success")
    return redirect(url_for("mentor.trainee", trainee_id=visit.trainee_id))


def _decision_refused(record_id: int, trainee_id: int, error: Exception):
    """A verify or reject that changed nothing: the record changed since the mentor saw it
    (shown as it is now, to decide again), was deleted, or was already handled."""
    db.session.rollback()
    if isinstance(error, StaleVersion):
        record = _followed_or_404(PracticeRecord, record_id)
        return render_template("mentor/record_changed.html", record=record, form=ConfirmForm()), 409
    if isinstance(error, RecordGone):
        flash(_("学员已经删除了这条记录。"), "info")
    else:
        flash(_("这条记录已经处理过了。"), "info")
    return _back_to(trainee_id, "records")


@bp.post("/records/<id:record_id>/verify")
def verify(record_id: int):
    record = _followed_or_404(PracticeRecord, record_id)
    trainee_id = record.trainee_id  # read before the session may have to roll back
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        visits.verify_record(
            acting_user(), record, seen_version=posted_version(request.form.get("version"))
        )
    except (visits.NotReviewable, RecordGone, StaleVersion) as refused:
        return _decision_refused(record_id, trainee_id, refused)
    db.session.commit()
    flash(
        _("已核实：%(name)s 的 %(product)s。", name=record.trainee.name, product=record.product),
        "success",
    )
    return _back_to(record.trainee_id, "records")


@bp.route("/records/<id:record_id>/reject", methods=["GET", "POST"])
def reject(record_id: int):
    record = _followed_or_404(PracticeRecord, record_id)
    trainee_id = record.trainee_id  # read before the session may have to roll back
    form = RejectForm()
    if request.method == "GET":
        form.version.data = str(record.version)
        return render_template("mentor/reject.html", form=form, record=record)
    try:
        visits.reject_record(
            acting_user(),
            record,
            form.reason.data,
            seen_version=posted_version(form.version.data),
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("mentor/reject.html", form=form, record=record), 422
    except (visits.NotReviewable, RecordGone, StaleVersion) as refused:
        return _decision_refused(record_id, trainee_id, refused)
    db.session.commit()
    flash(_("已退回，学员会看到原因。"), "success")
    return redirect(url_for("mentor.trainee", trainee_id=trainee_id, _anchor="records"))


@bp.get("/records/<id:record_id>/photo")
def record_photo(record_id: int):
    record = _followed_or_404(PracticeRecord, record_id)
    if not record.photo:
        abort(404)
    return practice_photos.send_photo(record)


@bp.route("/trainees/<id:trainee_id>/signoff", methods=["GET", "POST"])
def signoff(trainee_id: int):
    trainee = get_assigned_trainee_or_404(acting_user(), trainee_id)
    today = local_today()
    status = ladder.evaluate(trainee, today=today)
    recent = rungs.signoff_visits(acting_user(), trainee, today)
    form = SignOffForm()
    form.visit_id.choices = [
        SelectChoice(v.id, f"{v.visited_on.isoformat()} · {v.mode.label}") for v in recent
    ]
    page = {"trainee": trainee, "status": status, "form": form, "recent": recent, "refused": []}
    if request.method == "GET":
        form.step.data = str(rungs.next_step(trainee))
        return render_template("mentor/signoff.html", **page)
    visit_id = to_id(request.form.get("visit_id"))
    visit = next((v for v in recent if v.id == visit_id), None)
    try:
        promotion, written = rungs.sign_off(
            acting_user(), trainee, visit, step=posted_version(form.step.data), today=today
        )
    except rungs.SignOffRefused as refused:
        db.session.rollback()
        return render_template("mentor/signoff.html", **{**page, "refused": refused.reasons}), 422
    except rungs.LadderChanged:
        db.session.rollback()
        flash(_("%(name)s 的级别刚有变化，请看一下现在的情况。", name=trainee.name), "error")
        return redirect(url_for("mentor.trainee", trainee_id=trainee.id))
    db.session.commit()
    flash(
        _("已确认：%(name)s 晋升到第%(n)d级。", name=trainee.name, n=promotion.to_rung)
        if written is Written.CREATED
        else _("已经确认过了：%(name)s 在第%(n)d级。", name=trainee.name, n=promotion.to_rung),
        "success",
    )
    return redirect(url_for("mentor.trainee", trainee_id=trainee.id))


@bp.route("/trainees/<id:trainee_id>/correction", methods=["GET", "POST"])
def correction(trainee_id: int):
    trainee = get_assigned_trainee_or_404(acting_user(), trainee_id)
    current = ladder.current_rung(trainee)
    form = CorrectionForm()
    form.to_rung.choices = [SelectChoice(level, str(level)) for level in range(current)]
    if request.method == "GET":
        form.step.data = str(rungs.next_step(trainee))
    else:
        to_rung = small_int(request.form.get("to_rung"), 0, 6)
        try:
            change, _written = rungs.correct_rung(
                acting_user(),
                trainee,
                to_rung,
                form.reason.data,
                step=posted_version(form.step.data),
            )
        except ValidationError as e:
            db.session.rollback()
            e.attach_to(form)
        except rungs.LadderChanged:
            db.session.rollback()
            flash(_("%(name)s 的级别刚有变化，请看一下现在的情况。", name=trainee.name), "error")
            return redirect(url_for("mentor.trainee", trainee_id=trainee.id))
        else:
            db.session.commit()
            flash(
                _("已把 %(name)s 调整到第%(n)d级。", name=trainee.name, n=change.to_rung),
                "success",
            )
            return redirect(url_for("mentor.trainee", trainee_id=trainee.id))
    return render_template(
        "mentor/correction.html", trainee=trainee, form=form, current=current
    ), 422 if form.errors else 200


@bp.route("/trainees/<id:trainee_id>/outcomes/new", methods=["GET", "POST"])
def new_outcome(trainee_id: int):
    trainee = get_assigned_trainee_or_404(acting_user(), trainee_id)
    form = OutcomeForm()
    if request.method == "GET":
        form.uuid.data = new_uuid()
        form.happened_on.data = local_today().isoformat()
        return render_template("mentor/outcome_form.html", trainee=trainee, form=form)
    try:
        _outcome, written = visits.record_outcome(
            acting_user(),
            trainee,
            form.kind.data or "",
            form.happened_on.data or "",
            form.note.data,
            uuid=form.uuid.data,
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return render_template("mentor/outcome_form.html", trainee=trainee, form=form), 422
    except UuidTaken:
        db.session.rollback()
        flash(_("这条成效已经记过了，没有再改。"), "info")
        return redirect(url_for("mentor.trainee", trainee_id=trainee.id))
    db.session.commit()
    flash(
        _("这条成效已经记过了，没有重复记。")
        if written is Written.DUPLICATE
        else _("成效已记录。"),
        "success",
    )
    return redirect(url_for("mentor.trainee", trainee_id=trainee.id))
