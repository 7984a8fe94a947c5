"""The rules on a round's and an application's fields, once: the forms check with them (SchemaForm),
the API's schemas derive from them, the services load through them.

What each side enters in its own shape stays with the service: a round's categories, criteria and
tranches (lines of text on the page, lists in the API) and an application's budget lines, as well
as what needs the database or the round (a category of this round, the per-project limit)."""
import marshmallow as ma
from flask_babel import lazy_gettext as _l

from incubator.schemas import Name, Text

DATE_FIELDS = ("apply_from", "apply_until", "review_from", "review_until", "execute_from", "execute_until")
DATES_MISSING = _l("请填写申报、评审、执行的起止日期")


def _date():
    return ma.fields.Date(required=True, error_messages={"required": DATES_MISSING})


class RoundFields(ma.Schema):
    """A round (一轮公益微创投): its name, year, budget in fen, and its periods in order."""

    title = Name(max_length=120, required=True, error_messages={
        "required": _l("请填写本轮名称（120字以内）"), "too_long": _l("请填写本轮名称（120字以内）")})
    year = ma.fields.Integer(allow_none=True, metadata={"description": "the year of apply_from if left out"},
                             validate=ma.validate.Range(min=2000, max=2100, error=_l("年度应在2000到2100之间")))
    description = Text(max_length=5000, error_messages={"too_long": _l("说明不能超过5000字")},
                       metadata={"description": "Markdown"})
    budget_fen = ma.fields.Integer(required=True, error_messages={"required": _l("总预算须大于零")},
                                   validate=ma.validate.Range(min=1, error=_l("总预算须大于零")))
    max_grant_fen = ma.fields.Integer(required=True, error_messages={"required": _l("单个项目资助上限须大于零")},
                                      validate=ma.validate.Range(min=1, error=_l("单个项目资助上限须大于零")))
    apply_from = _date()
    apply_until = _date()
    review_from = _date()
    review_until = _date()
    execute_from = _date()
    execute_until = _date()

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        if data.get("max_grant_fen") and data.get("budget_fen") and data["max_grant_fen"] > data["budget_fen"]:
            raise ma.ValidationError(str(_l("单个项目资助上限不能超过总预算")), field_name="max_grant_fen")
        dates = [data[name] for name in DATE_FIELDS if name in data]
        if len(dates) == len(DATE_FIELDS) and any(a > b for a, b in zip(dates, dates[1:])):
            raise ma.ValidationError(
                str(_l("日期须依次为：申报开始 ≤ 申报截止 ≤ 评审开始 ≤ 评审截止 ≤ 执行开始 ≤ 执行结束")),
                field_name="apply_until")


class ApplicationFields(ma.Schema):
    """An application (申报项目): the project's name, goals and beneficiaries."""

    title = Name(max_length=120, required=True, error_messages={
        "required": _l("请填写项目名称（120字以内）"), "too_long": _l("请填写项目名称（120字以内）")})
    goals = Text(max_length=5000, required=True, error_messages={
        "required": _l("请填写项目目标"), "too_long": _l("项目目标不能超过5000字")})
    beneficiaries = Text(max_length=2000, error_messages={"too_long": _l("受益对象不能超过2000字")})
    beneficiary_count = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(
        min=0, error=_l("预计受益人数不能为负数")))


class ScoreFields(ma.Schema):
    """An expert's score (评分): the comment; the marks are checked by the service against the round's
    criteria (they vary by round: fields mark_0, mark_1, … on the page, a dict in the API)."""

    comment = Text(max_length=2000, load_default="", error_messages={"too_long": _l("评审意见不能超过2000字")})


class DecisionFields(ma.Schema):
    """A decision (立项决定): its note. The choice and the amount are each side's own shape (a choice
    with nothing preselected and yuan on the page, a boolean and fen in the API); the service checks
    the amount against the request, the round's limit and its budget."""

    note = Text(max_length=500, load_default="", error_messages={"too_long": _l("说明不能超过500字")})


class ReviewFields(ma.Schema):
    """A mid-term review (中期评估): its note. Whether it passed is a checkbox on the page (always a
    value) and a required boolean in the API."""

    note = Text(max_length=1000, required=True, error_messages={
        "required": _l("请填写评估意见"), "too_long": _l("评估意见不能超过1000字")})
