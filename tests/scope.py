"""The scope matrix: one small world and the seven personas every view is run through.

An app's test declares what each persona gets from a URL:

    check_scope(client, world, url, {
        "anonymous": 302, "resident": 404, "other_staff": 404, "own_staff": 200,
        "programme_officer": 404, "official": 200, "org_member": 404,
    })
"""

from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from portal.roles import AreaLevel, Programme, Role
from tests.factories import OrganisationFactory, UserFactory, area, member

PERSONAS = (
    "anonymous",
    "resident",
    "other_staff",
    "own_staff",
    "programme_officer",
    "official",
    "org_member",
)


@dataclass
class World:
    """Province › city › district › subdistrict › communities A (grid A1) and B."""

    areas: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    organisation: object = None


def build_world(programme: str = Programme.HOUSING) -> World:
    w = World()
    a = w.areas
    a["province"] = area("Province", AreaLevel.PROVINCE)
    a["city"] = area("City", AreaLevel.CITY, a["province"])
    a["district"] = area("District", AreaLevel.DISTRICT, a["city"])
    a["subdistrict"] = area("Subdistrict", AreaLevel.SUBDISTRICT, a["district"])
    a["community_a"] = area("Community A", AreaLevel.COMMUNITY, a["subdistrict"])
    a["grid_a1"] = area("Grid A1", AreaLevel.GRID, a["community_a"])
    a["community_b"] = area("Community B", AreaLevel.COMMUNITY, a["subdistrict"])
    w.organisation = OrganisationFactory(name="Police station", area=a["subdistrict"])

    u = w.users
    u["resident"] = UserFactory(username="resident")
    member(u["resident"], Role.RESIDENT, area=a["community_a"])
    u["other_staff"] = UserFactory(username="other_staff")
    member(u["other_staff"], Role.COMMUNITY_STAFF, area=a["community_b"])
    u["own_staff"] = UserFactory(username="own_staff")
    member(u["own_staff"], Role.COMMUNITY_STAFF, area=a["community_a"])
    u["programme_officer"] = UserFactory(username="programme_officer")
    member(u["programme_officer"], Role.PROGRAMME_OFFICER, area=a["district"], programme=programme)
    u["official"] = UserFactory(username="official")
    member(u["official"], Role.OFFICIAL, area=a["district"])
    u["org_member"] = UserFactory(username="org_member")
    member(u["org_member"], Role.ORGANISATION_MEMBER, organisation=w.organisation)
    return w


@pytest.fixture
def world(db):
    return build_world()


def check_scope(client, world, url, expected: dict, *, method="get", data=None):
    """Request `url` as every persona and compare status codes; returns the responses.

    A 302 for "anonymous" must lead to the login page. Every persona must be declared.
    """
    assert set(expected) == set(PERSONAS), f"declare every persona: {set(PERSONAS) ^ set(expected)}"
    responses, wrong = {}, []
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(world.users[persona])
        response = getattr(client, method)(url, data or {})
        responses[persona] = response
        if response.status_code != expected[persona]:
            wrong.append((persona, expected[persona], response.status_code))
        if persona == "anonymous" and response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), response["Location"]
    client.logout()
    assert wrong == [], f"(persona, expected, got) for {url}"
    return responses
