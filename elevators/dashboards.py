"""The elevator dashboard tiles: projects by stage group, residents benefiting, money and
stalled projects.

Every figure is an aggregate query over the projects the user may see under the area
(the counts and sums share one query; residents benefiting has its own). A project is
live unless cancelled; it is stalled when live, not yet in use and its stage has not
changed for more than `STALLED_AFTER_DAYS` days.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from housing.models import Residence
from portal.breakdowns import by_area_prefix, combine
from portal.registry import Tile

from .models import IN_PREPARATION, IN_USE, UNDER_CONSTRUCTION, Project, Stage

STALLED_AFTER_DAYS = 90
ZERO = Decimal("0.00")


def _money_sum(field: str, live: Q):
    return Coalesce(
        Sum(field, filter=live),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def tiles(*, user, area, start, end, now=None) -> list[Tile]:
    now = now or timezone.now()
    projects = Project.objects.visible_to(user).filter(case__community__path__startswith=area.path)
    live = ~Q(stage=Stage.CANCELLED)
    figures = projects.aggregate(
        in_preparation=Count("pk", filter=Q(stage__in=IN_PREPARATION)),
        under_construction=Count("pk", filter=Q(stage__in=UNDER_CONSTRUCTION)),
        in_use=Count("pk", filter=Q(stage__in=IN_USE)),
        total_cost=_money_sum("total_cost", live),
        total_subsidy=_money_sum("subsidy", live),
        stalled=Count(
            "pk",
            filter=live
            & ~Q(stage__in=IN_USE)
            & Q(stage_changed_at__lt=now - timedelta(days=STALLED_AFTER_DAYS)),
        ),
    )
    benefiting = Residence.objects.filter(
        household__unit__in=projects.filter(stage__in=IN_USE).values("unit")
    ).aggregate(n=Count("person", distinct=True))["n"]
    return [
        Tile(_("Elevator projects in preparation"), figures["in_preparation"], "in_preparation"),
        Tile(
            _("Elevator projects under construction"),
            figures["under_construction"],
            "under_construction",
        ),
        Tile(_("Elevators in use"), figures["in_use"], "in_use"),
        Tile(_("Residents benefiting from elevators in use"), benefiting, "residents_benefiting"),
        Tile(
            _("Total cost of live elevator projects (yuan)"),
            Decimal(figures["total_cost"]).quantize(ZERO),
            "total_cost",
        ),
        Tile(
            _("Subsidy for live elevator projects (yuan)"),
            Decimal(figures["total_subsidy"]).quantize(ZERO),
            "total_subsidy",
        ),
        Tile(
            _("Stalled elevator projects (stage unchanged for over 90 days)"),
            figures["stalled"],
            "stalled",
        ),
    ]


FIGURES = (
    ("in_preparation", _("Elevator projects in preparation")),
    ("under_construction", _("Elevator projects under construction")),
    ("in_use", _("Elevators in use")),
    ("residents_benefiting", _("Residents benefiting from elevators in use")),
)


def by_area(*, user, areas, start, end) -> dict[int, dict]:
    """Projects by stage group and residents benefiting, as `tiles` counts them, for each
    of `areas` in two queries."""
    projects = Project.objects.visible_to(user)
    stages = by_area_prefix(
        projects,
        "case__community__path",
        areas,
        in_preparation=Count("pk", filter=Q(stage__in=IN_PREPARATION)),
        under_construction=Count("pk", filter=Q(stage__in=UNDER_CONSTRUCTION)),
        in_use=Count("pk", filter=Q(stage__in=IN_USE)),
    )
    # A resident of two flats under elevators of one area counts once there.
    benefiting = by_area_prefix(
        projects.filter(stage__in=IN_USE),
        "case__community__path",
        areas,
        residents_benefiting=Count("unit__households__residences__person", distinct=True),
    )
    return combine(stages, benefiting)


__all__ = ["FIGURES", "STALLED_AFTER_DAYS", "by_area", "tiles"]
