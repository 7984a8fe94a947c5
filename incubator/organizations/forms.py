"""Forms for organizations: details, stage moves, renewals, transfers."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import phone_validator, uscc_validator
from .models import CATEGORIES, REGISTRATION_STATUSES


class OrganizationForm(FlaskForm):
    name = StringField(_l("组织名称"), validators=[DataRequired(), Length(max=120)])
    uscc = StringField(_l("统一社会信用代码"), validators=[Optional(), uscc_validator],
                       description=_l("未登记的草根组织可不填"))
    category = SelectField(_l("类别"), choices=[(c, c) for c in CATEGORIES])
    registration_status = SelectField(_l("登记状态"), choices=list(REGISTRATION_STATUSES.items()))
    founded_on = DateField(_l("成立日期"), validators=[Optional()])
    contact_name = StringField(_l("联系人"), validators=[DataRequired(), Length(max=60)])
    contact_phone = StringField(_l("联系电话"), validators=[DataRequired(), phone_validator])
    service_area = StringField(_l("服务区域"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("组织简介"), validators=[Optional(), Length(max=5000)])
    park = SelectField(_l("园区"), coerce=int)
    submit = SubmitField(_l("保存"))

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.data.items() if k not in ("park", "submit", "csrf_token")}


class ApplyForm(OrganizationForm):
    """The public application form (入园申请)."""

    park = SelectField(_l("申请入驻的园区"), coerce=int)
    submit = SubmitField(_l("提交申请"))


class MoveForm(FlaskForm):
    to_stage = SelectField(_l("变更为"), validators=[DataRequired()])
    note = TextAreaField(_l("理由"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("变更阶段"))


class RenewForm(FlaskForm):
    new_due = DateField(_l("新的到期日"), validators=[DataRequired()])
    reason = TextAreaField(_l("续驻理由"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("续驻"))


class TransferForm(FlaskForm):
    park = SelectField(_l("转入园区"), coerce=int)
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("转园"))
