"""The portal's forms: becoming an organization's contact with a code from its park; uploading the
organization's own materials."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class JoinForm(FlaskForm):
    code = StringField(_l("邀请码"), validators=[DataRequired(message=_l("请填写邀请码")), Length(max=40)],
                       description=_l("园区管理员给你的邀请码，如 ABCD-EFGH-JKMN-PQRS"))
    submit = SubmitField(_l("加入组织"))


class MaterialsForm(FlaskForm):
    """The organization's materials (size and type: checked by incubator.files)."""

    file = MultipleFileField(_l("组织材料（登记证书、章程、年度报告等）"))
    submit = SubmitField(_l("上传材料"))
