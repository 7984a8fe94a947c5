"""Marshmallow schemas shared by the core API resources."""
import marshmallow as ma
from flask import url_for


class PageQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


def page_schema(item_schema, name: str):
    """A paginated envelope schema: items, page, per_page, total, pages."""
    return type(name, (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
        "total": ma.fields.Integer(),
        "pages": ma.fields.Integer(),
    })


def paginated(pagination) -> dict:
    return {"items": pagination.items, "page": pagination.page, "per_page": pagination.per_page,
            "total": pagination.total, "pages": pagination.pages}


class HtmlUrl(ma.fields.Method):
    """The address of the record's page, from an endpoint and the attribute naming it."""

    def __init__(self, endpoint: str, arg: str = "id", attr: str = "id", **kwargs):
        self.endpoint, self.arg, self.attr = endpoint, arg, attr
        super().__init__(serialize="_html_url", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return url_for(self.endpoint, **{self.arg: getattr(obj, self.attr)}, _external=True)
