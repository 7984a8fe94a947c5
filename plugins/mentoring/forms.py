from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from incubator.dates import today

from .models import MODE_LABELS


def hours_in_range(form, field):
    """0 hours gets a message of its own: the service says the same to the API."""
    value = field.data
    if value is None or not value.is_finite():
        raise StopValidation(_l("请填写时长（小时）"))
    if value <= 0:
        raise StopValidation(_l("督导时长须大于 0 小时"))
    if not 0.5 <= value <= 24:
        raise StopValidation(_l("时长应在 0.5–24 小时之间"))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(Form):
    """One follow-up action row (a sub-form: the outer form carries the CSRF token)."""

    description = StringField(_l("跟进事项"), validators=[Optional(), Length(max=500)])
    owner = StringField(_l("负责人"), validators=[Optional(), Length(max=60)])
    due_on = DateField(_l("完成期限"), validators=[Optional()])


class LogForm(FlaskForm):
    held_on = DateField(_l("督导日期"), default=today, validators=[DataRequired(message=_l("请填写督导日期"))])
    hours = DecimalField(_l("时长（小时）"), places=1, validators=[InputRequired(message=_l("请填写时长")), hours_in_range])
    mode = SelectField(_l("方式"), choices=list(MODE_LABELS.items()))
    topics = CheckboxesField(_l("督导主题"), choices=[])
    findings = TextAreaField(_l("发现的问题（支持 Markdown）"), validators=[DataRequired(message=_l("请填写发现的问题")),
                                                                Length(max=20000)], render_kw={"rows": 5})
    advice = TextAreaField(_l("给出的建议（支持 Markdown）"), validators=[DataRequired(message=_l("请填写给出的建议")),
                                                               Length(max=20000)], render_kw={"rows": 5})
    actions = FieldList(FormField(ActionForm), min_entries=3, max_entries=10)
    file = MultipleFileField(_l("现场照片、签到表（可选）"))  # size and type: checked by incubator.files
    submit = SubmitField(_l("保存"))

    def data_for_service(self) -> dict:
        return {"held_on": self.held_on.data, "hours": self.hours.data, "mode": self.mode.data,
                "topics": self.topics.data, "findings": self.findings.data, "advice": self.advice.data,
                "actions": [row.data for row in self.actions]}


class AttachForm(FlaskForm):
    """Photos and sign-in sheets added later, from the log's page."""

    file = MultipleFileField(_l("现场照片、签到表"))
    submit = SubmitField(_l("上传附件"))


class AssignForm(FlaskForm):
    """Pages build it with prefix="assign": the organization page carries several forms."""

    expert = SelectField(_l("专家"), choices=[], validate_choice=False)
    starts_on = DateField(_l("开始日期"), default=today, validators=[DataRequired(message=_l("请填写开始日期"))])
    ends_on = DateField(_l("结束日期"), validators=[Optional()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("指派专家"))


class EndAssignmentForm(FlaskForm):
    ends_on = DateField(_l("结束日期"), validators=[Optional()])
    submit = SubmitField(_l("结束指派"))


class DisputeForm(FlaskForm):
    comment = TextAreaField(_l("异议说明"), validators=[DataRequired(message=_l("请说明异议内容")), Length(max=5000)],
                            render_kw={"rows": 3})
    submit = SubmitField(_l("提出异议"))


class SettingsForm(FlaskForm):
    graduation_veto = BooleanField(_l("出壳前须完成规定次数的督导"))
    min_confirmed_sessions = IntegerField(_l("最少签字确认督导次数"),
                                          validators=[Optional(), NumberRange(min=0, max=200, message=_l("应在 0–200 之间"))])
    min_gap_days = IntegerField(_l("两次督导至少相隔（天）"), default=1,
                                description=_l("1 表示同一天的多条记录只计一次；7 表示每周最多计一次。"),
                                validators=[Optional(), NumberRange(min=1, max=365, message=_l("应在 1–365 之间"))])
    topics = TextAreaField(_l("督导主题（每行一个）"), validators=[DataRequired(message=_l("请至少填写一个主题"))],
                           render_kw={"rows": 8})
    submit = SubmitField(_l("保存设置"))
