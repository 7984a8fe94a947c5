"""Forms for logging in, the user's own password, and the administrator's user management."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..forms import name_validator, phone_validator
from .models import ROLES


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired()])
    remember = BooleanField(_l("记住我"))
    submit = SubmitField(_l("登录"))


class UserForm(FlaskForm):
    """The administrator's form for a user. A person becomes an organization's contact on the
    organization's page (its park manager grants it), not here; the edit page shows the link."""

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=80)])
    name = StringField(_l("姓名"), validators=[Optional(), Length(max=80), name_validator])
    phone = StringField(_l("手机号"), validators=[Optional(), phone_validator])
    role = SelectField(_l("角色"), choices=list(ROLES.items()))
    parks = SelectMultipleField(_l("管理的园区"), coerce=int, description=_l("园区管理员必选"))
    password = PasswordField(_l("密码"), validators=[Optional(), Length(max=200)],
                             description=_l("至少8位，不能与用户名相同或过于常见"))
    active = BooleanField(_l("启用"), default=True)
    submit = SubmitField(_l("保存"))


class ChangePasswordForm(FlaskForm):
    """A user changes their own password (修改密码)."""

    current_password = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=200)],
                                 description=_l("至少8位，不能与用户名相同或过于常见"))
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("两次输入的新密码不一致"))])
    submit = SubmitField(_l("修改密码"))


class SetupForm(FlaskForm):
    """An account opened without a password: its owner sets the first one (设置密码)."""

    new_password = PasswordField(_l("设置密码"), validators=[DataRequired(), Length(max=200)],
                                 description=_l("至少8位，不能与用户名相同或过于常见"))
    confirm = PasswordField(_l("再次输入密码"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("两次输入的密码不一致"))])
    submit = SubmitField(_l("设置密码并登录"))


class ResetPasswordForm(FlaskForm):
    """The administrator resets someone's password (重置密码): typed, or generated when left empty."""

    new_password = PasswordField(_l("新密码"), validators=[Optional(), Length(max=200)],
                                 description=_l("留空则生成一个随机密码，只显示这一次"))
    submit = SubmitField(_l("重置密码"))
