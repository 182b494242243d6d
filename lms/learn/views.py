"""The trainee's pages: home with "my ladder", courses, lessons, quizzes and practice records.

Every page works without JavaScript. Views load, authorise (a trainee sees only their own
records: others get 404), call a service, commit once, render or redirect.
"""

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db, new_uuid
from lms.errors import ValidationError
from lms.forms import ConfirmForm
from lms.models import Course, Lesson, PracticeRecord, PracticeTask, Role
from lms.permissions import acting_user, guard_blueprint
from lms.services import ladder, learning, practice, schedule
from lms.services.curriculum_yaml import SLUG

from .forms import UNITS, PracticeForm

bp = Blueprint("learn", __name__, url_prefix="/learn")
guard_blueprint(bp, Role.TRAINEE)


def _current(model, slug: str | None):
    """The course, lesson or practice task with this slug, unless it has been archived."""
    if not slug:
        return None
    return db.session.scalar(select(model).where(model.slug == slug, model.archived_at.is_(None)))


def _current_or_404(model, slug: str):
    return _current(model, slug) or abort(404)


def _my_record_or_404(record_id: int) -> PracticeRecord:
    record = db.session.get(PracticeRecord, record_id)
    if record is None or record.trainee_id != current_user.id:
        abort(404)  # don't reveal that another trainee's record exists
    return record


@bp.get("/")
def home():
    me = acting_user()
    status = ladder.evaluate(me)
    rows = [row for _, tier_rows in learning.catalogue(me) for row in tier_rows]
    by_course = {row.course.id: row for row in rows}
    needed = [
        by_course[r.course.id] for r in status.requirements if r.course and r.course.id in by_course
    ]
    suggested = needed + rows  # the next rung's courses first
    continue_lesson = learning.next_lesson(me, suggested)
    recent = db.session.scalars(
        select(PracticeRecord)
        .where(PracticeRecord.trainee_id == me.id)
        .order_by(PracticeRecord.happened_on.desc(), PracticeRecord.id.desc())
        .limit(3)
    ).all()
    next_visit = schedule.schedules([me.id])[me.id].next_due
    return render_template(
        "learn/home.html",
        status=status,
        continue_lesson=continue_lesson,
        recent=recent,
        next_visit=next_visit,
    )


@bp.get("/courses")
def courses():
    me = acting_user()
    status = ladder.evaluate(me)
    for_next = {r.course.id for r in status.requirements if r.course is not None}
    catalogue = learning.catalogue(me)
    next_rows = [row for _, rows in catalogue for row in rows if row.course.id in for_next]
    return render_template(
        "learn/courses.html", catalogue=catalogue, next_rows=next_rows, next_rung=status.next
    )


@bp.get("/courses/<slug>")
def course(slug: str):
    course = _current_or_404(Course, slug)
    me = acting_user()
    progress = learning.course_progress(me, course)
    return render_template(
        "learn/course.html",
        course=course,
        progress=progress,
        learned=learning.learned_lesson_ids(me, course),
        has_quiz=bool(learning.quiz_items(course)),
    )


def _locked_redirect(course: Course, locked: learning.CourseLocked):
    titles = "、".join(f"《{c.localized('title', 'zh')}》" for c in locked.missing)
    flash(_("请先学完%(titles)s，再学这门课。", titles=titles), "error")
    return redirect(url_for("learn.course", slug=course.slug))


@bp.get("/lessons/<slug>")
def lesson(slug: str):
    lesson = _current_or_404(Lesson, slug)
    course = lesson.course
    me = acting_user()
    try:
        learning.ensure_open(me, course)
    except learning.CourseLocked as locked:
        return _locked_redirect(course, locked)
    lessons = course.lessons
    index = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
    return render_template(
        "learn/lesson.html",
        lesson=lesson,
        course=course,
        form=ConfirmForm(),
        learned=lesson.id in learning.learned_lesson_ids(me, course),
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        position=index + 1,
        total=len(lessons),
    )


