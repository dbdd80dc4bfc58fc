"""Care facilities: registering and editing them, the daily service log, and the reads
behind the facility pages and the public meal-point finder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import Area, Organisation
from portal.roles import Action, AreaLevel, OrganisationType
from portal.scope import can, may_at, near_paths_q, paths_above, reach, under_paths_q

from ..models import (
    MEAL_TYPES,
    Facility,
    FacilityService,
    FacilityType,
    PremisesOrigin,
    ServiceLog,
)

KIND = "eldercare.facility"

# Who may run a care premises: the source's operator is a catering company ("other").
OPERATOR_TYPES = (
    OrganisationType.CARE_INSTITUTION,
    OrganisationType.MEDICAL_INSTITUTION,
    OrganisationType.COMMUNITY_COMMITTEE,
    OrganisationType.VOLUNTEER_TEAM,
    OrganisationType.OTHER,
)

# Recent service shown on a facility's page and summed in its totals.
RECENT_DAYS = 30
MAX_DAILY_COUNT = 100_000

_SERVICE_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def normalise_service_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", value or "")


def validate_service_phone(value: str) -> None:
    """A premises' or team's phone: a mainland mobile or a landline with its area code."""
    if value and not _SERVICE_PHONE.match(normalise_service_phone(value)):
        raise field_error(
            "phone",
            _(
                "Enter a mobile number (11 digits) or a landline with its area code, "
                "e.g. 0550-1234567."
            ),
            "invalid_phone",
        )


def organisations_near(paths, types):
    """Organisations of `types` inside the subtrees at `paths` or at an area above them
    (a county hospital serves the towns under it)."""
    return Organisation.objects.filter(type__in=types).filter(near_paths_q(paths, "area__path"))


def _organisation_serves(organisation: Organisation, area: Area) -> bool:
    path, own = area.path, organisation.area.path
    return own.startswith(path) or path.startswith(own)


def may_create_somewhere(user, kind: str = KIND) -> bool:
    """May `user` create rows of `kind` at some area? (A resident's "create" reaches
    only what it files itself, which registers no facility, agreement or team.)"""
    r = reach(user, kind, Action.CREATE)
    return r.everything or bool(r.area_paths)


def facility_communities(user, action: str = Action.CREATE):
    """The communities where `user` may register (or move) a facility."""
    r = reach(user, KIND, action)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY).order_by("path")
    return communities if r.everything else communities.filter(under_paths_q(r.area_paths))


def facility_operators(user):
    """Organisations a facility the user registers may name as its operator."""
    r = reach(user, KIND, Action.CREATE)
    if r.everything:
        return Organisation.objects.filter(type__in=OPERATOR_TYPES).order_by("name")
    return organisations_near(r.area_paths, OPERATOR_TYPES).order_by("name")


def may_manage(user, facility: Facility) -> bool:
    """Community staff and the county's programme officers edit a facility's details;
    the operator's members only keep its log."""
    return may_at(user, Action.CHANGE, KIND, facility.community)


def _clean_facility(fields: dict, community: Area) -> dict:
    errors = {}
    fields = dict(fields)
    fields["name"] = (fields.get("name") or "").strip()
    fields["address"] = (fields.get("address") or "").strip()
    fields["donor"] = (fields.get("donor") or "").strip()
    fields["phone"] = normalise_service_phone(fields.get("phone") or "")
    if not fields["name"]:
        errors["name"] = ValidationError(_("Give the facility a name."), code="required")
    if fields.get("type") not in FacilityType.values:
        errors["type"] = ValidationError(_("Choose a facility type."), code="invalid_type")
    if fields.get("origin") not in PremisesOrigin.values:
        errors["origin"] = ValidationError(
            _("Choose where the premises came from."), code="invalid"
        )
    if fields.get("origin") == PremisesOrigin.DONATED and not fields["donor"]:
        errors["donor"] = ValidationError(
            _("Donated premises need the donor's name."), code="donor_required"
        )
    if fields.get("origin") != PremisesOrigin.DONATED:
        fields["donor"] = ""
    services = list(dict.fromkeys(fields.get("services") or []))
    if any(s not in FacilityService.values for s in services):
        errors["services"] = ValidationError(_("Choose services from the list."), code="invalid")
    fields["services"] = services
    if (fields.get("capacity") or 0) < 0:
        errors["capacity"] = ValidationError(_("Capacity cannot be negative."), code="negative")
    floor_area = fields.get("floor_area_m2")
    if floor_area is not None and floor_area <= Decimal(0):
        errors["floor_area_m2"] = ValidationError(
            _("The floor area must be more than zero."), code="negative"
        )
    try:
        validate_service_phone(fields["phone"])
    except ValidationError as error:
        errors.update(error.error_dict)
    operator = fields.get("operator")
    if operator is not None and (
        operator.type not in OPERATOR_TYPES or not _organisation_serves(operator, community)
    ):
        errors["operator"] = ValidationError(
            _("The operator must be an organisation of this community or above it."),
            code="operator_outside",
        )
    if errors:
        raise ValidationError(errors)
    return fields


FACILITY_FIELDS = (
    "name",
    "type",
    "address",
    "origin",
    "donor",
    "services",
    "capacity",
    "floor_area_m2",
    "ground_floor",
    "licence_number",
    "opening_hours",
    "phone",
    "operator",
    "is_open",
)


