"""The civility dashboard: the measures as tiles, for those who see them, a league table
per child area and problems sent to the platform by month, at a fixed number of queries."""

import csv
import io
from datetime import datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civility import dashboards
from civility.models import OutreachTeam, TeamMember
from portal.registry import registry
from portal.roles import Programme
from tests.civility.test_measures import END, START, build, build_more
from tests.scope import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world(Programme.CIVILITY)


def period():
    return (
        timezone.make_aware(datetime.combine(START, time.min)),
        timezone.make_aware(datetime.combine(END, time.max)),
    )


def tiles(world, persona="programme_officer", area="district"):
    start, end = period()
    found = dashboards.tiles(
        user=world.users[persona], area=world.areas[area], start=start, end=end
    )
    return {tile.code: tile.value for tile in found}


def test_the_provider_is_registered_with_its_league_table_and_trend():
    provider = registry.dashboard_providers["civility"]

    assert provider.tiles is dashboards.tiles
    assert provider.by_area is dashboards.by_area and provider.trend is dashboards.trend
    assert [code for code, _label in provider.figures] == [
        "inspections",
        "findings",
        "fixed_share",
        "overdue_orders",
        "platform_in_period",
    ]


def test_the_tiles_show_the_measures(world):
    build(world, sites_in_a=4)

    shown = tiles(world)

    assert shown["criteria"] == "6 → 4"
    assert (shown["inspections"], shown["findings"]) == (5, 9)
    assert shown["findings_per_inspection"] == 1.8
    assert shown["fixed_share"] == 56
    assert shown["settled_in_one_visit"] == "3 / 5"
    assert shown["overdue_orders"] == 1
    assert (shown["platform_last_12_months"], shown["platform_previous_12_months"]) == (2, 4)
    assert shown["platform_change"] == "-50%"
    assert shown["platform_in_period"] == 2
    assert (shown["outreach_events"], shown["outreach_audience"]) == (3, 100)
    assert shown["outreach_minors"] == 30


def test_without_data_the_tiles_show_dashes(world):
    shown = tiles(world)

    assert shown["criteria"] == shown["platform_change"] == shown["fixed_share"] == "—"
    assert shown["settled_in_one_visit"] == "0 / 0"


def test_the_tiles_run_a_fixed_number_of_queries(world):
    counts = []
    for size in (2, 10):
        build(world, sites_in_a=2) if size == 2 else build_more(world, size)
        tiles(world)
        with CaptureQueriesContext(connection) as queries:
            tiles(world)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 7


def test_the_dashboard_page_shows_the_section_to_civility_officers_not_to_others(client, world):
    build(world, sites_in_a=2)

    def sections(persona):
        client.force_login(world.users[persona])
        response = client.get(reverse("portal:dashboard"))
        if response.status_code != 200:
            return set()
        return {provider.name for provider, _tiles in response.context["sections"]}

    assert "civility" in sections("programme_officer")
    assert "civility" in sections("official")
    assert "civility" in sections("own_staff")
    assert "civility" not in sections("org_member")


def team(area, size: int) -> None:
    made = OutreachTeam.objects.create(area=area, name=f"Team of {size}")
    TeamMember.objects.bulk_create(TeamMember(team=made, name=f"M{n}") for n in range(size))


def test_the_team_tile_counts_the_members_of_the_teams_in_the_area(world):
    team(world.areas["community_a"], 22)
    team(world.areas["community_b"], 5)

    assert tiles(world, area="community_a")["outreach_team_members"] == 22
    assert tiles(world, area="district")["outreach_team_members"] == 27
    assert tiles(world, persona="org_member")["outreach_team_members"] == 0


def test_each_communitys_row_of_the_league_table_is_its_own_tiles(world):
    build(world, sites_in_a=4)
    start, end = period()
    officer = world.users["programme_officer"]
    communities = [world.areas["community_a"], world.areas["community_b"]]
    codes = [code for code, _label in dashboards.FIGURES]

    table = dashboards.by_area(user=officer, areas=communities, start=start, end=end)

    for key in ("community_a", "community_b"):
        alone = tiles(world, area=key)
        assert table[world.areas[key].pk] == {code: alone[code] for code in codes}
    assert table[communities[0].pk]["fixed_share"] == 50  # 4 of 8 fixed on the spot
    assert table[communities[1].pk]["platform_in_period"] == 0


def test_the_trend_counts_the_problems_sent_to_the_platform_by_month(world):
    build(world, sites_in_a=4)
    start, end = period()

    months = dashboards.trend(
        user=world.users["programme_officer"], area=world.areas["district"], start=start, end=end
    )

    assert [month for month, _figures in months][-1] == END.strftime("%Y-%m")
    assert sum(figures["platform_in_period"] for _month, figures in months) == 2


def test_the_league_table_and_trend_run_a_fixed_number_of_queries(world):
    start, end = period()
    officer = world.users["programme_officer"]
    communities = [world.areas["community_a"], world.areas["community_b"]]
    counts = []
    for size in (2, 10):
        build(world, sites_in_a=2) if size == 2 else build_more(world, size)
        with CaptureQueriesContext(connection) as queries:
            dashboards.by_area(user=officer, areas=communities, start=start, end=end)
            dashboards.trend(user=officer, area=world.areas["district"], start=start, end=end)
        counts.append(len(queries))
    assert counts[0] == counts[1] == 3 + 1


def test_the_page_shows_the_league_table_and_its_export_equals_it(client, world):
    build(world, sites_in_a=4)
    client.force_login(world.users["programme_officer"])
    start, end = (moment.date().isoformat() for moment in period())
    url = reverse("portal:dashboard_area", args=[world.areas["subdistrict"].pk])

    response = client.get(url, {"start": start, "end": end, "civility_sort": "-findings"})
    panel = next(p for p in response.context["panels"] if p.provider.name == "civility")
    export = client.get(
        reverse("portal:export", args=[panel.league.export_name]) + "?" + panel.export_query
    )

    assert [row.area for row in panel.league.rows] == [
        world.areas["community_a"],
        world.areas["community_b"],
    ]
    assert [chart.code for chart in panel.charts] == ["platform_in_period"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1:] == [
        [row.area.name, *(str(value) for value in row.values)] for row in panel.league.rows
    ]
