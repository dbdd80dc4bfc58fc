"""The housing lists' exports: the registry (one row per residence) and estate issues.

Same scope and masking as the pages: ID numbers and phones leave only masked.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Case
from portal.roles import Action

from .models import EstateIssue, Household, Person, Residence


def _exportable(queryset, user):
    """Rows the user may both see and export.

    The portal cuts an export's rows again by EXPORT through the exported model's own
    `visible_to`; a residence has none, so its provider cuts households and people here.
    """
    return queryset.visible_to(user).filter(
        pk__in=queryset.model.objects.visible_to(user, Action.EXPORT).values("pk")
    )


def _estate_id(params) -> int | None:
    value = (params.get("estate") or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(_("Choose an estate from the list."), code="estate")
    return int(value)


# --- The registry ----------------------------------------------------------------------

REGISTRY_COLUMNS = (
    (gettext_lazy("estate"), lambda r: r.household.unit.building.estate.name),
    (gettext_lazy("building"), lambda r: r.household.unit.building.number),
    (gettext_lazy("unit"), lambda r: r.household.unit.number),
    (gettext_lazy("room"), lambda r: r.household.room_number),
    (gettext_lazy("floor"), lambda r: r.household.floor),
    (gettext_lazy("registered floor area (m²)"), lambda r: r.household.area_m2),
    (gettext_lazy("occupancy"), lambda r: r.household.get_occupancy_display()),
    (gettext_lazy("name"), lambda r: r.person.name),
    (gettext_lazy("ID card number"), lambda r: r.person.masked_id_number),
    (gettext_lazy("mobile phone"), lambda r: r.person.masked_phone),
    (gettext_lazy("relation"), lambda r: r.get_relation_display()),
)


def registry_rows(user, params):
    """One row per residence the user may see: its household's and its person's."""
    residences = (
        Residence.objects.filter(
            household__in=_exportable(Household.objects.all(), user),
            person__in=_exportable(Person.objects.all(), user),
        )
        .select_related("person", "household__unit__building__estate")
        .order_by(
            "household__unit__building__estate__name",
            "household__unit__building__number",
            "household__unit__number",
            "household__floor",
            "household__room_number",
            "pk",
        )
    )
    if (estate := _estate_id(params)) is not None:
        residences = residences.filter(household__unit__building__estate_id=estate)
    return residences


# --- Estate issues ---------------------------------------------------------------------


def _status_label(value: str) -> str:
    try:
        return EstateIssue.Status(value).label
    except ValueError:
        return value


ISSUE_COLUMNS = (
    (gettext_lazy("reference number"), lambda i: i.case.reference),
    (gettext_lazy("estate"), lambda i: i.estate.name),
    (gettext_lazy("category"), lambda i: i.get_category_display()),
    (gettext_lazy("status"), lambda i: _status_label(i.case.status)),
    (gettext_lazy("filed at"), lambda i: i.case.created_at),
    (gettext_lazy("due"), lambda i: i.case.due_at),
    (gettext_lazy("closed at"), lambda i: i.case.closed_at),
    (gettext_lazy("name of the person filing"), lambda i: i.case.masked_filer_name),
    (gettext_lazy("phone of the person filing"), lambda i: i.case.masked_filer_phone),
)


def issue_rows(user, params):
    """The estate issues whose cases the user may see, newest first."""
    cases = Case.objects.visible_to(user).filter(kind="housing.issue")
    issues = (
        EstateIssue.objects.filter(case__in=cases)
        .select_related("case", "estate")
        .order_by("-case__created_at", "-pk")
    )
    if (estate := _estate_id(params)) is not None:
        issues = issues.filter(estate_id=estate)
    if status := (params.get("status") or "").strip():
        if status not in EstateIssue.Status.values:
            raise ValidationError(_("Choose a status from the list."), code="status")
        issues = issues.filter(case__status=status)
    return issues
