"""Synthetic civility data for benchmarks, in the generated communities of `housing.load`.

For each generated community without inspection sites: four sites (a restaurant, a
market, a back street and an estate), `VISITS_PER_SITE` joint inspections of each over
several years and three findings each, most fixed on the spot, some in every other
status; a supervision order, in every status, for each finding put in one; and one
outreach event. Every table is written in bulk.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.load import CaseSpec, bulk_cases, moment
from portal.models import Area, Case, Organisation, TimelineEntry
from portal.roles import AreaLevel, OrganisationType

from .demo import (
    LOCAL_SIZES,
    FindingSpec,
    VisitSpec,
    _items,
    applicable,
    bulk_criteria_set,
    bulk_findings,
    bulk_inspections,
)
from .models import (
    CriteriaSet,
    Criterion,
    EventType,
    Finding,
    FindingStatus,
    Mode,
    OrderStatus,
    OutreachEvent,
    PlaceType,
    Resolution,
    Site,
    SiteType,
    SupervisionOrder,
)

GENERATED_PROVINCE = "负载测试省（生成）"
GENERATED_SET = "负载测试测评标准（生成）"
SITE_TYPES = (SiteType.RESTAURANT, SiteType.MARKET, SiteType.STREET, SiteType.ESTATE)
VISITS_PER_SITE = 12
# Every `len(RESTATED)`-th finding (by position) is put in another status than the one
# its resolution gives, so every status has findings.
RESTATED = [
    None,
    FindingStatus.OPEN,
    FindingStatus.ORDERED,
    FindingStatus.RECHECK_FAILED,
    FindingStatus.WITHDRAWN,
    FindingStatus.RECTIFYING,
    None,
    None,
    FindingStatus.ORDERED,
    None,
    None,
    None,
]
ORDER_STATUSES = list(OrderStatus)
SETTLED = (Resolution.FIXED_ON_SPOT, Resolution.FIXED_ON_SPOT, Resolution.VERBAL)


def _criteria_set(province: Area) -> CriteriaSet:
    existing = CriteriaSet.objects.filter(area=province, name=GENERATED_SET).first()
    if existing:
        return existing
    criteria_set, _criteria = bulk_criteria_set(
        province, GENERATED_SET, date(2024, 1, 1), _items(LOCAL_SIZES, "", "（生成）")
    )
    return criteria_set


def _restate(findings, unit, inspector) -> int:
    """Move some findings out of resolved/rectifying so every status has some, and put
    the ordered ones in supervision orders of every status. Returns the orders made."""
    moved: dict[str, list[int]] = {}
    for n, finding in enumerate(findings):
        status = RESTATED[n % len(RESTATED)]
        if status:
            moved.setdefault(status, []).append(finding.pk)
    open_pks = [
        pk for status, pks in moved.items() if status != FindingStatus.WITHDRAWN for pk in pks
    ]
    TimelineEntry.objects.filter(case_id__in=open_pks, verb=TimelineEntry.Verb.CLOSED).delete()
    Finding.objects.filter(pk__in=open_pks).update(resolved_at=None)
    for status, pks in moved.items():
        cases = Case.objects.filter(pk__in=pks)
        if status == FindingStatus.WITHDRAWN:
            cases.update(status=status, closed_at=F("created_at"), due_at=None)
        else:
            cases.update(status=status, closed_at=None, due_at=F("created_at") + timedelta(days=7))
    ordered = moved.get(FindingStatus.ORDERED, [])
    by_pk = {f.pk: f for f in findings}
    specs = []
    for n, pk in enumerate(ordered):
        status = ORDER_STATUSES[n % len(ORDER_STATUSES)]
        finding = by_pk[pk]
        specs.append(
            CaseSpec(
                community=finding.site.area,
                title=f"督办：{finding.site.name}"[:200],
                status=status,
                filed_at=moment(finding.inspection.inspected_on + timedelta(days=8), 10),
                closed=status == OrderStatus.CLOSED,
                due_days=10,
                organisation=unit,
            )
        )
    cases = bulk_cases("civility.order", "DB", specs, handler=inspector)
    orders = SupervisionOrder.objects.bulk_create(
        SupervisionOrder(
            case=case,
            responsible_unit=unit,
            deadline=case.created_at.date() + timedelta(days=10),
            requirements="限期整改并回复。",
            reply="" if case.status == OrderStatus.ISSUED else "已整改。",
            replied_at=None
            if case.status == OrderStatus.ISSUED
            else case.created_at + timedelta(days=5),
            replied_by=None if case.status == OrderStatus.ISSUED else inspector,
            rechecked_at=case.closed_at,
        )
        for case in cases
    )
    for pk, order in zip(ordered, orders, strict=True):
        by_pk[pk].order = order
    Finding.objects.bulk_update([by_pk[pk] for pk in ordered], ["order"], batch_size=2000)
    return len(orders)


@transaction.atomic
def generate(*, communities: int, today: date, **_kwargs) -> str:
    """Civility rows for up to `communities` generated communities that have no site yet."""
    province = Area.objects.filter(name=GENERATED_PROVINCE, depth=1).first()
    if province is None:
        return "no generated communities: the housing generator runs first"
    communities = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
        .exclude(pk__in=Site.objects.values("area"))
        .order_by("path")[:communities]
    )
    if not communities:
        return "0 communities"
    district = (
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.DISTRICT)
        .order_by("path")
        .first()
    )
    unit, _created = Organisation.objects.get_or_create(
        name="负载测试区综合行政执法局（生成）",
        defaults={"type": OrganisationType.DEPARTMENT, "area": district, "is_placeholder": True},
    )
    criteria_set = _criteria_set(province)
    checklist = list(Criterion.objects.filter(criteria_set=criteria_set).order_by("code"))
    inspector = get_user_model().objects.filter(is_superuser=True).first()

    sites = Site.objects.bulk_create(
        Site(
            area=community,
            type=type_,
            name=f"{community.name}{SiteType(type_).label}{n + 1}（生成）",
            address=f"{community.name}（生成）",
            responsible_unit=unit,
        )
        for community in communities
        for n, type_ in enumerate(SITE_TYPES)
    )
    visits = [
        VisitSpec(site, criteria_set, Mode.JOINT, today - timedelta(days=30 + 110 * k + n % 30))
        for n, site in enumerate(sites)
        for k in range(VISITS_PER_SITE)
    ]
    inspections = bulk_inspections(visits, inspector=inspector, departments=[unit])
    now = timezone.now()
    specs = []
    for n, inspection in enumerate(inspections):
        applies = applicable(checklist, inspection.site.type)
        for j in range(3):
            resolution = Resolution.DEADLINE if (n + j) % 9 == 0 else SETTLED[(n + j) % 3]
            criterion = applies[(n + 4 * j) % len(applies)]
            specs.append(FindingSpec(inspection, criterion, resolution, now=now))
    findings = bulk_findings(specs, handler=inspector)
    orders = _restate(findings, unit, inspector)
    events = OutreachEvent.objects.bulk_create(
        OutreachEvent(
            area=community,
            type=EventType.LECTURE,
            theme="文明城市创建政策宣讲（生成）",
            held_on=today - timedelta(days=n % 180),
            place_type=PlaceType.COMMUNITY,
            place_name=f"{community.name}（生成）",
            organiser="负载测试宣讲队（生成）",
            audience=40 + n % 60,
            minors=n % 10,
            materials=50,
        )
        for n, community in enumerate(communities)
    )
    return (
        f"{len(communities)} communities, {len(sites)} sites, {len(inspections)} inspections, "
        f"{len(findings)} findings, {orders} supervision orders, {len(events)} events"
    )


__all__ = ["generate"]
