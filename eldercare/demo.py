"""Fengyang's eldercare and Tuanjie's red-vest errands, for the demo.

Fengyang (凤阳县 › 府城镇 › 府东社区): the Fudong meal point whose premises the catering
company 凤阳县云味餐饮管理服务有限公司 donated, with a month of service logs, and a few
other premises (placeholders, marked （示例）); 760 completed home adaptations of elderly
households in special hardship whose investment sums to over 3.4 million yuan, plus a
few cases at each earlier stage; 18 care institutions with medical agreements; 225
family-doctor teams, some with contracts and visits. Tuanjie: the red-vest errand team,
its volunteers and a handful of errands.

The households, people and adaptations are synthetic and many, so they are written in
bulk: one reserved block of reference numbers per year instead of one counter update
per case. Everything else goes through the case kit as a user would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from housing.models import Building, Estate, Gender, Household, Person, Relation, Residence, Unit
from portal.demo import DemoAccount, ensure_demo_user
from portal.models import (
    Area,
    Case,
    FollowUp,
    Membership,
    Organisation,
    RuleSet,
    TimelineEntry,
)
from portal.roles import OrganisationType, Role
from portal.services.cases import (
    case_assign,
    case_close,
    case_open,
    case_rate,
    case_transition,
    references_reserve,
)
from portal.services.followups import followup_build
from portal.services.rules import rule_set_publish

from . import rules
from .models import (
    SPECIAL_HARDSHIP,
    AdaptationStage,
    AgreementService,
    CareAgreement,
    DoctorContract,
    DoctorTeam,
    DoctorVisit,
    Eligibility,
    Errand,
    ErrandGroup,
    ErrandService,
    ErrandStatus,
    Exclusion,
    Facility,
    FacilityService,
    FacilityType,
    PlanItem,
    PremisesOrigin,
    ServiceLog,
)
from .models import Adaptation as AdaptationModel
from .services.medical import RENEWAL_NOTICE_DAYS, renewal_recipients, visit_recipients

FENGYANG = "凤阳县"
FUCHENG = "府城镇"
FUDONG = "府东社区"
TUANJIE = "团结社区"
DONOR = "凤阳县云味餐饮管理服务有限公司"
MEAL_POINT = "府东社区助餐点"
RED_VEST_TEAM = "团结社区红马甲帮办代办志愿服务队"

COMPLETED_HOUSEHOLDS = 760
# The source's "over 3.4 million yuan": the completed households' investment is topped
# up with other funding to this sum when the plans alone fall short of it.
INVESTMENT_TARGET = Decimal("3412600.00")
CARE_INSTITUTIONS = 18
DOCTOR_TEAMS = 225
FIRST_APPLICATION = date(2020, 6, 1)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

Stage = AdaptationStage
ROUTE = [
    Stage.APPLIED,
    Stage.ASSESSED,
    Stage.PLANNED,
    Stage.APPROVED,
    Stage.WORKS,
    Stage.ACCEPTED,
    Stage.PAID,
]
# Days after the application each stage is entered, for the synthetic households.
STAGE_OFFSETS = {
    Stage.APPLIED: 0,
    Stage.ASSESSED: 10,
    Stage.PLANNED: 20,
    Stage.APPROVED: 30,
    Stage.WORKS: 45,
    Stage.ACCEPTED: 75,
    Stage.PAID: 95,
    Stage.REJECTED: 12,
}
CLOSED_STAGES = (Stage.PAID, Stage.REJECTED)

CATALOGUE = {item["code"]: item for item in rules.DEFAULT_CATALOGUE["items"]}
BASIC_CODES = [code for code, item in CATALOGUE.items() if item["basic"]]
OPTIONAL_CODES = [code for code, item in CATALOGUE.items() if not item["basic"]]
HANDRAILS = ("T01", "W01")

CONTRACTORS = [
    "凤阳县适老化改造施工单位一（示例）",
    "凤阳县适老化改造施工单位二（示例）",
    "凤阳县适老化改造施工单位三（示例）",
]
MEDICAL_INSTITUTIONS = [f"凤阳县医疗机构{n}（示例）" for n in range(1, 16)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN_NAMES = [
    "秀英",
    "桂兰",
    "玉珍",
    "凤英",
    "建国",
    "德明",
    "志强",
    "淑珍",
    "春华",
    "广才",
    "素芳",
    "长林",
    "金凤",
    "少华",
    "宝山",
    "兰英",
]

# (username, display name, organisation)
ACCOUNTS = [
    ("volunteer.tuanjie", "红马甲志愿者甲（演示）", RED_VEST_TEAM),
    ("volunteer.tuanjie2", "红马甲志愿者乙（演示）", RED_VEST_TEAM),
    ("mealpoint.fudong", "府东社区助餐点工作人员（演示）", DONOR),
    ("contractor.fengyang", "适老化改造施工员（演示）", CONTRACTORS[0]),
    ("doctor.fengyang", "家庭医生（演示）", MEDICAL_INSTITUTIONS[0]),
]


def moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _organisation(name: str, type_: str, area: Area, *, placeholder: bool = True) -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(
        name=name, defaults={"type": type_, "area": area, "is_placeholder": placeholder}
    )
    return organisation


def _organisations(today: date) -> dict[str, Organisation]:
    """Every organisation the demo names, and the demo accounts that work in them."""
    county = Area.objects.get(name=FENGYANG)
    made = {
        RED_VEST_TEAM: _organisation(
            RED_VEST_TEAM,
            OrganisationType.VOLUNTEER_TEAM,
            Area.objects.get(name=TUANJIE),
            placeholder=False,
        ),
        DONOR: _organisation(
            DONOR, OrganisationType.OTHER, Area.objects.get(name=FUDONG), placeholder=False
        ),
    }
    for name in CONTRACTORS:
        made[name] = _organisation(name, OrganisationType.CONTRACTOR, county)
    for name in MEDICAL_INSTITUTIONS:
        made[name] = _organisation(name, OrganisationType.MEDICAL_INSTITUTION, county)
    return made


def _accounts(organisations: dict[str, Organisation]) -> list[DemoAccount]:
    accounts = []
    for username, display_name, where in ACCOUNTS:
        user = ensure_demo_user(username, display_name=display_name)
        Membership.objects.get_or_create(
            user=user,
            role=Role.ORGANISATION_MEMBER,
            organisation=organisations[where],
            ended_at=None,
        )
        accounts.append(DemoAccount(username, Role.ORGANISATION_MEMBER.label, where))
    return accounts


# --- Reference numbers in bulk -------------------------------------------------------


# --- Households, people and adaptations in bulk ----------------------------------------


def synthetic_name(n: int) -> str:
    return f"{SURNAMES[n % len(SURNAMES)]}{GIVEN_NAMES[(n // len(SURNAMES)) % 16]}（示例）"


def bulk_homes(community: Area, estate_names: list[str], *, buildings=4, units=2, floors=6):
    """Estates of `buildings` × `units` × `floors` × 2 flats; the households, in order."""
    estates = Estate.objects.bulk_create(
        Estate(community=community, name=name, address=f"{community.name}（示例）")
        for name in estate_names
    )
    building_rows = Building.objects.bulk_create(
        Building(estate=e, number=f"{b}号楼", floors=floors, year_built=1995 + b)
        for e in estates
        for b in range(1, buildings + 1)
    )
    unit_rows = Unit.objects.bulk_create(
        Unit(building=b, number=f"{u}单元", floors=floors)
        for b in building_rows
        for u in range(1, units + 1)
    )
    return Household.objects.bulk_create(
        Household(
            unit=u,
            floor=f,
            room_number=f"{f}0{r}",
            area_m2=Decimal("52.00") + f * Decimal("1.5") + r * 6,
        )
        for u in unit_rows
        for f in range(1, floors + 1)
        for r in (1, 2)
    )


CARE_TAGS = {
    Eligibility.DISPERSED_EXTREME_POVERTY: ["extreme_hardship", "elderly_alone"],
    Eligibility.LOW_INCOME: ["low_income"],
    Eligibility.DISABLED: ["disabled"],
    Eligibility.FAMILY_PLANNING: ["elderly_alone"],
}


def bulk_elders(community: Area, households, births: list[date], tags=None, first_n: int = 0):
    """One elderly owner per household (synthetic name, birth date, no ID number)."""
    tags = tags or [[] for _birth in births]
    people = Person.objects.bulk_create(
        Person(
            community=community,
            name=synthetic_name(first_n + i),
            birth_date=birth,
            gender=Gender.FEMALE if (first_n + i) % 3 else Gender.MALE,
            care_tags=care_tags,
        )
        for i, (birth, care_tags) in enumerate(zip(births, tags, strict=True))
    )
    Residence.objects.bulk_create(
        Residence(person=p, household=h, relation=Relation.OWNER)
        for p, h in zip(people, households, strict=True)
    )
    return people


def plan_for(rng: random.Random) -> list[tuple[dict, int, Decimal]]:
    """One household's plan: several basic items and one to three optional ones, priced
    around the catalogue's guide prices."""
    codes = rng.sample(BASIC_CODES, rng.randint(5, 8)) + rng.sample(
        OPTIONAL_CODES, rng.randint(1, 3)
    )
    plan = []
    for code in sorted(codes):
        item = CATALOGUE[code]
        quantity = 2 if code in HANDRAILS and rng.random() < 0.5 else 1
        price = (Decimal(item["guide_price"]) * rng.randint(90, 115) / 100).quantize(CENT)
        plan.append((item, quantity, price))
    return plan


