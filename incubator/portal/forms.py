"""The form a person uses to become an organization's contact with a code from its park."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class JoinForm(FlaskForm):
    code = StringField(_l("邀请码"), validators=[DataRequired(message=_l("请填写邀请码")), Length(max=40)],
                       description=_l("园区管理员给你的邀请码，如 ABCD-EFGH-JKMN-PQRS"))
    submit = SubmitField(_l("加入组织"))
