from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class VolunteerForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired(), Length(max=60)])
    phone = StringField("手机号", validators=[DataRequired(), Length(max=20)])
    id_number = StringField("身份证号码", validators=[DataRequired(), Length(min=18, max=18)],
                            description="仅保存加密摘要与脱敏号码，任何页面和导出都不显示完整号码")
    username = StringField("关联平台账号（可选）", validators=[Optional(), Length(max=80)],
                           description="填写后该账号可在“我的”页面查看自己的护照")


class VolunteerEditForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired(), Length(max=60)])
    phone = StringField("手机号", validators=[DataRequired(), Length(max=20)])
    username = StringField("关联平台账号（可选）", validators=[Optional(), Length(max=80)])


class ActivityForm(FlaskForm):
    title = StringField("活动名称", validators=[DataRequired(), Length(max=120)])
    organization_id = SelectField("组织方", coerce=int, choices=[])
    held_on = DateField("活动日期", validators=[DataRequired()])
    place = StringField("地点", validators=[Optional(), Length(max=120)])
    points_cap = IntegerField("单次积分上限（可选）", validators=[Optional(), NumberRange(min=1)])
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000)])


class ServiceForm(FlaskForm):
    volunteer = StringField("志愿者（护照编号、手机号或身份证号）", validators=[DataRequired(), Length(max=20)])
    minutes = IntegerField("服务时长（分钟）", validators=[DataRequired(), NumberRange(min=1, max=1440)])


class CorrectionForm(FlaskForm):
    entry_id = IntegerField("更正的流水号", validators=[DataRequired()])
    points = IntegerField("积分增减", validators=[Optional()], default=0)
    minutes = IntegerField("时长增减（分钟）", validators=[Optional()], default=0)
    note = StringField("更正原因", validators=[DataRequired(), Length(max=300)])


class RedeemForm(FlaskForm):
    gift_id = SelectField("礼品", coerce=int, choices=[])
    quantity = IntegerField("数量", default=1, validators=[DataRequired(), NumberRange(min=1, max=100)])


class WindowForm(FlaskForm):
    name = StringField("窗口名称", validators=[DataRequired(), Length(max=60)])
    opens_on = DateField("开始日期", validators=[DataRequired()])
    closes_on = DateField("结束日期", validators=[DataRequired()])


class GenerateWindowsForm(FlaskForm):
    year = IntegerField("年份", validators=[DataRequired(), NumberRange(min=2000, max=2100)])


class GiftForm(FlaskForm):
    name = StringField("礼品名称", validators=[DataRequired(), Length(max=80)])
    points_cost = IntegerField("所需积分", validators=[DataRequired(), NumberRange(min=1)])
    stock = IntegerField("库存", validators=[Optional(), NumberRange(min=0)], default=0)
    active = BooleanField("上架", default=True)


class SettingsForm(FlaskForm):
    points_per_half_hour = IntegerField("每半小时积分", validators=[DataRequired(), NumberRange(min=1, max=100)])
    default_points_cap = IntegerField("单次活动积分上限（默认，可空）", validators=[Optional(), NumberRange(min=1)])
    window_months = SelectField("兑换周期", coerce=int,
                                choices=[(1, "每月"), (2, "每两个月"), (3, "每季度"), (4, "每四个月"), (6, "每半年"), (12, "每年")])
    window_days = IntegerField("每期窗口天数（周期末）", validators=[DataRequired(), NumberRange(min=1, max=31)])
