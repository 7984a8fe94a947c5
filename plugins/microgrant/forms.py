from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, FieldList, FormField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .services import DEFAULT_CATEGORIES, DEFAULT_CRITERIA


class RoundForm(FlaskForm):
    park = SelectField("园区", choices=[])
    title = StringField("本轮名称", validators=[DataRequired(), Length(max=120)])
    year = IntegerField("年度", validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    budget = DecimalField("总预算（元）", places=2, validators=[DataRequired(), NumberRange(min=0.01)])
    max_grant = DecimalField("单个项目资助上限（元）", places=2, validators=[DataRequired(), NumberRange(min=0.01)])
    categories = TextAreaField("项目类别（每行一个）", default="\n".join(DEFAULT_CATEGORIES), validators=[DataRequired()])
    criteria = TextAreaField("评分标准（每行：名称 满分）", default="\n".join(f"{c['name']} {c['max']}" for c in DEFAULT_CRITERIA),
                             validators=[DataRequired()])
    tranche_percents = StringField("分期拨付比例（%,以逗号分隔）", default="60,40", validators=[DataRequired()])
    apply_from = DateField("申报开始", validators=[DataRequired()])
    apply_until = DateField("申报截止", validators=[DataRequired()])
    review_from = DateField("评审开始", validators=[DataRequired()])
    review_until = DateField("评审截止", validators=[DataRequired()])
    execute_from = DateField("执行开始", validators=[DataRequired()])
    execute_until = DateField("执行结束", validators=[DataRequired()])
    description = TextAreaField("说明（支持 Markdown）", validators=[Optional(), Length(max=5000)])


class ExpertsForm(FlaskForm):
    experts = StringField("评审专家账号（以逗号分隔）", validators=[Optional(), Length(max=500)])


class BudgetLineForm(FlaskForm):
    class Meta:
        csrf = False
    item = StringField("预算项目", validators=[Optional(), Length(max=120)])
    amount = DecimalField("金额（元）", places=2, validators=[Optional(), NumberRange(min=0.01)])


class ApplicationForm(FlaskForm):
    organization_id = SelectField("申报组织", coerce=int, choices=[])
    title = StringField("项目名称", validators=[DataRequired(), Length(max=120)])
    category = SelectField("项目类别", choices=[])
    goals = TextAreaField("项目目标", validators=[DataRequired(), Length(max=5000)])
    beneficiaries = TextAreaField("受益对象", validators=[Optional(), Length(max=2000)])
    beneficiary_count = IntegerField("预计受益人数", validators=[Optional(), NumberRange(min=0)], default=0)
    lines = FieldList(FormField(BudgetLineForm), min_entries=6, max_entries=30)


class DecisionForm(FlaskForm):
    approve = SelectField("决定", choices=[("1", "立项资助"), ("0", "不予立项")])
    amount = DecimalField("资助金额（元）", places=2, validators=[Optional(), NumberRange(min=0.01)])
    note = StringField("说明", validators=[Optional(), Length(max=500)])


class ReviewForm(FlaskForm):
    passed = BooleanField("中期评估通过，拨付下一期")
    note = StringField("评估意见", validators=[DataRequired(), Length(max=1000)])


class ScoreForm(FlaskForm):
    """The marks per criterion come as fields mark_0, mark_1, … (the round's criteria vary)."""
    comment = TextAreaField("评审意见", validators=[Optional(), Length(max=2000)])
