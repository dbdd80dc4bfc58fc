"""Encryption and keyed hashes for personal data stored at rest (ID card numbers).

Both keys derive from PERSONAL_DATA_KEY (by default SECRET_KEY): changing it makes
stored values unreadable, so production sets PERSONAL_DATA_KEY once and keeps it.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


def _derive(label: bytes) -> bytes:
    return hmac.new(settings.PERSONAL_DATA_KEY.encode(), label, hashlib.sha256).digest()


@cache
def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"portal:encrypt:v1")))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode() if token else ""


def keyed_hash(value: str) -> str:
    """A stable fingerprint for finding duplicates without storing the value."""
    return hmac.new(_derive(b"portal:hash:v1"), value.encode(), hashlib.sha256).hexdigest()
