"""The civility measures for an area (its whole subtree) and a period, computed in SQL.

Seven queries whatever the number of rows (plus the user's memberships, once per
request):

1. inspections in the period;
2. sites inspected in the period and those settled in one visit;
3. findings of the period's inspections by resolution, and the findings sent to the
   district platform in the period, in the last 12 months and in the 12 months before;
4. overdue supervision orders;
5. the criteria set in force and the set it replaced, with their sizes;
6. recurring failures by criterion (left out when the caller does not show them);
7. outreach events, audiences, minors and materials in the period.

Every row is read through `visible_to(user)`, so a figure never counts what the user may
not see. The one exception is the criteria set in force: the standard that governs an
area is often kept at an area above the user's (a city's set governs its communities),
and it names no one, so it is read from the area and its ancestors directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.models import Area
from portal.workdays import day_start

from .models import (
    Answer,
    Criterion,
    Finding,
    Inspection,
    Mode,
    OutreachEvent,
    Resolution,
    Result,
    Site,
    SupervisionOrder,
)
from .services.criteria import in_force_candidates
from .services.findings import withdrawn_q

# Resolutions that close a finding during the visit itself, with nothing to come back for.
SETTLED_ON_THE_VISIT = (Resolution.FIXED_ON_SPOT, Resolution.VERBAL, Resolution.SELF_FIX)
RECURRING_MIN_INSPECTIONS = 2
RECURRING_TOP = 10


@dataclass(frozen=True)
class Recurring:
    code: str
    text: str
    inspections: int


@dataclass
class Measures:
    """The figures of one area and period; shares and ratios are None without a base."""

    area: Area
    start: date
    end: date
    inspections: int = 0
    joint_inspections: int = 0
    sites_inspected: int = 0
    sites_settled_in_one_visit: int = 0
    findings: int = 0
    fixed_on_spot: int = 0
    verbal: int = 0
    self_fixed: int = 0
    deadline: int = 0
    overdue_orders: int = 0
    platform_in_period: int = 0
    platform_last_12_months: int = 0
    platform_previous_12_months: int = 0
    criteria_set_name: str = ""
    criteria_in_force: int | None = None
    criteria_previous: int | None = None
    recurring: list[Recurring] = field(default_factory=list)
    events: int = 0
    audience: int = 0
    minors: int = 0
    materials: int = 0

    @property
    def findings_per_inspection(self) -> float | None:
        return round(self.findings / self.inspections, 2) if self.inspections else None

    @property
    def fixed_on_spot_share(self) -> int | None:
        """Percent of the period's findings fixed on the spot."""
        return fixed_on_spot_share(self.fixed_on_spot, self.findings)

    @property
    def settled_share(self) -> int | None:
        if not self.sites_inspected:
            return None
        return round(100 * self.sites_settled_in_one_visit / self.sites_inspected)

    @property
    def platform_change(self) -> int | None:
        """Percent change of platform problems, last 12 months against the 12 before."""
        before = self.platform_previous_12_months
        if not before:
            return None
        return round(100 * (self.platform_last_12_months - before) / before)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def platform_windows(today: date) -> tuple[datetime, datetime, datetime]:
    """Where the previous 12 months start, the last 12 months start, and both end: the
    last 12 months run up to the end of `today`."""
    end_day = today + timedelta(days=1)
    last_start = _year_before(end_day)
    return day_start(_year_before(last_start)), day_start(last_start), day_start(end_day)


def criteria_in_force_query(area: Area, today: date):
    """The set in force for `area`: the latest `valid_from` on or before today at the
    area or its nearest ancestor that has one; annotated with its size and the size of
    the set it replaced."""

    def size(outer: str):
        return Subquery(
            Criterion.objects.filter(criteria_set=OuterRef(outer))
            .order_by()
            .values("criteria_set")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        )

    return in_force_candidates(area, today).annotate(
        size=size("pk"), previous_size=size("previous")
    )


def sent_to_platform_between(start: date, end: date) -> Q:
    """Findings sent to the district platform that were filed from `start` to `end`
    (dates, inclusive): the tile, the league table and the trend count the same rows."""
    return Q(
        sent_to_platform=True,
        case__created_at__gte=day_start(start),
        case__created_at__lt=day_start(end + timedelta(days=1)),
    )


def fixed_on_spot_share(fixed: int, findings: int) -> int | None:
    """Percent of `findings` fixed on the spot, None without findings."""
    return round(100 * fixed / findings) if findings else None


def unsettled_findings() -> Q:
    """A finding that needs a second look: a deadline, no resolution yet, or an order."""
    return (
        ~Q(resolution__in=SETTLED_ON_THE_VISIT) | Q(order__isnull=False) | Q(sent_to_platform=True)
    )


