"""Forms for the mentor's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from lms.inputs import coerce_id
from lms.models import Dimension, Observation, OutcomeKind, ProblemTag, VisitMode
from lms.models.curriculum import DIMENSION_LABELS
from lms.services.visits import VisitInput


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VisitForm(FlaskForm):
    uuid = HiddenField()
    version = HiddenField()  # the version of the visit the mentor saw (edits only)
    visited_on = StringField(_l("回访日期"), render_kw={"type": "date"})
    mode = RadioField(_l("回访方式"))
    problem_tags = CheckboxesField(_l("遇到的问题（可多选）"))
    actions = TextAreaField(
        _l("约定的行动"),
        render_kw={"rows": 3, "maxlength": 2000, "placeholder": _l("比如：下周前拍好5张商品照片")},
    )
    next_due_on = StringField(_l("下次回访日期（可不填）"), render_kw={"type": "date"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = [SelectChoice(m.value, m.label) for m in VisitMode]
        self.problem_tags.choices = [SelectChoice(t.value, t.label) for t in ProblemTag]
        for dimension in Dimension:
            getattr(self, f"level_{dimension.value}").choices = [
                SelectChoice(o.value, o.label) for o in Observation
            ]

    def dimension_fields(self):
        for dimension in Dimension:
            yield (
                dimension,
                getattr(self, f"level_{dimension.value}"),
                getattr(self, f"note_{dimension.value}"),
            )

    def to_input(self) -> VisitInput:
        return VisitInput(
            visited_on=self.visited_on.data or "",
            mode=self.mode.data or "",
            levels={d.value: getattr(self, f"level_{d.value}").data or "" for d in Dimension},
            notes={d.value: getattr(self, f"note_{d.value}").data or "" for d in Dimension},
            problem_tags=list(self.problem_tags.data or []),
            actions=self.actions.data or "",
            next_due_on=self.next_due_on.data or "",
        )

    def load(self, visit) -> None:
        self.uuid.data = visit.uuid
        self.version.data = str(visit.version)
        self.visited_on.data = visit.visited_on.isoformat()
        self.mode.data = visit.mode.value
        self.problem_tags.data = list(visit.problem_tags)
        self.actions.data = visit.actions
        self.next_due_on.data = visit.next_due_on.isoformat() if visit.next_due_on else ""
        for dimension in Dimension:
            seen = visit.observations.get(dimension.value, {})
            getattr(self, f"level_{dimension.value}").data = seen.get("level")
            getattr(self, f"note_{dimension.value}").data = seen.get("note", "")


for _dimension in Dimension:
    setattr(VisitForm, f"level_{_dimension.value}", RadioField(DIMENSION_LABELS[_dimension]))
    setattr(
        VisitForm,
        f"note_{_dimension.value}",
        StringField(_l("说明（可不填）"), render_kw={"maxlength": 500}),
    )


class RejectForm(FlaskForm):
    version = HiddenField()  # the version of the record the mentor saw
    reason = TextAreaField(
        _l("为什么不通过？（学员会看到）"), render_kw={"rows": 3, "maxlength": 500}
    )


class SignOffForm(FlaskForm):
    step = HiddenField()  # the rung change this form was made for (RungPromotion.step)
    visit_id = SelectField(_l("在哪次回访时确认"), coerce=coerce_id)


class CorrectionForm(FlaskForm):
    step = HiddenField()
    to_rung = SelectField(_l("调到第几级"), coerce=int)
    reason = TextAreaField(_l("原因"), render_kw={"rows": 3, "maxlength": 500})


class OutcomeForm(FlaskForm):
    uuid = HiddenField()  # a double tap or a resend records one outcome
    kind = RadioField(_l("成效"))
    happened_on = StringField(_l("日期"), render_kw={"type": "date"})
    note = TextAreaField(_l("说明（可不填）"), render_kw={"rows": 2, "maxlength": 500})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in OutcomeKind]


class TrackForm(FlaskForm):
    """The trainee's track (分类培训); the choices are checked by the service, so a value the
    list never offered gets a clear message, not a form error."""

    track = StringField(_l("培训方向"))
    version = HiddenField()
