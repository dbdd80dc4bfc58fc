"""Writes on accounts and memberships: each checks scope, runs in one transaction."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Area, Membership
from ..personal import normalise_phone, validate_mobile
from ..roles import AreaLevel, Role
from ..scope import account_manageable, forget_memberships, may_grant

# No 0/O, 1/l/I: the password is read off paper, often by an older resident.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def one_time_password() -> str:
    """Ten characters in two groups, e.g. `k7mq2-x9tpa`."""
    chars = [secrets.choice(_OTP_ALPHABET) for _ in range(10)]
    return "".join(chars[:5]) + "-" + "".join(chars[5:])


def _phone_for_new_account(phone: str) -> str:
    phone = normalise_phone(phone)
    validate_mobile(phone)
    user_model = get_user_model()
    if (
        user_model.objects.filter(phone=phone).exists()
        or user_model.objects.filter(username=phone).exists()
    ):
        raise ValidationError(
            {"phone": _("This phone number already has an account.")}, code="phone_taken"
        )
    return phone


@transaction.atomic
def account_create(*, actor, phone: str, display_name: str, role: str, area: Area):
    """A new account with one membership and a one-time password; returns both."""
    if not may_grant(actor, role, area):
        raise PermissionDenied
    phone = _phone_for_new_account(phone)
    password = one_time_password()
    user = get_user_model().objects.create_user(
        username=phone,
        password=password,
        phone=phone,
        display_name=display_name.strip(),
        must_change_password=True,
    )
    Membership.objects.create(user=user, role=role, area=area, granted_by=actor)
    return user, password


@transaction.atomic
def account_reset_password(*, actor, account) -> str:
    """A new one-time password that must be changed at the next login."""
    if not account_manageable(actor, account):
        raise PermissionDenied
    password = one_time_password()
    account.set_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    return password


@transaction.atomic
def account_set_active(*, actor, account, active: bool) -> None:
    """Deactivate (its sessions stop working at once) or reactivate an account."""
    if not account_manageable(actor, account):
        raise PermissionDenied
    if account.is_active == active:
        return
    account.is_active = active
    account.save(update_fields=["is_active"])


@transaction.atomic
def membership_grant(*, actor, account, role: str, area: Area) -> Membership:
    """Give `account` a role at `area`; refuses what the actor could not grant."""
    if not may_grant(actor, role, area) or not (
        actor.is_superuser or account_manageable(actor, account)
    ):
        raise PermissionDenied
    membership, created = Membership.objects.get_or_create(
        user=account,
        role=role,
        area=area,
        ended_at__isnull=True,
        defaults={"granted_by": actor},
    )
    if not created:
        raise ValidationError(_("This account already has that role there."), code="duplicate")
    forget_memberships(account)
    return membership


@transaction.atomic
def membership_end(*, actor, membership: Membership) -> None:
    """End a membership; the account keeps its history."""
    if membership.ended_at is not None:
        return
    if not (actor.is_superuser or account_manageable(actor, membership.user)):
        raise PermissionDenied
    membership.ended_at = timezone.now()
    membership.save(update_fields=["ended_at"])
    forget_memberships(membership.user)


@transaction.atomic
def resident_register(*, phone: str, display_name: str, community: Area, password: str):
    """A resident's own account: sees only what it files until staff link it to a person."""
    if community.level != AreaLevel.COMMUNITY:
        raise ValidationError({"community": _("Choose a community.")}, code="not_community")
    phone = _phone_for_new_account(phone)
    user = get_user_model().objects.create_user(
        username=phone, password=password, phone=phone, display_name=display_name.strip()
    )
    Membership.objects.create(user=user, role=Role.RESIDENT, area=community)
    return user


@transaction.atomic
def profile_update(*, user, display_name: str, email: str) -> None:
    """A user's own name and e-mail address."""
    user.display_name = display_name.strip()
    user.email = email.strip()
    user.save(update_fields=["display_name", "email"])


def password_changed(*, user) -> None:
    """The user chose a password: the one-time password requirement is met."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
