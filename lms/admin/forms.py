"""Forms for account administration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from lms.inputs import coerce_id
from lms.models import Role


class UserForm(FlaskForm):
    phone = StringField(
        _l("手机号"),
        validators=[DataRequired(_l("请填写手机号。"))],
        render_kw={"inputmode": "numeric"},
    )
    name = StringField(
        _l("姓名"),
        validators=[
            DataRequired(_l("请填写姓名。")),
            Length(max=50, message=_l("姓名最多50个字。")),
        ],
    )
    role = SelectField(_l("角色"), choices=[SelectChoice(r.value) for r in Role])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r.value, r.label) for r in Role]


class EnrolForm(FlaskForm):
    cohort_id = SelectField(_l("加入哪个培训班"), coerce=coerce_id, validate_choice=False)
    confirm = BooleanField(
        _l("我确认：这位学员同时参加两个项目，两个项目的负责人和导师都会看到他/她的信息。")
    )
