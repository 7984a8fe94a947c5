from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from .services import DOCUMENTS


class RecordForm(FlaskForm):
    kind = SelectField(_l("材料"), choices=list(DOCUMENTS.items()))
    received_on = DateField(_l("收到日期"), validators=[DataRequired()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("登记"))
