"""With the demo data, each place's dashboard shows the source's figures (issue 11)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db

# username -> the area their dashboard opens at.
EXPECTED = {
    "staff.xiaoyangquan": "小阳泉北社区",
    "official.yangquan": "城区",
    "official.fengyang": "凤阳县",
    "official.ruian": "瑞安市",
    "staff.yulin": "榆林社区",
    "secretary.tuanjie": "团结社区",
}


def figures(response) -> dict:
    """{provider name: {tile code: value}} as the page was given them."""
    return {
        provider.name: {tile.code: tile.value for tile in found}
        for provider, found in response.context["sections"]
    }


def dashboard_of(client, username) -> tuple:
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200, username
    return response.context["area"].name, figures(response)


def test_each_places_dashboard_shows_the_sources_figures(client, demo_data):
    # One demo load for every place: loading it is the slow part.
    shown = {username: dashboard_of(client, username) for username in EXPECTED}

    assert {username: area for username, (area, _found) in shown.items()} == EXPECTED
    for username in ("staff.xiaoyangquan", "official.yangquan"):
        elevators = shown[username][1]["elevators"]
        assert (
            elevators["in_use"],
            elevators["under_construction"],
            elevators["in_preparation"],
        ) == (8, 3, 3), username
        assert elevators["residents_benefiting"] >= 200, username

    eldercare = shown["official.fengyang"][1]["eldercare"]
    assert eldercare["completed_households"] == 760
    assert eldercare["investment"] > Decimal("3400000")
    assert eldercare["institutions_with_agreements"] == 18
    assert eldercare["doctor_teams"] == 225

    civility = shown["official.ruian"][1]["civility"]
    assert civility["criteria"] == "140 → 65"
    assert civility["platform_change"] == "-50%"

    assert shown["staff.yulin"][1]["stations"]["stations"] == 2

    assert shown["secretary.tuanjie"][1]["civility"]["outreach_team_members"] == 22
