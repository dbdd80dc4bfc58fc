"""The civility dashboard tiles: the measures as tiles, for those who see them, at a
fixed number of queries."""

from datetime import datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civility import dashboards
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


def test_the_provider_is_registered():
    assert registry.dashboard_providers["civility"].tiles is dashboards.tiles


def test_the_tiles_show_the_measures(world):
    build(world, sites_in_a=4)

    shown = tiles(world)

    assert shown["criteria"] == "6 → 4"
    assert (shown["inspections"], shown["findings"]) == (5, 9)
    assert shown["findings_per_inspection"] == 1.8
    assert shown["fixed_share"] == "56%"
    assert shown["settled_in_one_visit"] == "3 / 5"
    assert shown["overdue_orders"] == 1
    assert (shown["platform_last_12_months"], shown["platform_previous_12_months"]) == (2, 4)
    assert shown["platform_change"] == "-50%"
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
