"""The elevator dashboard tiles and the projects export, on a small fixed set of projects."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from elevators import dashboards
from elevators.models import Project, Stage
from housing.models import Person, Relation, Residence
from portal.registry import registry
from portal.services.cases import case_open
from portal.services.exports import export_queryset, export_rows
from tests.housing.helpers import estate_with_households

pytestmark = pytest.mark.django_db


def project_in(world, community, name, stage, *, cost="500000", subsidy="100000", days=0):
    """A project on a unit of its own estate, in `stage` since `days` days ago."""
    _estate, flats = estate_with_households(world.areas[community], name=name, households=4)
    staff = world.users["own_staff" if community == "community_a" else "other_staff"]
    case = case_open(
        kind="elevators.project", actor=staff, community=world.areas[community], title=name
    )
    project = Project.objects.create(
        case=case,
        unit=flats[0].unit,
        total_cost=Decimal(cost) if cost else None,
        subsidy=Decimal(subsidy),
        stage=stage,
        stage_changed_at=timezone.now() - timedelta(days=days),
    )
    return project, flats


def live_in(world, flats, *names):
    """One person per name, living in every flat given (an owner of two flats counts once)."""
    for name in names:
        person = Person.objects.create(community=world.areas["community_a"], name=name)
        for flat in flats:
            Residence.objects.create(person=person, household=flat, relation=Relation.OWNER)


@pytest.fixture
def projects(world):
    """Community A: 2 in preparation (one stalled), 1 under construction, 2 in use, 1
    cancelled; community B: 1 in use."""
    a = {}
    a["intent"], _ = project_in(world, "community_a", "E1", Stage.INTENT, days=120)
    a["approval"], _ = project_in(world, "community_a", "E2", Stage.APPROVAL, days=10)
    a["construction"], _ = project_in(world, "community_a", "E3", Stage.CONSTRUCTION, days=30)
    a["in_use"], used = project_in(world, "community_a", "E4", Stage.IN_USE, days=400)
    a["in_use_2"], used_2 = project_in(
        world, "community_a", "E5", Stage.IN_USE, cost="", subsidy="0"
    )
    a["cancelled"], cancelled = project_in(
        world, "community_a", "E6", Stage.CANCELLED, cost="900000", subsidy="300000", days=200
    )
    a["other"], other = project_in(world, "community_b", "E7", Stage.IN_USE)
    live_in(world, used[:2], "胡桃兰", "荆师傅")
    live_in(world, [used[2], used_2[0]], "周师傅")  # two homes, one person
    live_in(world, cancelled[:1], "康玲蔚")  # not benefiting: the project was cancelled
    live_in(world, other[:1], "王鹏")
    return a


def figures(user, area):
    start = timezone.now() - timedelta(days=365)
    with translation.override("en"):
        tiles = dashboards.tiles(user=user, area=area, start=start, end=timezone.now())
        return {tile.code: (str(tile.label), tile.value) for tile in tiles}


def test_staff_see_their_communitys_projects_by_stage_money_and_stalled(world, projects):
    shown = figures(world.users["own_staff"], world.areas["community_a"])
    assert shown == {
        "in_preparation": ("Elevator projects in preparation", 2),
        "under_construction": ("Elevator projects under construction", 1),
        "in_use": ("Elevators in use", 2),
        "residents_benefiting": ("Residents benefiting from elevators in use", 3),
        "total_cost": ("Total cost of live elevator projects (yuan)", Decimal("2000000.00")),
        "total_subsidy": ("Subsidy for live elevator projects (yuan)", Decimal("400000.00")),
        "stalled": ("Stalled elevator projects (stage unchanged for over 90 days)", 1),
    }


def test_an_official_sees_the_whole_district(world, projects):
    shown = figures(world.users["official"], world.areas["district"])
    assert shown["in_use"][1] == 3
    assert shown["residents_benefiting"][1] == 4
    assert shown["total_subsidy"][1] == Decimal("500000.00")


def test_the_area_narrows_what_an_official_sees(world, projects):
    shown = figures(world.users["official"], world.areas["community_b"])
    assert shown["in_use"][1] == 1 and shown["in_preparation"][1] == 0
    assert shown["residents_benefiting"][1] == 1


def test_people_without_reach_see_zeros(world, projects):
    for persona in ("programme_officer", "org_member", "other_staff"):
        shown = figures(world.users[persona], world.areas["community_a"])
        assert {code: value for code, (_label, value) in shown.items()} == {
            "in_preparation": 0,
            "under_construction": 0,
            "in_use": 0,
            "residents_benefiting": 0,
            "total_cost": Decimal("0.00"),
            "total_subsidy": Decimal("0.00"),
            "stalled": 0,
        }


def test_the_tiles_take_two_queries(world, projects):
    user = world.users["official"]
    figures(user, world.areas["district"])  # memberships cached on the user
    with CaptureQueriesContext(connection) as queries:
        figures(user, world.areas["district"])
    assert len(queries) == 2


def test_the_dashboard_provider_is_registered():
    provider = registry.dashboard_providers["elevators"]
    assert provider.tiles is dashboards.tiles
    assert provider.order == 30


def test_the_projects_export_masks_the_initiator_and_keeps_scope(world, projects):
    project = projects["in_use"]
    project.initiator = Person.objects.create(community=world.areas["community_a"], name="胡桃兰")
    project.save()
    provider = registry.export_providers["elevators.projects"]
    assert provider.kind == "elevators.project"
    rows = export_queryset(
        provider_name="elevators.projects", user=world.users["own_staff"], params={}
    )
    assert rows.count() == 6
    with translation.override("en"):
        table = list(export_rows(provider=provider, queryset=rows.filter(pk=project.pk)))
    assert table[0] == [
        "reference number",
        "estate",
        "building",
        "unit",
        "stage",
        "initiator",
        "total cost (yuan)",
        "subsidy (yuan)",
    ]
    assert table[1][:6] == [project.case.reference, "E4", "1", "1", "in use", "胡**"]
    assert "胡桃兰" not in str(table)
    official = export_queryset(
        provider_name="elevators.projects", user=world.users["official"], params={"stage": "in_use"}
    )
    assert official.count() == 3
