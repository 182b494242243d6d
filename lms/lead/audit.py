"""The audit trail of a programme, for its lead (and admins): who changed what, when, filtered
by kind and dates, paged, exportable as CSV. Routes on the lead blueprint."""

from datetime import UTC, datetime, time, timedelta

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.clock import LOCAL_TZ, to_local
from lms.db import db
from lms.inputs import page_number, parse_date
from lms.jobs import exports as big_exports
from lms.models import AuditEvent
from lms.permissions import acting_user, get_programme_or_404
from lms.reporting.dashboard import Cell, Table
from lms.services import audit, exports

from . import bp
from .jobs import start_export

PER_PAGE = 100


def _utc(day, *, next_day: bool = False):
    if day is None:
        return None
    local = datetime.combine(day + timedelta(days=1 if next_day else 0), time(), LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def _trail(programme, args=None):
    args = request.args if args is None else args
    action = args.get("action") or None
    if action not in audit.ACTION_LABELS:
        action = None
    start, end = parse_date(args.get("start")), parse_date(args.get("end"))
    query = audit.programme_trail(
        programme.id, action=action, start=_utc(start), end=_utc(end, next_day=True)
    ).options(joinedload(AuditEvent.actor))
    return query, {"action": action, "start": start, "end": end}


def _what(event: AuditEvent) -> str:
    return str(audit.ACTION_LABELS.get(event.action, event.action))


@bp.get("/programmes/<id:programme_id>/audit")
def audit_trail(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    query, filters = _trail(programme)
    page = db.paginate(
        query, page=page_number(request.args.get("page")), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "lead/audit.html",
        programme=programme,
        page=page,
        filters=filters,
        labels=audit.ACTION_LABELS,
        what=_what,
    )


@bp.get("/programmes/<id:programme_id>/audit.csv")
def audit_export(programme_id: int):
    programme = get_programme_or_404(acting_user(), programme_id)
    query, _filters = _trail(programme)
    rows = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if big_exports.is_large(rows):
        return start_export("audit", programme, "csv", request.args)
    table, name = _table(programme, query)
    return exports.download(table, "csv", f"{name}.csv")


@big_exports.table("audit", title=_l("操作日志"), args=("action", "start", "end"))
def _table_in_job(programme, args):
    return _table(programme, _trail(programme, args)[0])


def _table(programme, query) -> tuple[Table, str]:
    table = Table(
        "audit",
        _("操作日志"),
        programme.name,
        [_("时间"), _("操作人"), _("操作"), _("对象"), _("学员编号"), _("细节")],
    )
    for event in db.session.scalars(query.limit(50_000)):
        table.rows.append(
            [
                Cell(to_local(event.created_at).strftime("%Y-%m-%d %H:%M")),
                Cell(event.actor.name if event.actor else _("系统")),
                Cell(_what(event)),
                Cell(f"{event.target_type}#{event.target_id}"),
                Cell(event.trainee_id),
                Cell(str(event.details) if event.details else ""),
            ]
        )
    return table, f"audit-{programme.id}"
