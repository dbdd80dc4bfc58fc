"""Synthetic civility data for benchmarks, in the generated communities of `housing.load`.

For each generated community without inspection sites: four sites (a restaurant, a
market, a back street and an estate), three joint inspections of each over the last
year and their findings, most fixed on the spot and one in three sent to the platform
with a deadline; and one outreach event. Every table is written in bulk.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.models import Area, Organisation
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
    Mode,
    OutreachEvent,
    PlaceType,
    Resolution,
    Site,
    SiteType,
)

GENERATED_PROVINCE = "负载测试省（生成）"
GENERATED_SET = "负载测试测评标准（生成）"
SITE_TYPES = (SiteType.RESTAURANT, SiteType.MARKET, SiteType.STREET, SiteType.ESTATE)
VISITS_PER_SITE = 3
SETTLED = (Resolution.FIXED_ON_SPOT, Resolution.FIXED_ON_SPOT, Resolution.VERBAL)


def _criteria_set(province: Area) -> CriteriaSet:
    existing = CriteriaSet.objects.filter(area=province, name=GENERATED_SET).first()
    if existing:
        return existing
    criteria_set, _criteria = bulk_criteria_set(
        province, GENERATED_SET, date(2024, 1, 1), _items(LOCAL_SIZES, "", "（生成）")
    )
    return criteria_set


@transaction.atomic
def generate(*, scale: int, today: date) -> str:
    """Civility rows for up to `scale` generated communities that have no site yet."""
    province = Area.objects.filter(name=GENERATED_PROVINCE, depth=1).first()
    if province is None:
        return "no generated communities: the housing generator runs first"
    communities = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
        .exclude(pk__in=Site.objects.values("area"))
        .order_by("path")[:scale]
    )
    if not communities:
        return "0 communities"
    district = Area.objects.filter(path__startswith=province.path, level=AreaLevel.DISTRICT)[0]
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
        f"{len(findings)} findings, {len(events)} events"
    )


__all__ = ["generate"]
