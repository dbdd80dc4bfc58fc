"""Building blocks for housing tests: valid ID numbers, an estate with households."""

from decimal import Decimal

from housing.models import Estate
from housing.services import registry
from portal.personal import id_check_character


def id_number(region="110105", birth="19560312", sequence="123") -> str:
    """A valid 18-character ID number (the check character computed)."""
    first17 = f"{region}{birth}{sequence}"
    return first17 + id_check_character(first17)


def estate_with_households(community, *, name="Qingyi", households=4, floors=6):
    """One estate, one building, one unit, `households` flats of 60–90 m²."""
    estate = Estate.objects.create(community=community, name=name)
    building = registry.building_ensure(estate=estate, number="1", floors=floors)
    unit = registry.unit_ensure(building=building, number="1")
    flats = [
        registry.household_ensure(
            unit=unit,
            room_number=f"{n // 2 + 1}0{n % 2 + 1}",
            floor=n // 2 + 1,
            area_m2=Decimal("60.50") + n,
        )
        for n in range(households)
    ]
    return estate, flats
