"""The trainee's pages: home with "my ladder", courses, lessons and quizzes (practice records
are in the sibling module records.py, on this same blueprint).

Every page works without JavaScript. Views load, authorise (a trainee sees only their own
records: others get 404), call a service, commit once, render or redirect.
"""

from pathlib import Path

from flask import (
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
from sqlalchemy import select

from lms.db import db, new_uuid
from lms.errors import UuidTaken, ValidationError
from lms.forms import ConfirmForm
from lms.models import (
    LIVE_STATUSES,
    Course,
    Lesson,
    PracticeKind,
    PracticeRecord,
)
from lms.permissions import acting_user
from lms.security import FIGURE_CSP
from lms.services import ladder, learning, schedule
from lms.services.curricula.yamlfile import SLUG

from . import bp


def _current_or_404(model, slug: str):
    return learning.current(model, slug) or abort(404)


@bp.get("/")
def home():
    me = acting_user()
    status = ladder.evaluate(me)
    rows = [row for _, tier_rows in learning.catalogue(me) for row in tier_rows]
    by_course = {row.course.id: row for row in rows}
    needed = [
        by_course[r.course.id] for r in status.requirements if r.course and r.course.id in by_course
    ]
    # The next rung's courses first, then those the trainee's track recommends.
    suggested = needed + _recommended(status, rows) + rows
    continue_lesson = learning.next_lesson(me, suggested)
    recent = db.session.scalars(
        select(PracticeRecord)
        .where(PracticeRecord.trainee_id == me.id, PracticeRecord.status.in_(LIVE_STATUSES))
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
        keep=[
            *([url_for("learn.lesson", slug=continue_lesson.slug)] if continue_lesson else []),
            url_for("learn.practice_new"),
            *(url_for("learn.practice_new", kind=k.value) for k in PracticeKind),  # its forms
            url_for("learn.practice_list"),
        ],
    )


@bp.get("/courses")
def courses():
    me = acting_user()
    status = ladder.evaluate(me)
    for_next = {r.course.id for r in status.requirements if r.course is not None}
    catalogue = learning.catalogue(me)
    next_rows = [row for _, rows in catalogue for row in rows if row.course.id in for_next]
    return render_template(
        "learn/courses.html",
        catalogue=catalogue,
        next_rows=next_rows,
        next_rung=status.next,
        track=status.track,
        track_rows=_recommended(status, [row for _, rows in catalogue for row in rows]),
    )


def _recommended(status: ladder.LadderStatus, rows: list) -> list:
    """The catalogue rows of the courses the trainee's track recommends, in the track's order."""
    if status.track is None:
        return []
    by_course = {row.course.id: row for row in rows}
    return [by_course[i] for i in status.track.recommends if i in by_course]


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


KEEP_AHEAD = 5  # the next lessons of the course a phone keeps for reading offline


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
        keep=[url_for("learn.lesson", slug=x.slug) for x in lessons[index + 1 :][:KEEP_AHEAD]],
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
    chosen = learning.chosen_answers(items, request.form.getlist)

    def again(status: int, *, keep: bool, errors=None, uuid=None):
        return render_template(
            "learn/quiz.html",
            course=course,
            items=items,
            form=form,
            chosen=chosen if keep else {},
            errors=errors or {},
            uuid=uuid or new_uuid(),
        ), status

    try:
        result = learning.submit_quiz(me, course, chosen, uuid=request.form.get("uuid"))
    except ValidationError as e:
        kept = None if "uuid" in e.errors else request.form.get("uuid")  # checked: a uuid
        return again(422, keep=True, errors=e.errors, uuid=kept)
    except learning.AttemptAlreadySubmitted:
        db.session.rollback()
        flash(_("这份答卷已经交过了，上次的成绩已经记下。想再做一次，就在下面重新作答。"), "info")
        return again(409, keep=False)
    except UuidTaken:
        db.session.rollback()
        flash(_("这份答卷没能提交（表单编号不对）。你选的答案都还在，请再交一次。"), "error")
        return again(409, keep=True)
    db.session.commit()
    return render_template("learn/quiz_result.html", course=course, result=result)


@bp.get("/img/<course_slug>/<filename>")
def lesson_image(course_slug: str, filename: str):
    """Pictures used by lessons, straight from the curriculum folder. A figure drawn as SVG is
    checked at import to hold shapes and text only; opened on its own it still runs nothing."""
    response = _from_course_folder(course_slug, "img", filename)
    if filename.endswith(".svg"):
        response.headers["Content-Security-Policy"] = FIGURE_CSP
        if response.status_code == 200:
            # Drawn figures are text and shrink to a third gzipped; Flask-Compress sends a file
            # streamed from disk uncompressed, so the figure is read into the response.
            response.direct_passthrough = False
            figure = response.get_data()
            response.close()  # the file
            response.set_data(figure)
    return response


AUDIO_TYPES = {".opus": "audio/ogg", ".ogg": "audio/ogg", ".m4a": "audio/mp4", ".aac": "audio/aac"}


@bp.get("/audio/<course_slug>/<filename>")
def lesson_audio(course_slug: str, filename: str):
    """Recordings of lessons read aloud, straight from the curriculum folder."""
    kind = AUDIO_TYPES.get(Path(filename).suffix.lower())
    if kind is None:
        abort(404)
    return _from_course_folder(course_slug, "audio", filename, mimetype=kind)


def _from_course_folder(course_slug: str, folder: str, filename: str, **options):
    """A file of a course's folder under the curricula (never anything outside it)."""
    if not SLUG.match(course_slug):
        abort(404)
    path = Path(current_app.config["CURRICULA_PATH"]) / "courses" / course_slug / folder
    return send_from_directory(path, filename, max_age=86400, **options)
