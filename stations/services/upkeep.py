"""Keeping a station running: its amenities (with one reminder before a first-aid kit
expires), supply checks that schedule the next one, and temporary closures.

Reminders are follow-up rows written in the same transaction as the change; the beat
scan (`followups_deliver_due`) delivers each once. They go to the host organisation's
members when it has any, otherwise to the community's staff.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import FollowUp, Membership
from portal.roles import Role
from portal.services import followups
from portal.workdays import reminder_at

from ..models import Amenity, Condition, Station, StationAmenity, SupplyCheck
from .registry import may_keep

NEXT_CHECK_DAYS = 7
EXPIRY_NOTICE_DAYS = 14
MAX_QUANTITY = 10_000


def upkeep_recipients(station: Station) -> dict:
    """The host's members keep the station; without any, the community's staff do."""
    if (
        station.host_id
        and Membership.objects.active()
        .filter(role=Role.ORGANISATION_MEMBER, organisation_id=station.host_id)
        .exists()
    ):
        return {"role": Role.ORGANISATION_MEMBER, "organisation": station.host}
    return {"role": Role.COMMUNITY_STAFF, "area": station.community}


def _lock(station: Station) -> Station:
    return (
        # Lock the station row only: the host may be missing (an outer join), which
        # PostgreSQL cannot lock.
        Station.objects.select_for_update(of=("self",))
        .select_related("community", "host")
        .get(pk=station.pk)
    )


def amenities_version(rows) -> str:
    """A fingerprint of a station's amenities, so an edit made on a stale page (someone
    ran a supply check meanwhile) is refused instead of undoing theirs."""
    text = "|".join(
        f"{a.amenity}:{a.quantity}:{a.condition}:{a.in_stock}:{a.expires_on}:{a.last_checked}"
        for a in sorted(rows, key=lambda a: a.amenity)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Amenities and their expiry ----------------------------------------------------


def _expiry_reason(station: Station, amenity: StationAmenity) -> str:
    return _("%(amenity)s at %(station)s expires on %(date)s: replace it") % {
        "amenity": amenity.get_amenity_display(),
        "station": station.name,
        "date": amenity.expires_on.isoformat(),
    }


def _sync_expiry(
    station: Station, amenity: StationAmenity, *, old_expiry, actor, now, recipients
) -> bool:
    """Keep one pending reminder EXPIRY_NOTICE_DAYS before the expiry date: a new one
    when the date changes, none without a date. Returns whether the row's follow-up
    field changed."""
    if amenity.expires_on == old_expiry and (
        amenity.expires_on is None or amenity.expiry_follow_up_id
    ):
        return False
    followups.followups_withdraw(ids=[amenity.expiry_follow_up_id], now=now)
    amenity.expiry_follow_up = None
    if amenity.expires_on is not None:
        amenity.expiry_follow_up = followups.followup_schedule(
            reason=_expiry_reason(station, amenity),
            due_at=reminder_at(amenity.expires_on - timedelta(days=EXPIRY_NOTICE_DAYS)),
            purpose=FollowUp.Purpose.DUE_REMINDER,
            created_by=actor,
            **recipients(),
        )
    return True


@dataclass(frozen=True)
class AmenityEntry:
    amenity: str
    quantity: int
    condition: str
    in_stock: bool
    expires_on: date | None = None


def _check_entries(entries, *, station_amenities=None) -> None:
    errors = {}
    for e in entries:
        if e.amenity not in Amenity.values:
            raise ValidationError(_("Choose amenities from the list."), code="invalid_amenity")
        if station_amenities is not None and e.amenity not in station_amenities:
            raise ValidationError(
                _("The station's amenities changed; open the page again."), code="stale"
            )
        if e.quantity is None or not 0 <= e.quantity <= MAX_QUANTITY:
            errors[f"quantity_{e.amenity}"] = ValidationError(
                _("Enter a whole number from 0 to 10000."), code="out_of_range"
            )
        if e.condition not in Condition.values:
            errors[f"condition_{e.amenity}"] = ValidationError(
                _("Choose a condition."), code="invalid_condition"
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def station_amenities_set(
    *, actor, station: Station, entries: list[AmenityEntry], version: str, now=None
) -> bool:
    """Set which amenities the station has and their details; a changed expiry date
    moves its reminder, a removed amenity cancels it. Returns whether anything changed."""
    now = now or timezone.now()
    station = _lock(station)
    if not may_keep(actor, station):
        raise PermissionDenied
    _check_entries(entries)
    if len({e.amenity for e in entries}) != len(entries):
        raise ValidationError(_("Give each amenity at most once."), code="amenity_twice")
    current = {a.amenity: a for a in station.amenities.all()}
    if version != amenities_version(current.values()):
        raise ValidationError(
            _("Someone changed these amenities meanwhile; check them and save again."),
            code="stale",
        )
    wanted = {e.amenity: e for e in entries}
    changed = False
    recipients_cache: list[dict] = []

    def recipients():
        if not recipients_cache:
            recipients_cache.append(upkeep_recipients(station))
        return recipients_cache[0]

    for code, amenity in current.items():
        if code not in wanted:
            followups.followups_withdraw(ids=[amenity.expiry_follow_up_id], now=now)
            amenity.delete()
            changed = True
    for code, entry in wanted.items():
        amenity = current.get(code) or StationAmenity(station=station, amenity=code)
        old_expiry = amenity.expires_on if amenity.pk else None
        values = {
            "quantity": entry.quantity,
            "condition": entry.condition,
            "in_stock": bool(entry.in_stock),
            "expires_on": entry.expires_on,
        }
        fields = [name for name, value in values.items() if getattr(amenity, name) != value]
        for name in fields:
            setattr(amenity, name, values[name])
        if amenity.pk is None:
            amenity.save()
            fields = []
            changed = True
        if _sync_expiry(
            station,
            amenity,
            old_expiry=old_expiry,
            actor=actor,
            now=now,
            recipients=recipients,
        ):
            fields.append("expiry_follow_up")
        if fields:
            amenity.save(update_fields=fields)
            changed = True
    return changed


# --- Supply checks ----------------------------------------------------------------


@dataclass(frozen=True)
class CheckLine:
    amenity: str
    condition: str
    in_stock: bool
    quantity: int


@transaction.atomic
def supply_check_record(
    *,
    actor,
    station: Station,
    checked_on: date,
    lines: list[CheckLine],
    note: str = "",
    now=None,
) -> SupplyCheck:
    """Record what a check found, update every amenity it covered (last checked = the
    check's day), and keep exactly one next-check reminder pending."""
    now = now or timezone.now()
    station = _lock(station)
    if not may_keep(actor, station):
        raise PermissionDenied
    if checked_on > timezone.localdate(now):
        raise field_error("checked_on", _("The check cannot be in the future."), "future")
    amenities = {a.amenity: a for a in station.amenities.all()}
    if not amenities:
        raise ValidationError(
            _("The station has no amenities to check; add them first."), code="no_amenities"
        )
    _check_entries(lines, station_amenities=amenities)
    if {line.amenity for line in lines} != set(amenities) or len(lines) != len(amenities):
        raise ValidationError(
            _("The station's amenities changed; open the page again."), code="stale"
        )
    for line in lines:
        amenity = amenities[line.amenity]
        amenity.condition, amenity.in_stock, amenity.quantity = (
            line.condition,
            bool(line.in_stock),
            line.quantity,
        )
        # A check entered late never makes an amenity look less recently checked.
        amenity.last_checked = max(filter(None, [amenity.last_checked, checked_on]))
    StationAmenity.objects.bulk_update(
        amenities.values(), ["condition", "in_stock", "quantity", "last_checked"]
    )
    latest = station.supply_checks.values_list("checked_on", flat=True).first()
    followups.followups_withdraw(
        ids=station.supply_checks.values_list("next_check_follow_up", flat=True), now=now
    )
    next_check = followups.followup_schedule(
        reason=_("Supply check due at %(station)s") % {"station": station.name},
        due_at=reminder_at(
            max(filter(None, [latest, checked_on])) + timedelta(days=NEXT_CHECK_DAYS)
        ),
        purpose=FollowUp.Purpose.DUE_REMINDER,
        created_by=actor,
        **upkeep_recipients(station),
    )
    return SupplyCheck.objects.create(
        station=station,
        checked_on=checked_on,
        checked_by=actor,
        lines=[
            {
                "amenity": line.amenity,
                "condition": line.condition,
                "in_stock": bool(line.in_stock),
                "quantity": line.quantity,
            }
            for line in sorted(lines, key=lambda line: line.amenity)
        ],
        note=(note or "").strip()[:300],
        next_check_follow_up=next_check,
    )


# --- Temporary closure --------------------------------------------------------------


@transaction.atomic
def station_close(
    *, actor, station: Station, reason: str, until: date | None = None, now=None
) -> Station:
    """Mark the station temporarily closed; the public finder stops showing it open."""
    station = _lock(station)
    if not may_keep(actor, station):
        raise PermissionDenied
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ValidationError(
            _("Say why the station is closed; the public sees it."), code="required"
        )
    elif len(reason) > 200:
        errors["reason"] = ValidationError(
            _("Keep the reason under 200 characters."), code="too_long"
        )
    if until is not None and until < timezone.localdate(now or timezone.now()):
        errors["until"] = ValidationError(
            _("The reopening day cannot be in the past."), code="past"
        )
    if errors:
        raise ValidationError(errors)
    if station.closed_reason == reason and station.closed_until == until:
        return station
    station.closed_reason, station.closed_until = reason, until
    station.save(update_fields=["closed_reason", "closed_until"])
    return station


@transaction.atomic
def station_reopen(*, actor, station: Station) -> Station:
    """Open as usual again."""
    station = _lock(station)
    if not may_keep(actor, station):
        raise PermissionDenied
    if not station.closed_reason and station.closed_until is None:
        return station
    station.closed_reason, station.closed_until = "", None
    station.save(update_fields=["closed_reason", "closed_until"])
    return station
