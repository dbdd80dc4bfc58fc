"""Synthetic eldercare data for benchmarks, on the generated estates of `housing.load`.

For each generated community without eldercare data: a meal point and a service centre
with a month of service logs, `ADAPTATIONS_PER_COMMUNITY` home adaptations (most paid,
some in every other stage, rejected included) and `ERRANDS_PER_COMMUNITY` errands in
every status, filed over several years, a care institution with an agreement, and a
few family-doctor teams with contracts and visits. Everything is bulk-created.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from housing.models import Residence
from portal.load import CaseSpec, bulk_cases, filed_on
from portal.models import Area, Organisation
from portal.roles import AreaLevel, OrganisationType
from portal.rules import rules_for

from .demo import (
    CONTRACTORS,
    ROUTE,
    AdaptationSpec,
    bulk_adaptations,
    bulk_contracts,
    bulk_doctor_teams,
    home_title,
    moment,
    plan_for,
)
from .models import (
    SPECIAL_HARDSHIP,
    Adaptation,
    AdaptationStage,
    AgreementService,
    CareAgreement,
    Errand,
    ErrandGroup,
    ErrandService,
    ErrandStatus,
    Facility,
    FacilityService,
    FacilityType,
    ServiceLog,
)

GENERATED_PROVINCE = "负载测试省（生成）"
ADAPTATIONS_PER_COMMUNITY = 200
ERRANDS_PER_COMMUNITY = 100
# Most adaptations end paid; every other stage, rejected included, keeps some.
STAGES = ROUTE[:-1] + [AdaptationStage.REJECTED]
ERRAND_STATUSES = [
    ErrandStatus.DONE,
    ErrandStatus.REQUESTED,
    ErrandStatus.DONE,
    ErrandStatus.ASSIGNED,
    ErrandStatus.CANCELLED,
]
TEAMS_PER_COMMUNITY = 3


def _organisation(name, type_, area) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(
        name=name, defaults={"type": type_, "area": area, "is_placeholder": True}
    )
    return organisation


def _facilities(community, today: date) -> None:
    meal_point, centre = Facility.objects.bulk_create(
        [
            Facility(
                community=community,
                name=f"{community.name}助餐点",
                type=FacilityType.MEAL_POINT,
                address=community.name,
                services=[FacilityService.MEALS],
                capacity=30,
            ),
            Facility(
                community=community,
                name=f"{community.name}养老服务站",
                type=FacilityType.SERVICE_STATION,
                address=community.name,
                services=[FacilityService.DAY_CARE, FacilityService.EDUCATION],
                capacity=20,
            ),
        ]
    )
    ServiceLog.objects.bulk_create(
        ServiceLog(
            facility=facility,
            date=today - timedelta(days=d),
            meals_dine_in=30 + d % 10 if facility is meal_point else 0,
            meals_delivered=5 + d % 4 if facility is meal_point else 0,
            day_care=0 if facility is meal_point else 10 + d % 5,
        )
        for facility in (meal_point, centre)
        for d in range(1, 31)
    )


def _adaptations(community, today: date, admin, contractor, rng) -> list:
    """Adaptations for the community's households that have none, most of them completed."""
    taken = Adaptation.objects.exclude(stage=AdaptationStage.REJECTED).values("household")
    residences = list(
        Residence.objects.filter(person__community=community)
        .exclude(household__in=taken)
        .select_related("person", "household__unit__building__estate")
        .order_by("pk")[:ADAPTATIONS_PER_COMMUNITY]
    )
    _payload, rule_set = rules_for("eldercare.subsidy", community, moment(today))
    cap = Decimal((rule_set.payload if rule_set else _payload)["subsidy_cap"])
    specs = []
    for n, residence in enumerate(residences):
        stage = ROUTE[-1] if n % 3 else STAGES[n // 3 % len(STAGES)]
        planned = stage in ROUTE and ROUTE.index(stage) >= ROUTE.index(AdaptationStage.PLANNED)
        specs.append(
            AdaptationSpec(
                household=residence.household,
                elder=residence.person,
                community=community,
                title=home_title(residence.household),
                stage=stage,
                applied_on=today - timedelta(days=120 + (n * 13) % 1500),
                eligibility=SPECIAL_HARDSHIP[n % len(SPECIAL_HARDSHIP)],
                rejection_reason="不符合补贴条件。" if stage == AdaptationStage.REJECTED else "",
                plan=plan_for(rng) if planned else [],
                contractor=contractor,
            )
        )
    bulk_adaptations(specs, handler=admin, subsidy_rule_set=rule_set, cap=cap)
    return [r.person for r in residences]


def _errands(community, today: date, admin, people, first_n: int) -> int:
    groups, services = list(ErrandGroup), list(ErrandService)
    specs = []
    for i in range(ERRANDS_PER_COMMUNITY):
        n = first_n + i
        status = ERRAND_STATUSES[n % len(ERRAND_STATUSES)]
        specs.append(
            CaseSpec(
                community=community,
                title=f"生成代办{n + 1}",
                status=status,
                filed_at=moment(filed_on(today, n), 9),
                closed=status in (ErrandStatus.DONE, ErrandStatus.CANCELLED),
                due_days=7,
            )
        )
    cases = bulk_cases("eldercare.errand", "BB", specs, handler=admin)
    Errand.objects.bulk_create(
        Errand(
            case=case,
            person=people[i % len(people)] if people else None,
            group=groups[i % len(groups)],
            service=services[i % len(services)],
            details=f"{case.title}：代办事项。",
            address=f"{community.name}（生成）",
            wanted_by=case.created_at.date() + timedelta(days=7),
            done_note="已办结。" if case.status == ErrandStatus.DONE else "",
            done_at=case.closed_at if case.status == ErrandStatus.DONE else None,
        )
        for i, case in enumerate(cases)
    )
    return len(cases)


@transaction.atomic
def generate(*, communities: int, today: date, **_kwargs) -> str:
    """Eldercare rows for up to `communities` generated communities that have none yet."""
    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None:
        return "no superuser: run load_demo first"
    province = Area.objects.filter(name=GENERATED_PROVINCE, depth=1).first()
    if province is None:
        return "no generated estates: the housing generator runs first"
    todo = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
        .exclude(pk__in=Facility.objects.values("community"))
        .order_by("path")[:communities]
    )
    if not todo:
        return "0 communities"
    district = (
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.DISTRICT)
        .order_by("path")
        .first()
    )
    contractor = _organisation(CONTRACTORS[0], OrganisationType.CONTRACTOR, district)
    rng = random.Random(len(todo))
    adaptations = errands = 0
    first_errand = Errand.objects.count()
    for n, community in enumerate(todo):
        _facilities(community, today)
        elders = _adaptations(community, today, admin, contractor, rng)
        adaptations += len(elders)
        errands += _errands(
            community, today, admin, elders, first_errand + n * ERRANDS_PER_COMMUNITY
        )
        medical = _organisation(
            f"{community.name}卫生服务站（生成）", OrganisationType.MEDICAL_INSTITUTION, community
        )
        care = Organisation.objects.create(
            name=f"{community.name}养老机构（生成）",
            type=OrganisationType.CARE_INSTITUTION,
            area=community,
            is_placeholder=True,
        )
        CareAgreement.objects.create(
            area=community,
            care_institution=care,
            medical_institution=medical,
            services=[s.value for s in AgreementService],
            signed_on=today - timedelta(days=200 + n),
            expires_on=today + timedelta(days=165 + n * 7 % 900),
        )
        teams = bulk_doctor_teams(
            lambda _n, c=community: c, [medical], TEAMS_PER_COMMUNITY, first_n=n * 10
        )
        bulk_contracts(today, teams, elders[:30])
    return f"{len(todo)} communities, {adaptations} home adaptations, {errands} errands"
