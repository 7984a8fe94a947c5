from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from .services import DOCUMENTS


class RecordForm(FlaskForm):
    kind = SelectField("材料", choices=list(DOCUMENTS.items()))
    received_on = DateField("收到日期", validators=[DataRequired()])
    note = StringField("备注", validators=[Optional(), Length(max=500)])
    submit = SubmitField("登记")
