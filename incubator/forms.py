"""Form helpers shared by the core's forms and plugins' forms."""
from flask import flash
from wtforms.validators import ValidationError as FieldError

from .errors import DomainError
from .validators import name_error, phone_error, uscc_error


def uscc_validator(form, field):
    if field.data and (error := uscc_error(field.data)):
        raise FieldError(error)


def phone_validator(form, field):
    if field.data and (error := phone_error(field.data)):
        raise FieldError(error)


def name_validator(form, field):
    """A name people read (organization, person, course, round, volunteer): see validators.name_error."""
    if field.data and (error := name_error(field.data)):
        raise FieldError(error)


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
