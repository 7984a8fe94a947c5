"""Forms for organizations: details, stage moves, renewals, transfers, contacts and invitations."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import SchemaForm
from .models import CATEGORIES, REGISTRATION_STATUSES
from .schema import OrganizationFields


class OrganizationForm(SchemaForm):
    """An organization's details; the rules are OrganizationFields' (shared with the API and the service)."""

    schema = OrganizationFields

    name = StringField(_l("组织名称"))
    uscc = StringField(_l("统一社会信用代码"), description=_l("未登记的草根组织可不填"))
    category = SelectField(_l("类别"), choices=[(c, c) for c in CATEGORIES])
    registration_status = SelectField(_l("登记状态"), choices=list(REGISTRATION_STATUSES.items()))
    founded_on = DateField(_l("成立日期"), validators=[Optional()])  # an empty date is no date, not a wrong one
    contact_name = StringField(_l("联系人"))
    contact_phone = StringField(_l("联系电话"))
    service_area = StringField(_l("服务区域"))
    description = TextAreaField(_l("组织简介"))
    park = SelectField(_l("园区"), coerce=int)
    submit = SubmitField(_l("保存"))

    def data_for_service(self) -> dict:
        return self.schema_data()


class ApplyForm(OrganizationForm):
    """The public application form (入园申请)."""

    park = SelectField(_l("申请入驻的园区"), coerce=int)
    submit = SubmitField(_l("提交申请"))


class MoveForm(FlaskForm):
    # No stage is ever preselected: the page shows an empty "请选择……" first (see detail.html).
    to_stage = SelectField(_l("变更为"), validators=[DataRequired(message=_l("请选择要变更的阶段"))])
    note = TextAreaField(_l("理由"), validators=[DataRequired(), Length(max=2000)])
    # The day the move happened (a manager may back-date it); empty is today. The service checks it.
    happened_on = DateField(_l("发生日期"), validators=[Optional()])
    submit = SubmitField(_l("变更阶段"))


class RenewForm(FlaskForm):
    new_due = DateField(_l("新的到期日"), validators=[DataRequired()])
    reason = TextAreaField(_l("续驻理由"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("续驻"))


def optional_int(value):
    """An empty choice (the "请选择……" placeholder) is None, so that DataRequired names it."""
    return None if value in ("", None) else int(value)


class TransferForm(FlaskForm):
    park = SelectField(_l("转入园区"), coerce=optional_int, validators=[DataRequired(message=_l("请选择转入的园区"))])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("转园"))


class ContactForm(FlaskForm):
    """添加联系人: link an existing account, named by its username or phone number."""

    account = StringField(_l("用户名或手机号"), validators=[DataRequired(message=_l("请填写用户名或手机号")), Length(max=80)])
    submit = SubmitField(_l("添加联系人"))


class RemoveContactForm(FlaskForm):
    contact = IntegerField(validators=[DataRequired()])


class InvitationForm(FlaskForm):
    """生成邀请码 (nothing to fill in: the code is made by the server)."""

    submit = SubmitField(_l("生成邀请码"))


class RevokeInvitationForm(FlaskForm):
    invitation = HiddenField(validators=[DataRequired()])
