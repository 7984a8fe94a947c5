from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from incubator.forms import SchemaForm

from .schema import ApplicationFields, DecisionFields, ReviewFields, RoundFields, ScoreFields
from .services import DEFAULT_CATEGORIES, DEFAULT_CRITERIA, categories_error


def categories_validator(form, field):
    """Each line a category that fits the applications' column (checked again by the service)."""
    if field.data and (error := categories_error([c.strip() for c in field.data.splitlines() if c.strip()])):
        raise FieldError(error)


class RoundForm(SchemaForm):
    """A round; the rules on its fields are RoundFields' (shared with the API and the service). The
    amounts are typed in yuan and the lists as lines of text: the page turns them into the fen and
    lists the service checks."""

    schema = RoundFields

    park = SelectField(_l("园区"), choices=[])
    title = StringField(_l("本轮名称"))
    year = IntegerField(_l("年度"), validators=[Optional()])  # empty: the year the applications open
    budget = DecimalField(_l("总预算（元）"), places=2, validators=[DataRequired(), NumberRange(min=0.01)])
    max_grant = DecimalField(_l("单个项目资助上限（元）"), places=2, validators=[DataRequired(), NumberRange(min=0.01)])
    categories = TextAreaField(_l("项目类别（每行一个）"), default="\n".join(DEFAULT_CATEGORIES),
                               validators=[DataRequired(), categories_validator])
    criteria = TextAreaField(_l("评分标准（每行：名称 满分）"), default="\n".join(f"{c['name']} {c['max']}" for c in DEFAULT_CRITERIA),
                             validators=[DataRequired()])
    tranche_percents = StringField(_l("分期拨付比例（%，以逗号分隔）"), default="60,40", validators=[DataRequired()])
    apply_from = DateField(_l("申报开始"))
    apply_until = DateField(_l("申报截止"))
    review_from = DateField(_l("评审开始"))
    review_until = DateField(_l("评审截止"))
    execute_from = DateField(_l("执行开始"))
    execute_until = DateField(_l("执行结束"))
    description = TextAreaField(_l("说明（支持 Markdown）"))
    experts = SelectMultipleField(_l("评审专家"), choices=[], widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput(), description=_l("勾选本轮的评审专家，开设后也可在本轮页面调整"))


class ExpertsForm(FlaskForm):
    """The round's reviewing experts: a checkbox per expert account (values are usernames)."""
    experts = SelectMultipleField(_l("评审专家"), choices=[], widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())


class BudgetLineForm(FlaskForm):
    class Meta:
        csrf = False
    item = StringField(_l("预算项目"), validators=[Optional(), Length(max=120)])
    amount = DecimalField(_l("金额（元）"), places=2, validators=[Optional(), NumberRange(min=0.01)])


class ApplicationForm(SchemaForm):
    """An application; the rules on its fields are ApplicationFields' (shared with the API and the service)."""

    schema = ApplicationFields

    organization_id = SelectField(_l("申报组织"), coerce=int, choices=[])
    title = StringField(_l("项目名称"))
    category = SelectField(_l("项目类别"), choices=[])
    goals = TextAreaField(_l("项目目标"))
    beneficiaries = TextAreaField(_l("受益对象"))
    beneficiary_count = IntegerField(_l("预计受益人数"), validators=[Optional()], default=0)  # empty is none
    lines = FieldList(FormField(BudgetLineForm), min_entries=6, max_entries=30)


class DecisionForm(SchemaForm):
    """A decision; the note's rules are DecisionFields'. The choice (nothing preselected) and the
    amount in yuan are the page's own shape: the view turns them into the boolean and fen the service
    checks."""

    schema = DecisionFields

    # No decision is preselected: each option asks its own confirmation (the template's data-confirm).
    approve = SelectField(_l("决定"), choices=[("", _l("请选择")), ("1", _l("立项资助")), ("0", _l("不予立项"))])
    amount = DecimalField(_l("资助金额（元）"), places=2, validators=[Optional(), NumberRange(min=0.01)])
    note = StringField(_l("说明"))


class ReviewForm(SchemaForm):
    schema = ReviewFields

    passed = BooleanField(_l("中期评估通过，拨付下一期"))
    note = StringField(_l("评估意见"))


class ScoreForm(SchemaForm):
    """The comment's rules are ScoreFields'; the marks per criterion come as fields mark_0, mark_1, …
    (the round's criteria vary), which the service checks."""

    schema = ScoreFields

    comment = TextAreaField(_l("评审意见"))


class FilesForm(FlaskForm):
    """A granted project's reports or receipts (size and type: checked by incubator.files)."""

    kind = SelectField(_l("材料类别"), choices=[("report", _l("项目报告")), ("receipt", _l("票据"))])
    file = MultipleFileField(_l("文件"))
