"""The administrator's forms: parks, plugin enablement, the audit log's filters."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import name_validator
from ..parks.models import LEVELS


class ParkForm(FlaskForm):
    code = StringField(_l("代码"), validators=[DataRequired(), Length(max=40)],
                       description=_l("稳定的英文标识，如 fangxing"))
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120), name_validator])
    level = SelectField(_l("级别"), choices=list(LEVELS.items()))
    parent_id = SelectField(_l("上级园区"), coerce=int)
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    area_m2 = IntegerField(_l("面积（㎡）"), validators=[Optional(), NumberRange(min=0)], default=0)
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存"))


class PluginEnablementForm(FlaskForm):
    scope = RadioField(_l("启用范围"), choices=[("all", _l("所有园区")), ("parks", _l("指定园区")),
                                                 ("none", _l("停用"))])
    parks = SelectMultipleField(_l("园区"), coerce=int, widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput(), description=_l("选择“指定园区”时勾选"))
    submit = SubmitField(_l("保存"))


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: bookmarkable, no CSRF token in the address)."""

    class Meta:
        csrf = False

    q = StringField(_l("搜索"), validators=[Optional(), Length(max=100)],
                    description=_l("人名、用户名、组织或用户的名称、摘要中的文字"))
    date_from = DateField(_l("从"), validators=[Optional()])
    date_to = DateField(_l("至"), validators=[Optional()])
    action = StringField(_l("操作"), validators=[Optional(), Length(max=80)])
    hide_logins = BooleanField(_l("隐藏登录记录"), default=True)
    filtered = HiddenField(default="1")  # tells a submitted form with the box unticked from a first visit

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            from wtforms.validators import ValidationError
            raise ValidationError(_l("日期范围有误：结束日期早于开始日期"))
