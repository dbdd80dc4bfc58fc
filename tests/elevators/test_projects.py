"""Starting elevator projects and the project pages."""

import pytest
from django.urls import reverse

from elevators.models import Project, Stage
from elevators.services.projects import project_start
from housing.models import Estate, Person, Relation, Residence
from housing.services import registry
from portal.models import Case
from portal.services.cases import case_escalate, case_open
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


def fill_projects(world, rows, *, community="community_a", staff="own_staff"):
    """`rows` projects, one per unit of a fresh building, with a yellow mark on some and
    the stages taking turns; returns them."""
    actor = world.users[staff]
    estate = Estate.objects.create(community=world.areas[community], name=f"Estate {community}")
    building = registry.building_ensure(estate=estate, number="1", floors=6)
    stages = [Stage.INTENT, Stage.VOTING]
    projects = []
    for n in range(rows):
        case = case_open(
            kind="elevators.project",
            actor=actor,
            community=world.areas[community],
            title=f"{n + 1}单元 加装电梯",
        )
        if n % 3 == 1:
            case_escalate(case=case, actor=actor)
        unit = registry.unit_ensure(building=building, number=str(n + 1))
        projects.append(
            Project.objects.create(case=case, unit=unit, stage=stages[n % 2], total_cost=1000 + n)
        )
    return projects


@pytest.mark.parametrize("rows", [3, 30])
def test_the_project_list_runs_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries
):
    fill_projects(world, rows)
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(6):
        response = client.get(reverse("elevators:project_list"))
    assert len(response.context["object_list"]) == min(rows, 25)
    assert "text-bg-warning" in response.content.decode()  # the escalated ones' mark


def test_the_project_list_pages_by_cursor_newest_first(client, world):
    fill_projects(world, 30)
    fill_projects(world, 2, community="community_b", staff="other_staff")
    client.force_login(world.users["own_staff"])
    url = reverse("elevators:project_list")

    first = client.get(url)
    keyset = first.context["keyset"]
    assert keyset.has_next and not keyset.has_previous
    assert "page=" not in first.content.decode()
    second = client.get(url, {"after": keyset.next_cursor})

    rows = list(first.context["object_list"]) + list(second.context["object_list"])
    assert len(second.context["object_list"]) == 5
    assert [p.pk for p in rows] == list(
        Project.objects.filter(case__community=world.areas["community_a"])
        .order_by("-case__created_at", "-pk")
        .values_list("pk", flat=True)
    )
    keys = [(project.case.created_at, project.pk) for project in rows]
    assert keys == sorted(keys, reverse=True)
    assert second.context["keyset"].has_previous and not second.context["keyset"].has_next
    # Back from the second page is the first page again.
    back = client.get(url, {"after": second.context["keyset"].previous_cursor})
    assert list(back.context["object_list"]) == list(first.context["object_list"])


def test_the_project_list_keeps_its_stage_filter_on_the_next_link(client, world):
    projects = fill_projects(world, 60)
    client.force_login(world.users["own_staff"])
    url = reverse("elevators:project_list")

    first = client.get(url, {"stage": Stage.VOTING})
    html = first.content.decode()
    assert "stage=voting" in html.split('rel="next"')[0].rsplit("href", 1)[1]
    second = client.get(url, {"stage": Stage.VOTING, "after": first.context["keyset"].next_cursor})

    shown = list(first.context["object_list"]) + list(second.context["object_list"])
    assert sorted(p.pk for p in shown) == sorted(p.pk for p in projects if p.stage == Stage.VOTING)
    assert not second.context["keyset"].has_next


def test_a_tampered_cursor_gives_the_first_page(client, world):
    fill_projects(world, 30)
    client.force_login(world.users["own_staff"])
    url = reverse("elevators:project_list")

    first = client.get(url)
    response = client.get(url, {"after": "not-a-cursor"})

    assert response.status_code == 200
    assert list(response.context["object_list"]) == list(first.context["object_list"])
