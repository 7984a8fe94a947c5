"""The notification settings form: how to reach me (which notices on which channel are checkboxes
the page draws from the declared kinds)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import Length, Optional

from ..forms import email_validator, phone_validator


class ContactDetailsForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[Optional(), Length(max=254), email_validator])
    phone = StringField(_l("手机号"), validators=[Optional(), Length(max=20), phone_validator])
    submit = SubmitField(_l("保存通知设置"))
