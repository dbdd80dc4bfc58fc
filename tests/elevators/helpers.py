"""An elevator project on a unit of 6 floors with verified owners, for tests."""

from decimal import Decimal

from elevators.models import Project
from housing.models import Person, Relation, Residence
from portal.services.cases import case_open
from tests.housing.helpers import estate_with_households


def project_with_owners(world, *, households=12, owner=None):
    """A project on a fresh unit; `owner` (a user) becomes the verified owner of the
    top-floor flat. Returns (project, households)."""
    _estate, flats = estate_with_households(world.areas["community_a"], households=households)
    case = case_open(
        kind="elevators.project",
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        title="1号楼1单元 加装电梯",
    )
    project = Project.objects.create(
        case=case, unit=flats[0].unit, total_cost=Decimal("600000"), subsidy=Decimal("200000")
    )
    if owner is not None:
        top = flats[-1]
        person = Person.objects.create(
            community=world.areas["community_a"], name="胡桃兰", user=owner
        )
        Residence.objects.create(person=person, household=top, relation=Relation.OWNER)
    return project, flats
