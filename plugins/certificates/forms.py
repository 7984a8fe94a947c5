from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class RevokeForm(FlaskForm):
    reason = TextAreaField("撤销理由", validators=[DataRequired(message="请填写撤销理由"), Length(max=500)])
    submit = SubmitField("撤销证书")


class ReissueForm(FlaskForm):
    holder_name = StringField("更正后的姓名/名称", validators=[Optional(), Length(max=120)],
                              description="留空则使用当前账户或组织的名称")
    submit = SubmitField("重新颁发（生成新版本）")


class BatchForm(FlaskForm):
    submit = SubmitField("为全部结业学员颁发证书")


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a public GET search form

    code = StringField("验证码", validators=[DataRequired(message="请输入证书上的验证码"), Length(max=40)])
    submit = SubmitField("验证")


class CompareForm(FlaskForm):
    file = FileField("证书 PDF 文件", validators=[FileRequired(message="请选择 PDF 文件"),
                                                 FileAllowed(["pdf"], "只接受 PDF 文件")])
    submit = SubmitField("核对文件")