@dataclass
class AdaptationSpec:
    """What one synthetic adaptation case is: built in bulk by `bulk_adaptations`."""

    household: Household
    elder: Person
    community: Area
    title: str
    stage: str
    applied_on: date
    eligibility: str
    plan: list = field(default_factory=list)
    other_funding: Decimal = ZERO
    contractor: Organisation | None = None
    exclusions: list = field(default_factory=list)
    rejection_reason: str = ""
    satisfaction: int | None = None

    def entered(self, stage: str) -> date:
        return self.applied_on + timedelta(days=STAGE_OFFSETS[stage])

    def reached(self, stage: str) -> bool:
        return (
            self.stage in ROUTE and stage in ROUTE and ROUTE.index(self.stage) >= ROUTE.index(stage)
        )


def _money(plan, cap: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(total cost, subsidy, self-pay): the subsidy covers basic items up to the cap."""
    total = sum((price * quantity for _item, quantity, price in plan), ZERO)
    basic = sum((price * quantity for item, quantity, price in plan if item["basic"]), ZERO)
    subsidy = min(basic, cap)
    return total, subsidy, total - subsidy


def bulk_adaptations(specs: list[AdaptationSpec], *, handler, subsidy_rule_set, cap: Decimal):
    """The cases, adaptations, plan items, timeline entries and due reminders of
    `specs`, a handful of bulk inserts whatever their number."""
    stage_days = (subsidy_rule_set.payload if subsidy_rule_set else rules.DEFAULT_SUBSIDY)[
        "stage_days"
    ]
    lead = timedelta(hours=rules.ADAPTATION_CASE_RULES["reminder_lead_hours"])
    filed = [moment(s.applied_on, 9) for s in specs]
    references = references_reserve("SL", filed)
    cases = []
    for spec, filed_at, reference in zip(specs, filed, references, strict=True):
        since = moment(spec.entered(spec.stage), 11)
        closed = spec.stage in CLOSED_STAGES
        cases.append(
            Case(
                kind="eldercare.adaptation",
                reference=reference,
                title=spec.title,
                status=spec.stage,
                community=spec.community,
                handler=handler,
                due_at=None if closed else since + timedelta(days=stage_days[spec.stage]),
                created_at=filed_at,
                closed_at=since if closed else None,
            )
        )
    Case.objects.bulk_create(cases)
    adaptations, items = [], []
    for spec, case in zip(specs, cases, strict=True):
        total, subsidy, self_pay = _money(spec.plan, cap)
        assessed = spec.reached(Stage.ASSESSED)
        level = spec.household.pk % 4 if assessed else None
        adaptations.append(
            AdaptationModel(
                case=case,
                elder=spec.elder,
                household=spec.household,
                applicant=("elder", "family", "staff")[spec.household.pk % 3],
                eligibility=spec.eligibility,
                exclusions=spec.exclusions,
                stage=spec.stage,
                stage_changed_at=moment(spec.entered(spec.stage), 11),
                subsidy_rule_set=subsidy_rule_set,
                subsidy_cap=cap,
                capacity_level=level,
                daily_living=level,
                mental_state=(level or 0) // 2 if assessed else None,
                sensory=(level or 0) // 2 if assessed else None,
                social=level,
                home_assessment="卫生间地面湿滑、无扶手；过道有高差。" if assessed else "",
                assessed_at=moment(spec.entered(Stage.ASSESSED)) if assessed else None,
                total_cost=total,
                subsidy=subsidy,
                self_pay=self_pay,
                other_funding=spec.other_funding,
                contractor=spec.contractor if spec.reached(Stage.APPROVED) else None,
                approved_at=moment(spec.entered(Stage.APPROVED))
                if spec.reached(Stage.APPROVED)
                else None,
                works_started_on=spec.entered(Stage.WORKS) if spec.reached(Stage.WORKS) else None,
                accepted_on=spec.entered(Stage.ACCEPTED) if spec.reached(Stage.ACCEPTED) else None,
                acceptance_record="施工完成，逐项验收合格。"
                if spec.reached(Stage.ACCEPTED)
                else "",
                paid_on=spec.entered(Stage.PAID) if spec.stage == Stage.PAID else None,
                rejection_reason=spec.rejection_reason,
                satisfaction=spec.satisfaction,
                surveyed_at=moment(spec.entered(Stage.PAID), 15) if spec.satisfaction else None,
            )
        )
        items.extend(
            PlanItem(
                adaptation_id=case.pk,
                code=item["code"],
                area=item["area"],
                name=item["name"],
                basic=item["basic"],
                quantity=quantity,
                unit_price=price,
            )
            for item, quantity, price in spec.plan
        )
    AdaptationModel.objects.bulk_create(adaptations)
    PlanItem.objects.bulk_create(items)
    entries = [
        TimelineEntry(
            case=case,
            verb=TimelineEntry.Verb.REPORTED,
            actor=handler,
            is_public=True,
            status_after=Stage.APPLIED,
            at=case.created_at,
        )
        for case in cases
    ]
    entries += [
        TimelineEntry(
            case=case,
            verb=TimelineEntry.Verb.CLOSED,
            actor=handler,
            is_public=True,
            status_after=case.status,
            at=case.closed_at,
        )
        for case in cases
        if case.closed_at
    ]
    TimelineEntry.objects.bulk_create(entries)
    FollowUp.objects.bulk_create(
        FollowUp(
            case=case,
            assignee=handler,
            purpose=FollowUp.Purpose.DUE_REMINDER,
            reason=(
                _("%(reference)s is due %(due)s: %(title)s")
                % {
                    "reference": case.reference,
                    "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M"),
                    "title": case.title,
                }
            )[:300],
            due_at=case.due_at - lead,
        )
        for case in cases
        if case.due_at and handler is not None
    )
    return adaptations


def home_title(household: Household) -> str:
    unit = household.unit
    home = f"{unit.building.estate.name}{unit.building.number}{unit.number}{household.room_number}"
    return f"{home} 适老化改造"


# --- Fengyang ------------------------------------------------------------------------


def _subsidy_rule_set(county: Area, admin) -> RuleSet:
    existing = RuleSet.objects.filter(kind="eldercare.subsidy", area=county).order_by("-version")
    return existing.first() or rule_set_publish(
        kind="eldercare.subsidy",
        area=county,
        payload=rules.FENGYANG_SUBSIDY,
        valid_from=moment(date(2020, 1, 1), 0),
        actor=admin,
        note="凤阳县居家适老化改造：每户补助最高5000元",
    )


def completed_investment_plans(rng: random.Random, count: int, target: Decimal):
    """`count` plans and the other funding each household gets, so that the total
    investment (cost plus other funding) reaches `target` when the plans fall short."""
    plans = [plan_for(rng) for _n in range(count)]
    cost = sum((_money(plan, Decimal("5000"))[0] for plan in plans), ZERO)
    shortfall = max(ZERO, target - cost)
    funded = list(range(0, count, 4))  # a quarter of the households got other funding
    share = (shortfall / len(funded)).quantize(CENT) if funded else ZERO
    other = [ZERO] * count
    for n in funded:
        other[n] = share
    if funded:
        other[funded[-1]] += shortfall - share * len(funded)
    return plans, other


def _fengyang_adaptations(today: date, admin, staff, organisations) -> list[Person]:
    county = Area.objects.get(name=FENGYANG)
    community = Area.objects.get(name=FUDONG)
    rule_set = _subsidy_rule_set(county, admin)
    cap = Decimal(rule_set.payload["subsidy_cap"])
    rng = random.Random(760)
    households = bulk_homes(community, [f"府东社区示例小区{n}（示例）" for n in range(1, 10)])
    # Household titles name estate, building and unit: read them back in one query.
    households = list(
        Household.objects.filter(pk__in=[h.pk for h in households])
        .select_related("unit__building__estate")
        .order_by("pk")
    )

    earlier = [
        # (stage, days since the stage was entered, eligibility)
        (Stage.APPLIED, 3, Eligibility.AGED_80),
        (Stage.APPLIED, 8, Eligibility.LOW_INCOME),
        (Stage.APPLIED, 20, Eligibility.OTHER),  # overdue for assessment
        (Stage.ASSESSED, 4, Eligibility.DISABLED),
        (Stage.ASSESSED, 12, Eligibility.DISPERSED_EXTREME_POVERTY),
        (Stage.PLANNED, 2, Eligibility.LOW_INCOME),
        (Stage.PLANNED, 6, Eligibility.FAMILY_PLANNING),
        (Stage.APPROVED, 5, Eligibility.DISABLED),
        (Stage.APPROVED, 18, Eligibility.AGED_80),
        (Stage.WORKS, 10, Eligibility.LOW_INCOME),
        (Stage.WORKS, 30, Eligibility.DISPERSED_EXTREME_POVERTY),
        (Stage.WORKS, 60, Eligibility.DISABLED),  # overdue for acceptance
        (Stage.REJECTED, 40, Eligibility.OTHER),
    ]
    eligibilities = [
        SPECIAL_HARDSHIP[n % len(SPECIAL_HARDSHIP)] for n in range(COMPLETED_HOUSEHOLDS)
    ]
    eligibilities += [eligibility for _stage, _days, eligibility in earlier]
    homes = households[: len(eligibilities)]
    # 60 or over when applying from 2020 on; 80 or over for that category.
    births = [
        date(1930, 1, 1) + timedelta(days=(n * 37) % 3000)
        if eligibility == Eligibility.AGED_80
        else date(1932, 1, 1) + timedelta(days=(n * 37) % 9000)
        for n, eligibility in enumerate(eligibilities)
    ]
    tags = [CARE_TAGS.get(eligibility, []) for eligibility in eligibilities]
    elders = bulk_elders(community, homes, births, tags)

    plans, other = completed_investment_plans(rng, COMPLETED_HOUSEHOLDS, INVESTMENT_TARGET)
    contractors = [organisations[name] for name in CONTRACTORS]
    specs = []
    span = (today - timedelta(days=200) - FIRST_APPLICATION).days
    for n in range(COMPLETED_HOUSEHOLDS):
        recent = n >= COMPLETED_HOUSEHOLDS - 20
        if recent:
            # Accepted lately, awaiting payment; two of them past the payment due date.
            stage = Stage.ACCEPTED
            accepted_ago = 40 + n % 2 if n >= COMPLETED_HOUSEHOLDS - 2 else 2 + n % 20
            applied_on = today - timedelta(days=STAGE_OFFSETS[Stage.ACCEPTED] + accepted_ago)
        else:
            stage = Stage.PAID
            applied_on = FIRST_APPLICATION + timedelta(days=span * n // COMPLETED_HOUSEHOLDS)
        specs.append(
            AdaptationSpec(
                household=homes[n],
                elder=elders[n],
                community=community,
                title=home_title(homes[n]),
                stage=stage,
                applied_on=applied_on,
                eligibility=eligibilities[n],
                plan=plans[n],
                other_funding=other[n],
                contractor=contractors[n % len(contractors)],
                satisfaction=(5, 5, 4, 5, 4)[n % 5] if stage == Stage.PAID else None,
            )
        )
    for k, (stage, days_in_stage, eligibility) in enumerate(earlier):
        n = COMPLETED_HOUSEHOLDS + k
        applied_on = today - timedelta(days=STAGE_OFFSETS[stage] + days_in_stage)
        rejected = stage == Stage.REJECTED
        specs.append(
            AdaptationSpec(
                household=homes[n],
                elder=elders[n],
                community=community,
                title=home_title(homes[n]),
                stage=stage,
                applied_on=applied_on,
                eligibility=eligibility,
                plan=plan_for(rng) if stage in (Stage.PLANNED, Stage.APPROVED, Stage.WORKS) else [],
                contractor=contractors[k % len(contractors)],
                exclusions=[Exclusion.RENTED] if rejected else [],
                rejection_reason="入户核查为租住房屋，不在本次改造范围。" if rejected else "",
            )
        )
    bulk_adaptations(specs, handler=staff, subsidy_rule_set=rule_set, cap=cap)

    # Family-doctor contracts with some of these elders (see `_doctor_teams`).
    return elders[:120]


def _facilities(today: date, organisations) -> None:
    community = Area.objects.get(name=FUDONG)
    S = FacilityService
    meal_point = Facility.objects.create(
        community=community,
        name=MEAL_POINT,
        type=FacilityType.MEAL_POINT,
        address="凤阳县府城镇府东社区临街门面",
        origin=PremisesOrigin.DONATED,
        donor=DONOR,
        services=[S.MEALS, S.MOBILITY, S.DAY_CARE, S.EDUCATION],
        capacity=40,
        floor_area_m2=Decimal("68.00"),
        ground_floor=True,
        opening_hours="每天 10:30–13:00，16:30–18:30",
        operator=organisations[DONOR],
    )
    canteen = Facility.objects.create(
        community=community,
        name="府城镇老年食堂（示例）",
        type=FacilityType.CANTEEN,
        address="府城镇原卫生院旧址（示例）",
        origin=PremisesOrigin.IDLE_HOSPITAL,
        services=[S.MEALS],
        capacity=80,
        floor_area_m2=Decimal("120.00"),
        licence_number="JY（示例）",
        opening_hours="每天 11:00–13:00",
    )
    for name, type_, origin, address, services, capacity, area_m2 in [
        (
            "凤阳县区域养老服务中心（示例）",
            FacilityType.SERVICE_CENTRE,
            PremisesOrigin.IDLE_SCHOOL,
            "府城镇闲置小学校舍改建（示例）",
            [S.DAY_CARE, S.EDUCATION, S.MOBILITY],
            60,
            "850.00",
        ),
        (
            "府东社区居家养老服务站（示例）",
            FacilityType.SERVICE_STATION,
            PremisesOrigin.IDLE_SHOP,
            "府东社区闲置门面改建（示例）",
            [S.MOBILITY, S.EDUCATION],
            20,
            "90.00",
        ),
        (
            "府东社区日间照料中心（示例）",
            FacilityType.DAY_CARE,
            PremisesOrigin.NEW,
            "府东社区（示例）",
            [S.DAY_CARE],
            30,
            "200.00",
        ),
    ]:
        Facility.objects.create(
            community=community,
            name=name,
            type=type_,
            origin=origin,
            address=address,
            services=services,
            capacity=capacity,
            floor_area_m2=Decimal(area_m2),
            opening_hours="周一至周五 8:30–17:30",
        )
    operator = get_user_model().objects.get(username="mealpoint.fudong")
    logs = []
    for days_ago in range(1, 31):
        day = today - timedelta(days=days_ago)
        logs.append(
            ServiceLog(
                facility=meal_point,
                date=day,
                meals_dine_in=28 + (days_ago * 7) % 15,
                meals_delivered=6 + days_ago % 7,
                day_care=9 + days_ago % 5,
                classes=1 if day.weekday() in (1, 3) else 0,
                recorded_by=operator,
                recorded_at=moment(day, 19),
            )
        )
        logs.append(
            ServiceLog(
                facility=canteen,
                date=day,
                meals_dine_in=55 + (days_ago * 5) % 20,
                meals_delivered=days_ago % 4,
                recorded_at=moment(day, 19),
            )
        )
    ServiceLog.objects.bulk_create(logs)


def _agreements(today: date, organisations, staff) -> None:
    county = Area.objects.get(name=FENGYANG)
    medical = [organisations[name] for name in MEDICAL_INSTITUTIONS]
    institutions = Organisation.objects.bulk_create(
        Organisation(
            name=f"凤阳县养老机构{n}（示例）",
            type=OrganisationType.CARE_INSTITUTION,
            area=county,
            is_placeholder=True,
        )
        for n in range(1, CARE_INSTITUTIONS + 1)
    )
    services = [s.value for s in AgreementService]
    agreements, reminders = [], []
    for n, institution in enumerate(institutions):
        signed = today - timedelta(days=300 + 20 * n)
        # Three expire within the month: their renewal reminders are due already.
        expires = today + timedelta(days=10 + 7 * n) if n < 3 else signed + timedelta(days=1095)
        reminder = followup_build(
            reason=f"医养结合协议即将到期，请联系续签：{institution.name}",
            due_at=moment(expires - timedelta(days=RENEWAL_NOTICE_DAYS), 9),
            purpose=FollowUp.Purpose.DUE_REMINDER,
            **renewal_recipients(county),
        )
        reminders.append(reminder)
        agreements.append(
            CareAgreement(
                area=county,
                care_institution=institution,
                medical_institution=medical[n % len(medical)],
                services=services if n % 3 else services[:2],
                signed_on=signed,
                expires_on=expires,
                renewal_follow_up=reminder,
            )
        )
        if n in (4, 9):  # renewed: the first agreement has run out
            agreements.append(
                CareAgreement(
                    area=county,
                    care_institution=institution,
                    medical_institution=medical[(n + 1) % len(medical)],
                    services=services[:1],
                    signed_on=signed - timedelta(days=1095),
                    expires_on=signed,
                    note="已到期，已续签",
                )
            )
    FollowUp.objects.bulk_create(reminders)
    CareAgreement.objects.bulk_create(agreements)


def bulk_doctor_teams(area_of, medical, count: int, first_n: int = 0) -> list[DoctorTeam]:
    """`count` teams; `area_of(n)` places team n, medical institutions take turns."""
    return DoctorTeam.objects.bulk_create(
        DoctorTeam(
            area=area_of(n),
            name=f"家庭医生签约团队{first_n + n + 1:03d}（示例）",
            medical_institution=medical[n % len(medical)],
            members="全科医生（示例）\n社区护士（示例）\n公共卫生医师（示例）",
        )
        for n in range(count)
    )


def bulk_contracts(today: date, teams, people, *, visits: int = 3) -> None:
    """A contract per person with a team, visits every 30 days, the next one scheduled."""
    follow_ups, contracts = [], []
    for n, person in enumerate(people):
        team = teams[n % len(teams)]
        signed = today - timedelta(days=100 + n % 200)
        follow_up = followup_build(
            reason=f"家庭医生上门随访（{team.name}）",
            due_at=moment(today + timedelta(days=30 - (n % 30)), 9),
            purpose=FollowUp.Purpose.DUE_REMINDER,
            **visit_recipients(team),
        )
        follow_ups.append(follow_up)
        contracts.append(
            DoctorContract(
                team=team,
                person=person,
                signed_on=signed,
                visit_every_days=30,
                next_visit_follow_up=follow_up,
            )
        )
    FollowUp.objects.bulk_create(follow_ups)
    DoctorContract.objects.bulk_create(contracts)
    DoctorVisit.objects.bulk_create(
        DoctorVisit(
            contract=contract,
            visited_on=today - timedelta(days=n % 30 + 30 * k),
            note="测量血压、血糖，用药指导。",
        )
        for n, contract in enumerate(contracts)
        for k in range(visits)
    )


def _doctor_teams(today: date, organisations, elders) -> None:
    county = Area.objects.get(name=FENGYANG)
    town = Area.objects.get(name=FUCHENG)
    medical = [organisations[name] for name in MEDICAL_INSTITUTIONS]
    teams = bulk_doctor_teams(lambda n: town if n % 5 == 0 else county, medical, DOCTOR_TEAMS)
    bulk_contracts(today, teams[:12], elders)


# --- Tuanjie -------------------------------------------------------------------------

# (service, group, what is needed, status, days ago, volunteer, filed by a resident?)
ERRANDS = [
    (
        ErrandService.PENSION_CERTIFICATION,
        ErrandGroup.ELDERLY_ALONE,
        "独居老人行动不便，需代办养老金资格认证。",
        ErrandStatus.REQUESTED,
        1,
        "",
        False,
    ),
    (
        ErrandService.SHOPPING,
        ErrandGroup.MOBILITY,
        "腿脚不便，请帮忙购买米面和常用药。",
        ErrandStatus.REQUESTED,
        0,
        "",
        True,
    ),
    (
        ErrandService.MEDICAL_INSURANCE,
        ErrandGroup.CHILDLESS,
        "代缴城乡居民医保，并打印缴费凭证。",
        ErrandStatus.ASSIGNED,
        3,
        "volunteer.tuanjie",
        False,
    ),
    (
        ErrandService.ID_RENEWAL,
        ErrandGroup.WIDOWED,
        "身份证到期，需陪同或预约上门办理换证。",
        ErrandStatus.ASSIGNED,
        5,
        "volunteer.tuanjie2",
        False,
    ),
    (
        ErrandService.BENEFIT_APPLICATION,
        ErrandGroup.ORPHANED,
        "协助准备困难救助申请材料并递交街道。",
        ErrandStatus.DONE,
        12,
        "volunteer.tuanjie",
        False,
    ),
    (
        ErrandService.PENSION_CERTIFICATION,
        ErrandGroup.MOBILITY,
        "上门完成养老金资格认证。",
        ErrandStatus.DONE,
        20,
        "volunteer.tuanjie2",
        True,
    ),
    (
        ErrandService.OTHER,
        ErrandGroup.ELDERLY_ALONE,
        "代领社区发放的防暑物资。",
        ErrandStatus.CANCELLED,
        9,
        "",
        False,
    ),
]


def _errands(today: date, organisations) -> None:
    users = get_user_model().objects
    secretary = users.get(username="secretary.tuanjie")
    resident = users.get(username="resident.wangpeng")
    community = Area.objects.get(name=TUANJIE)
    team = organisations[RED_VEST_TEAM]
    # Synthetic residents of the housing demo, not its named ones.
    people = list(
        Person.objects.filter(community=community, name__contains="住户").order_by("pk")[:10]
    )
    for n, (service, group, details, status, days_ago, volunteer, by_resident) in enumerate(
        ERRANDS
    ):
        filed_at = moment(today - timedelta(days=days_ago), 9)
        if by_resident:
            case = case_open(
                kind="eldercare.errand",
                actor=resident,
                community=community,
                title=f"帮办代办：{ErrandService(service).label}",
                filed_by=resident,
                now=filed_at,
            )
        else:
            case = case_open(
                kind="eldercare.errand",
                actor=secretary,
                community=community,
                title=f"帮办代办：{ErrandService(service).label}",
                filer_name=people[n].name if n < len(people) else "",
                now=filed_at,
            )
        person = people[n] if n < len(people) and not by_resident else None
        done = status == ErrandStatus.DONE
        Errand.objects.create(
            case=case,
            person=person,
            group=group,
            service=service,
            details=details,
            address="团结社区清怡院（示例）",
            wanted_by=today + timedelta(days=7 - days_ago) if not done else None,
            done_note="已办结，材料交还本人。" if done else "",
            done_at=moment(today - timedelta(days=days_ago - 2), 16) if done else None,
        )
        if status == ErrandStatus.REQUESTED:
            continue
        if volunteer:
            at = filed_at + timedelta(hours=2)
            case_assign(case=case, actor=secretary, organisation=team, now=at)
            case_assign(case=case, actor=secretary, handler=users.get(username=volunteer), now=at)
            case_transition(case=case, actor=secretary, status=ErrandStatus.ASSIGNED, now=at)
        if status in (ErrandStatus.DONE, ErrandStatus.CANCELLED):
            case_close(
                case=case,
                actor=secretary,
                status=status,
                now=moment(today - timedelta(days=max(days_ago - 2, 0)), 16),
            )
            if done and by_resident:
                case_rate(case=case, rating=5, comment="志愿者很耐心，谢谢！")


# --- The loader ----------------------------------------------------------------------


@transaction.atomic
def load(*, today: date) -> list[DemoAccount]:
    """Fengyang's eldercare and Tuanjie's errands, once; the demo accounts every time."""
    organisations = _organisations(today)
    accounts = _accounts(organisations)
    if Facility.objects.filter(name=MEAL_POINT).exists():
        return accounts
    users = get_user_model().objects
    admin = users.get(username="admin")
    staff = users.get(username="staff.fengyang")
    _facilities(today, organisations)
    elders = _fengyang_adaptations(today, admin, staff, organisations)
    _agreements(today, organisations, staff)
    _doctor_teams(today, organisations, elders)
    _errands(today, organisations)
    return accounts
