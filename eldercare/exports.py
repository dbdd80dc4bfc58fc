"""The eldercare exports: home adaptations, errands and care facilities.

Same scope as the lists; elders' names leave masked and no phone leaves at all. The
sensitive facts (an adaptation's eligibility category, the circumstances an errand
serves) are never exported: a file cannot log who opens it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.services.exports import choice_label, choice_param, yes_no

from .models import (
    Adaptation,
    AdaptationStage,
    Errand,
    ErrandService,
    ErrandStatus,
    Facility,
    FacilityService,
    FacilityType,
)


def _home(adaptation: Adaptation) -> str:
    household = adaptation.household
    unit = household.unit
    return f"{unit.building.estate.name} {unit.building.number}{unit.number}{household.room_number}"


# --- Home adaptations ---------------------------------------------------------------------

ADAPTATION_COLUMNS = (
    (gettext_lazy("reference number"), lambda a: a.case.reference),
    (gettext_lazy("community"), lambda a: a.case.community.name),
    (gettext_lazy("stage"), lambda a: choice_label(AdaptationStage, a.stage)),
    (gettext_lazy("elder"), lambda a: a.elder.masked_name),
    (gettext_lazy("home"), _home),
    (gettext_lazy("total cost (yuan)"), lambda a: a.total_cost),
    (gettext_lazy("subsidy (yuan)"), lambda a: a.subsidy),
    (gettext_lazy("self-pay (yuan)"), lambda a: a.self_pay),
    (gettext_lazy("other funding (yuan)"), lambda a: a.other_funding),
    (gettext_lazy("contractor"), lambda a: a.contractor.name if a.contractor else ""),
    (gettext_lazy("filed at"), lambda a: a.case.created_at),
    (gettext_lazy("due"), lambda a: a.case.due_at),
    (gettext_lazy("accepted on"), lambda a: a.accepted_on),
    (gettext_lazy("subsidy paid on"), lambda a: a.paid_on),
)


def adaptation_rows(user, params):
    """The adaptations the user may see, oldest first; `stage` filters."""
    stage = choice_param(params, "stage", AdaptationStage, _("Choose a stage from the list."))
    adaptations = (
        Adaptation.objects.visible_to(user)
        .select_related(
            "case__community", "elder", "household__unit__building__estate", "contractor"
        )
        .order_by("case__created_at", "pk")
    )
    return adaptations.filter(stage=stage) if stage else adaptations


# --- Errands ---------------------------------------------------------------------------

ERRAND_COLUMNS = (
    (gettext_lazy("reference number"), lambda e: e.case.reference),
    (gettext_lazy("community"), lambda e: e.case.community.name),
    (gettext_lazy("service"), lambda e: choice_label(ErrandService, e.service)),
    (gettext_lazy("status"), lambda e: choice_label(ErrandStatus, e.case.status)),
    (gettext_lazy("filed at"), lambda e: e.case.created_at),
    (gettext_lazy("wanted by"), lambda e: e.wanted_by),
    (gettext_lazy("done at"), lambda e: e.done_at),
    (gettext_lazy("closed at"), lambda e: e.case.closed_at),
)


def errand_rows(user, params):
    """The errands the user may see, newest first; `status` and `service` filter."""
    status = choice_param(params, "status", ErrandStatus, _("Choose a status from the list."))
    service = choice_param(params, "service", ErrandService, _("Choose a service from the list."))
    errands = (
        Errand.objects.visible_to(user)
        .select_related("case__community")
        .order_by("-case__created_at", "-pk")
    )
    if status:
        errands = errands.filter(case__status=status)
    if service:
        errands = errands.filter(service=service)
    return errands


# --- Facilities ------------------------------------------------------------------------


def _services(facility: Facility) -> str:
    return "、".join(choice_label(FacilityService, value) for value in facility.services or [])


FACILITY_COLUMNS = (
    (gettext_lazy("name"), lambda f: f.name),
    (gettext_lazy("type"), lambda f: choice_label(FacilityType, f.type)),
    (gettext_lazy("community"), lambda f: f.community.name),
    (gettext_lazy("address"), lambda f: f.address),
    (gettext_lazy("premises"), lambda f: f.get_origin_display()),
    (gettext_lazy("donor"), lambda f: f.donor),
    (gettext_lazy("services"), _services),
    (gettext_lazy("capacity (people)"), lambda f: f.capacity),
    (gettext_lazy("floor area (m²)"), lambda f: f.floor_area_m2),
    (gettext_lazy("on the ground floor"), lambda f: yes_no(f.ground_floor)),
    (gettext_lazy("licence number"), lambda f: f.licence_number),
    (gettext_lazy("opening hours"), lambda f: f.opening_hours),
    (gettext_lazy("in service"), lambda f: yes_no(f.is_open)),
)


def facility_rows(user, params):
    """The facilities the user may see, by name; `type` filters."""
    type_ = choice_param(params, "type", FacilityType, _("Choose a type from the list."))
    facilities = (
        Facility.objects.visible_to(user).select_related("community").order_by("name", "pk")
    )
    return facilities.filter(type=type_) if type_ else facilities


__all__ = [
    "ADAPTATION_COLUMNS",
    "ERRAND_COLUMNS",
    "FACILITY_COLUMNS",
    "adaptation_rows",
    "errand_rows",
    "facility_rows",
]
