"""Domain errors raised by services, and the HTTP error pages."""

from flask import Flask, render_template
from flask_babel import gettext as _


class LmsError(Exception):
    """Base class of errors a service raises for a person to read."""


class ValidationError(LmsError):
    """Input that breaks a rule. `errors` maps a field name to a message in the user's language."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    def attach_to(self, form) -> None:
        """Show each message next to its field of a WTForms form (fields named like the keys)."""
        for name, message in self.errors.items():
            field = getattr(form, name)
            field.errors = [*field.errors, message]


def register_error_pages(app: Flask) -> None:
    messages = {
        400: lambda: _("请求有误，请返回上一页再试一次。"),
        403: lambda: _("你没有权限打开这个页面。"),
        404: lambda: _("找不到这个页面。"),
        413: lambda: _("上传的内容太大了。"),
        500: lambda: _("服务器出了点问题，请稍后再试。"),
    }

    def make_handler(code: int):
        def handler(error):
            return render_template("errors/error.html", code=code, message=messages[code]()), code

        return handler

    for code in messages:
        app.register_error_handler(code, make_handler(code))