@bp.post("/lessons/<slug>/learned")
def mark_learned(slug: str):
    lesson = _current_or_404(Lesson, slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        learning.mark_learned(acting_user(), lesson)
    except learning.CourseLocked as locked:
        return _locked_redirect(lesson.course, locked)
    db.session.commit()
    lessons = lesson.course.lessons
    index = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
    if index + 1 < len(lessons):
        return redirect(url_for("learn.lesson", slug=lessons[index + 1].slug))
    return redirect(url_for("learn.course", slug=lesson.course.slug))


@bp.route("/courses/<slug>/quiz", methods=["GET", "POST"])
def quiz(slug: str):
    course = _current_or_404(Course, slug)
    me = acting_user()
    try:
        learning.ensure_open(me, course)
    except learning.CourseLocked as locked:
        return _locked_redirect(course, locked)
    items = learning.quiz_items(course)
    if not items:
        abort(404)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "learn/quiz.html",
            course=course,
            items=items,
            form=form,
            chosen={},
            errors={},
            uuid=new_uuid(),
        )
    if not form.validate_on_submit():
        abort(400)
    chosen = {
        item.id: {int(v) for v in request.form.getlist(f"q{item.id}") if v.isdigit()}
        for item in items
    }
    try:
        result = learning.submit_quiz(me, course, chosen, uuid=request.form.get("uuid") or None)
    except ValidationError as e:
        return render_template(
            "learn/quiz.html",
            course=course,
            items=items,
            form=form,
            chosen=chosen,
            errors=e.errors,
            uuid=request.form.get("uuid") or new_uuid(),
        ), 422
    db.session.commit()
    return render_template("learn/quiz_result.html", course=course, result=result)


# --- practice records ------------------------------------------------------------------------


def _render_practice_form(form, record=None, task=None, status=200):
    return render_template(
        "learn/practice_form.html",
        form=form,
        record=record,
        task=task,
        units=UNITS,
        today=local_today().isoformat(),
    ), status


@bp.get("/practice")
def practice_list():
    me = acting_user()
    records = db.session.scalars(
        select(PracticeRecord)
        .where(PracticeRecord.trainee_id == me.id)
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
    task = _current(PracticeTask, request.values.get("task"))
    form = PracticeForm()
    if request.method == "GET":
        form.uuid.data = new_uuid()
        form.kind.data = task.kind if task else "sale"
        form.happened_on.data = local_today().isoformat()
        last = practice.last_channel(me)
        form.channel.data = last.value if last else "wechat_moments"
        return _render_practice_form(form, task=task)
    # CSRF is checked for every POST by CSRFProtect; the fields by the service, in Chinese.
    try:
        record = practice.log_practice_record(
            me, form.to_input(), photo=form.photo_bytes(), task=task, uuid=form.uuid.data or None
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return _render_practice_form(form, task=task, status=422)
    db.session.commit()
    flash(_("记好了！等导师核实。"), "success")
    return redirect(url_for("learn.practice_list", _anchor=f"r{record.id}"))


@bp.route("/practice/<int:record_id>/edit", methods=["GET", "POST"])
def practice_edit(record_id: int):
    record = _my_record_or_404(record_id)
    if record.is_locked:
        flash(_("导师已核实这条记录，不能再改了。"), "error")
        return redirect(url_for("learn.practice_list"))
    form = PracticeForm(obj=_RecordData(record))  # posted data, when there is any, wins
    if request.method == "GET":
        return _render_practice_form(form, record=record, task=record.task)
    try:
        practice.update_practice_record(
            record, form.to_input(), photo=form.photo_bytes(), remove_photo=form.remove_photo.data
        )
    except ValidationError as e:
        db.session.rollback()
        e.attach_to(form)
        return _render_practice_form(form, record=record, task=record.task, status=422)
    db.session.commit()
    flash(_("改好了。"), "success")
    return redirect(url_for("learn.practice_list", _anchor=f"r{record.id}"))


@bp.post("/practice/<int:record_id>/delete")
def practice_delete(record_id: int):
    record = _my_record_or_404(record_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        practice.delete_practice_record(record)
    except practice.RecordLocked:
        flash(_("导师已核实这条记录，不能删除。"), "error")
        return redirect(url_for("learn.practice_list"))
    db.session.commit()
    flash(_("已删除。"), "success")
    return redirect(url_for("learn.practice_list"))


@bp.get("/practice/<int:record_id>/photo")
def practice_photo(record_id: int):
    record = _my_record_or_404(record_id)
    if not record.photo:
        abort(404)
    return practice.send_photo(record)


class _RecordData:
    """A practice record as the form's initial data (money back in yuan)."""

    def __init__(self, record: PracticeRecord):
        self.uuid = record.uuid
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
        self.note = record.note
        self.remove_photo = False


@bp.get("/img/<course_slug>/<filename>")
def lesson_image(course_slug: str, filename: str):
    """Pictures used by lessons, straight from the curriculum folder."""
    if not SLUG.match(course_slug):
        abort(404)
    folder = Path(current_app.config["CURRICULA_PATH"]) / "courses" / course_slug / "img"
    return send_from_directory(folder, filename, max_age=86400)
