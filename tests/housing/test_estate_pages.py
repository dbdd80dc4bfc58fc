"""Estate list and estate page: scope, counts without a query per row, the demo, load data."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from housing import dashboards
from housing.load import generate
from housing.models import Estate, Household, ManagementMode
from tests.housing.helpers import estate_with_households
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(world):
    return estate_with_households(world.areas["community_a"])[0]


def test_scope_of_the_estate_pages(client, world, estate):
    check_scope(
        client,
        world,
        reverse("housing:estate_list"),
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
    check_scope(
        client,
        world,
        reverse("housing:estate_detail", args=[estate.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 404,
        },
    )
    check_scope(
        client,
        world,
        reverse("housing:estate_create"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,
            "official": 403,
            "org_member": 403,
        },
    )


def test_the_list_shows_only_estates_in_scope_with_counts_and_gaps(client, world, estate):
    Estate.objects.create(community=world.areas["community_b"], name="Elsewhere")
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("housing:estate_list"), HTTP_ACCEPT_LANGUAGE="en")

    rows = response.context["rows"]
    assert [e.name for e, _gaps in rows] == ["Qingyi"]
    listed, gaps = rows[0]
    assert listed.household_count == 4 and listed.building_count == 1
    assert [str(g) for g in gaps] == ["no management mode"]


def test_the_list_filters_on_mode_and_roster_gaps(client, world, estate):
    Estate.objects.create(
        community=world.areas["community_a"], name="Mixed", management_mode=ManagementMode.MIXED
    )
    client.force_login(world.users["own_staff"])
    url = reverse("housing:estate_list")

    by_mode = client.get(url, {"management_mode": "mixed"}).context["object_list"]
    by_gap = client.get(url, {"gap": "no_mode"}).context["object_list"]

    assert [e.name for e in by_mode] == ["Mixed"]
    assert [e.name for e in by_gap] == ["Qingyi"]


@pytest.mark.parametrize("households", [10, 1000])
def test_the_estate_page_and_list_run_a_fixed_number_of_queries(
    client, world, households, django_assert_max_num_queries
):
    estate, _flats = estate_with_households(world.areas["community_a"], households=households)
    client.force_login(world.users["own_staff"])

    with django_assert_max_num_queries(21):
        detail = client.get(reverse("housing:estate_detail", args=[estate.pk]))
    with django_assert_max_num_queries(9):
        listing = client.get(reverse("housing:estate_list"))

    assert detail.status_code == listing.status_code == 200
    assert listing.context["rows"][0][0].household_count == households


def test_the_dashboard_tiles_aggregate_what_the_user_sees(world, estate):
    from django.utils import translation

    now = timezone.now()
    with translation.override("en"):
        tiles = {
            t.code + ":" + str(t.label): t.value
            for t in dashboards.tiles(
                user=world.users["official"],
                area=world.areas["district"],
                start=now - timedelta(days=30),
                end=now,
            )
        }

    assert tiles["estates_by_mode:not yet decided"] == 1
    assert tiles["roster_gaps:Estates with roster gaps"] == 1
    assert (
        dashboards.tiles(
            user=world.users["other_staff"], area=world.areas["community_a"], start=now, end=now
        )[0].value
        == 0
    )


def test_the_load_generator_makes_valid_estates_once(db):
    assert generate(communities=1, today=timezone.localdate()) == (
        "1 communities, 10 estates, 960 households, 300 estate issues"
    )
    assert generate(communities=1, today=timezone.localdate()).startswith("0 communities")
    assert Household.objects.count() == 960


def test_the_demo_builds_the_source_places(demo_data):
    from housing.models import EstateIssue, Person
    from housing.services.registry import is_verified_owner
    from portal.models import User

    qingyi = Estate.objects.get(name="清怡院")
    assert qingyi.management_mode == ManagementMode.MIXED
    assert set(
        EstateIssue.objects.filter(estate=qingyi).values_list("case__status", flat=True)
    ) == {"solved_on_spot", "collective_study", "escalated"}
    wang = Person.objects.get(name="王鹏")
    assert is_verified_owner(
        User.objects.get(username="resident.wangpeng"), wang.residences.get().household
    )
    shengzeyuan_units = (
        Household.objects.filter(unit__building__estate__community__name="小阳泉北社区")
        .values("unit")
        .distinct()
    )
    assert shengzeyuan_units.count() >= 14  # 8 in use, 3 under construction, 3 in preparation
    assert Person.objects.filter(name__in=["胡桃兰", "荆师傅"]).count() == 2


def test_the_list_filters_on_grid(client, world, estate):
    Estate.objects.create(
        community=world.areas["community_a"], name="On the grid", grid=world.areas["grid_a1"]
    )
    client.force_login(world.users["own_staff"])

    listed = client.get(
        reverse("housing:estate_list"), {"grid": world.areas["grid_a1"].pk}
    ).context["object_list"]

    assert [e.name for e in listed] == ["On the grid"]
