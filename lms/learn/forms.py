"""Forms for the trainee's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from lms.forms import read_upload
from lms.models import Channel
from lms.models.practice_kinds import ASKABLE
from lms.services.practice import PracticeInput

UNITS = ("斤", "公斤", "个", "箱", "盒", "袋", "件", "只", "份", "瓶", "罐")


def _posted(field) -> str:
    """What the form posted for `field`; empty when it was not posted at all (a field the kind
    does not ask is not on its form, and must not bring back a default or the stored value)."""
    return field.raw_data[0] if field.raw_data and isinstance(field.raw_data[0], str) else ""


class PracticeForm(FlaskForm):
    """Every field any kind asks; a kind's form shows only its own (KIND_FORMS), with its own
    labels, in the order people think: what, how much, where, when."""

    uuid = HiddenField()  # made when the form is first shown: a re-sent form is stored once
    version = HiddenField()  # the version of the record the trainee saw (edits only)
    staged_photo = HiddenField()  # a photo already checked on an earlier try, kept for this one
    kind = HiddenField()  # chosen before the form (?kind=): the form is that kind's
    happened_on = StringField(_l("哪一天？"), render_kw={"type": "date"})
    channel = SelectField(_l("在哪里卖的或发的？"))
    product = StringField(_l("卖了什么？"), render_kw={"maxlength": 100})
    quantity = StringField(_l("卖了多少？"), render_kw={"inputmode": "decimal"})
    unit = StringField(_l("单位"), render_kw={"list": "units", "maxlength": 10})
    amount = StringField(_l("收了多少钱？（元）"), render_kw={"inputmode": "decimal"})
    minutes = StringField(_l("直播了多少分钟？"), render_kw={"inputmode": "numeric"})
    viewers = StringField(_l("观看人数"), render_kw={"inputmode": "numeric"})
    orders = StringField(_l("订单数"), render_kw={"inputmode": "numeric"})
    people = StringField(_l("人数"), render_kw={"inputmode": "numeric"})
    link = StringField(_l("链接"), render_kw={"inputmode": "url", "maxlength": 2000})
    note = TextAreaField(_l("备注（可不填）"), render_kw={"rows": 2, "maxlength": 1000})
    photo = FileField(_l("照片（可不填）"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_photo = BooleanField(_l("删掉原来的照片"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [SelectChoice(c.value, c.label) for c in Channel]

    def to_input(self) -> PracticeInput:
        """What was posted, as the service checks it (what the kind does not ask included)."""
        return PracticeInput(
            kind=_posted(self.kind),
            happened_on=_posted(self.happened_on),
            channel=_posted(self.channel),
            **{name: _posted(getattr(self, name)) for name in (*ASKABLE, "unit")},
            note=_posted(self.note),
            photo=read_upload(self.photo.data),
            staged_photo=_posted(self.staged_photo) or None,
        )


class ConsentForm(FlaskForm):
    agreed = BooleanField(_l("我已读过上面的说明，同意"))
    guardian_name = StringField(_l("监护人姓名"), render_kw={"maxlength": 50})
    guardian_agreed = BooleanField(_l("监护人已看过说明，同意我参加"))
