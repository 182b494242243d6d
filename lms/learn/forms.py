"""Forms for the trainee's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from lms.forms import read_upload
from lms.models import Channel, PracticeKind
from lms.services.practice import PracticeInput

UNITS = ("斤", "公斤", "个", "箱", "盒", "袋", "件", "只", "份", "瓶", "罐")


class PracticeForm(FlaskForm):
    """Asked in the order people think: what kind, when, where, what, how much, how much money."""

    uuid = HiddenField()  # made when the form is first shown: a re-sent form is stored once
    version = HiddenField()  # the version of the record the trainee saw (edits only)
    staged_photo = HiddenField()  # a photo already checked on an earlier try, kept for this one
    kind = RadioField(_l("这是什么实践？"))
    happened_on = StringField(_l("哪一天？"), render_kw={"type": "date"})
    channel = SelectField(_l("在哪里卖的或发的？"))
    product = StringField(
        _l("卖了什么？"), render_kw={"placeholder": _l("比如：土鸡蛋"), "maxlength": 100}
    )
    quantity = StringField(
        _l("卖了多少？"), render_kw={"inputmode": "decimal", "placeholder": "20"}
    )
    unit = StringField(_l("单位"), default="斤", render_kw={"list": "units", "maxlength": 10})
    amount = StringField(
        _l("收了多少钱？（元）"), render_kw={"inputmode": "decimal", "placeholder": "128.50"}
    )
    note = TextAreaField(_l("备注（可不填）"), render_kw={"rows": 2, "maxlength": 1000})
    photo = FileField(_l("照片（可不填）"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_photo = BooleanField(_l("删掉原来的照片"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in PracticeKind]
        self.channel.choices = [SelectChoice(c.value, c.label) for c in Channel]

    def to_input(self) -> PracticeInput:
        return PracticeInput(
            kind=self.kind.data or "",
            happened_on=self.happened_on.data or "",
            channel=self.channel.data or "",
            product=self.product.data or "",
            quantity=self.quantity.data or "",
            unit=self.unit.data or "",
            amount=self.amount.data or "",
            note=self.note.data or "",
            photo=read_upload(self.photo.data),
            staged_photo=self.staged_photo.data or None,
        )


class ConsentForm(FlaskForm):
    agreed = BooleanField(_l("我已读过上面的说明，同意"))
    guardian_name = StringField(_l("监护人姓名"), render_kw={"maxlength": 50})
    guardian_agreed = BooleanField(_l("监护人已看过说明，同意我参加"))
