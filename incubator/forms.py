"""Form helpers shared by the core's forms and plugins' forms."""
from flask import flash
from wtforms.validators import ValidationError as FieldError

from .errors import DomainError
from .validators import phone_error, uscc_error


def uscc_validator(form, field):
    if field.data and (error := uscc_error(field.data)):
        raise FieldError(error)


def phone_validator(form, field):
    if field.data and (error := phone_error(field.data)):
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
