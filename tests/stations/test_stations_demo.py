"""The stations demo: Yulin's two stations on staff.yulin's dashboard, their amenities,
check-ins, feedback and upkeep, a host-staff account, and a loader that can run twice."""

import io
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from portal.demo import DEMO_PASSWORD
from portal.models import Area, FollowUp, Membership, Organisation, User
from portal.registry import registry, run_steps
from portal.roles import Action, OrganisationType, Role
from portal.scope import can
from portal.services.followups import recipients
from stations import demo, load
from stations.geo import distance_m
from stations.models import (
    Amenity,
    CheckInCount,
    Feedback,
    OpeningHours,
    Station,
    StationAmenity,
    SupplyCheck,
    WorkerGroup,
)
from stations.services.upkeep import EXPIRY_NOTICE_DAYS

pytestmark = pytest.mark.django_db

# The middle of Guazhou county town.
GUAZHOU_TOWN = (40.516, 95.780)
DOCUMENT_AMENITIES = {
    Amenity.WATER,
    Amenity.CHARGER,
    Amenity.UMBRELLA,
    Amenity.FIRST_AID,
    Amenity.TOOLS,
    Amenity.MICROWAVE,
    Amenity.TOILETRIES,
    Amenity.STUDY,
}


def user(username):
    return User.objects.get(username=username)


@pytest.fixture
def stations_demo(db):
    """The places, the accounts and the stations demo only (quicker than `load_demo`)."""
    steps = {
        name: registry.demo_loaders[name]
        for name in ("portal.places", "portal.accounts", "stations.stations")
    }
    return [
        account
        for _step, accounts in run_steps(steps, today=timezone.localdate())
        for account in accounts or []
    ]


def dashboard_tiles(response) -> dict:
    return {
        tile.code: tile.value
        for provider, found in response.context["sections"]
        if provider.name == "stations"
        for tile in found
    }


def test_staff_yulins_dashboard_shows_the_two_stations(client, demo_data):
    client.force_login(user("staff.yulin"))

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    assert response.context["area"] == Area.objects.get(name=demo.YULIN)
    shown = dashboard_tiles(response)
    assert shown["stations"] == 2
    assert shown["six_haves"] == 1
    assert shown["coverage_gaps"] == 0
    assert shown["temporarily_closed"] == 0
    assert shown["open_now"] >= 1  # the 24-hour station at least


def test_the_two_stations_are_hosted_placeholders_in_guazhou_county_town(stations_demo):
    stations = list(Station.objects.select_related("community", "host").order_by("name"))

    assert len(stations) == 2
    for station in stations:
        assert station.community.name == demo.YULIN
        assert station.host.is_placeholder and "（示例）" in station.host.name
        assert "（示例）" in station.name
        assert distance_m(float(station.latitude), float(station.longitude), *GUAZHOU_TOWN) < 2000
    union = Station.objects.get(name=demo.UNION_STATION)
    centre = Station.objects.get(name=demo.CENTRE_STATION)
    assert union.host.type == OrganisationType.TRADE_UNION
    assert union.open_24_hours and not union.hours.exists()
    hours = list(
        OpeningHours.objects.filter(station=centre).values_list("weekday", "opens", "closes")
    )
    assert sorted(w for w, _o, _c in hours) == list(range(7))
    assert {(o.hour, c.hour) for _w, o, c in hours} == {(8, 20)}
    # One station has all six haves, the other is not yet on the map.
    assert union.six_haves_count == 6
    assert centre.six_haves_count == 5 and not centre.on_map


def test_the_amenities_hold_the_documents_list_one_kit_expiring_and_one_item_out(
    stations_demo,
):
    today = timezone.localdate()
    union = Station.objects.get(name=demo.UNION_STATION)
    amenities = StationAmenity.objects.filter(station=union)

    assert DOCUMENT_AMENITIES <= set(amenities.values_list("amenity", flat=True))
    assert not amenities.filter(in_stock=True, quantity=0).exists()
    out = StationAmenity.objects.filter(in_stock=False)
    assert out.count() == 1

    expiring = StationAmenity.objects.filter(
        amenity=Amenity.FIRST_AID, expires_on__lte=today + timedelta(days=14)
    )
    kit = expiring.get()
    assert kit.expires_on > today
    follow_up = kit.expiry_follow_up
    assert follow_up.state == FollowUp.State.SCHEDULED
    # Due the notice period before expiry (already due: the first scan delivers it), to
    # the host's staff, as the upkeep service schedules it.
    assert timezone.localdate(follow_up.due_at) == kit.expires_on - timedelta(
        days=EXPIRY_NOTICE_DAYS
    )
    assert user("host.yulin") in recipients(follow_up)
    other_kit = StationAmenity.objects.get(
        amenity=Amenity.FIRST_AID, station__name=demo.CENTRE_STATION
    )
    assert other_kit.expires_on > today + timedelta(days=60)


