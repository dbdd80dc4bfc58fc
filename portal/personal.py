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


# --- Resident identity card numbers (GB 11643) ------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalise_id_number(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    """Raise unless `value` is an 18-character ID number with a valid date and check digit."""
    number = normalise_id_number(value)
    if not _ID_SHAPE.match(number):
        raise ValidationError(
            _("An ID card number has 18 characters: 17 digits and a digit or X."),
            code="invalid_id_shape",
        )
    if id_birth_date(number) is None:
        raise ValidationError(
            _("The birth date in this ID card number is not a real date."), code="invalid_id_date"
        )
    if id_check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("The last character of this ID card number does not match; check for a typo."),
            code="invalid_id_check",
        )


def id_birth_date(number: str):
    """The birth date encoded in characters 7–14, or None if it is not a date."""
    from datetime import date

    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def id_gender(number: str) -> str:
    """ "male" or "female" from the sequence code's parity (character 17)."""
    return "male" if int(number[16]) % 2 else "female"


def mask_id_number(value: str) -> str:
    """`110105********1234`: the region code and the last four; the birth date hidden."""
    if not value:
        return ""
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


# What anonymised text fields hold after their retention time (stored data, not UI text).
ANONYMISED = "（已匿名）"
