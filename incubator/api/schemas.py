"""Marshmallow fields and schemas shared by the core's and the plugins' API resources.

- `Reference`: a record named by its code or username (park, course, expert, assessor …).
- `Name`, `Text`, `Phone`, `Uscc`, `validate_name`: the fields for what people type, from
  `incubator.schemas` (one schema per entity: forms, API and services share it).
- `PageQuerySchema`, `page_schema`, `paginated`, `paginated_list`: every list is a page,
  `{"items", "page", "per_page", "total", "pages"}`, chosen with `?page=&per_page=`.
"""
import math

import marshmallow as ma

from ..schemas import Name, Phone, Text, Uscc, validate_name

__all__ = ["MAX_PER_PAGE", "Name", "PageQuerySchema", "Phone", "Reference", "Text", "Uscc", "page_schema",
           "paginated", "paginated_list", "validate_name"]

MAX_PER_PAGE = 100


class PageQuerySchema(ma.Schema):
    # A page beyond what OFFSET holds is a 400 from the app's out-of-range handler (app.py).
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item_schema, name: str, **more):
    """A paginated envelope schema: items, page, per_page, total, pages (and the fields `more`)."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
        "total": ma.fields.Integer(),
        "pages": ma.fields.Integer(),
        **more,
    })


def paginated(pagination) -> dict:
    page = {"items": pagination.items, "page": pagination.page, "per_page": pagination.per_page,
            "total": pagination.total, "pages": pagination.pages}
    if hasattr(pagination, "total_is_exact"):  # a count that stops (organizations.services.list_page)
        page["total_is_exact"] = pagination.total_is_exact
    return page


def paginated_list(items, args: dict) -> dict:
    """The same envelope for a list computed in Python (a tree order, a ranking, a report)."""
    items = list(items)
    page, per_page = args["page"], args["per_page"]
    start = (page - 1) * per_page
    return {"items": items[start:start + per_page], "page": page, "per_page": per_page,
            "total": len(items), "pages": math.ceil(len(items) / per_page)}


class Reference(ma.fields.String):
    """A record named by its code or username: `"park": "fangxing"`, `"expert": "expert-li"`.

    Only a string is accepted (a list, an object or a number is a 422 naming the field, never a
    crash in the query that looks the record up); the resource itself answers 422 when no record has
    that name. `path` is what a dump shows, read from the object: `Reference("park.code")`.
    """

    default_error_messages = {
        "invalid": "须为代码或用户名（字符串），不能是数字、列表或对象",
        "too_long": "代码或用户名过长",
        "control": "代码或用户名中不能含有控制字符",
    }

    def __init__(self, path: str | None = None, *, max_length: int = 120, **kwargs):
        self.path, self.max_length = path, max_length
        super().__init__(**kwargs)

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        if self.path is None:
            return super().get_value(obj, attr, accessor=accessor, default=default)
        value = obj
        for part in self.path.split("."):
            value = getattr(value, part, None) if value is not None else None
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(value) > self.max_length:
            raise self.make_error("too_long")
        if any(ord(c) < 32 or c == "\x7f" for c in value):
            raise self.make_error("control")
        return value
