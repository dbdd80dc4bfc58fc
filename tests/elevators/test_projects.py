"""Starting elevator projects and the project pages."""

import pytest
from django.urls import reverse

from elevators.models import Project, Stage
from elevators.services.projects import project_start
from housing.models import Person, Relation, Residence
from portal.models import Case
from tests.elevators.helpers import project_with_owners
from tests.housing.helpers import estate_with_households
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned_flat(world):
    _estate, flats = estate_with_households(world.areas["community_a"], households=12)
    person = Person.objects.create(
        community=world.areas["community_a"], name="胡桃兰", user=world.users["resident"]
    )
    Residence.objects.create(person=person, household=flats[-1], relation=Relation.OWNER)
    return flats[-1]


def test_a_verified_owner_starts_an_intent_and_becomes_its_initiator(world, owned_flat):
    project = project_start(actor=world.users["resident"], unit=owned_flat.unit)

    assert project.stage == Stage.INTENT and project.initiator.name == "胡桃兰"
    assert project.case.filed_by == world.users["resident"]
    assert project.case in Case.objects.visible_to(world.users["resident"])


def test_one_live_project_per_unit(world, owned_flat):
    from django.core.exceptions import ValidationError

    project_start(actor=world.users["resident"], unit=owned_flat.unit)

    with pytest.raises(ValidationError):
        project_start(actor=world.users["own_staff"], unit=owned_flat.unit)


def test_nobody_else_starts_one_for_a_unit_they_do_not_own(world, owned_flat):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        project_start(actor=world.users["other_staff"], unit=owned_flat.unit)
    with pytest.raises(PermissionDenied):
        project_start(actor=world.users["official"], unit=owned_flat.unit)


def test_the_resident_starts_from_the_page(client, world, owned_flat):
    client.force_login(world.users["resident"])

    response = client.post(
        reverse("elevators:project_start"), {"unit": owned_flat.unit.pk, "total_cost": "-5"}
    )
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(reverse("elevators:project_start"), {"unit": owned_flat.unit.pk})

    project = Project.objects.get()
    assert response["Location"] == reverse("elevators:project_detail", args=[project.pk])


def test_scope_of_the_project_pages(client, world):
    project, _flats = project_with_owners(world, owner=world.users["resident"])
    check_scope(
        client,
        world,
        reverse("elevators:project_detail", args=[project.pk]),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 404,
            "official": 200,
            "org_member": 404,
        },
    )
    check_scope(
        client,
        world,
        reverse("elevators:project_list"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 200,
            "org_member": 200,
        },
    )
    check_scope(
        client,
        world,
        reverse("elevators:project_start"),
        {
            "anonymous": 302,
            "resident": 200,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )


@pytest.mark.parametrize("households", [12, 120])
def test_the_project_page_runs_a_fixed_number_of_queries(
    client, world, households, django_assert_max_num_queries
):
    project, _flats = project_with_owners(
        world, households=households, owner=world.users["resident"]
    )
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(45):
        response = client.get(reverse("elevators:project_detail", args=[project.pk]))
    assert response.status_code == 200


def test_the_demo_shows_the_sources_figures(demo_data):
    """8 in use, 3 under construction, 3 in preparation, 200+ residents benefiting."""
    from datetime import timedelta

    from django.utils import timezone, translation

    from elevators import dashboards
    from portal.models import Area, User

    now = timezone.now()
    for username, area in [("staff.xiaoyangquan", "小阳泉北社区"), ("official.yangquan", "城区")]:
        with translation.override("en"):
            tiles = {
                t.code: t.value
                for t in dashboards.tiles(
                    user=User.objects.get(username=username),
                    area=Area.objects.get(name=area),
                    start=now - timedelta(days=365),
                    end=now,
                )
            }
        assert (tiles["in_use"], tiles["under_construction"], tiles["in_preparation"]) == (8, 3, 3)
        assert tiles["residents_benefiting"] >= 200
    hu = Project.objects.get(initiator__name="胡桃兰")
    assert hu.stage == Stage.CONSTRUCTION and hu.objections.get().status == "resolved"
    assert hu.schedules.filter(agreed_on__isnull=False).count() == 3


def test_the_load_generator_adds_projects_in_every_stage_once(demo_data):
    from django.utils import timezone

    from elevators.load import generate as elevators_generate
    from housing.load import generate as housing_generate

    housing_generate(communities=1, today=timezone.localdate())

    assert elevators_generate(communities=3, today=timezone.localdate()) == "80 elevator projects"
    assert Project.objects.filter(stage=Stage.VOTING, ballots__isnull=False).distinct().count() >= 3
    assert elevators_generate(communities=3, today=timezone.localdate()) == "0 elevator projects"
