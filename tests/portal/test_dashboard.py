"""The area dashboard: each provider's tiles for an area the user reaches, down and back up."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from eldercare.models import Facility, FacilityType, ServiceLog
from portal.breakdowns import attention_cases
from portal.models import Area, Case, User
from portal.registry import case_url
from portal.services.cases import case_open
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
    with django_assert_max_num_queries(50):
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


def issue(world, community: str, title: str, *, due_days: int, **marks) -> Case:
    """An open housing issue due `due_days` from now (negative: overdue), with `marks`
    such as `escalated_at` or `closed_at`."""
    case = case_open(
        kind="housing.issue",
        actor=world.users["own_staff" if community == "community_a" else "other_staff"],
        community=world.areas[community],
        title=title,
    )
    Case.objects.filter(pk=case.pk).update(
        due_at=timezone.now() + timedelta(days=due_days), **marks
    )
    case.refresh_from_db()
    return case


def test_the_dashboard_lists_the_overdue_and_escalated_cases_with_links(client, world):
    now = timezone.now()
    overdue = issue(world, "community_a", "Leak overdue", due_days=-1)
    escalated = issue(world, "community_a", "Leak escalated", due_days=3, escalated_at=now)
    supervised = issue(world, "community_b", "Leak supervised", due_days=-5, supervised_at=now)
    issue(world, "community_a", "Leak on time", due_days=3)
    issue(world, "community_a", "Leak closed", due_days=-2, closed_at=now, escalated_at=now)
    client.force_login(world.users["official"])

    response = client.get(reverse("portal:dashboard"))
    section = response.content.decode().split("data-attention", 1)[1].split("</section>")[0]

    listed = response.context["attention"].cases
    assert listed == [escalated, overdue, supervised]  # the most recently due first
    for case in listed:
        assert f'<a href="{case_url(case)}">{case.reference}</a>' in section
    assert section.count("text-bg-danger") == 1 and section.count("text-bg-warning") == 2
    assert "Leak on time" not in section and "Leak closed" not in section


def test_a_community_sees_only_its_own_cases_needing_attention(client, world):
    own = issue(world, "community_a", "Ours", due_days=-1)
    issue(world, "community_b", "Theirs", due_days=-1)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("portal:dashboard"))

    assert response.context["attention"].cases == [own]


def test_a_programme_officer_sees_only_their_programmes_cases_needing_attention(client, world):
    issue(world, "community_a", "Leak", due_days=-1)  # housing: the officer's programme
    client.force_login(world.users["programme_officer"])

    listed = client.get(reverse("portal:dashboard")).context["attention"].cases

    assert [case.kind for case in listed] == ["housing.issue"]


def test_the_list_of_cases_needing_attention_stops_at_ten_in_one_query(world):
    official = world.users["official"]
    district = world.areas["district"]
    counts = []
    for size in (2, 12):
        for n in range(size):
            issue(world, "community_a", f"Overdue {size}-{n}", due_days=-1 - n)
        attention_cases(user=official, area=district)  # memberships are read once per request
        with CaptureQueriesContext(connection) as queries:
            found = attention_cases(user=official, area=district)
        counts.append(len(queries))

    assert counts == [1, 1]
    assert len(found.cases) == 10 and found.more


def test_the_practices_with_figures_come_first(client, world):
    Facility.objects.create(
        community=world.areas["community_a"],
        name="助餐点",
        type=FacilityType.MEAL_POINT,
        address="府东路",
    )
    client.force_login(world.users["official"])

    sections = client.get(reverse("portal:dashboard")).context["sections"]

    from portal.views.dashboards import has_figures

    flags = [has_figures(tiles) for _provider, tiles in sections]
    names = [provider.name for provider, _tiles in sections]
    # Panels with figures (eldercare among them) first; the empty ones after, in order.
    assert flags == sorted(flags, reverse=True)
    assert "eldercare" in names[: flags.count(True)]
    empty = [p.order for (p, _t), full in zip(sections, flags, strict=True) if not full]
    assert empty == sorted(empty) and "housing" in names[flags.count(True) :]


def test_cached_figures_say_when_they_were_computed_and_cost_no_queries(
    client, world, settings, django_assert_max_num_queries
):
    from django.core.cache import cache

    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    client.force_login(world.users["official"])
    url = reverse("portal:dashboard_area", args=[world.areas["district"].pk])
    first = client.get(url)
    assert first.status_code == 200 and b"data-as-of" in first.content
    with django_assert_max_num_queries(12):
        again = client.get(url)
    assert again.content.count(b"data-tile=") == first.content.count(b"data-tile=") > 0
    # Another period is other figures: computed, not served from the first.
    other = client.get(url, {"start": "2020-01-01", "end": "2020-12-31"})
    assert b"2020-01-01" in other.content
    cache.clear()
