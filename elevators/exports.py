"""The elevator projects export: the same scope as the project list, the initiator masked."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Project, Stage


def _stage_label(value: str) -> str:
    try:
        return Stage(value).label
    except ValueError:
        return value


PROJECT_COLUMNS = (
    (gettext_lazy("reference number"), lambda p: p.case.reference),
    (gettext_lazy("estate"), lambda p: p.unit.building.estate.name),
    (gettext_lazy("building"), lambda p: p.unit.building.number),
    (gettext_lazy("unit"), lambda p: p.unit.number),
    (gettext_lazy("stage"), lambda p: _stage_label(p.stage)),
    (gettext_lazy("initiator"), lambda p: p.initiator.masked_name if p.initiator else ""),
    (gettext_lazy("total cost (yuan)"), lambda p: p.total_cost),
    (gettext_lazy("subsidy (yuan)"), lambda p: p.subsidy),
)


def project_rows(user, params):
    """The projects the user may see, by estate, building and unit; `stage` filters."""
    projects = (
        Project.objects.visible_to(user)
        .select_related("case", "unit__building__estate", "initiator")
        .order_by("unit__building__estate__name", "unit__building__number", "unit__number", "pk")
    )
    if stage := (params.get("stage") or "").strip():
        if stage not in Stage.values:
            raise ValidationError(_("Choose a stage from the list."), code="stage")
        projects = projects.filter(stage=stage)
    return projects


__all__ = ["PROJECT_COLUMNS", "project_rows"]
