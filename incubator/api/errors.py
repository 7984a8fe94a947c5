"""The API's error format: {"errors": [{"message": …, "code": …, "field": …}]}."""
import marshmallow as ma
from werkzeug.exceptions import HTTPException


class ErrorItemSchema(ma.Schema):
    message = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    field = ma.fields.String()


class ErrorSchema(ma.Schema):
    errors = ma.fields.List(ma.fields.Nested(ErrorItemSchema), required=True)


def http_exception_errors(exc: HTTPException) -> list[dict]:
    """Turn an HTTPException (webargs validation errors included) into error items."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    code = exc.name.replace(" ", "")
    if messages:
        return list(_flatten(messages, code))
    message = data.get("message") or exc.description or exc.name
    return [{"message": str(message), "code": code}]


def _flatten(messages, code, field=None):
    """webargs nests messages by location and field: {"json": {"name": ["Missing data…"]}}."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "headers", "view_args", "path") and field is None:
                yield from _flatten(value, code, None)
            elif key == "_schema":
                yield from _flatten(value, code, field)
            else:
                yield from _flatten(value, code, f"{field}.{key}" if field else str(key))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from _flatten(value, code, field)
    else:
        item = {"message": str(messages), "code": code}
        if field:
            item["field"] = field
        yield item
