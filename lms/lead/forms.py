"""Forms for programme leads."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField

from lms.inputs import coerce_id
from lms.services.programmes import SCHEDULE_FIELDS

SCHEDULE_LABELS = {
    "followup_after_course_days": _l("学完有实践任务的课后，几天内回访"),
    "followup_after_first_sale_days": _l("第一笔销售后，几天内回访"),
    "followup_early_every_days": _l("入学初期，每几天回访一次"),
    "followup_early_period_days": _l("入学初期有多少天"),
    "followup_later_every_days": _l("之后每几天回访一次"),
    "followup_window_before_days": _l("回访窗口：到期前几天起算"),
    "followup_window_after_days": _l("回访窗口：到期后几天内都算"),
}


class ProgrammeForm(FlaskForm):
    name = StringField(_l("项目名称"), render_kw={"maxlength": 100})
    organisation = StringField(_l("机构"), render_kw={"maxlength": 100})
    description = TextAreaField(_l("说明"), render_kw={"rows": 2})
    villages = TextAreaField(_l("项目覆盖的村（每行一个）"), render_kw={"rows": 4})
    lead_id = SelectField(_l("项目负责人"), coerce=coerce_id, validate_choice=False)


for _field in SCHEDULE_FIELDS:
    setattr(
        ProgrammeForm,
        _field,
        IntegerField(SCHEDULE_LABELS[_field], render_kw={"inputmode": "numeric"}),
    )


class CohortForm(FlaskForm):
    name = StringField(_l("培训班名称"), render_kw={"maxlength": 100})
    site = StringField(_l("培训地点"), render_kw={"maxlength": 100})
    township = StringField(_l("乡镇"), render_kw={"maxlength": 50})
    village = StringField(_l("村"), render_kw={"maxlength": 50})
    starts_on = StringField(_l("开班日期"), render_kw={"type": "date"})
    ends_on = StringField(_l("结束日期（可不填）"), render_kw={"type": "date"})


class AssignForm(FlaskForm):
    mentor_id = SelectField(_l("驻点导师"), coerce=coerce_id, validate_choice=False)


class MoveForm(FlaskForm):
    cohort_id = SelectField(_l("调到哪个培训班"), coerce=coerce_id, validate_choice=False)


class RosterForm(FlaskForm):
    file = FileField(
        _l("花名册文件（.xlsx 或 .csv）"),
        render_kw={
            "accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-"
            "officedocument.spreadsheetml.sheet"
        },
    )


class RosterConfirmForm(FlaskForm):
    token = HiddenField()
    digest = HiddenField()  # the preview the lead confirms (RosterPreview.digest)
    consent = BooleanField(_l("我确认：名单上的学员都已签字同意项目收集和使用这些信息。"))