def test_check_ins_cover_eight_weeks_with_riders_most(stations_demo):
    today = timezone.localdate()
    counts = CheckInCount.objects.all()
    days = counts.values_list("day", flat=True)

    assert min(days) == today - timedelta(weeks=8) and max(days) == today - timedelta(days=1)
    by_group = Counter()
    for group, count in counts.values_list("group", "count"):
        by_group[group] += count
    assert set(by_group) == set(WorkerGroup.values)
    assert by_group.most_common(1)[0][0] == WorkerGroup.RIDER
    assert counts.filter(station__name=demo.CENTRE_STATION).exists()


def test_feedback_is_approved_pending_and_rejected_and_only_approved_is_public(stations_demo):
    statuses = Counter(Feedback.objects.values_list("status", flat=True))

    assert statuses["approved"] >= 2 and statuses["pending"] >= 1 and statuses["rejected"] == 1
    assert set(Feedback.objects.public().values_list("status", flat=True)) == {"approved"}
    moderated = Feedback.objects.exclude(status="pending")
    assert not moderated.filter(moderated_by__isnull=True).exists()
    assert not Feedback.objects.filter(status="pending", moderated_by__isnull=False).exists()


def test_last_weeks_supply_check_has_its_next_check_scheduled_for_the_host(stations_demo):
    today = timezone.localdate()
    check = SupplyCheck.objects.get()

    assert today - timedelta(days=7) <= check.checked_on < today
    assert check.station.name == demo.UNION_STATION
    assert check.checked_by == user(demo.HOST_ACCOUNT)
    assert {line["amenity"] for line in check.lines} >= DOCUMENT_AMENITIES
    follow_up = check.next_check_follow_up
    assert (
        follow_up.state == FollowUp.State.SCHEDULED and timezone.localdate(follow_up.due_at) > today
    )
    assert user(demo.HOST_ACCOUNT) in recipients(follow_up)


def test_the_host_staff_account_keeps_its_own_station_only(client, stations_demo):
    host_staff = user(demo.HOST_ACCOUNT)
    union = Station.objects.get(name=demo.UNION_STATION)

    assert demo.HOST_ACCOUNT in {account.username for account in stations_demo}
    membership = Membership.objects.get(user=host_staff)
    assert membership.role == Role.ORGANISATION_MEMBER
    assert membership.organisation == Organisation.objects.get(name=demo.UNION_HOST)
    assert list(Station.objects.visible_to(host_staff)) == [union]
    assert can(host_staff, Action.CHANGE, union)
    assert not can(host_staff, Action.EXPORT, union)
    response = client.post(
        reverse("login"), {"username": demo.HOST_ACCOUNT, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_load_demo_twice_changes_nothing(demo_data):
    models = [
        Station,
        OpeningHours,
        StationAmenity,
        CheckInCount,
        Feedback,
        SupplyCheck,
        FollowUp,
        Organisation,
        Membership,
        User,
    ]
    before = {m.__name__: m.objects.count() for m in models}

    call_command("load_demo", stdout=io.StringIO())

    assert {m.__name__: m.objects.count() for m in models} == before
    assert demo.HOST_ACCOUNT in demo_data  # load_demo prints the account


def test_the_stations_demo_loads_in_well_under_a_second(db):
    today = timezone.localdate()
    steps = {n: registry.demo_loaders[n] for n in ("portal.places", "portal.accounts")}
    list(run_steps(steps, today=today))

    started = time.monotonic()
    demo.load(today=today)
    elapsed = time.monotonic() - started

    assert elapsed < 1
    assert Station.objects.count() == 2


def test_the_load_generator_fills_generated_communities_once(db):
    from housing import load as housing_load

    today = timezone.localdate()
    housing_load.generate(communities=2, today=today)

    started = time.monotonic()
    result = load.generate(communities=5, today=today)

    assert time.monotonic() - started < 5
    assert result.startswith("2 communities, 4 stations, ")
    assert Station.objects.filter(open_24_hours=True).count() == 2
    assert OpeningHours.objects.count() == 14
    assert CheckInCount.objects.filter(day__lt=today - timedelta(weeks=7)).exists()
    assert StationAmenity.objects.count() == 2 * (
        len(demo.UNION_AMENITIES) + len(demo.CENTRE_AMENITIES)
    )
    assert load.generate(communities=5, today=today) == "0 communities"


def test_the_loaders_are_registered():
    assert registry.demo_loaders["stations.stations"].run is demo.load
    assert registry.demo_loaders["stations.stations"].depends_on == ("portal.accounts",)
    assert registry.load_generators["stations.stations"].run is load.generate