def recurring_failures(inspections) -> list[Recurring]:
    """The criteria failed in at least two of `inspections`, most often failed first."""
    return [
        Recurring(row["criterion__code"], row["criterion__text"], row["times"])
        for row in Answer.objects.filter(
            inspection__in=inspections.values("pk"), result=Result.FAIL
        )
        .values("criterion_id", "criterion__code", "criterion__text")
        .annotate(times=Count("inspection_id", distinct=True))
        .filter(times__gte=RECURRING_MIN_INSPECTIONS)
        .order_by("-times", "criterion__code", "criterion_id")[:RECURRING_TOP]
    ]


def compute(
    *,
    user,
    area: Area,
    start: date,
    end: date,
    today: date | None = None,
    with_recurring: bool = True,
) -> Measures:
    """The measures of `area` (and below) from `start` to `end` (dates, inclusive), as
    `user` may see them; `with_recurring=False` skips the recurring failures (one query)
    for callers that do not show them.

    Sites settled in one visit: of the distinct sites with at least one inspection in
    the period, those where none of the period's inspections of the site was a re-check
    (回头看) and none of the findings those inspections produced was left for later, i.e.
    every finding was fixed on the spot, handed over verbally or fixed by the unit's own
    inspection, with no deadline rectification, nothing sent to the platform and no
    supervision order. A site inspected with no finding at all is settled too.
    """
    today = today or timezone.localdate()
    m = Measures(area=area, start=start, end=end)
    inspections = Inspection.objects.visible_to(user).filter(
        site__area__path__startswith=area.path, inspected_on__range=(start, end)
    )

    figures = inspections.aggregate(n=Count("pk"), joint=Count("pk", filter=Q(mode=Mode.JOINT)))
    m.inspections, m.joint_inspections = figures["n"], figures["joint"]

    site_visits = Inspection.objects.filter(site=OuterRef("pk"), pk__in=inspections.values("pk"))
    unsettled = site_visits.filter(
        Q(mode=Mode.RECHECK)
        | Q(
            pk__in=Finding.objects.exclude(withdrawn_q())
            .filter(unsettled_findings())
            .values("inspection_id"),
        )
    )
    sites = Site.objects.filter(pk__in=inspections.values("site_id")).aggregate(
        inspected=Count("pk"), settled=Count("pk", filter=~Exists(unsettled))
    )
    m.sites_inspected, m.sites_settled_in_one_visit = sites["inspected"], sites["settled"]

    previous_from, last_from, last_until = platform_windows(today)
    in_period = Q(inspection__inspected_on__range=(start, end))
    sent = Q(sent_to_platform=True)
    findings = (
        Finding.objects.visible_to(user)
        .filter(site__area__path__startswith=area.path)
        .exclude(withdrawn_q())
        .aggregate(
            n=Count("pk", filter=in_period),
            fixed=Count("pk", filter=in_period & Q(resolution=Resolution.FIXED_ON_SPOT)),
            verbal=Count("pk", filter=in_period & Q(resolution=Resolution.VERBAL)),
            self_fixed=Count("pk", filter=in_period & Q(resolution=Resolution.SELF_FIX)),
            deadline=Count("pk", filter=in_period & Q(resolution=Resolution.DEADLINE)),
            sent_in_period=Count("pk", filter=sent_to_platform_between(start, end)),
            last=Count(
                "pk",
                filter=sent & Q(case__created_at__gte=last_from, case__created_at__lt=last_until),
            ),
            previous=Count(
                "pk",
                filter=sent
                & Q(case__created_at__gte=previous_from, case__created_at__lt=last_from),
            ),
        )
    )
    m.findings, m.fixed_on_spot = findings["n"], findings["fixed"]
    m.verbal, m.self_fixed, m.deadline = (
        findings["verbal"],
        findings["self_fixed"],
        findings["deadline"],
    )
    m.platform_in_period = findings["sent_in_period"]
    m.platform_last_12_months = findings["last"]
    m.platform_previous_12_months = findings["previous"]

    m.overdue_orders = (
        SupervisionOrder.objects.visible_to(user)
        .filter(
            case__community__path__startswith=area.path,
            case__closed_at__isnull=True,
            deadline__lt=today,
        )
        .count()
    )

    in_force = criteria_in_force_query(area, today).values("name", "size", "previous_size")[:1]
    for row in in_force:
        m.criteria_set_name = row["name"]
        m.criteria_in_force = row["size"] or 0
        m.criteria_previous = row["previous_size"]

    if with_recurring:
        m.recurring = recurring_failures(inspections)

    zero = Value(0)
    events = (
        OutreachEvent.objects.visible_to(user)
        .filter(area__path__startswith=area.path, held_on__range=(start, end))
        .aggregate(
            n=Count("pk"),
            audience=Coalesce(Sum("audience"), zero),
            minors=Coalesce(Sum("minors"), zero),
            materials=Coalesce(Sum("materials"), zero),
        )
    )
    m.events, m.audience = events["n"], events["audience"]
    m.minors, m.materials = events["minors"], events["materials"]
    return m


__all__ = [
    "Measures",
    "Recurring",
    "compute",
    "criteria_in_force_query",
    "fixed_on_spot_share",
    "platform_windows",
    "sent_to_platform_between",
]
