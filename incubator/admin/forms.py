"""The administrator's forms: parks and plugin enablement."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..parks.models import LEVELS


class ParkForm(FlaskForm):
    code = StringField(_l("代码"), validators=[DataRequired(), Length(max=40)],
                       description=_l("稳定的英文标识，如 fangxing"))
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=120)])
    level = SelectField(_l("级别"), choices=list(LEVELS.items()))
    parent_id = SelectField(_l("上级园区"), coerce=int)
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    area_m2 = IntegerField(_l("面积（㎡）"), validators=[Optional(), NumberRange(min=0)], default=0)
    description = TextAreaField(_l("简介"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存"))


class PluginEnablementForm(FlaskForm):
    scope = RadioField(_l("启用范围"), choices=[("all", _l("所有园区")), ("parks", _l("指定园区")),
                                                 ("none", _l("停用"))])
    parks = SelectMultipleField(_l("指定园区"), coerce=int)
    submit = SubmitField(_l("保存"))
