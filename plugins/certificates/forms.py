from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from incubator.forms import name_validator


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("撤销理由"), validators=[DataRequired(message=_l("请填写撤销理由")), Length(max=500)])
    # Revoking cannot be undone: the verification page shows the certificate as revoked for good.
    submit = SubmitField(_l("撤销证书"), render_kw={
        "data-confirm": _l("确定撤销这张证书吗？撤销后不能恢复，验证页将显示“已撤销”。")})


class ReissueForm(FlaskForm):
    holder_name = StringField(_l("更正后的姓名/名称"), validators=[Optional(), Length(max=120), name_validator],
                              description=_l("留空则使用当前账户或组织的名称"))
    submit = SubmitField(_l("重新颁发（生成新版本）"), render_kw={
        "data-confirm": _l("确定重新颁发吗？将生成新编号、新验证码的新版本，原证书在验证页显示为“已被新版本取代”。")})


class BatchForm(FlaskForm):
    submit = SubmitField(_l("为全部结业学员颁发证书"))


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a public GET search form

    code = StringField(_l("验证码"), validators=[DataRequired(message=_l("请输入证书上的验证码")), Length(max=40)])
    submit = SubmitField(_l("验证"))


class CompareForm(FlaskForm):
    file = FileField(_l("证书 PDF 文件"), validators=[FileRequired(message=_l("请选择 PDF 文件")),
                                                 FileAllowed(["pdf"], _l("只接受 PDF 文件"))])
    submit = SubmitField(_l("核对文件"))
