"""The public's forms beyond the application itself (which is the organizations' ApplyForm)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class StatusLookupForm(FlaskForm):
    """申请进度查询: the application number and the contact phone given in the application."""

    number = StringField(_l("申请编号"), validators=[DataRequired(), Length(max=20)],
                         description=_l("提交申请后页面上显示的编号"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    phone = StringField(_l("申请时填写的联系电话"), validators=[DataRequired(), Length(max=30)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    submit = SubmitField(_l("查询"))
