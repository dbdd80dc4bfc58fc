"""Housing's dashboard tiles: estates by mode, roster gaps, issues, desk visits.

Every figure is one aggregate query over what the user may see under the area; the
league table groups the issue and desk-visit figures by child area in two queries.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from portal.breakdowns import by_area_prefix, combine
from portal.models import Case
from portal.registry import Tile

from . import governance
from .models import DeskVisit, Estate, ManagementMode


def tiles(*, user, area, start, end) -> list[Tile]:
    estates = Estate.objects.visible_to(user).filter(community__path__startswith=area.path)
    modes = dict(estates.values_list("management_mode").annotate(n=Count("pk")))
    any_gap = Q()
    for code in governance.GAP_CODES:
        any_gap |= Q(**{f"gap_{code}": True})
    with_gaps = governance.annotate_gaps(estates).filter(any_gap).count()
    issues = (
        Case.objects.visible_to(user)
        .filter(kind="housing.issue", community__path__startswith=area.path)
        .aggregate(
            open=Count("pk", filter=Q(closed_at__isnull=True)),
            escalated=Count("pk", filter=Q(closed_at__isnull=True, escalated_at__isnull=False)),
            filed=Count("pk", filter=Q(created_at__range=(start, end))),
        )
    )
    visits = (
        DeskVisit.objects.visible_to(user)
        .filter(estate__community__path__startswith=area.path, scheduled_at__range=(start, end))
        .count()
    )
    return [
        *(Tile(mode.label, modes.get(mode.value, 0), "estates_by_mode") for mode in ManagementMode),
        Tile(_("Estates with roster gaps"), with_gaps, "roster_gaps"),
        Tile(_("Open estate issues"), issues["open"], "open_issues"),
        Tile(_("Escalated estate issues"), issues["escalated"], "escalated_issues"),
        Tile(_("Estate issues filed in the period"), issues["filed"], "issues_filed"),
        Tile(_("Desk visits in the period"), visits, "desk_visits"),
    ]


FIGURES = (
    ("open_issues", _("Open estate issues")),
    ("escalated_issues", _("Escalated estate issues")),
    ("issues_filed", _("Estate issues filed in the period")),
    ("desk_visits", _("Desk visits in the period")),
)


def by_area(*, user, areas, start, end) -> dict[int, dict]:
    """The issue and desk-visit figures of `tiles` for each of `areas`, in two queries."""
    issues = by_area_prefix(
        Case.objects.visible_to(user).filter(kind="housing.issue"),
        "community__path",
        areas,
        open_issues=Count("pk", filter=Q(closed_at__isnull=True)),
        escalated_issues=Count("pk", filter=Q(closed_at__isnull=True, escalated_at__isnull=False)),
        issues_filed=Count("pk", filter=Q(created_at__range=(start, end))),
    )
    visits = by_area_prefix(
        DeskVisit.objects.visible_to(user).filter(scheduled_at__range=(start, end)),
        "estate__community__path",
        areas,
        desk_visits=Count("pk"),
    )
    return combine(issues, visits)
