"""Outreach: teams with rosters, events with aggregate counts, their pages and scope."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from civility.models import EventType, OutreachEvent, OutreachTeam, PlaceType
from civility.services import outreach as services
from portal.roles import Programme
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def world(db):
    return build_world(Programme.CIVILITY)


def event_fields(**overrides):
    fields = {
        "type": EventType.SAFETY_TOUR,
        "theme": "农村用电安全进校园",
        "held_on": TODAY - timedelta(days=3),
        "place_type": PlaceType.SCHOOL,
        "place_name": "示例小学",
        "team": None,
        "organiser": "供电所",
        "audience": 200,
        "minors": 180,
        "materials": 220,
        "note": "",
    }
    return {**fields, **overrides}


def make_team(world, area="community_a", name="宣讲团", members="甲, 社区\n乙, 志愿者"):
    return services.team_create(
        actor=world.users["programme_officer"],
        area=world.areas[area],
        name=name,
        members=members,
    )


def make_event(world, area="community_a", **overrides):
    return services.event_create(
        actor=world.users["programme_officer"], area=world.areas[area], **event_fields(**overrides)
    )


# --- Services --------------------------------------------------------------------------


def test_a_roster_takes_one_member_per_line_with_chinese_or_latin_commas():
    roster = services.parse_roster("马某（示例）, 社区党委\n\n 王某（示例），网格员 \n宣讲员03")

    assert [(m.name, m.affiliation) for m in roster] == [
        ("马某（示例）", "社区党委"),
        ("王某（示例）", "网格员"),
        ("宣讲员03", ""),
    ]


@pytest.mark.parametrize(
    "text, code",
    [("", "roster_empty"), ("  \n ", "roster_empty"), ("甲, 社区\n, 无名", "roster_name")],
)
def test_a_bad_roster_is_refused_naming_the_line(text, code):
    with pytest.raises(ValidationError) as refused:
        services.parse_roster(text)

    assert refused.value.error_dict["members"][0].code == code


def test_staff_register_a_team_in_their_community_only(world):
    team = services.team_create(
        actor=world.users["own_staff"],
        area=world.areas["community_a"],
        name=" 一家亲宣讲团 ",
        members="甲, 社区\n乙",
    )

    assert team.name == "一家亲宣讲团" and team.members.count() == 2
    for persona, area in [("own_staff", "community_b"), ("official", "community_a")]:
        with pytest.raises(PermissionDenied):
            services.team_create(
                actor=world.users[persona], area=world.areas[area], name="x", members="甲"
            )


def test_an_event_keeps_counts_only_and_its_team(world):
    team = make_team(world)

    event = make_event(world, team=team, organiser="")

    assert (event.audience, event.minors, event.materials) == (200, 180, 220)
    assert event.team == team and event.area == world.areas["community_a"]


@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"minors": 201}, "minors", "minors_over_audience"),
        ({"organiser": "", "team": None}, "organiser", "organiser"),
        ({"theme": "  "}, "theme", "theme"),
        ({"type": "party"}, "type", "type"),
        ({"held_on": None}, "held_on", "held_on"),
        ({"held_on": date(TODAY.year + 3, 1, 1)}, "held_on", "held_on_future"),
        ({"audience": -1, "minors": 0}, "audience", "count"),
    ],
)
def test_bad_events_are_refused_by_field(world, overrides, field, code):
    with pytest.raises(ValidationError) as refused:
        make_event(world, **overrides)

    assert refused.value.error_dict[field][0].code == code
    assert not OutreachEvent.objects.exists()


def test_an_event_cannot_name_a_team_of_another_community(world):
    team_b = make_team(world, area="community_b")

    with pytest.raises(ValidationError) as refused:
        make_event(world, team=team_b)

    assert refused.value.error_dict["team"][0].code == "team"


def test_a_team_of_the_district_may_organise_in_a_community(world):
    district_team = make_team(world, area="district")

    assert make_event(world, team=district_team).team == district_team


def test_an_event_is_corrected_by_those_who_may_change_it(world):
    event = make_event(world)

    updated = services.event_update(
        actor=world.users["own_staff"], event=event, **event_fields(audience=250)
    )
    unchanged = services.event_update(
        actor=world.users["own_staff"], event=event, **event_fields(audience=250)
    )

    assert updated.audience == 250 and unchanged.audience == 250
    for persona in ("official", "other_staff", "org_member"):
        with pytest.raises(PermissionDenied):
            services.event_update(actor=world.users[persona], event=event, **event_fields())


# --- Pages -----------------------------------------------------------------------------

EVERYONE = {
    "anonymous": 302,
    "resident": 403,
    "other_staff": 200,
    "own_staff": 200,
    "programme_officer": 200,
    "official": 200,
    "org_member": 403,
}


def test_the_list_pages_scope(client, world):
    check_scope(client, world, reverse("civility:event_list"), EVERYONE)
    check_scope(client, world, reverse("civility:team_list"), EVERYONE)


def test_the_create_pages_scope(client, world):
    expected = {**EVERYONE, "official": 403}
    check_scope(client, world, reverse("civility:event_create"), expected)
    check_scope(client, world, reverse("civility:team_create"), expected)


def test_the_event_pages_scope(client, world):
    event = make_event(world)
    own = {**EVERYONE, "resident": 404, "other_staff": 404, "org_member": 404}

    check_scope(client, world, reverse("civility:event_detail", args=[event.pk]), own)
    check_scope(
        client, world, reverse("civility:event_edit", args=[event.pk]), {**own, "official": 403}
    )


def test_the_team_page_scope(client, world):
    team = make_team(world)
    own = {**EVERYONE, "resident": 404, "other_staff": 404, "org_member": 404}

    check_scope(client, world, reverse("civility:team_detail", args=[team.pk]), own)


def test_the_lists_show_only_what_is_in_scope(client, world):
    make_event(world, theme="甲社区宣讲")
    make_event(world, area="community_b", theme="乙社区宣讲")
    client.force_login(world.users["other_staff"])

    page = client.get(reverse("civility:event_list")).content.decode()

    assert "乙社区宣讲" in page and "甲社区宣讲" not in page


def test_the_list_filters_by_type_place_team_and_period(client, world):
    team = make_team(world)
    make_event(world, theme="学校", team=team, organiser="")
    make_event(
        world,
        theme="社区",
        type=EventType.LECTURE,
        place_type=PlaceType.COMMUNITY,
        held_on=TODAY - timedelta(days=60),
        minors=0,
    )
    client.force_login(world.users["programme_officer"])

    def themes(**params):
        response = client.get(reverse("civility:event_list"), params)
        return sorted(e.theme for e in response.context["object_list"])

    assert themes() == ["学校", "社区"]
    assert themes(type=EventType.LECTURE) == ["社区"]
    assert themes(place_type=PlaceType.SCHOOL) == ["学校"]
    assert themes(team=team.pk) == ["学校"]
    assert themes(since=(TODAY - timedelta(days=10)).isoformat()) == ["学校"]
    assert themes(until=(TODAY - timedelta(days=10)).isoformat()) == ["社区"]


@pytest.mark.parametrize("events", [3, 40])
def test_the_event_list_runs_a_fixed_number_of_queries(
    client, world, events, django_assert_max_num_queries
):
    team = make_team(world)
    OutreachEvent.objects.bulk_create(
        OutreachEvent(
            area=world.areas["community_a" if n % 2 else "community_b"],
            type=EventType.LECTURE,
            theme=f"宣讲{n}",
            held_on=TODAY - timedelta(days=n),
            place_type=PlaceType.COMMUNITY,
            place_name="中心",
            team=team if n % 3 else None,
            organiser="社区",
            audience=10,
        )
        for n in range(events)
    )
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(10):
        response = client.get(reverse("civility:event_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(events, 25)


@pytest.mark.parametrize("teams", [2, 30])
def test_the_team_list_runs_a_fixed_number_of_queries(
    client, world, teams, django_assert_max_num_queries
):
    for n in range(teams):
        make_team(world, name=f"队{n}")
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(8):
        response = client.get(reverse("civility:team_list"))
    assert response.status_code == 200
    assert sum(t.member_count for t in response.context["object_list"]) == 2 * min(teams, 25)


def test_recording_an_event_through_the_form(client, world):
    client.force_login(world.users["own_staff"])
    data = {**event_fields(), "area": world.areas["community_a"].pk, "team": ""}
    data["held_on"] = data["held_on"].isoformat()

    response = client.post(reverse("civility:event_create"), data)

    event = OutreachEvent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("civility:event_detail", args=[event.pk])
    assert event.minors == 180 and event.organiser == "供电所"


def test_more_minors_than_audience_is_a_form_error_keeping_the_input(client, world):
    client.force_login(world.users["own_staff"])
    data = {**event_fields(), "area": world.areas["community_a"].pk, "team": ""}
    data.update(held_on="2025-06-18", minors="300", theme="我的主题")

    response = client.post(reverse("civility:event_create"), data)

    assert response.status_code == 200
    assert "minors" in response.context["form"].errors
    page = response.content.decode()
    assert "我的主题" in page and 'value="300"' in page
    assert not OutreachEvent.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"area": "999999"},
        {"area": "abc"},
        {"held_on": "2025-02-30"},
        {"audience": "many"},
        {"type": "party"},
        {"team": "999999"},
    ],
)
def test_bad_event_input_is_a_form_error(client, world, changes):
    client.force_login(world.users["own_staff"])
    data = {**event_fields(), "area": world.areas["community_a"].pk, "team": ""}
    data["held_on"] = data["held_on"].isoformat()
    data.update(changes)

    response = client.post(reverse("civility:event_create"), data)

    assert response.status_code == 200 and response.context["form"].errors
    assert not OutreachEvent.objects.exists()


def test_another_communitys_area_is_refused_on_the_form(client, world):
    client.force_login(world.users["own_staff"])
    data = {**event_fields(), "area": world.areas["community_b"].pk, "team": ""}
    data["held_on"] = data["held_on"].isoformat()

    response = client.post(reverse("civility:event_create"), data)

    assert response.status_code == 200 and "area" in response.context["form"].errors


def test_editing_an_event_through_the_form(client, world):
    event = make_event(world)
    client.force_login(world.users["own_staff"])
    data = {**event_fields(audience=300), "team": ""}
    data["held_on"] = data["held_on"].isoformat()

    response = client.post(reverse("civility:event_edit", args=[event.pk]), data)
    bad = client.post(reverse("civility:event_edit", args=[event.pk]), {**data, "minors": 400})

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.audience == 300
    assert bad.status_code == 200 and "minors" in bad.context["form"].errors


def test_registering_a_team_through_the_form(client, world):
    client.force_login(world.users["own_staff"])
    members = "\n".join(f"宣讲员{n:02d}（示例）, 社区" for n in range(1, 23))

    response = client.post(
        reverse("civility:team_create"),
        {"area": world.areas["community_a"].pk, "name": "一家亲", "members": members},
    )

    team = OutreachTeam.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("civility:team_detail", args=[team.pk])).content.decode()
    assert 'data-member-count="22"' in page and "宣讲员22（示例）" in page


@pytest.mark.parametrize(
    "data",
    [
        {"name": "队", "members": ", 无名"},
        {"name": "队", "members": ""},
        {"name": "", "members": "甲"},
        {"name": "队", "members": "甲", "area": "abc"},
        {"name": "队", "members": "x" * 101},
    ],
)
def test_bad_team_input_is_a_form_error_keeping_the_input(client, world, data):
    client.force_login(world.users["own_staff"])
    data = {"area": world.areas["community_a"].pk, **data}

    response = client.post(reverse("civility:team_create"), data)

    assert response.status_code == 200 and response.context["form"].errors
    assert not OutreachTeam.objects.exists()
    if data["members"]:
        assert data["members"][:20] in response.content.decode()


def test_the_event_page_shows_minors_as_a_count(client, world):
    event = make_event(world)
    client.force_login(world.users["official"])

    response = client.get(reverse("civility:event_detail", args=[event.pk]))

    page = response.content.decode()
    assert "180" in page and response.context["may_change"] is False
