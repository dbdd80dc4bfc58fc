"""How services word a refusal that belongs to one form field."""

from django.core.exceptions import ValidationError


def field_error(field: str, message, code: str, params=None) -> ValidationError:
    """A user error on one form field, keeping its code for callers and tests."""
    return ValidationError({field: ValidationError(message, code=code, params=params)})
