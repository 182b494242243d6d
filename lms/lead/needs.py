"""需要跟进: every trainee of a programme who is overdue, stalled or has records waiting, as of
today, most urgent first; filterable by mentor, cohort and village, and exportable."""

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.clock import local_today
from lms.db import db
from lms.display import format_short_date
from lms.inputs import page_number, to_id
from lms.jobs import exports as big_exports
from lms.models import MentorAssignment, User
from lms.permissions import acting_user, assignment_is_current, get_programme_or_404
from lms.reporting import needs
from lms.reporting.dashboard import Cell, Table
from lms.security import no_store
from lms.services import exports
from lms.services import programmes as setup

from . import bp
from .jobs import start_export

PER_PAGE = 100


def _filters(programme, args=None) -> dict:
    """The filters asked for, each checked against the programme (anything else is a 404)."""
    args = request.args if args is None else args
    chosen = {"why": args.get("why") or None, "cohort_id": None, "village": None, "mentor": None}
    if chosen["why"] not in (None, *needs.REASONS):
        abort(404)
    if args.get("cohort"):
        chosen["cohort_id"] = to_id(args.get("cohort"))
        if chosen["cohort_id"] not in setup.cohort_names(programme.id):
            abort(404)
    if args.get("village"):
        chosen["village"] = args.get("village")
    if args.get("mentor"):
        mentor = db.session.get(User, to_id(args.get("mentor")) or 0)
        assigned = select(MentorAssignment.id).where(
            MentorAssignment.programme_id == programme.id,
            MentorAssignment.mentor_id == (mentor.id if mentor else None),
        )
        if mentor is None or db.session.scalar(assigned.limit(1)) is None:
            abort(404)  # only the programme's own mentors
        chosen["mentor"] = mentor
    return chosen


def _link_args(chosen) -> dict:
    return {
        "why": chosen["why"],
        "cohort": chosen["cohort_id"],
        "village": chosen["village"],
        "mentor": chosen["mentor"].id if chosen["mentor"] else None,
    }


@bp.get("/programmes/<id:programme_id>/needs")
def needs_page(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    today, chosen = local_today(), _filters(programme)
    total = needs.count(programme.id, today, **chosen)
    pages = max(1, -(-total // PER_PAGE))
    page = page_number(request.args.get("page"), pages)
    rows = needs.page(programme.id, today, offset=(page - 1) * PER_PAGE, limit=PER_PAGE, **chosen)
    mentors = db.session.execute(
        select(User.id, User.name)
        .where(
            User.id.in_(
                select(MentorAssignment.mentor_id).where(
                    MentorAssignment.programme_id == programme.id,
                    assignment_is_current(today),
                )
            )
        )
        .order_by(User.name, User.id)
    ).all()
    return no_store(
        render_template(
            "lead/needs.html",
            programme=programme,
            today=today,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            chosen=chosen,
            link_args=_link_args(chosen),
            mentors=list(mentors),
            cohorts=setup.cohort_names(programme.id),
            villages=programme.villages or [],
        )
    )


@bp.get("/programmes/<id:programme_id>/needs.<fmt>")
def needs_export(programme_id: int, fmt: str):
    programme = get_programme_or_404(acting_user(), programme_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    today, chosen = local_today(), _filters(programme)
    if big_exports.is_large(needs.count(programme.id, today, **chosen)):
        return start_export("needs", programme, fmt, request.args)
    table, name = _table(programme, today, chosen)
    return exports.download(table, fmt, f"{name}.{fmt}")


@big_exports.table("needs", title=_l("需要跟进的学员"), args=("why", "cohort", "village", "mentor"))
def _table_in_job(programme, args) -> tuple[Table, str]:
    return _table(programme, local_today(), _filters(programme, args))


def _table(programme, today, chosen) -> tuple[Table, str]:
    """The export's table and file name (in the request, or in the job of a large export)."""
    cohorts = setup.cohort_names(programme.id)
    table = Table(
        "needs",
        _("需要跟进的学员（截至 %(day)s）", day=format_short_date(today)),
        _("逾期未回访、超过30天没有学习或实践、或有记录等待核实的学员，最急的在前。"),
        [_("学员"), _("手机"), _("村"), _("培训班"), _("原因"), _("上次回访"), _("导师")],
    )
    for row in needs.page(programme.id, today, offset=0, limit=None, **chosen):
        table.rows.append(
            [
                Cell(row.name),
                Cell(row.phone),
                Cell(row.village),
                Cell(cohorts.get(row.cohort_id, "")),
                Cell("；".join(row.reasons)),
                Cell(row.facts.last_visit_on),
                Cell("、".join(f"{name}（{load}）" for _id, name, load in row.mentors)),
            ]
        )
    return table, f"{programme.id}-needs-{today}"
