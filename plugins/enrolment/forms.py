"""WTForms forms of the academy: scheduling, enrolling, importing, attendance, signing up."""
import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.validators import ValidationError as FieldError

from incubator.dates import to_local
from incubator.forms import SchemaForm

from .schema import OfferingFields, SignupFields

SESSION_LINE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s+(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})\s*(.*)$")


def parse_sessions(text: str) -> list[tuple[datetime, datetime, str]]:
    """Lines "2026-12-03 09:00-12:00 主题" (Beijing time) → [(start, end, topic)]; raises FieldError by line."""
    sessions = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        match = SESSION_LINE.match(line)
        if not match:
            raise FieldError(_("第%(n)s行格式应为“2026-12-03 09:00-12:00 主题”", n=n))
        day, start, end, topic = match.groups()
        try:
            starts = datetime.strptime(f"{day} {start}", "%Y-%m-%d %H:%M")
            ends = datetime.strptime(f"{day} {end}", "%Y-%m-%d %H:%M")
        except ValueError:
            raise FieldError(_("第%(n)s行的日期或时间不存在", n=n))
        if ends <= starts:
            raise FieldError(_("第%(n)s行的结束时间应晚于开始时间", n=n))
        sessions.append((starts, ends, topic.strip()))
    if not sessions:
        raise FieldError(_("请至少安排一次课"))
    return sessions


def format_sessions(sessions) -> str:
    return "\n".join(f"{to_local(s.starts_at):%Y-%m-%d %H:%M}-{to_local(s.ends_at):%H:%M} {s.topic}".rstrip()
                     for s in sessions)


class OfferingForm(SchemaForm):
    """An offering; the rules on its fields are OfferingFields' (shared with the API and the service).
    The times are Beijing time here (the page converts them); the sessions are lines of text."""

    schema = OfferingFields

    course = SelectField(_l("课程"), coerce=int)
    park = SelectField(_l("园区"), coerce=int)
    title = StringField(_l("班次名称"), description=_l("如“2026年第2期”"))
    venue = StringField(_l("上课地点"))
    instructor = SelectField(_l("授课讲师（专家）"), coerce=int)
    capacity = IntegerField(_l("容量（人）"))
    enrol_opens_at = DateTimeLocalField(_l("报名开始"), format="%Y-%m-%dT%H:%M")
    enrol_closes_at = DateTimeLocalField(_l("报名截止"), format="%Y-%m-%dT%H:%M")
    requires_approval = BooleanField(_l("报名需要审核"))
    sessions = TextAreaField(_l("课次安排"), validators=[DataRequired()], render_kw={"rows": 5},
                             description=_l("每行一次课：2026-12-03 09:00-12:00 主题（北京时间）"))
    description = TextAreaField(_l("说明"), render_kw={"rows": 3})
    submit = SubmitField(_l("保存"))

    def validate_sessions(self, field):
        self.parsed_sessions = parse_sessions(field.data)


class EnrolOneForm(FlaskForm):
    person = StringField(_l("学员用户名或手机号"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("报名"))


class ImportForm(FlaskForm):
    file = FileField(_l("名单文件（.xlsx 或 .csv）"), validators=[
        FileRequired(), FileAllowed(["xlsx", "csv"], _l("只接受 .xlsx 或 .csv 文件"))])
    submit = SubmitField(_l("导入"))


class DecisionForm(FlaskForm):
    """Approve / reject / remove / cancel buttons: only a CSRF token and an optional note."""

    note = StringField(_l("说明"), validators=[Optional(), Length(max=300)])


class SignupForm(SchemaForm):
    """Sign-up: name, phone and organization follow SignupFields (shared with services.signup); the
    username and the password keep the page's marks of the core's account rules, which the service
    checks (incubator.users.services.validate)."""

    schema = SignupFields

    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=80)],
                           description=_l("3–80位字母、数字或 _.@-，登录时使用"))
    name = StringField(_l("姓名"))
    phone = StringField(_l("手机号"))
    organization = StringField(_l("所在单位/社会组织（可不填）"),
                               description=_l("仅用于学院统计，不会使您成为该组织的联系人；组织联系人由组织所在园区的管理员添加。"))
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(), EqualTo("password", _l("两次输入的密码不一致"))])
    submit = SubmitField(_l("注册"))
