"""Every rule on an organization's editable fields, in one place: the forms (OrganizationForm,
ApplyForm) check with it, the API's OrganizationSchema derives from it, and services.validate
loads through it (adding only what needs the database: a USCC used by another organization)."""
import marshmallow as ma

from ..dates import today
from ..schemas import Name, Phone, Text, Uscc
from .models import CATEGORIES, REGISTRATION_STATUSES


def not_in_the_future(value) -> None:
    if value is not None and value > today():
        raise ma.ValidationError("成立日期不能晚于今天")


class RegistrationStatus(Text):
    """登记状态: an empty choice is 未登记."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs) or "unregistered"


class OrganizationFields(ma.Schema):
    """An organization's editable fields (lengths are the columns')."""

    name = Name(max_length=120, required=True, label="组织名称")
    uscc = Uscc(allow_none=True, metadata={"description": "统一社会信用代码 (GB 32100-2015)"})
    category = Text(required=True, label="类别",
                    validate=ma.validate.OneOf(CATEGORIES, error="类别应为：" + "、".join(CATEGORIES)))
    registration_status = RegistrationStatus(validate=ma.validate.OneOf(
        list(REGISTRATION_STATUSES), error="登记状态应为 registered、filed 或 unregistered"))
    founded_on = ma.fields.Date(allow_none=True, validate=not_in_the_future)
    contact_name = Name(max_length=60, required=True, label="联系人",
                        metadata={"description": "the contact person's name"})
    contact_phone = Phone(required=True, label="联系电话")
    service_area = Text(max_length=200, label="服务区域")
    description = Text(max_length=5000, label="组织简介")
