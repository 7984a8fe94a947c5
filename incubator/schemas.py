"""Marshmallow fields for what people type, and `load`: one schema per entity holds every rule on its
fields, and the form (`incubator.forms.SchemaForm`), the API and the service share it.

- `Text`: stripped; with `required`, empty is missing too; at most `max_length` (the column's length).
- `Name`: a name people read (organization, person, course, round, volunteer …): `Text` without
  invisible, direction-changing or control characters.
- `Phone`: a mainland mobile or landline number; `Uscc`: a 统一社会信用代码, stored compact.
- `load(schema, data)`: the schema's first error raised as a service raises its own.

`label` names the field in the messages ("请填写组织名称", "组织名称不能超过120字"); a field without
one keeps marshmallow's messages. The API's fields for records named by code (`Reference`) and its
pages live in `incubator.api.schemas`.
"""
import marshmallow as ma

from .errors import ValidationError
from .validators import name_error, normalize_uscc, phone_error, uscc_error


def validate_name(value: str) -> None:
    """The marshmallow side of validators.name_error."""
    if error := name_error(value):
        raise ma.ValidationError(error)


class Text(ma.fields.String):
    """Text people type, stripped of the spaces around it.

    With `required`, an empty or blank value is as missing as an absent one (a form always sends
    every field). `max_length` is the column's length; `min_length` a shortest length, if any.
    `label` makes the Chinese messages; `error_messages` ("required", "too_long", "too_short") may
    give others, lazily translated ones included (`lazy_gettext`: a plugin's messages).
    """

    default_error_messages = {"too_long": "Longer than maximum length {max}.",
                              "too_short": "Shorter than minimum length {min}."}

    def __init__(self, *, max_length: int | None = None, min_length: int | None = None,
                 label: str | None = None, **kwargs):
        self.label = label
        if label:
            kwargs["error_messages"] = {
                # An empty value is "请填写…" whether or not the field may be left out.
                "required": f"请填写{label}", "too_long": f"{label}不能超过{{max}}字",
                "too_short": f"请填写{label}" if min_length == 1 else f"{label}至少{{min}}字",
                **(kwargs.get("error_messages") or {})}
        super().__init__(**kwargs)
        lengths = []
        if min_length:
            lengths.append(ma.validate.Length(min=min_length, error=self.error_messages["too_short"]))
        if max_length is not None:
            lengths.append(ma.validate.Length(max=max_length, error=self.error_messages["too_long"]))
        self.validators[:0] = lengths

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        # A lazily translated message becomes text in the request's language, here.
        return ma.ValidationError(str(self.error_messages[key]).format(**kwargs))

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not value and self.required:
            raise self.make_error("required")
        return value


class Name(Text):
    """A name people read: no invisible, direction-changing or control characters (line breaks
    included), at most `max_length` characters (the column's length)."""

    def __init__(self, *, max_length: int, min_length: int = 1, **kwargs):
        kwargs["validate"] = [validate_name] + _as_list(kwargs.get("validate"))
        super().__init__(max_length=max_length, min_length=min_length, **kwargs)


class Phone(Text):
    """A mainland mobile (11 digits) or a landline (area code and number)."""

    def __init__(self, *, max_length: int = 20, **kwargs):
        kwargs["validate"] = [_validate_phone] + _as_list(kwargs.get("validate"))
        super().__init__(max_length=max_length, **kwargs)


def _validate_phone(value: str) -> None:
    if value and (error := phone_error(value)):
        raise ma.ValidationError(error)


class Uscc(ma.fields.String):
    """A 统一社会信用代码 (GB 32100-2015), loaded as stored: separators dropped, upper case; empty is
    None (an unregistered grassroots group has none)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = normalize_uscc(super()._deserialize(value, attr, data, **kwargs))
        if value and (error := uscc_error(value)):
            raise ma.ValidationError(error)
        return value


def load(schema: ma.Schema, data: dict, *, partial=False) -> dict:
    """`schema.load(data)` for a service, its first error (in the schema's field order) raised as
    services raise theirs: `incubator.errors.ValidationError(message, field=…)`, a 422 in the API
    and a message beside the field on a page. None is no value here (a form's field the request did
    not send): missing, unless the field takes None."""
    fields = schema.load_fields
    data = {k: v for k, v in data.items() if v is not None or (k in fields and fields[k].allow_none)}
    try:
        return schema.load(data, partial=partial)
    except ma.ValidationError as exc:
        messages = exc.normalized_messages()
        order = list(schema.fields)
        field = min(messages, key=lambda name: order.index(name) if name in order else len(order))
        raise ValidationError(first_message(messages[field]),
                              field=None if field == ma.exceptions.SCHEMA else field) from exc


def first_message(messages) -> str:
    """The first message of a field's errors (a list, or a dict for nested fields)."""
    while isinstance(messages, (list, tuple, dict)):
        messages = next(iter(messages.values() if isinstance(messages, dict) else messages))
    return str(messages)


def _as_list(validate) -> list:
    if validate is None:
        return []
    return list(validate) if isinstance(validate, (list, tuple)) else [validate]
