"""The stations dashboard tiles: scope, open now across midnight, coverage gaps, and a
fixed number of queries whatever the number of stations."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from portal.registry import registry
from portal.roles import AreaLevel, Programme, Role
from portal.scope import active_memberships
from portal.workdays import SHANGHAI
from stations import dashboards
from stations.models import CheckInCount, OpeningHours, Station, WorkerGroup
from tests.factories import OrganisationFactory, UserFactory, area, member

pytestmark = pytest.mark.django_db

# A Monday; the period is the week before it.
MONDAY = date(2026, 11, 23)
START = datetime.combine(MONDAY - timedelta(days=7), time.min, tzinfo=SHANGHAI)
END = datetime.combine(MONDAY - timedelta(days=1), time.max, tzinfo=SHANGHAI)
ALL_SIX = {field: True for field in Station.SIX_HAVES}


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI)


def station(community, name, *, hours=(), **fields) -> Station:
    """A station; `hours` are (weekday, "HH:MM", "HH:MM")."""
    made = Station.objects.create(community=community, name=name, address=name, **fields)
    OpeningHours.objects.bulk_create(
        OpeningHours(
            station=made, weekday=w, opens=time.fromisoformat(o), closes=time.fromisoformat(c)
        )
        for w, o, c in hours
    )
    return made


def check_ins(target, day, **counts):
    CheckInCount.objects.bulk_create(
        CheckInCount(station=target, day=day, group=group, count=n) for group, n in counts.items()
    )


def build(world, *, extra: int = 0):
    """Community A: a 24-hour station with all six haves, a station open 20:00–02:00
    every night, one closed until tomorrow, and `extra` day stations; B has none."""
    a = world.areas["community_a"]
    around = station(a, "24h", open_24_hours=True, **ALL_SIX)
    night = station(a, "Night", hours=[(w, "20:00", "02:00") for w in range(7)])
    station(
        a,
        "Closed",
        open_24_hours=True,
        closed_reason="装修",
        closed_until=MONDAY + timedelta(days=1),
    )
    for n in range(extra):
        day_station = station(
            a, f"Day {n}", hours=[(w, "08:00", "18:00") for w in range(5)], **ALL_SIX
        )
        check_ins(day_station, MONDAY - timedelta(days=2), rider=1)
    check_ins(around, MONDAY - timedelta(days=3), rider=7, courier=2, sanitation=1)
    check_ins(night, MONDAY - timedelta(days=1), rider=3, traffic_police=1)
    check_ins(night, MONDAY - timedelta(days=10), rider=50)  # before the period
    return around, night


def values(user, area, now=None) -> dict:
    with translation.override("en"):
        found = dashboards.tiles(user=user, area=area, start=START, end=END, now=now)
    return {t.code: t.value for t in found}


def labels(user, area) -> dict:
    with translation.override("en"):
        found = dashboards.tiles(user=user, area=area, start=START, end=END, now=at(MONDAY, 12))
        return {t.code: str(t.label) for t in found}


def test_community_staff_see_their_stations_check_ins_and_compliance(world):
    build(world)

    shown = values(world.users["own_staff"], world.areas["community_a"], at(MONDAY, 12))

    assert shown["stations"] == 3
    assert shown["open_now"] == 1  # the 24-hour one; the night station opens at 20:00
    assert shown["temporarily_closed"] == 1
    assert shown["six_haves"] == 1
    assert shown["check_ins"] == 14
    assert shown["check_ins_rider"] == 10
    assert shown["check_ins_courier"] == 2
    assert shown["check_ins_traffic_police"] == 1
    assert shown["check_ins_taxi"] == 0
    assert shown["coverage_gaps"] == 0
    assert {f"check_ins_{g}" for g in WorkerGroup.values} <= set(shown)


def test_the_tiles_are_labelled(world):
    found = labels(world.users["own_staff"], world.areas["community_a"])

    assert found["stations"] == "Stations"
    assert found["open_now"] == "Stations open now"
    assert found["check_ins_rider"] == "Check-ins in the period: delivery rider"
    assert found["coverage_gaps"] == "Communities without a station"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(MONDAY, 12), 1),  # 24 h only
        (at(MONDAY, 20), 2),  # the night station opens
        (at(MONDAY, 23, 59), 2),
        (at(MONDAY + timedelta(days=1), 0, 30), 2),  # past midnight, still Monday's hours
        (at(MONDAY + timedelta(days=1), 1, 59), 2),
        (at(MONDAY + timedelta(days=1), 2), 1),  # the night station has closed
        # The closed 24-hour station reopens the day after it said it would be back.
        (at(MONDAY + timedelta(days=2), 3), 2),
    ],
)
def test_open_now_follows_the_hours_across_midnight(world, moment, expected):
    build(world)

    shown = values(world.users["own_staff"], world.areas["community_a"], moment)

    assert shown["open_now"] == expected


def test_open_now_uses_shanghai_time_whatever_zone_now_is_given_in(world):
    from datetime import UTC

    build(world)
    utc_monday_evening = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai

    shown = values(world.users["own_staff"], world.areas["community_a"], utc_monday_evening)

    assert shown["open_now"] == 2


def test_an_official_sees_the_district_with_community_b_as_a_coverage_gap(world):
    build(world)
    station(world.areas["community_b"], "B station", open_24_hours=True, on_map=True)
    area("Community C", AreaLevel.COMMUNITY, world.areas["subdistrict"])  # no station either

    shown = values(world.users["official"], world.areas["district"], at(MONDAY, 12))

    assert shown["stations"] == 4
    assert shown["open_now"] == 2
    assert shown["coverage_gaps"] == 1  # community C


def test_a_stations_officer_sees_the_district_and_a_housing_officer_nothing(world):
    build(world)
    officer = UserFactory(username="stations_officer")
    member(
        officer, Role.PROGRAMME_OFFICER, area=world.areas["district"], programme=Programme.STATIONS
    )

    assert values(officer, world.areas["district"], at(MONDAY, 12))["stations"] == 3
    assert values(officer, world.areas["district"], at(MONDAY, 12))["coverage_gaps"] == 1
    housing = values(world.users["programme_officer"], world.areas["district"], at(MONDAY, 12))
    assert set(housing.values()) == {0}


def test_people_without_reach_see_zeros(world):
    build(world)

    for persona in ("other_staff", "org_member", "resident"):
        shown = values(world.users[persona], world.areas["community_a"], at(MONDAY, 12))
        assert set(shown.values()) == {0}, persona


def test_host_staff_see_their_own_station(world):
    around, _night = build(world)
    host = OrganisationFactory(name="Union", area=world.areas["district"])
    around.host = host
    around.save()
    host_staff = UserFactory(username="host_staff")
    member(host_staff, Role.ORGANISATION_MEMBER, organisation=host)

    shown = values(host_staff, world.areas["district"], at(MONDAY, 12))

    assert (shown["stations"], shown["open_now"], shown["check_ins"]) == (1, 1, 10)
    assert shown["coverage_gaps"] == 0  # host staff have no reach over communities


@pytest.mark.parametrize("extra", [2, 40])
def test_the_tiles_take_a_fixed_number_of_queries(world, extra, django_assert_max_num_queries):
    build(world, extra=extra)
    official = world.users["official"]
    active_memberships(official)  # read once per request, before any page's queries

    with django_assert_max_num_queries(5):
        shown = values(official, world.areas["district"], at(MONDAY, 10))

    assert shown["stations"] == 3 + extra
    assert shown["open_now"] == 1 + extra  # the day stations are open on Monday morning
    assert shown["six_haves"] == 1 + extra


def test_the_query_count_does_not_grow_with_the_rows(world):
    official = world.users["official"]
    active_memberships(official)
    build(world, extra=1)
    with CaptureQueriesContext(connection) as small:
        values(official, world.areas["district"], at(MONDAY, 10))
    for n in range(30):
        check_ins(
            station(world.areas["community_b"], f"More {n}", hours=[(0, "06:00", "22:00")]),
            MONDAY - timedelta(days=4),
            taxi=2,
        )
    with CaptureQueriesContext(connection) as large:
        shown = values(official, world.areas["district"], at(MONDAY, 10))

    assert len(small) == len(large)
    assert shown["open_now"] == 2 + 30 and shown["check_ins_taxi"] == 60


def test_the_dashboard_page_shows_the_stations_section_to_an_official(client, world):
    build(world)
    client.force_login(world.users["official"])

    response = client.get(reverse("portal:dashboard"))

    sections = {provider.name: found for provider, found in response.context["sections"]}
    assert {t.code: t.value for t in sections["stations"]}["stations"] == 3


def test_the_dashboard_provider_is_registered():
    provider = registry.dashboard_providers["stations"]
    assert provider.tiles is dashboards.tiles
    assert provider.order == 50
