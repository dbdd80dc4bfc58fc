"""The staff and official pages: usage by worker group and week, coverage gaps,
six-haves compliance, and the feedback moderation queue."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.roles import AreaLevel
from stations.models import CheckInCount, Feedback, Station, WorkerGroup
from stations.services.registry import SIX_HAVES, feedback_moderate
from tests.factories import area
from tests.scope import check_scope
from tests.stations.test_staff_pages import make_station, station_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return station_world()


def monday_weeks_ago(weeks: int) -> date:
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)


# --- usage --------------------------------------------------------------------------


def test_usage_sums_check_ins_by_group_and_iso_week(client, world):
    a = make_station(world, 1)
    b = make_station(world, 2)
    elsewhere = make_station(world, 3, community="community_b", host=False)
    last_week = monday_weeks_ago(1)
    for station, day, group, count in [
        (a, last_week, WorkerGroup.RIDER, 5),
        (a, last_week + timedelta(days=6), WorkerGroup.RIDER, 4),
        (b, last_week + timedelta(days=2), WorkerGroup.RIDER, 1),
        (b, last_week + timedelta(days=2), WorkerGroup.COURIER, 2),
        (a, last_week + timedelta(days=7), WorkerGroup.TAXI, 3),
        (elsewhere, last_week, WorkerGroup.RIDER, 1000),
    ]:
        CheckInCount.objects.create(station=station, day=day, group=group, count=count)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("stations:usage"))

    table = response.context["table"]
    groups = [g.value for g in table.groups]
    weeks = {w.monday: dict(zip(groups, w.counts, strict=True)) for w in table.weeks}
    assert weeks[last_week]["rider"] == 10 and weeks[last_week]["courier"] == 2
    assert weeks[last_week + timedelta(days=7)]["taxi"] == 3
    assert table.total == 15
    assert len(table.weeks) == 8
    year, week, _ = last_week.isocalendar()
    assert f"{year}-W{week:02d}" in response.content.decode()


def test_usage_filters_by_station_and_period(client, world):
    a = make_station(world, 1)
    b = make_station(world, 2)
    old = monday_weeks_ago(20)
    CheckInCount.objects.create(station=a, day=old, group=WorkerGroup.RIDER, count=7)
    CheckInCount.objects.create(station=b, day=old, group=WorkerGroup.RIDER, count=9)
    client.force_login(world.users["org_member"])

    response = client.get(
        reverse("stations:usage"),
        {"station": a.pk, "since": old.isoformat(), "until": (old + timedelta(days=6)).isoformat()},
    )

    assert [w.total for w in response.context["table"].weeks] == [7]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2025-13-40"},
        {"since": "2025-06-01", "until": "2025-05-01"},
        {"since": "2020-01-01", "until": "2025-01-01"},
        {"station": "999999"},
    ],
)
def test_bad_usage_filters_are_form_errors_and_the_default_table_shows(client, world, params):
    make_station(world)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("stations:usage"), params)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert len(response.context["table"].weeks) == 8


def test_another_communitys_station_is_not_a_usage_choice(client, world):
    other = make_station(world, community="community_b", host=False)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("stations:usage"), {"station": other.pk})

    assert "station" in response.context["form"].errors


@pytest.mark.parametrize("count", [2, 20])
def test_usage_runs_a_fixed_number_of_queries(client, world, count, django_assert_max_num_queries):
    for n in range(count):
        station = make_station(world, n)
        CheckInCount.objects.bulk_create(
            CheckInCount(station=station, day=monday_weeks_ago(w), group=g, count=n + 1)
            for w in range(8)
            for g in WorkerGroup.values
        )
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(7):
        response = client.get(reverse("stations:usage"))
    assert response.context["table"].total > 0


# --- coverage -----------------------------------------------------------------------


def test_coverage_lists_the_communities_without_a_station(client, world):
    make_station(world, community="community_a")
    area("Community C", AreaLevel.COMMUNITY, world.areas["subdistrict"])
    client.force_login(world.users["official"])

    response = client.get(reverse("stations:coverage"))

    names = [community.name for community, _label in response.context["rows"]]
    assert names == ["Community B", "Community C"]
    assert "Subdistrict › Community B" in response.content.decode()


def test_coverage_is_for_those_with_an_area(client, world):
    check_scope(
        client,
        world,
        reverse("stations:coverage"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 403,
        },
    )


def test_staff_see_coverage_only_inside_their_community(client, world):
    client.force_login(world.users["own_staff"])

    rows = client.get(reverse("stations:coverage")).context["rows"]

    assert [c.name for c, _label in rows] == ["Community A"]


@pytest.mark.parametrize("count", [2, 30])
def test_coverage_runs_a_fixed_number_of_queries(
    client, world, count, django_assert_max_num_queries
):
    for n in range(count):
        community = area(f"Community N{n}", AreaLevel.COMMUNITY, world.areas["subdistrict"])
        if n % 2:
            Station.objects.create(community=community, name=f"s{n}", address="x")
    client.force_login(world.users["official"])

    with django_assert_max_num_queries(8):
        response = client.get(reverse("stations:coverage"))
    assert len(response.context["rows"]) == count // 2 + count % 2 + 2


# --- compliance ---------------------------------------------------------------------


def test_compliance_counts_the_six_haves_in_sql_and_names_what_is_missing(client, world):
    make_station(world, 1, **dict.fromkeys(Station.SIX_HAVES, True))
    make_station(world, 2, has_sign=True, on_map=True)
    make_station(world, 3)
    client.force_login(world.users["own_staff"])

    response = client.get(reverse("stations:compliance"))

    rows = [(s.name, s.haves, missing) for s, missing in response.context["rows"]]
    assert [(name, haves) for name, haves, _m in rows] == [
        ("榆林社区爱心驿站 3", 0),
        ("榆林社区爱心驿站 2", 2),
        ("榆林社区爱心驿站 1", 6),
    ]
    assert len(rows[1][2]) == 4 and rows[2][2] == []
    summary = response.context["summary"]
    assert (summary["total"], summary["complete"]) == (3, 1)
    assert dict(summary["lacking"])[str(SIX_HAVES[0][1])] == 1


@pytest.mark.parametrize("count", [3, 30])
def test_compliance_runs_a_fixed_number_of_queries(
    client, world, count, django_assert_max_num_queries
):
    for n in range(count):
        make_station(world, n, has_sign=bool(n % 2), community="community_a")
    client.force_login(world.users["official"])

    with django_assert_max_num_queries(9):
        response = client.get(reverse("stations:compliance"), {"six_haves": "incomplete"})
    assert response.status_code == 200


# --- feedback moderation ------------------------------------------------------------


@pytest.fixture
def feedback(world):
    station = make_station(world)
    return Feedback.objects.create(station=station, rating=5, comment="热水很方便")


def test_scope_of_the_queue_and_of_moderating(client, world, feedback):
    responses = check_scope(
        client,
        world,
        reverse("stations:feedback_queue"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )
    assert "热水很方便" in responses["org_member"].content.decode()
    assert "热水很方便" not in responses["other_staff"].content.decode()
    check_scope(
        client,
        world,
        reverse("stations:feedback_moderate", args=[feedback.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 302,
            "programme_officer": 302,
            "official": 403,
            "org_member": 403,  # a host does not judge what is said about it
        },
        method="post",
        data={"decision": "approve"},
    )
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.APPROVED


def test_staff_approve_feedback_and_it_becomes_public(client, world, feedback):
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("stations:feedback_moderate", args=[feedback.pk]), {"decision": "approve"}
    )

    assert response["Location"] == reverse("stations:feedback_queue")
    feedback.refresh_from_db()
    assert feedback.moderated_by == world.users["own_staff"] and feedback.moderated_at
    assert list(Feedback.objects.public()) == [feedback]


def test_rejected_feedback_is_never_public(client, world, feedback):
    client.force_login(world.users["programme_officer"])

    client.post(reverse("stations:feedback_moderate", args=[feedback.pk]), {"decision": "reject"})

    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.REJECTED
    assert not Feedback.objects.public().exists()
    assert "热水很方便" not in client.get(reverse("stations:feedback_queue")).content.decode()
    with pytest.raises(ValidationError) as error:
        feedback_moderate(actor=world.users["own_staff"], feedback=feedback, approve=True)
    assert error.value.code == "already_moderated"
    assert not Feedback.objects.public().exists()


def test_the_same_decision_twice_changes_nothing(world, feedback):
    first = feedback_moderate(actor=world.users["own_staff"], feedback=feedback, approve=False)
    again = feedback_moderate(
        actor=world.users["programme_officer"], feedback=feedback, approve=False
    )
    assert again.moderated_by == first.moderated_by == world.users["own_staff"]


@pytest.mark.parametrize("persona", ["org_member", "official", "other_staff"])
def test_hosts_viewers_and_outsiders_do_not_moderate(world, feedback, persona):
    with pytest.raises(PermissionDenied):
        feedback_moderate(actor=world.users[persona], feedback=feedback, approve=True)


def test_a_bad_decision_is_a_form_error(client, world, feedback):
    client.force_login(world.users["own_staff"])
    url = reverse("stations:feedback_moderate", args=[feedback.pk])

    for data in ({}, {"decision": "publish-twice"}):
        response = client.post(url, data)
        assert response.status_code == 200
        assert response.context["form"].errors
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.PENDING


def test_the_navigation_shows_stations_and_the_queue_to_the_right_people(world):
    from stations.services.registry import in_nav, may_moderate

    stations = {p for p, u in world.users.items() if in_nav(u)}
    queue = {p for p, u in world.users.items() if may_moderate(u)}

    assert stations == {"other_staff", "own_staff", "programme_officer", "official", "org_member"}
    assert queue == {"other_staff", "own_staff", "programme_officer"}
