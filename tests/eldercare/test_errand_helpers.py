"""Shared set-up of the errand tests (no tests here): a red-vest team for the scope
world's community A, and errands to work on."""

from dataclasses import dataclass

from eldercare.models import ErrandGroup, ErrandService
from eldercare.services.errands import errand_assign, errand_request
from portal.roles import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory, member


@dataclass
class Teams:
    team: object  # serves community A (placed at the subdistrict)
    volunteer: object
    other_team: object  # serves community B only
    outsider: object  # a volunteer of the other team


def red_vest_teams(world) -> Teams:
    team = OrganisationFactory(
        name="红马甲帮办代办志愿服务队",
        type=OrganisationType.VOLUNTEER_TEAM,
        area=world.areas["subdistrict"],
    )
    volunteer = UserFactory(username="volunteer", display_name="马志愿")
    member(volunteer, Role.ORGANISATION_MEMBER, organisation=team)
    other_team = OrganisationFactory(
        name="B社区志愿队",
        type=OrganisationType.VOLUNTEER_TEAM,
        area=world.areas["community_b"],
    )
    outsider = UserFactory(username="outsider", display_name="外队员")
    member(outsider, Role.ORGANISATION_MEMBER, organisation=other_team)
    return Teams(team=team, volunteer=volunteer, other_team=other_team, outsider=outsider)


def resident_errand(world, **overrides):
    """An errand the scope world's resident asked for (community A)."""
    values = {
        "service": ErrandService.PENSION_CERTIFICATION,
        "group": ErrandGroup.WIDOWED,
        "details": "养老金资格认证，需要上门拍照",
        "address": "清怡院 3号楼 2单元 501",
        "phone": world.users["resident"].phone,
        **overrides,
    }
    return errand_request(actor=world.users["resident"], **values)


def assigned_errand(world, teams, **overrides):
    errand = resident_errand(world, **overrides)
    errand_assign(
        actor=world.users["own_staff"], errand=errand, volunteer=teams.volunteer, team=teams.team
    )
    return errand
