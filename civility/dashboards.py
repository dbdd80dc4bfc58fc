"""The civility dashboard tiles, from the measures (civility/measures.py): the criteria
set in force against the one it replaced (Rui'an's 140 → 65), inspections and findings
in the period, the share fixed on the spot, sites settled in one visit, overdue orders,
problems sent to the district platform (last 12 months against the 12 before), and
outreach events with their audiences.

Seven queries whatever the number of rows; aggregates only, no tile names a person.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.registry import Tile

from . import measures

NONE = "—"


def _day(value) -> date:
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


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


def tiles(*, user, area, start, end, now=None) -> list[Tile]:
    now = now or timezone.now()
    m = measures.compute(
        user=user, area=area, start=_day(start), end=_day(end), today=timezone.localdate(now)
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
            _("Share of findings fixed on the spot"), percent(m.fixed_on_spot_share), "fixed_share"
        ),
        Tile(
            _("Sites settled in one visit"),
            f"{m.sites_settled_in_one_visit} / {m.sites_inspected}",
            "settled_in_one_visit",
        ),
        Tile(_("Overdue supervision orders"), m.overdue_orders, "overdue_orders"),
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
    ]


__all__ = ["tiles"]
