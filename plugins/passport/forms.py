from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from incubator.forms import SchemaForm

from .schema import (
    ActivityFields,
    CorrectionFields,
    GiftFields,
    RedemptionFields,
    SettingsFields,
    VolunteerFields,
    WindowFields,
)


class VolunteerForm(SchemaForm):
    schema = VolunteerFields

    name = StringField(_l("姓名"))
    phone = StringField(_l("手机号"))
    id_number = StringField(_l("身份证号码"),
                            description=_l("仅保存加密摘要与脱敏号码，任何页面和导出都不显示完整号码"))
    # Not the volunteer's field: the page looks the account up (and says when there is none).
    username = StringField(_l("关联平台账号（可选）"), validators=[Optional(), Length(max=80)],
                           description=_l("填写后该账号可在“我的”页面查看自己的护照"))
    submit = SubmitField(_l("登记志愿者"))


class VolunteerEditForm(SchemaForm):
    schema = VolunteerFields  # without id_number: it never changes

    name = StringField(_l("姓名"))
    phone = StringField(_l("手机号"))
    username = StringField(_l("关联平台账号（可选）"), validators=[Optional(), Length(max=80)])
    submit = SubmitField(_l("保存"))


class ActivityForm(SchemaForm):
    schema = ActivityFields

    title = StringField(_l("活动名称"))
    organization_id = SelectField(_l("组织方"), coerce=int, choices=[])
    held_on = DateField(_l("活动日期"))
    place = StringField(_l("地点"))
    points_cap = IntegerField(_l("单次积分上限（可选）"), validators=[Optional()])  # empty is no cap, not a wrong number
    description = TextAreaField(_l("说明"))
    submit = SubmitField(_l("新建活动"))


class ServiceForm(FlaskForm):
    volunteer = StringField(_l("志愿者（护照编号、手机号或身份证号）"), validators=[DataRequired(), Length(max=20)])
    minutes = IntegerField(_l("服务时长（分钟）"), validators=[DataRequired(), NumberRange(min=1, max=1440)])


class CorrectionForm(SchemaForm):
    schema = CorrectionFields

    entry_id = IntegerField(_l("更正的流水号"))
    points = IntegerField(_l("积分增减"), validators=[Optional()], default=0)  # empty is none
    minutes = IntegerField(_l("时长增减（分钟）"), validators=[Optional()], default=0)
    note = StringField(_l("更正原因"))


class RedeemForm(SchemaForm):
    schema = RedemptionFields

    gift_id = SelectField(_l("礼品"), coerce=int, choices=[])
    quantity = IntegerField(_l("数量"), default=1)


class WindowForm(SchemaForm):
    schema = WindowFields

    name = StringField(_l("窗口名称"))
    opens_on = DateField(_l("开始日期"))
    closes_on = DateField(_l("结束日期"))


class GenerateWindowsForm(FlaskForm):
    year = IntegerField(_l("年份"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])


class GiftForm(SchemaForm):
    schema = GiftFields

    name = StringField(_l("礼品名称"))
    points_cost = IntegerField(_l("所需积分"))
    stock = IntegerField(_l("库存"), default=0)
    active = BooleanField(_l("上架"), default=True)


class SettingsForm(SchemaForm):
    schema = SettingsFields

    points_per_half_hour = IntegerField(_l("每半小时积分"))
    default_points_cap = IntegerField(_l("单次活动积分上限（默认，可空）"), validators=[Optional()])  # empty is no cap
    window_months = SelectField(_l("兑换周期"), coerce=int,
                                choices=[(1, _l("每月")), (2, _l("每两个月")), (3, _l("每季度")), (4, _l("每四个月")), (6, _l("每半年")), (12, _l("每年"))])
    window_days = IntegerField(_l("每期窗口天数（周期末）"))
