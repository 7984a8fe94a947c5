"""Forms for logging in and for the administrator's user management."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import phone_validator
from .models import ROLES


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    organization_id = IntegerField(_l("所属组织编号"), validators=[Optional()],
                                   description=_l("组织页地址中的编号；该用户即为组织的联系人，可确认督导记录等"))
    password = PasswordField(_l("密码"), validators=[DataRequired()])
    remember = BooleanField(_l("记住我"))
    submit = SubmitField(_l("登录"))


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=80)])
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("手机号"), validators=[Optional(), phone_validator])
    role = SelectField(_l("角色"), choices=list(ROLES.items()))
    parks = SelectMultipleField(_l("管理的园区"), coerce=int, description=_l("园区管理员必选"))
    organization_id = IntegerField(_l("所属组织编号"), validators=[Optional()],
                                   description=_l("组织页地址中的编号；该用户即为组织的联系人，可确认督导记录等"))
    password = PasswordField(_l("密码"), validators=[Optional(), Length(min=8)],
                             description=_l("新建时必填；编辑时留空表示不修改"))
    active = BooleanField(_l("启用"), default=True)
    submit = SubmitField(_l("保存"))
