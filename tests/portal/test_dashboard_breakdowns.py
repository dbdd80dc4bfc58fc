"""The dashboard's league tables and trends: each child's figures are its own tiles, the
page costs a fixed number of queries, sorting is server-side, and the export is the page."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from disputes.categories import seed as seed_categories
from eldercare.models import AdaptationStage, Facility, FacilityType
from elevators.models import Stage
from housing.models import DeskVisit
from portal.breakdowns import moment
from portal.registry import registry
from portal.services.cases import case_open
from tests.disputes.test_clinic import make_dispute
from tests.eldercare.test_eldercare_dashboards import adaptations_in
from tests.elevators.test_elevator_dashboards import live_in, project_in
from tests.stations.test_stations_dashboards import ALL_SIX, check_ins, station

pytestmark = pytest.mark.django_db

EXTENDED = ("housing", "disputes", "elevators", "eldercare", "stations")
TODAY = timezone.localdate()


def build(world, size: int = 1, first: int = 0):
    """Every extended provider's rows in communities A and B, `size` times over; A has
    more of everything than B, so the two rows of each league table differ."""
    seed_categories()
    for n in range(first, first + size):
        for community, count in (("community_a", 2), ("community_b", 1)):
            area = world.areas[community]
            staff = world.users["own_staff" if community == "community_a" else "other_staff"]
            for k in range(count):
                issue = case_open(
                    kind="housing.issue", actor=staff, community=area, title=f"Leak {n}-{k}"
                )
                if k:
                    issue.escalated_at = timezone.now()
                    issue.save(update_fields=["escalated_at"])
                make_dispute(world, community=community, title=f"Parking {n}-{k}")
                _project, flats = project_in(
                    world, community, f"E{community[-1]}{n}{k}", Stage.IN_USE
                )
                live_in(world, flats[:2], f"Resident {community} {n} {k}")
                DeskVisit.objects.create(
                    estate=flats[0].unit.building.estate, scheduled_at=timezone.now()
                )
                Facility.objects.create(
                    community=area,
                    name=f"助餐点 {n}-{k}",
                    type=FacilityType.MEAL_POINT,
                    address="府东路",
                )
                made = station(area, f"Station {community} {n} {k}", open_24_hours=True, **ALL_SIX)
                check_ins(made, TODAY, rider=3 + k)
            adaptations_in(area, [(AdaptationStage.PAID, 10)] * count, name=f"H{community[-1]}{n}")
    if not first:
        project_in(world, "community_a", "Preparing", Stage.INTENT)


def dashboard(client, world, area="subdistrict", **query):
    client.force_login(world.users["official"])
    with translation.override("en"):
        return client.get(
            reverse("portal:dashboard_area", args=[world.areas[area].pk]),
            query,
            HTTP_ACCEPT_LANGUAGE="en",
        )


def panels(response) -> dict:
    return {panel.provider.name: panel for panel in response.context["panels"]}


def test_every_extended_provider_offers_a_league_table(world):
    providers = registry.dashboard_providers

    assert all(providers[name].by_area and providers[name].figures for name in EXTENDED)
    assert {name for name in EXTENDED if providers[name].trend} >= {
        "disputes",
        "eldercare",
        "stations",
    }


@pytest.mark.parametrize("name", EXTENDED)
def test_each_childs_figures_are_the_tiles_of_that_child_alone(client, world, name):
    build(world)
    official = world.users["official"]

    response = dashboard(client, world)
    league = panels(response)[name].league
    start, end = response.context["start"], response.context["end"]

    provider = registry.dashboard_providers[name]
    codes = [code for code, _label in provider.figures]
    assert [row.area for row in league.rows] == [
        world.areas["community_a"],
        world.areas["community_b"],
    ]
    for row in league.rows:
        alone = {
            tile.code: tile.value
            for tile in provider.tiles(
                user=official, area=row.area, start=moment(start, False), end=moment(end, True)
            )
        }
        assert dict(zip(codes, row.values, strict=True)) == {code: alone[code] for code in codes}
    assert league.rows[0].values != league.rows[1].values


def test_the_page_runs_the_same_number_of_queries_at_two_data_sizes(client, world):
    build(world, size=1)
    client.force_login(world.users["official"])
    url = reverse("portal:dashboard_area", args=[world.areas["subdistrict"].pk])
    client.get(url)  # warm the session and caches alike for both measurements

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    build(world, size=3, first=1)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert len(small) == len(large) <= 52
    assert panels(response)["stations"].league.rows[0].values[0] == 8


def test_a_community_user_cannot_open_a_siblings_dashboard_or_its_export(client, world):
    build(world)
    client.force_login(world.users["own_staff"])  # community A
    sibling = world.areas["community_b"]

    page = client.get(reverse("portal:dashboard_area", args=[sibling.pk]))
    export = client.get(
        reverse("portal:export", args=["portal.breakdown.disputes"]), {"area": sibling.pk}
    )
    own = client.get(reverse("portal:dashboard_area", args=[world.areas["community_a"].pk]))

    assert (page.status_code, export.status_code, own.status_code) == (404, 404, 200)
    leagues = [panel.league for panel in own.context["panels"] if panel.league]
    assert {row.area for league in leagues for row in league.rows} == {world.areas["grid_a1"]}


def test_a_programme_officer_exports_only_their_programmes_table(client, world):
    build(world)
    client.force_login(world.users["programme_officer"])  # housing, at the district
    area = world.areas["subdistrict"].pk

    housing = client.get(
        reverse("portal:export", args=["portal.breakdown.housing"]), {"area": area}
    )
    disputes = client.get(
        reverse("portal:export", args=["portal.breakdown.disputes"]), {"area": area}
    )

    assert housing.status_code == 200
    assert disputes.status_code in (403, 404)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", EXTENDED)
def test_the_export_of_a_league_table_equals_the_page(client, world, name):
    build(world)
    response = dashboard(client, world, **{f"{name}_sort": "-" + EXPORTED_SORT[name]})
    panel = panels(response)[name]

    with translation.override("en"):
        export = client.get(
            reverse("portal:export", args=[panel.league.export_name]) + "?" + panel.export_query,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    with translation.override("en"):
        header = ["Area", *(str(label) for _code, label in panel.league.columns)]
    page = [[row.area.name, *(str(v) for v in row.values)] for row in panel.league.rows]
    assert csv_rows(export) == [header, *page]
    content = response.content.decode()
    assert f'href="{reverse("portal:export", args=[panel.league.export_name])}?' in content


EXPORTED_SORT = {
    "housing": "open_issues",
    "disputes": "received",
    "elevators": "in_use",
    "eldercare": "investment",
    "stations": "check_ins",
}


def test_sorting_a_league_table_by_a_column_works_without_script(client, world):
    build(world)

    by_name = panels(dashboard(client, world))["disputes"]
    fewest_first = dashboard(client, world, disputes_sort="received")
    most_first = dashboard(client, world, disputes_sort="-received")
    nonsense = panels(dashboard(client, world, disputes_sort="-nothing"))["disputes"]

    def names(response):
        return [row.area.name for row in panels(response)["disputes"].league.rows]

    assert [row.area.name for row in by_name.league.rows] == ["Community A", "Community B"]
    assert names(fewest_first) == ["Community B", "Community A"]
    assert names(most_first) == ["Community A", "Community B"]
    assert nonsense.league.sort == "name"
    assert 'aria-sort="descending"' in most_first.content.decode()
    heading = next(h for h in panels(most_first)["disputes"].headings if h.code == "received")
    assert "disputes_sort=received" in heading.query  # the second click turns it round


def test_each_child_in_the_league_table_links_to_its_own_dashboard(client, world):
    build(world)

    content = dashboard(client, world, start="2026-01-01").content.decode()

    for child in ("community_a", "community_b"):
        url = reverse("portal:dashboard_area", args=[world.areas[child].pk])
        assert f'href="{url}?start=2026-01-01"' in content


def test_trends_are_svg_bar_charts_with_their_numbers_in_a_table(client, world):
    build(world)
    start = (TODAY - timedelta(days=70)).replace(day=1)

    response = dashboard(client, world, area="district", start=start.isoformat())
    charts = {name: panel.charts for name, panel in panels(response).items()}
    content = response.content.decode()

    disputes = charts["disputes"][0]
    assert [bar.label for bar in disputes.bars][-1] == TODAY.strftime("%Y-%m")
    assert len(disputes.bars) == 3 or len(disputes.bars) == 4
    assert disputes.bars[-1].value == 3 and sum(bar.value for bar in disputes.bars) == 3
    assert charts["stations"][0].bars[-1].value == 3 + 4 + 3
    assert charts["eldercare"][0].code == "completed_households"
    assert charts["civility"][0].code == "platform_in_period"
    assert content.count('role="img"') == 4
    assert "<title id=" in content and 'class="visually-hidden"' in content
    assert "<script" not in content.split("<main", 1)[-1].split("</main>", 1)[0]