@transaction.atomic
def facility_create(*, actor, community: Area, **fields) -> Facility:
    """Register a care premises in a community the actor may create facilities in."""
    if not may_at(actor, Action.CREATE, KIND, community):
        raise PermissionDenied
    unknown = set(fields) - set(FACILITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown facility fields: {sorted(unknown)}")
    fields = _clean_facility(fields, community)
    return Facility.objects.create(community=community, **fields)


@transaction.atomic
def facility_update(*, actor, facility: Facility, community: Area, **fields) -> Facility:
    """Edit a facility's details; moving it needs the right to create at the new place,
    so an edit never puts a facility out of the editor's own reach."""
    facility = Facility.objects.select_for_update().get(pk=facility.pk)
    if not may_manage(actor, facility):
        raise PermissionDenied
    if community.pk != facility.community_id and not may_at(actor, Action.CREATE, KIND, community):
        raise field_error(
            "community", _("You may not move the facility to this community."), "outside_scope"
        )
    fields = _clean_facility(fields, community)
    changed = [
        name
        for name, value in {"community": community, **fields}.items()
        if getattr(facility, name) != value
    ]
    if not changed:
        return facility
    for name in changed:
        setattr(facility, name, community if name == "community" else fields[name])
    facility.save(update_fields=changed)
    return facility


@transaction.atomic
def service_log_record(
    *,
    actor,
    facility: Facility,
    date: date,
    meals_dine_in: int = 0,
    meals_delivered: int = 0,
    day_care: int = 0,
    classes: int = 0,
    note: str = "",
    now=None,
) -> tuple[ServiceLog, bool]:
    """One day's counts for a facility; recording the same day again replaces them.

    Returns (log, created)."""
    now = now or timezone.now()
    if not can(actor, Action.CHANGE, facility):
        raise PermissionDenied
    if date > timezone.localdate(now):
        raise field_error("date", _("The day cannot be in the future."), "future")
    counts = {
        "meals_dine_in": meals_dine_in,
        "meals_delivered": meals_delivered,
        "day_care": day_care,
        "classes": classes,
    }
    errors = {
        name: ValidationError(_("Enter a whole number from 0 to 100000."), code="out_of_range")
        for name, value in counts.items()
        if value is None or not 0 <= value <= MAX_DAILY_COUNT
    }
    if errors:
        raise ValidationError(errors)
    values = {**counts, "note": (note or "").strip()}
    # The facility row lock serialises two entries of the same day, so neither hits
    # the one-log-per-day constraint.
    Facility.objects.select_for_update().filter(pk=facility.pk).first()
    log = ServiceLog.objects.filter(facility=facility, date=date).first()
    if log is None:
        log = ServiceLog.objects.create(
            facility=facility, date=date, recorded_by=actor, recorded_at=now, **values
        )
        return log, True
    if all(getattr(log, name) == value for name, value in values.items()):
        return log, False
    for name, value in values.items():
        setattr(log, name, value)
    log.recorded_by, log.recorded_at = actor, now
    log.save()
    return log, False


# --- Reads ----------------------------------------------------------------------


LOG_TOTALS = ("meals_dine_in", "meals_delivered", "day_care", "classes")


def log_totals(logs) -> dict[str, int]:
    """Sums of a set of service logs, with zero for none."""
    sums = logs.aggregate(**{name: Sum(name) for name in LOG_TOTALS})
    totals = {name: sums[name] or 0 for name in LOG_TOTALS}
    totals["meals"] = totals["meals_dine_in"] + totals["meals_delivered"]
    return totals


def facility_summary(facility: Facility, *, today: date) -> dict:
    """Recent logs and their totals, and the totals since the facility opened."""
    since = today - timedelta(days=RECENT_DAYS - 1)
    recent = facility.logs.filter(date__gte=since).select_related("recorded_by")
    return {
        "recent_logs": list(recent.order_by("-date")),
        "recent_totals": log_totals(facility.logs.filter(date__gte=since)),
        "all_totals": log_totals(facility.logs.all()),
        "since": since,
    }


def service_labels(codes) -> list[str]:
    labels = dict(FacilityService.choices)
    return [str(labels[c]) for c in codes if c in labels]


@dataclass
class AreaOption:
    area: Area
    label: str


def meal_point_areas() -> list[AreaOption]:
    """Counties, towns and communities that have a meal point or canteen in service,
    each labelled with its parents, in tree order: the finder's one select."""
    paths = set(meal_points().values_list("community__path", flat=True).distinct())
    wanted = paths | paths_above(paths)
    levels = (AreaLevel.DISTRICT, AreaLevel.SUBDISTRICT, AreaLevel.COMMUNITY)
    areas = list(Area.objects.filter(path__in=wanted, level__in=levels).order_by("path"))
    names = {a.path: a.name for a in areas}
    options = []
    for a in areas:
        parent = names.get(a.path[: -Area.steplen])
        label = f"{parent} › {a.name}" if parent else a.name
        options.append(AreaOption(area=a, label=label))
    return options


def meal_points(area: Area | None = None):
    """Meal points and canteens in service (public facts only), in `area` if given."""
    points = Facility.objects.published().filter(type__in=MEAL_TYPES)
    if area is not None:
        points = points.filter(community__path__startswith=area.path)
    return points
