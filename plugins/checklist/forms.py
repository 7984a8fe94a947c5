from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from .services import DOCUMENTS


class RecordForm(FlaskForm):
    kind = SelectField(_l("材料"), choices=list(DOCUMENTS.items()))
    received_on = DateField(_l("收到日期"), validators=[DataRequired()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=500)])
    scan = FileField(_l("扫描件（可选）"))  # its size and type are checked by incubator.files
    submit = SubmitField(_l("登记"))
