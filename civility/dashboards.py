"""The civility dashboard tiles, from the measures (civility/measures.py): the criteria
set in force against the one it replaced (Rui'an's 140 → 65), inspections and findings
in the period, the share fixed on the spot, sites settled in one visit, overdue orders,
problems sent to the district platform (in the period, and the last 12 months against
the 12 before), outreach events with their audiences and the size of the outreach teams.

Seven queries whatever the number of rows; aggregates only, no tile names a person. The
league table (`by_area`) costs three and the trend (`trend`) one.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.breakdowns import by_area_prefix, combine, per_month
from portal.registry import Tile
from portal.workdays import local_day

from . import measures
from .models import Finding, Inspection, OutreachTeam, Resolution, SupervisionOrder, TeamMember
from .services.findings import withdrawn_q

NONE = "—"


def criteria_change(m: measures.Measures) -> str:
    """ "140 → 65", or just the size of the set in force when it replaced none."""
    if m.criteria_in_force is None:
        return NONE
    if m.criteria_previous is None:
        return str(m.criteria_in_force)
    return f"{m.criteria_previous} → {m.criteria_in_force}"


def percent(value: int | None, *, signed: bool = False) -> str:
    if value is None:
        return NONE
    return f"{value:+d}%" if signed else f"{value}%"


def share(value: int | None):
    """A percentage as a number, so league tables sort by it; "—" without a base."""
    return NONE if value is None else value


def team_members(user, area) -> int:
    """Members of the outreach teams kept in `area` or below (Tuanjie's lecture group: 22)."""
    teams = OutreachTeam.objects.visible_to(user).filter(area__path__startswith=area.path)
    return TeamMember.objects.filter(team__in=teams).count()


def tiles(*, user, area, start, end, now=None) -> list[Tile]:
    now = now or timezone.now()
    m = measures.compute(
        user=user,
        area=area,
        start=local_day(start),
        end=local_day(end),
        today=timezone.localdate(now),
        with_recurring=False,
    )
    per_inspection = m.findings_per_inspection
    return [
        Tile(_("Criteria: the previous set → the set in force"), criteria_change(m), "criteria"),
        Tile(_("Inspections in the period"), m.inspections, "inspections"),
        Tile(_("Joint inspections in the period"), m.joint_inspections, "joint_inspections"),
        Tile(_("Findings in the period"), m.findings, "findings"),
        Tile(
            _("Findings per inspection"),
            NONE if per_inspection is None else per_inspection,
            "findings_per_inspection",
        ),
        Tile(
            _("Share of findings fixed on the spot (%)"),
            share(m.fixed_on_spot_share),
            "fixed_share",
        ),
        Tile(
            _("Sites settled in one visit"),
            f"{m.sites_settled_in_one_visit} / {m.sites_inspected}",
            "settled_in_one_visit",
        ),
        Tile(_("Overdue supervision orders"), m.overdue_orders, "overdue_orders"),
        Tile(
            _("Problems sent to the district platform in the period"),
            m.platform_in_period,
            "platform_in_period",
        ),
        Tile(
            _("Problems sent to the district platform, last 12 months"),
            m.platform_last_12_months,
            "platform_last_12_months",
        ),
        Tile(
            _("Problems sent to the district platform, the 12 months before"),
            m.platform_previous_12_months,
            "platform_previous_12_months",
        ),
        Tile(
            _("Change in problems sent to the platform"),
            percent(m.platform_change, signed=True),
            "platform_change",
        ),
        Tile(_("Outreach events in the period"), m.events, "outreach_events"),
        Tile(_("Audience of the outreach events"), m.audience, "outreach_audience"),
        Tile(_("Of whom minors"), m.minors, "outreach_minors"),
        Tile(_("Materials handed out"), m.materials, "outreach_materials"),
        Tile(_("Members of outreach teams"), team_members(user, area), "outreach_team_members"),
    ]


FIGURES = (
    ("inspections", _("Inspections in the period")),
    ("findings", _("Findings in the period")),
    ("fixed_share", _("Share of findings fixed on the spot (%)")),
    ("overdue_orders", _("Overdue supervision orders")),
    ("platform_in_period", _("Problems sent to the district platform in the period")),
)


def by_area(*, user, areas, start, end, now=None) -> dict[int, dict]:
    """Inspections, findings, the share fixed on the spot, overdue orders and problems
    sent to the platform, as `tiles` counts them, for each of `areas`: one GROUP BY per
    table, three queries."""
    first_day, last_day = local_day(start), local_day(end)
    today = timezone.localdate(now or timezone.now())
    inspections = by_area_prefix(
        Inspection.objects.visible_to(user).filter(inspected_on__range=(first_day, last_day)),
        "site__area__path",
        areas,
        inspections=Count("pk"),
    )
    in_period = Q(inspection__inspected_on__range=(first_day, last_day))
    findings = by_area_prefix(
        Finding.objects.visible_to(user).exclude(withdrawn_q()),
        "site__area__path",
        areas,
        findings=Count("pk", filter=in_period),
        fixed=Count("pk", filter=in_period & Q(resolution=Resolution.FIXED_ON_SPOT)),
        platform_in_period=Count(
            "pk", filter=measures.sent_to_platform_between(first_day, last_day)
        ),
    )
    for figures in findings.values():
        fixed = figures.pop("fixed")
        figures["fixed_share"] = share(measures.fixed_on_spot_share(fixed, figures["findings"]))
    orders = by_area_prefix(
        SupervisionOrder.objects.visible_to(user).filter(
            case__closed_at__isnull=True, deadline__lt=today
        ),
        "case__community__path",
        areas,
        overdue_orders=Count("pk"),
    )
    return combine(inspections, findings, orders)


def trend(*, user, area, start, end) -> list[tuple[str, dict]]:
    """Problems sent to the district platform per month of the period, in one query."""
    first_day, last_day = local_day(start), local_day(end)
    sent = (
        Finding.objects.visible_to(user)
        .filter(site__area__path__startswith=area.path)
        .exclude(withdrawn_q())
        .filter(measures.sent_to_platform_between(first_day, last_day))
    )
    return per_month(sent, "case__created_at", start=start, end=end, platform_in_period=Count("pk"))


__all__ = ["FIGURES", "by_area", "tiles", "trend"]
