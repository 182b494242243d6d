"""Dashboards, the trainee lists behind their numbers, exports and per-trainee reports."""

from datetime import timedelta

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.clock import local_today
from lms.db import db
from lms.display import ui_language
from lms.forms import ConfirmForm
from lms.inputs import page_number, parse_date, to_id
from lms.models import (
    Cohort,
    Course,
    CourseCompletion,
    Enrollment,
    FollowUpVisit,
    MentorAssignment,
    PracticeKind,
    PracticeRecord,
    RecordStatus,
    RungPromotion,
    User,
)
from lms.permissions import (
    acting_user,
    assignment_is_current,
    get_programme_or_404,
    get_programme_trainee_or_404,
)
from lms.reporting import dashboard as dash
from lms.reporting import figures, needs
from lms.reporting.indicators import GROUPS, INDICATORS
from lms.reporting.labels import describe
from lms.reporting.scope import Period, Scope
from lms.reporting.tables import BUILDERS, tables
from lms.reporting.tables import table as build_table
from lms.services import consent as consents
from lms.services import exports, ladder
from lms.services import programmes as setup
from lms.sqlfuncs import local_date_plus

from . import bp

PRESETS = figures.PRESETS  # kept current by the periodic tick
PER_PAGE = 100


def _period() -> Period:
    today = local_today()
    preset = request.args.get("preset")
    if preset in PRESETS:
        return Period(today - timedelta(days=PRESETS[preset] - 1), today)
    start, end = parse_date(request.args.get("start")), parse_date(request.args.get("end"))
    if request.args.get("start") or request.args.get("end"):
        if start is None or end is None or start > end:
            flash(_("时间段不对：开始日期要早于结束日期。已改用最近一年。"), "error")
        else:
            return Period(start, end)
    return Period(today - timedelta(days=364), today)


def _scope(programme) -> Scope:
    cohort_id = None
    if request.args.get("cohort"):
        cohort_id = to_id(request.args.get("cohort"))
        in_programme = select(Cohort.id).where(
            Cohort.id == cohort_id, Cohort.programme_id == programme.id
        )
        if cohort_id is None or db.session.scalar(in_programme) is None:
            abort(404)
    return Scope(programme.id, cohort_id, request.args.get("village") or None)


def _context(programme):
    return dash.build_context(
        _scope(programme),
        _period(),
        today=local_today(),
        locale=ui_language(),
    )


def _filters(ctx) -> dict:
    """The query parameters that keep scope and period on every link."""
    return {
        "cohort": ctx.scope.cohort_id,
        "village": ctx.scope.village,
        "start": ctx.period.start.isoformat(),
        "end": ctx.period.end.isoformat(),
    }


@bp.get("/programmes/<id:programme_id>/dashboard")
def dashboard(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    ctx = _context(programme)
    today = local_today()
    return render_template(
        "lead/dashboard.html",
        programme=programme,
        ctx=ctx,
        needs=needs.counts(programme.id, today),
        tables=tables(ctx),
        filters=_filters(ctx),
        presets=PRESETS,
        cohorts=setup.cohort_names(programme.id),
    )


@bp.get("/programmes/<id:programme_id>/dashboard/<key>.<fmt>")
def export(programme_id: int, key: str, fmt: str):
    programme = get_programme_or_404(acting_user(), programme_id)
    if key not in BUILDERS or fmt not in ("csv", "xlsx"):
        abort(404)
    ctx = _context(programme)
    table = build_table(ctx, key)
    name = f"{programme.id}-{key}-{ctx.period.start}-{ctx.period.end}.{fmt}"
    return exports.download(table, fmt, name)


@bp.get("/programmes/<id:programme_id>/trainees")
def trainees(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    ctx = _context(programme)
    indicator, arg = request.args.get("indicator", "all"), request.args.get("arg")
    if indicator not in INDICATORS and indicator not in dash.EXTRA:
        abort(404)
    groups = {k: request.args.get(k) for k in GROUPS if request.args.get(k)}
    mentor = to_id(request.args.get("mentor")) if request.args.get("mentor") else None
    if request.args.get("mentor") and mentor is None:
        abort(404)

    def page_of(page: int):
        return dash.listing(
            ctx,
            indicator,
            arg,
            dict(groups, mentor=mentor),
            offset=(page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )

    page = page_number(request.args.get("page"))
    try:
        total, rows = page_of(page)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        abort(404)  # an indicator argument no link makes
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:  # past the last page: show the last
        page = pages
        total, rows = page_of(page)
    return render_template(
        "lead/trainees.html",
        programme=programme,
        ctx=ctx,
        total=total,
        rows=rows,
        page=page,
        pages=pages,
        cohorts=setup.cohort_names(programme.id),
        described=describe(ctx, indicator, arg, groups, mentor),
        filters=_filters(ctx),
    )


@bp.get("/programmes/<id:programme_id>/trainees/<id:trainee_id>/report")
def report(programme_id: int, trainee_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    trainee = get_programme_trainee_or_404(acting_user(), programme, trainee_id)
    status = ladder.evaluate(trainee)
    # What the programme counts starts at the trainee's first enrolment in it (as indicators).
    since = db.session.scalar(
        select(func.min(Enrollment.enrolled_on))
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.programme_id == programme.id, Enrollment.trainee_id == trainee.id)
    )
    promotions = db.session.scalars(
        select(RungPromotion)
        .where(RungPromotion.trainee_id == trainee.id)
        .order_by(RungPromotion.signed_at)
    ).all()
    completions = db.session.execute(
        select(CourseCompletion.completed_at, Course)
        .join(Course, Course.id == CourseCompletion.course_id)
        .where(
            CourseCompletion.trainee_id == trainee.id,
            local_date_plus(CourseCompletion.completed_at, 0) >= since,
        )
        .order_by(CourseCompletion.completed_at)
    ).all()
    verified = db.session.scalars(
        select(PracticeRecord)
        .where(
            PracticeRecord.trainee_id == trainee.id,
            PracticeRecord.status == RecordStatus.VERIFIED,
            PracticeRecord.happened_on >= since,
        )
        .order_by(PracticeRecord.happened_on, PracticeRecord.id)
    ).all()
    sales = [r for r in verified if r.kind is PracticeKind.SALE]
    visits = db.session.scalars(
        select(FollowUpVisit)
        .where(FollowUpVisit.trainee_id == trainee.id, FollowUpVisit.visited_on >= since)
        .order_by(FollowUpVisit.visited_on)
        .options(db.joinedload(FollowUpVisit.mentor))
    ).all()
    cohort = next(
        (c for _e, c in setup.current_enrolments(trainee) if c.programme_id == programme.id), None
    )
    mentors = db.session.execute(
        select(MentorAssignment, User.name)
        .join(User, User.id == MentorAssignment.mentor_id)
        .where(
            MentorAssignment.programme_id == programme.id,
            MentorAssignment.trainee_id == trainee.id,
            assignment_is_current(local_today()),
        )
        .order_by(MentorAssignment.starts_on)
    ).all()
    return render_template(
        "lead/report.html",
        programme=programme,
        mentors=mentors,
        since=since,
        consent=consents.current_consent(trainee),
        form=ConfirmForm(),
        trainee=trainee,
        status=status,
        promotions=promotions,
        completions=completions,
        sales=sales,
        other_practice=[r for r in verified if r.kind is not PracticeKind.SALE],
        visits=visits,
        cohort=cohort,
        today=local_today(),
        total_fen=sum(s.amount_fen or 0 for s in sales),
    )
