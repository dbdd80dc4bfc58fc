"""The area dashboard: each provider's tiles for an area the user reaches, down and back up."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from eldercare.models import Facility, FacilityType, ServiceLog
from portal.models import Area, User
from tests.scope import check_scope

pytestmark = pytest.mark.django_db


def tiles(response) -> dict:
    return {
        tile.code: tile.value for _label, found in response.context["sections"] for tile in found
    }


def test_a_user_reaches_the_dashboards_of_their_area_and_below_only(client, world):
    district = reverse("portal:dashboard_area", args=[world.areas["district"].pk])
    community_a = reverse("portal:dashboard_area", args=[world.areas["community_a"].pk])
    everyone_above = {"programme_officer": 200, "official": 200, "org_member": 404}

    check_scope(
        client,
        world,
        district,
        {"anonymous": 302, "resident": 404, "other_staff": 404, "own_staff": 404, **everyone_above},
    )
    check_scope(
        client,
        world,
        community_a,
        {"anonymous": 302, "resident": 404, "other_staff": 404, "own_staff": 200, **everyone_above},
    )


def test_the_dashboard_opens_at_the_users_area_with_the_way_down_and_back_up(client, world):
    client.force_login(world.users["official"])

    top = client.get(reverse("portal:dashboard"))
    below = client.get(reverse("portal:dashboard_area", args=[world.areas["community_a"].pk]))

    assert top.context["area"] == world.areas["district"]
    assert world.areas["subdistrict"] in list(top.context["children"])
    assert [a.name for a in below.context["trail"]] == ["District", "Subdistrict"]


def test_a_programme_officer_sees_only_their_programmes_tiles(client, world):
    client.force_login(world.users["programme_officer"])  # a housing officer

    response = client.get(reverse("portal:dashboard"))

    assert [provider.name for provider, _tiles in response.context["sections"]] == ["housing"]


def test_a_period_that_ends_before_it_starts_is_a_form_error(client, world):
    client.force_login(world.users["official"])

    response = client.get(reverse("portal:dashboard"), {"start": "2026-05-01", "end": "2026-01-01"})
    malformed = client.get(reverse("portal:dashboard"), {"start": "someday"})

    assert response.status_code == 200 and response.context["form"].errors
    assert malformed.status_code == 200 and malformed.context["form"].errors


@pytest.mark.parametrize("facilities", [2, 20])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, world, facilities, django_assert_max_num_queries
):
    for n in range(facilities):
        facility = Facility.objects.create(
            community=world.areas["community_a"],
            name=f"助餐点 {n}",
            type=FacilityType.MEAL_POINT,
            address="府东路",
        )
        ServiceLog.objects.create(facility=facility, date="2026-01-05", meals_dine_in=30)
    client.force_login(world.users["official"])

    # Tiles, league tables and trends of every provider: a fixed number, whatever the rows.
    with django_assert_max_num_queries(55):
        response = client.get(reverse("portal:dashboard"))
    assert tiles(response)["meal_points"] == facilities


@pytest.mark.parametrize("username", ["official.fengyang", "staff.fengyang"])
def test_the_fengyang_dashboard_shows_the_sources_figures(client, demo_data, username):
    client.force_login(User.objects.get(username=username))

    with translation.override("zh-hans"):
        response = client.get(reverse("portal:dashboard"))
    found = tiles(response)

    assert response.context["area"] == Area.objects.get(name="凤阳县")
    assert found["completed_households"] == 760
    assert found["investment"] > Decimal("3400000")
    assert found["institutions_with_agreements"] == 18
    assert found["doctor_teams"] == 225
    assert "760" in response.content.decode()


def test_the_yangquan_dashboard_shows_the_elevator_figures(client, demo_data):
    client.force_login(User.objects.get(username="official.yangquan"))

    found = tiles(client.get(reverse("portal:dashboard")))

    assert (found["in_use"], found["under_construction"], found["in_preparation"]) == (8, 3, 3)
    assert found["residents_benefiting"] >= 200
