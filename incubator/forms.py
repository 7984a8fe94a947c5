"""Form helpers shared by the core's forms and plugins' forms."""
from functools import cache

import marshmallow as ma
from flask import flash
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.validators import ValidationError as FieldError

from .errors import DomainError
from .validators import email_error, name_error, phone_error, uscc_error


def uscc_validator(form, field):
    if field.data and (error := uscc_error(field.data)):
        raise FieldError(error)


def phone_validator(form, field):
    if field.data and (error := phone_error(field.data)):
        raise FieldError(error)


def email_validator(form, field):
    if field.data and (error := email_error(field.data)):
        raise FieldError(error)


def name_validator(form, field):
    """A name people read (organization, person, course, round, volunteer): see validators.name_error."""
    if field.data and (error := name_error(field.data)):
        raise FieldError(error)


class SchemaForm(FlaskForm):
    """A form whose rules are its entity's schema (`schema`, a marshmallow Schema class, the one the
    API and the service load through), so that a rule is written once.

    The form keeps what only a form knows: labels, choices, widgets, and reading what the browser
    sent (a date, a number, one of the choices: WTForms' own checks). From the schema it takes what
    a browser knows too: which fields are required, how long a text and how large a number may be.
    These become the fields' flags (`required`, `maxlength`, `min`, `max`: the browser marks and
    limits the fields) and the same checks on the server, with WTForms' messages in the user's
    language. Then it loads the form's data through the schema and puts each error on the field it
    names (one the form does not show is flashed). Schema fields the form does not show are left out
    of the check (partial).
    """

    schema: type[ma.Schema] | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, validators in _derived(self.schema).items():
            if name in self._fields:
                for validator in validators:
                    for flag, value in validator.field_flags.items():
                        setattr(self._fields[name].flags, flag, value)

    def validate(self, extra_validators=None):
        extra = {name: list(validators) for name, validators in (extra_validators or {}).items()}
        for name, validators in _derived(self.schema).items():
            if name in self._fields:
                extra[name] = validators + extra.get(name, [])
        valid = super().validate(extra)
        return self.validate_schema() and valid

    def validate_schema(self) -> bool:
        """Load the fields that passed WTForms' checks through the schema; its errors go on the fields."""
        if self.schema is None:
            return True
        schema = self.schema()
        data = {name: value for name, value in self.schema_data().items() if not self._fields[name].errors}
        try:
            schema.load(data, partial=tuple(set(schema.load_fields) - set(data)))
        except ma.ValidationError as exc:
            for name, messages in exc.normalized_messages().items():
                messages = messages if isinstance(messages, list) else [messages]
                if name in self._fields:
                    self._fields[name].errors = list(self._fields[name].errors) + [str(m) for m in messages]
                else:
                    for message in messages:
                        flash(str(message), "danger")
            return False
        return True

    def schema_data(self) -> dict:
        """The form's data for the schema's fields it shows: what a service is given. A field the
        request did not send (None) is left out, unless the schema takes None (an empty date)."""
        if self.schema is None:
            return {}
        fields = self.schema().load_fields
        return {name: self._fields[name].data for name, field in fields.items()
                if name in self._fields and (self._fields[name].data is not None or field.allow_none)}


@cache
def _derived(schema: type[ma.Schema] | None) -> dict[str, list]:
    """{field: WTForms validators} for the rules of a schema that a browser knows too: required,
    the longest text (its Length validators), a number's bounds (an inclusive Range)."""
    derived = {}
    for name, field in (schema().load_fields.items() if schema is not None else ()):
        validators = []
        if field.required:
            # A blank text is missing; a number or a date only when nothing was typed (0 is a number).
            validators.append(DataRequired() if isinstance(field, ma.fields.String) else InputRequired())
        longest = [v.max for v in field.validators if isinstance(v, ma.validate.Length) and v.max is not None]
        if longest:
            validators.append(Length(max=min(longest)))
        for v in field.validators:
            if isinstance(v, ma.validate.Range) and v.min_inclusive and v.max_inclusive:
                validators.append(NumberRange(min=v.min, max=v.max))
        if validators:
            derived[name] = validators
    return derived


def show_domain_error(form, exc: DomainError) -> None:
    """Put a service's refusal next to the field it names, or at the top of the page."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    elif exc.reasons:
        for reason in exc.reasons:
            flash(reason, "danger")
    else:
        flash(exc.message, "danger")


def flash_errors(form) -> None:
    """Flash every field error of a form a page did not re-render, named by the field's label."""
    from flask_babel import gettext as _
    for name, errors in form.errors.items():
        field = getattr(form, name, None)
        label = field.label.text if field is not None and name != "csrf_token" else ""
        for error in errors if isinstance(errors, list) else [errors]:
            # A nested form's errors are a dict or a list; a validator's message may be a lazy string.
            text = _("请检查该项的内容") if isinstance(error, (dict, list)) else str(error)
            flash(f"{label}：{text}" if label else text, "danger")


def attempt(call, success: str):
    """Run a service call from a page: flash `success`, or the refusal's message. Returns the
    call's result, or None when it was refused."""
    try:
        result = call()
    except DomainError as exc:
        flash(exc.message, "danger")
        return None
    flash(success, "success")
    return result
