"""Synthetic areas, estates, households, people and estate issues at any scale.

Everything goes under a province marked as a placeholder, so generated data never mixes
with real places: a city of districts of `SUBDISTRICTS_PER_DISTRICT` subdistricts. One
generated subdistrict holds `COMMUNITIES_PER_SUBDISTRICT`
communities; each community has `ESTATES_PER_COMMUNITY` estates of 4 buildings ×
2 units × 6 floors × 2 flats (96 households, one owner each) and `ISSUES_PER_COMMUNITY`
estate issues in every status, filed over several years. Rows are bulk-created; ID
numbers are valid, unique and encrypted.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.load import CaseSpec, bulk_cases, filed_on, moment
from portal.models import Area
from portal.personal import id_check_character
from portal.roles import AreaLevel

from .models import (
    Building,
    Estate,
    EstateIssue,
    Household,
    IssueCategory,
    ManagementMode,
    Person,
    Relation,
    Residence,
    Unit,
)
from .services.registry import id_fields

GENERATED_PROVINCE = "负载测试省（生成）"
COMMUNITIES_PER_SUBDISTRICT = 10
# As in a real city: a district of ten subdistricts, so no dashboard lists a hundred.
SUBDISTRICTS_PER_DISTRICT = 10
ESTATES_PER_COMMUNITY = 10
ISSUES_PER_COMMUNITY = 300
MODES = [ManagementMode.MIXED, ManagementMode.ENTRUSTED, ManagementMode.SELF_MANAGED]
Status = EstateIssue.Status
CLOSED = {Status.SOLVED_ON_SPOT, Status.SOLVED, Status.TURNED_INTO_DISPUTE, Status.NOT_ACCEPTED}
# Most issues are solved; every status keeps some.
STATUSES = [
    Status.SOLVED,
    Status.SOLVED_ON_SPOT,
    Status.REPORTED,
    Status.SOLVED,
    Status.IN_HAND,
    Status.SOLVED,
    Status.COLLECTIVE_STUDY,
    Status.ESCALATED,
    Status.TURNED_INTO_DISPUTE,
    Status.NOT_ACCEPTED,
]


def _area(parent, name, level):
    existing = (
        (Area.objects.get_children(parent) if parent else Area.objects.get_root_nodes())
        .filter(name=name)
        .first()
    )
    if existing:
        return existing
    fields = {"name": name, "level": level, "is_placeholder": True}
    return Area.objects.add_child(parent, fields) if parent else Area.objects.add_root(fields)


def _id_number(n: int) -> str:
    birth = date(1940, 1, 1) + timedelta(days=n // 900)
    first17 = f"990000{birth:%Y%m%d}{n % 900 + 100:03d}"
    return first17 + id_check_character(first17)


def _estates(community, first_estate: int, first_person: int) -> tuple[list, list]:
    """The community's estates, buildings, units, flats and owners: six bulk inserts."""
    estates = Estate.objects.bulk_create(
        Estate(community=community, name=f"生成小区{e + 1}", management_mode=MODES[e % 3])
        for e in range(first_estate, first_estate + ESTATES_PER_COMMUNITY)
    )
    buildings = Building.objects.bulk_create(
        Building(estate=estate, number=f"{b}号楼", floors=6)
        for estate in estates
        for b in range(1, 5)
    )
    units = Unit.objects.bulk_create(
        Unit(building=building, number=f"{u}单元", floors=6)
        for building in buildings
        for u in range(1, 3)
    )
    flats = Household.objects.bulk_create(
        Household(unit=unit, floor=f, room_number=f"{f}0{r}", area_m2=Decimal("55.00") + f * 3 + r)
        for unit in units
        for f in range(1, 7)
        for r in range(1, 3)
    )
    people = Person.objects.bulk_create(
        Person(
            community=community,
            name=f"居民{first_person + i + 1}",
            **id_fields(_id_number(first_person + i)),
        )
        for i in range(len(flats))
    )
    Residence.objects.bulk_create(
        Residence(person=p, household=h, relation=Relation.OWNER)
        for p, h in zip(people, flats, strict=True)
    )
    return estates, people


def _issues(community, estates, people, today: date, handler, first_n: int) -> int:
    categories = list(IssueCategory)
    specs, rows = [], []
    for i in range(ISSUES_PER_COMMUNITY):
        n = first_n + i
        status = STATUSES[n % len(STATUSES)]
        estate = estates[i % len(estates)]
        category = categories[n % len(categories)]
        specs.append(
            CaseSpec(
                community=community,
                title=f"{estate.name}物业问题{n + 1}（生成）",
                status=status,
                filed_at=moment(filed_on(today, n)),
                closed=status in CLOSED,
                escalated=status == Status.ESCALATED,
            )
        )
        rows.append((estate, category, people[(i * 7) % len(people)]))
    cases = bulk_cases("housing.issue", "WY", specs, handler=handler)
    EstateIssue.objects.bulk_create(
        EstateIssue(
            case=case,
            estate=estate,
            category=category,
            description=f"{case.title}：生成的物业问题。",
            reporter=reporter,
        )
        for case, (estate, category, reporter) in zip(cases, rows, strict=True)
    )
    return len(cases)


@transaction.atomic
def generate(*, communities: int, today: date, **_kwargs) -> str:
    """Generated communities up to `communities` in all, with estates, people and
    issues; those already there are kept, so a second run adds nothing."""
    handler = get_user_model().objects.filter(is_superuser=True).first()
    province = _area(None, GENERATED_PROVINCE, AreaLevel.PROVINCE)
    city = _area(province, "负载测试市（生成）", AreaLevel.CITY)
    generated = Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
    start = generated.count()
    person_n = Person.objects.filter(community__path__startswith=province.path).count()
    households = issues = 0
    for c in range(start, communities):
        n = c // COMMUNITIES_PER_SUBDISTRICT
        district = _area(
            city, f"负载测试区{n // SUBDISTRICTS_PER_DISTRICT + 1}（生成）", AreaLevel.DISTRICT
        )
        subdistrict = _area(district, f"负载测试街道{n + 1}（生成）", AreaLevel.SUBDISTRICT)
        community = _area(subdistrict, f"负载测试社区{c + 1}（生成）", AreaLevel.COMMUNITY)
        estates, people = _estates(community, c * ESTATES_PER_COMMUNITY, person_n)
        person_n += len(people)
        households += len(people)
        issues += _issues(
            community, estates, people, today, handler, first_n=c * ISSUES_PER_COMMUNITY
        )
    made = max(communities - start, 0)
    return (
        f"{made} communities, {made * ESTATES_PER_COMMUNITY} estates, "
        f"{households} households, {issues} estate issues"
    )
