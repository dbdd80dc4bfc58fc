"""Writes for the second factor and sessions: authenticator set-up, recovery codes,
resets by a manager, and "log out other sessions"."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..errors import field_error
from ..scope import account_manageable

logger = logging.getLogger("portal.security")

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def totp_device_pending(*, user) -> TOTPDevice:
    """The authenticator being set up: made on the first visit, the same secret after."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _recovery_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def totp_device_confirm(*, user, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a current code; any earlier authenticator
    and recovery codes are replaced. Returns the device and ten new recovery codes,
    which are shown once."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        # A failed try is committed with the device's throttle, so guessing slows down.
        accepted = device is not None and device.verify_token(_normalise(token))
    if device is None:
        raise field_error("token", _("Start the set-up again."), code="no_pending_device")
    if not accepted:
        raise field_error(
            "token",
            _(
                "This code is not right. Check that your phone's clock is correct "
                "and try the current code."
            ),
            code="wrong_code",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
    logger.info("second factor set up: account=%s", user.pk)
    return device, codes


def _normalise(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def second_factor_verify(*, user, token: str):
    """The confirmed device that accepts `token` (six digits: the authenticator; else a
    recovery code, used up by this), or None. Failures count towards the throttle."""
    token = _normalise(token)
    model = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(token):
                return device
    logger.warning("second factor refused: account=%s", user.pk)
    return None


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Ten new recovery codes for a user with an authenticator; the old ones stop working."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise PermissionDenied
    codes = _recovery_codes_replace(user)
    logger.info("recovery codes renewed: account=%s", user.pk)
    return codes


@transaction.atomic
def second_factor_reset(*, actor, account, now) -> int:
    """Remove the account's authenticator and recovery codes (a lost phone) and end its
    sessions; the next login sets up a new one. Returns how many devices were removed."""
    if not account_manageable(actor, account):
        raise PermissionDenied
    devices = list(devices_for_user(account, confirmed=None))
    for device in devices:
        device.delete()
    account.sessions_valid_after = now
    account.save(update_fields=["sessions_valid_after"])
    # The log is the record: who reset whose second factor, and when.
    logger.warning(
        "second factor reset: account=%s by=%s devices=%s", account.pk, actor.pk, len(devices)
    )
    return len(devices)


@transaction.atomic
def sessions_end_others(*, user, now) -> None:
    """Every session of this account that logged in before `now` ends at its next request
    (the caller marks its own session as kept)."""
    user.sessions_valid_after = now
    user.save(update_fields=["sessions_valid_after"])
    logger.info("other sessions ended: account=%s", user.pk)
