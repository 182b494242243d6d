"""Login, password and language forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from lms.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        validators=[DataRequired(_l("请填写手机号。"))],
        render_kw={"inputmode": "numeric", "autocomplete": "username"},
    )
    password = PasswordField(
        _l("密码"),
        validators=[DataRequired(_l("请填写密码。"))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField(
        _l("当前密码"),
        validators=[DataRequired(_l("请填写当前密码。"))],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("新密码"),
        validators=[
            DataRequired(_l("请填写新密码。")),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("密码至少要8位。")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("密码太长了，最多128位。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再输一次新密码"),
        validators=[EqualTo("password", message=_l("两次输入的新密码不一样。"))],
        render_kw={"autocomplete": "new-password"},
    )


class LocaleForm(FlaskForm):
    locale = SelectField(choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")])
    next = HiddenField()
