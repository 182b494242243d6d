"""The JSON API, version 1. For now the sync endpoint the offline pages use (lms.services.sync):
authenticated by the session, with the CSRF token in the `X-CSRFToken` header, and scoped
exactly like the pages. Errors are JSON: `{"error": {"code": …, "message": …}}`."""

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from lms.clock import utcnow
from lms.db import db
from lms.errors import ValidationError, json_error
from lms.forms import read_upload
from lms.models import Role
from lms.permissions import acting_user
from lms.security import no_store
from lms.services import consent, sync

from . import bp


@bp.before_request
def _signed_in_with_consent():
    if not current_user.is_authenticated:
        return json_error(401, "login_required", _("请先登录。"))
    if current_user.role is Role.TRAINEE and consent.current_consent(acting_user()) is None:
        return json_error(403, "consent_required", _("请先打开学堂，看过并同意个人信息说明。"))
    return None


@bp.get("/session")
def session_info():
    """Who is logged in, and a CSRF token for the sync: a phone that syncs from a kept page
    (whose token may be older than the login) asks first, and sends only this person's entries."""
    return no_store(
        jsonify(
            {
                "user_id": current_user.id,
                "role": current_user.role.value,
                "csrf_token": generate_csrf(),
            }
        )
    )


@bp.post("/sync")
def sync_entries():
    """A batch of entries in one request; one answer per entry, in order."""
    body = request.get_json(silent=True)
    entries = body.get("entries") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return json_error(400, "bad_request", _("上传的内容格式不对。"))
    if len(entries) > sync.MAX_ENTRIES:
        return json_error(413, "too_many_entries", _("一次最多上传%(n)d条。", n=sync.MAX_ENTRIES))
    answers = sync.apply(acting_user(), entries)
    return jsonify(
        {
            "results": [a.as_json() for a in answers],
            "server_time": utcnow().isoformat(timespec="seconds") + "Z",
        }
    )


@bp.post("/sync/photos/<uuid>")
def sync_photo(uuid: str):
    """The evidence photo of a practice record already synced, one per request."""
    if current_user.role is not Role.TRAINEE:
        return json_error(403, "forbidden", _("你的账号不能上传这种记录。"))
    data = read_upload(request.files.get("photo"))
    if not data:
        return json_error(400, "bad_request", _("请选择一张照片。"))
    try:
        answer = sync.attach_photo(acting_user(), uuid, data)
    except ValidationError as e:
        db.session.rollback()
        return jsonify(sync.Answer(uuid[:40], "rejected", errors=e.errors).as_json()), 422
    db.session.commit()
    return jsonify(answer.as_json())
