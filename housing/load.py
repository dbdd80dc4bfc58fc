"""Synthetic estates, buildings, households and people at any scale (for benchmarks).

Everything goes under a province marked as a placeholder, so generated data never mixes
with real places. Rows are bulk-created; ID numbers are valid, unique and encrypted.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from portal.models import Area
from portal.personal import id_check_character
from portal.roles import AreaLevel

from .models import Building, Estate, Household, ManagementMode, Person, Relation, Residence, Unit
from .services.registry import id_fields

ESTATES_PER_COMMUNITY = 10
MODES = [ManagementMode.MIXED, ManagementMode.ENTRUSTED, ManagementMode.SELF_MANAGED]


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


@transaction.atomic
def generate(*, scale: int, today: date) -> str:
    """About `scale` estates of 4 buildings × 2 units × 6 floors × 2 flats, 1–2 people each."""
    province = _area(None, "负载测试省（生成）", AreaLevel.PROVINCE)
    city = _area(province, "负载测试市（生成）", AreaLevel.CITY)
    district = _area(city, "负载测试区（生成）", AreaLevel.DISTRICT)
    subdistrict = _area(district, "负载测试街道（生成）", AreaLevel.SUBDISTRICT)
    start = Estate.objects.filter(community__path__startswith=province.path).count()
    person_n = Person.objects.filter(community__path__startswith=province.path).count()
    households = 0
    for e in range(start, start + scale):
        community = _area(
            subdistrict,
            f"负载测试社区{e // ESTATES_PER_COMMUNITY + 1}（生成）",
            AreaLevel.COMMUNITY,
        )
        estate = Estate.objects.create(
            community=community, name=f"生成小区{e + 1}", management_mode=MODES[e % 3]
        )
        for b in range(1, 5):
            building = Building.objects.create(estate=estate, number=f"{b}号楼", floors=6)
            for u in range(1, 3):
                unit = Unit.objects.create(building=building, number=f"{u}单元", floors=6)
                flats = Household.objects.bulk_create(
                    Household(
                        unit=unit,
                        floor=f,
                        room_number=f"{f}0{r}",
                        area_m2=Decimal("55.00") + f * 3 + r,
                    )
                    for f in range(1, 7)
                    for r in range(1, 3)
                )
                people = Person.objects.bulk_create(
                    Person(
                        community=community,
                        name=f"居民{person_n + i + 1}",
                        **id_fields(_id_number(person_n + i)),
                    )
                    for i in range(len(flats))
                )
                person_n += len(people)
                Residence.objects.bulk_create(
                    Residence(person=p, household=h, relation=Relation.OWNER)
                    for p, h in zip(people, flats, strict=True)
                )
                households += len(flats)
    return f"{scale} estates, {households} households"
