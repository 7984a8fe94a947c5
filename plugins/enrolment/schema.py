"""The rules on an offering's fields (班次), once: OfferingForm checks with them (SchemaForm), the
API's schemas derive from them, services.create_offering/update_offering load through them.

What each side enters in its own shape stays with the service: the sessions (lines of text on the
page, a list in the API), the course, park and instructor (records), and what needs the offering
as it stands (the window closing after it opens, the capacity above the seats taken)."""
from datetime import timezone

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from incubator.schemas import Name, Phone, Text
from incubator.validators import phone_error

CAPACITY = _l("容量应为 1–10000 的整数")
WINDOW_MISSING = _l("请填写报名开始和截止时间")


class UtcDateTime(ma.fields.DateTime):
    """Accepts any ISO time; stores naive UTC like the rest of the platform (a naive time is UTC:
    the page converts what people type from Beijing time first)."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is not None:
            result = result.astimezone(timezone.utc).replace(tzinfo=None)
        return result


class OfferingFields(ma.Schema):
    """An offering (班次) of a course: its name, venue, capacity, enrolment window and notes."""

    title = Name(max_length=120, min_length=0, error_messages={"too_long": _l("班次名称不能超过120字")},
                 metadata={"description": "e.g. 2026年第2期 (empty: the course's title)"})
    venue = Text(max_length=200, required=True,
                 error_messages={"required": _l("请填写上课地点"), "too_long": _l("上课地点不能超过200字")})
    capacity = ma.fields.Integer(required=True, error_messages={"required": CAPACITY, "invalid": CAPACITY},
                                 validate=ma.validate.Range(min=1, max=10000, error=CAPACITY))
    enrol_opens_at = UtcDateTime(required=True, error_messages={"required": WINDOW_MISSING})
    enrol_closes_at = UtcDateTime(required=True, error_messages={"required": WINDOW_MISSING})
    requires_approval = ma.fields.Boolean()
    description = Text(max_length=5000, error_messages={"too_long": _l("说明不能超过5000字")})


class SignupFields(ma.Schema):
    """A trainee's own fields at sign-up (学员注册): name, phone and, as free text, where they work
    (lengths are the columns'). The username and the password are the core's accounts' rules
    (incubator.users.services.validate), and a phone already registered needs the database."""

    name = Name(max_length=80, required=True,
                error_messages={"required": _l("请填写姓名"), "too_long": _l("姓名不能超过80字")})
    phone = Phone(required=True, error_messages={"required": _l("请填写手机号"), "too_long": phone_error("")})
    organization = Text(max_length=120, error_messages={"too_long": _l("所在单位不能超过120字")})
