from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .models import KIND_LABELS


class StartForm(FlaskForm):
    kind = SelectField(_l("评估类型"), choices=list(KIND_LABELS.items()))
    assessor = SelectField(_l("评估人"), choices=[])
    assessed_on = DateField(_l("评估日期"), validators=[DataRequired(message=_l("请填写评估日期"))])
    submit = SubmitField(_l("发起评估"))


class ScoreForm(FlaskForm):
    """The fixed part of the scoring page; indicator fields (score-<code>, evidence-<code>) are read by the view."""

    assessed_on = DateField(_l("评估日期"), validators=[DataRequired(message=_l("请填写评估日期"))])
    summary = TextAreaField(_l("总体评价（支持 Markdown）"), validators=[Optional(), Length(max=20000)],
                            render_kw={"rows": 4})


class SettingsForm(FlaskForm):
    rubric_code = SelectField(_l("评估指标体系"), choices=[])
    graduation_veto = BooleanField(_l("出壳前须有达到分数线的出壳评估"))
    exit_threshold = IntegerField(_l("出壳评估分数线"), validators=[DataRequired(message=_l("请填写分数线")),
                                                          NumberRange(min=0, max=100000)])
    submit = SubmitField(_l("保存设置"))
