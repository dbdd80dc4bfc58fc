"""Phone numbers are validated in the mainland format, stored normalised, shown masked."""

import pytest
from django.core.exceptions import ValidationError

from portal.personal import mask_name, mask_phone, normalise_phone, validate_mobile


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
    ],
)
def test_phone_numbers_are_normalised(raw, normal):
    assert normalise_phone(raw) == normal
    validate_mobile(raw)


@pytest.mark.parametrize("bad", ["", "12345", "12800138000", "1380013800", "138001380001", "abc"])
def test_malformed_phone_numbers_are_refused_with_a_code(bad):
    with pytest.raises(ValidationError) as error:
        validate_mobile(bad)
    assert error.value.code == "invalid_phone"


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
