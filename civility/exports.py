"""The civility exports: findings, supervision orders and outreach events.

None carries personal data. A finding or an order is about a place and the unit that
answers for it, never about the inspectors or the unit's staff who replied; an event
leaves as counts (audience, minors, materials), without its free-text organiser and
note, which might name someone.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.services.exports import choice_label, choice_param, date_param, yes_no

from .models import (
    EventType,
    Finding,
    FindingStatus,
    OrderLevel,
    OrderStatus,
    OutreachEvent,
    PlaceType,
    Resolution,
    Severity,
    SiteType,
    SupervisionOrder,
)


def _period(params) -> tuple[date | None, date | None]:
    start, end = date_param(params, "start"), date_param(params, "end")
    if start and end and start > end:
        raise ValidationError(_("The period must end after it starts."), code="order")
    return start, end


# --- Findings --------------------------------------------------------------------------

FINDING_COLUMNS = (
    (gettext_lazy("reference number"), lambda f: f.case.reference),
    (gettext_lazy("site"), lambda f: f.site.name),
    (gettext_lazy("site type"), lambda f: choice_label(SiteType, f.site.type)),
    (gettext_lazy("criterion code"), lambda f: f.criterion.code),
    (gettext_lazy("severity"), lambda f: choice_label(Severity, f.severity)),
    (
        gettext_lazy("resolution"),
        lambda f: choice_label(Resolution, f.resolution) if f.resolution else "",
    ),
    (gettext_lazy("status"), lambda f: choice_label(FindingStatus, f.case.status)),
    (gettext_lazy("inspected on"), lambda f: f.inspection.inspected_on),
    (gettext_lazy("filed at"), lambda f: f.case.created_at),
    (gettext_lazy("rectify by"), lambda f: f.rectify_by),
    (gettext_lazy("resolved at"), lambda f: f.resolved_at),
    (gettext_lazy("sent to the district platform"), lambda f: yes_no(f.sent_to_platform)),
    (gettext_lazy("responsible unit"), lambda f: f.site.responsible_unit.name),
)


def finding_rows(user, params):
    """The findings the user may see, newest first; `resolution`, `start` and `end`
    (the inspection date, YYYY-MM-DD) filter."""
    resolution = choice_param(
        params, "resolution", Resolution, _("Choose a resolution from the list.")
    )
    start, end = _period(params)
    findings = (
        Finding.objects.visible_to(user)
        .select_related("case", "site__responsible_unit", "criterion", "inspection")
        .order_by("-case__created_at", "-pk")
    )
    if resolution:
        findings = findings.filter(resolution=resolution)
    if start:
        findings = findings.filter(inspection__inspected_on__gte=start)
    if end:
        findings = findings.filter(inspection__inspected_on__lte=end)
    return findings


# --- Supervision orders ------------------------------------------------------------------

ORDER_COLUMNS = (
    (gettext_lazy("reference number"), lambda o: o.case.reference),
    (gettext_lazy("responsible unit"), lambda o: o.responsible_unit.name),
    (gettext_lazy("level"), lambda o: choice_label(OrderLevel, o.level)),
    (gettext_lazy("status"), lambda o: choice_label(OrderStatus, o.case.status)),
    (gettext_lazy("findings"), lambda o: o.finding_count),
    (gettext_lazy("issued at"), lambda o: o.case.created_at),
    (gettext_lazy("deadline"), lambda o: o.deadline),
    (gettext_lazy("replied at"), lambda o: o.replied_at),
    (gettext_lazy("re-checked at"), lambda o: o.rechecked_at),
    (gettext_lazy("closed at"), lambda o: o.case.closed_at),
)


def order_rows(user, params):
    """The orders the user may see, newest first; `level` and `status` filter."""
    level = choice_param(params, "level", OrderLevel, _("Choose a level from the list."))
    status = choice_param(params, "status", OrderStatus, _("Choose a status from the list."))
    orders = (
        SupervisionOrder.objects.visible_to(user)
        .select_related("case", "responsible_unit")
        .annotate(finding_count=Count("findings"))
        .order_by("-case__created_at", "-pk")
    )
    if level:
        orders = orders.filter(level=level)
    if status:
        orders = orders.filter(case__status=status)
    return orders


# --- Outreach events ---------------------------------------------------------------------

EVENT_COLUMNS = (
    (gettext_lazy("area"), lambda e: e.area.name),
    (gettext_lazy("type"), lambda e: choice_label(EventType, e.type)),
    (gettext_lazy("theme"), lambda e: e.theme),
    (gettext_lazy("date"), lambda e: e.held_on),
    (gettext_lazy("place"), lambda e: choice_label(PlaceType, e.place_type)),
    (gettext_lazy("place name"), lambda e: e.place_name),
    (gettext_lazy("organising team"), lambda e: e.team.name if e.team else ""),
    (gettext_lazy("audience"), lambda e: e.audience),
    (gettext_lazy("of whom minors"), lambda e: e.minors),
    (gettext_lazy("materials handed out"), lambda e: e.materials),
)


def event_rows(user, params):
    """The events the user may see, newest first; `type`, `start` and `end` filter."""
    type_ = choice_param(params, "type", EventType, _("Choose a type from the list."))
    start, end = _period(params)
    events = (
        OutreachEvent.objects.visible_to(user)
        .select_related("area", "team")
        .order_by("-held_on", "-pk")
    )
    if type_:
        events = events.filter(type=type_)
    if start:
        events = events.filter(held_on__gte=start)
    if end:
        events = events.filter(held_on__lte=end)
    return events


__all__ = [
    "EVENT_COLUMNS",
    "FINDING_COLUMNS",
    "ORDER_COLUMNS",
    "event_rows",
    "finding_rows",
    "order_rows",
]
