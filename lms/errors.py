"""Domain errors raised by services, and the HTTP error pages."""

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError


class LmsError(Exception):
    """Base class of errors a service raises for a person to read."""


class ValidationError(LmsError):
    """Input that breaks a rule. `errors` maps a field name to a message in the user's language;
    `kept` maps a field name to a value the form should carry back (e.g. the token of a photo
    already checked and staged, so it is not lost with the error)."""

    def __init__(self, errors: dict[str, str], *, kept: dict[str, str] | None = None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.kept = kept or {}

    def attach_to(self, form) -> None:
        """Show each message next to its field of a WTForms form (fields named like the keys)."""
        for name, message in self.errors.items():
            field = getattr(form, name)
            field.errors = [*field.errors, message]
        for name, value in self.kept.items():
            getattr(form, name).data = value


class StaleVersion(LmsError):
    """The row changed since the person saw it (another person, or another tab, wrote first):
    nothing was written. Views show the current values and let the person decide again."""


class UuidTaken(LmsError):
    """A client uuid that already names someone else's record: refused, nothing written."""


class RecordGone(LmsError):
    """The record was deleted (by its owner) before this request reached it."""


def json_error(status: int, code: str, message: str):
    """An API error: `{"error": {"code": …, "message": …}}`, the code stable, the message in the
    user's language."""
    return jsonify({"error": {"code": code, "message": message}}), status


API_CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def register_error_pages(app: Flask) -> None:
    """Error pages in the user's language that never touch the database: the session is rolled
    back first, and the page (`errors/error.html`, standalone) reads neither the logged-in user
    nor anything else stored, so it renders while the database is down.

    A write that lost a race to another request (a unique key taken, a row changed or gone in
    between) answers 409, never 500, and the person is asked to look again; known races are
    handled where they happen, with better words, and this is the net under the rest. A value
    the database refuses (out of a column's range) answers 400: the input boundary
    (lms.inputs) should have caught it, and the log says where. A database that cannot be
    reached answers 503."""

    def page(code: int, message: str):
        if request.path.startswith("/api/"):  # the API answers in JSON, with a stable code
            return json_error(code, API_CODES.get(code, "error"), message)
        return render_template("errors/error.html", code=code, message=message), code

    def write_conflict(error):
        _roll_back()
        # The constraint's message may quote the values (phone numbers): log the kind only.
        app.logger.warning("write conflict (%s) on %s", type(error).__name__, request.endpoint)
        return page(
            409, _("刚才有人同时改了同一份记录，这次没有保存。请返回，刷新页面后再看一下。")
        )

    def database_unavailable(error):
        _roll_back()
        app.logger.error("database unavailable (%s) on %s", type(error).__name__, request.endpoint)
        return page(503, _("服务器暂时连不上数据库，这次的操作没有保存。请过几分钟再试。"))

    def out_of_range(error):
        _roll_back()
        app.logger.warning(
            "value the database refused (%s) on %s", type(error).__name__, request.endpoint
        )
        return page(400, _("请求有误，请返回上一页再试一次。"))

    app.register_error_handler(DataError, out_of_range)
    app.register_error_handler(IntegrityError, write_conflict)
    app.register_error_handler(StaleDataError, write_conflict)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)

    messages = {
        400: lambda: _("请求有误，请返回上一页再试一次。"),
        403: lambda: _("你没有权限打开这个页面。"),
        404: lambda: _("找不到这个页面。"),
        405: lambda: _("请求有误，请返回上一页再试一次。"),
        413: lambda: _("上传的内容太大了。"),
        429: lambda: _("操作太频繁了，请过一会儿再试。"),
        500: lambda: _("服务器出了点问题，请稍后再试。"),
    }

    def make_handler(code: int):
        def handler(error):
            _roll_back()
            if getattr(error, "response", None) is not None:  # a page made for it (login 429)
                return error.response
            return page(code, messages[code]())

        return handler

    for code in messages:
        app.register_error_handler(code, make_handler(code))


def _roll_back() -> None:
    """Start an error page: from here on nothing reads the database (lms.select_locale takes
    the session's language, not the user's row), and the request's session is rolled back —
    a dead connection may refuse even that."""
    from lms.db import db  # lms.db imports this module

    g.plain_page = True
    # Flask-Login's template context asks for the user, which loads them from the database
    # unless this request already has one: give it nobody.
    g._login_user = AnonymousUserMixin()
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: drop the session, a new one reconnects
        db.session.remove()
