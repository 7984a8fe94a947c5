"""The rules on what a park types about volunteers and activities, once: the forms check with them
(SchemaForm), the API's schemas derive from them, the services load through them (and add what
needs the database: an ID number registered twice, an organizer from another park)."""
import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from incubator.dates import today
from incubator.schemas import Name, Phone, Text
from incubator.validators import phone_error

from . import idcard

ID_LENGTH = _l("身份证号码应为18位（最后一位可为X）")


class IdNumber(Text):
    """A resident ID number (居民身份证号码), loaded compact (spaces and dashes dropped, X upper case)."""

    def __init__(self, **kwargs):
        kwargs["error_messages"] = {"required": ID_LENGTH, "too_long": ID_LENGTH, **(kwargs.get("error_messages") or {})}
        super().__init__(max_length=18, validate=_validate_id_number, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return idcard.normalize(super()._deserialize(value, attr, data, **kwargs))


def _validate_id_number(value: str) -> None:
    if error := idcard.error(value):
        raise ma.ValidationError(error)


class VolunteerFields(ma.Schema):
    """A volunteer (志愿者): name, phone and, when registered, the ID number (it never changes)."""

    name = Name(max_length=60, required=True,
                error_messages={"required": _l("请填写姓名"), "too_long": _l("姓名不能超过60字")})
    phone = Phone(required=True, error_messages={"required": phone_error("")})
    id_number = IdNumber(required=True, metadata={"description": "18-digit ID (GB 11643); never returned"})


def held_by_today(value) -> None:
    if value > today():
        raise ma.ValidationError(_("活动日期不能晚于今天（先办活动，后记时长）"))


class ActivityFields(ma.Schema):
    """A volunteer activity (志愿活动); its organizer (organization_id, None: the park itself) must be
    one of the park's organizations, which the service checks."""

    title = Name(max_length=120, required=True,
                 error_messages={"required": _l("请填写活动名称"), "too_long": _l("活动名称不能超过120字")})
    organization_id = ma.fields.Integer(allow_none=True)
    held_on = ma.fields.Date(required=True, validate=held_by_today,
                             error_messages={"required": _l("请填写活动日期")})
    place = Text(max_length=120, error_messages={"too_long": _l("地点不能超过120字")})
    points_cap = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, error=_l("积分上限至少为1")))
    description = Text(max_length=2000, error_messages={"too_long": _l("说明不能超过2000字")})


class WindowFields(ma.Schema):
    """A redemption window (兑换窗口): its name and dates; one that overlaps another is the service's
    to refuse."""

    name = Name(max_length=60, required=True,
                error_messages={"required": _l("请填写窗口名称"), "too_long": _l("窗口名称不能超过60字")})
    opens_on = ma.fields.Date(required=True, error_messages={"required": _l("请填写开始和结束日期")})
    closes_on = ma.fields.Date(required=True, error_messages={"required": _l("请填写开始和结束日期")})

    @ma.validates_schema
    def _in_order(self, data, **kwargs):
        if "opens_on" in data and "closes_on" in data and data["closes_on"] < data["opens_on"]:
            raise ma.ValidationError(_("结束日期不能早于开始日期"), field_name="closes_on")


class GiftFields(ma.Schema):
    """A gift (礼品) volunteers redeem points for."""

    name = Name(max_length=80, required=True,
                error_messages={"required": _l("请填写礼品名称"), "too_long": _l("礼品名称不能超过80字")})
    points_cost = ma.fields.Integer(required=True, error_messages={"required": _l("所需积分至少为1")},
                                    validate=ma.validate.Range(min=1, error=_l("所需积分至少为1")))
    stock = ma.fields.Integer(required=True, error_messages={"required": _l("库存不能为负数")},
                              validate=ma.validate.Range(min=0, error=_l("库存不能为负数")))
    active = ma.fields.Boolean()


class CorrectionFields(ma.Schema):
    """A correction (更正) of a ledger entry: a new entry moving points and minutes, with a reason
    (the note's length is the column's). That the entry is the volunteer's and no redemption is the
    service's to check."""

    entry_id = ma.fields.Integer(required=True, error_messages={"required": _l("请填写要更正的流水号")},
                                 metadata={"description": "the ledger entry corrected"})
    points = ma.fields.Integer(load_default=0)
    minutes = ma.fields.Integer(load_default=0)
    note = Text(max_length=300, required=True,
                error_messages={"required": _l("请说明更正原因"), "too_long": _l("更正原因不能超过300字")})

    @ma.validates_schema
    def _moves_something(self, data, **kwargs):
        if not data.get("points", 0) and not data.get("minutes", 0):
            raise ma.ValidationError(_("更正的积分或时长不能都为零"), field_name="points")


class RedemptionFields(ma.Schema):
    """A redemption (兑换): how many of a gift at once; the gift, the window, the stock and the balance
    are the service's to check."""

    quantity = ma.fields.Integer(load_default=1, validate=[ma.validate.Range(min=1, error=_l("兑换数量至少为1")),
                                                           ma.validate.Range(max=100, error=_l("每次兑换数量不能超过100"))])


WINDOW_MONTHS = (1, 2, 3, 4, 6, 12)


class SettingsFields(ma.Schema):
    """A park's points rule and redemption cycle (积分规则与兑换周期)."""

    points_per_half_hour = ma.fields.Integer(
        required=True, error_messages={"required": _l("每半小时积分应在1到100之间")},
        validate=ma.validate.Range(min=1, max=100, error=_l("每半小时积分应在1到100之间")))
    default_points_cap = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(
        min=1, error=_l("单次活动积分上限至少为1")))
    window_months = ma.fields.Integer(
        required=True, error_messages={"required": _l("兑换周期应为1、2、3、4、6或12个月")},
        validate=ma.validate.OneOf(WINDOW_MONTHS, error=_l("兑换周期应为1、2、3、4、6或12个月")))
    window_days = ma.fields.Integer(
        required=True, error_messages={"required": _l("窗口天数应在1到31之间")},
        validate=ma.validate.Range(min=1, max=31, error=_l("窗口天数应在1到31之间")))
