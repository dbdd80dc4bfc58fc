"""Personal data: one validator, normaliser and mask per kind, used by every surface.

Pages, exports, logs, e-mails and the admin all mask through these functions, so a
change of policy is made here once.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")


def normalise_phone(value: str) -> str:
    """A mainland mobile number as 11 digits: spaces, dashes and +86/0086 removed."""
    digits = _PHONE_NOISE.sub("", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_mobile(value: str) -> None:
    """Raise unless `value` is a mainland mobile number (11 digits starting 13–19)."""
    if not _MOBILE.match(normalise_phone(value)):
        raise ValidationError(
            _("Enter a mainland mobile number of 11 digits, e.g. 138 0013 8000."),
            code="invalid_phone",
        )


def mask_phone(value: str) -> str:
    """`138****5678`: keeps the operator prefix and the last four digits."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_name(value: str) -> str:
    """`张*` (Chinese) or `J***` (other scripts): for public views."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)
