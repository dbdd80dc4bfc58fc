"""The staff station registry: who reaches which page, the list and its filters, the
station page, registering and editing (GCJ-02 entry, phones, hosts), weekly hours and
amenities editing, and bad input answered with form errors."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.models import Organisation
from portal.roles import OrganisationType, Programme
from stations.geo import distance_m, stored, wgs84_to_gcj02
from stations.models import (
    Amenity,
    CheckInCount,
    Feedback,
    OpeningHours,
    Station,
    StationAmenity,
    WorkerGroup,
)
from stations.services.registry import DayHours, station_create, station_hours_set, station_update
from tests.scope import build_world, check_scope

pytestmark = pytest.mark.django_db

# Guazhou county town, as GPS gives it.
WGS = (40.520630, 95.782410)


def station_world():
    """The scope world with a stations programme officer; the world's organisation is a
    trade union hosting the station, so its member is the station's host staff."""
    w = build_world(Programme.STATIONS)
    w.organisation.type = OrganisationType.TRADE_UNION
    w.organisation.name = "瓜州县总工会"
    w.organisation.save()
    return w


@pytest.fixture
def world(db):
    return station_world()


def make_station(world, n=0, *, community="community_a", host=True, **fields):
    values = {
        "community": world.areas[community],
        "name": f"榆林社区爱心驿站 {n}",
        "host": world.organisation if host else None,
        "address": f"渊泉镇榆林街 {n} 号",
        "latitude": stored(WGS[0]),
        "longitude": stored(WGS[1]),
        "star_level": 3,
        "host_phone": "0937-5521234",
        **fields,
    }
    return Station.objects.create(**values)


def station_data(world, **changes):
    data = {
        "community": world.areas["community_a"].pk,
        "name": "榆林社区工会爱心驿站",
        "host": world.organisation.pk,
        "address": "渊泉镇榆林街 1 号",
        "latitude": "40.520630",
        "longitude": "95.782410",
        "union_registration": "620922-001",
        "star_level": "4",
        "has_sign": "on",
        "has_premises": "on",
        "host_phone": "0937-5521234",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- scope ------------------------------------------------------------------------


def test_scope_of_the_list_and_the_station_page(client, world):
    station = make_station(world)
    check_scope(
        client,
        world,
        reverse("stations:station_list"),
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
    check_scope(
        client,
        world,
        reverse("stations:station_detail", args=[station.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 200,
            "org_member": 200,
        },
    )


def test_scope_of_registering_and_editing(client, world):
    station = make_station(world)
    check_scope(
        client,
        world,
        reverse("stations:station_create"),
        {
            "anonymous": 302,
            "resident": 403,
            "other_staff": 200,
            "own_staff": 200,
            "programme_officer": 403,  # officers do all but create
            "official": 403,
            "org_member": 403,
        },
    )
    check_scope(
        client,
        world,
        reverse("stations:station_edit", args=[station.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 403,  # host staff keep the station but do not rate it
        },
    )


@pytest.mark.parametrize("name", ["station_hours", "station_amenities", "station_check"])
def test_scope_of_the_keepers_pages(client, world, name):
    station = make_station(world)
    check_scope(
        client,
        world,
        reverse(f"stations:{name}", args=[station.pk]),
        {
            "anonymous": 302,
            "resident": 404,
            "other_staff": 404,
            "own_staff": 200,
            "programme_officer": 200,
            "official": 403,
            "org_member": 200,
        },
    )


def test_a_station_without_the_host_is_out_of_its_members_reach(client, world):
    station = make_station(world, host=False)
    client.force_login(world.users["org_member"])

    assert client.get(reverse("stations:station_detail", args=[station.pk])).status_code == 404


def test_a_housing_officer_sees_no_stations(client, db):
    w = build_world(Programme.HOUSING)
    station = make_station(w)
    client.force_login(w.users["programme_officer"])

    assert client.get(reverse("stations:station_list")).status_code == 403
    assert client.get(reverse("stations:station_detail", args=[station.pk])).status_code == 404


# --- list -------------------------------------------------------------------------


def test_the_list_filters_by_community_state_and_six_haves(client, world):
    all_six = dict.fromkeys(Station.SIX_HAVES, True)
    make_station(world, 1, **all_six)
    make_station(world, 2, closed_reason="暖气维修")
    make_station(world, 3, community="community_b", **all_six)
    make_station(
        world,
        4,
        closed_reason="过去的关闭",
        closed_until=timezone.localdate() - timedelta(days=1),
    )
    client.force_login(world.users["programme_officer"])
    url = reverse("stations:station_list")

    def names(**params):
        return [s.name for s in client.get(url, params).context["object_list"]]

    assert names(community=world.areas["community_b"].pk) == ["榆林社区爱心驿站 3"]
    assert names(state="closed") == ["榆林社区爱心驿站 2"]
    assert names(state="open") == ["榆林社区爱心驿站 1", "榆林社区爱心驿站 4", "榆林社区爱心驿站 3"]
    assert names(six_haves="complete") == ["榆林社区爱心驿站 1", "榆林社区爱心驿站 3"]
    assert names(six_haves="incomplete") == ["榆林社区爱心驿站 2", "榆林社区爱心驿站 4"]


def test_the_list_counts_stock_gaps_and_feedback_to_review(client, world):
    station = make_station(world)
    StationAmenity.objects.create(station=station, amenity=Amenity.UMBRELLA, in_stock=False)
    StationAmenity.objects.create(station=station, amenity=Amenity.WATER)
    Feedback.objects.create(station=station, rating=5)
    Feedback.objects.create(station=station, rating=4)
    Feedback.objects.create(station=station, rating=1, status=Feedback.Status.REJECTED)
    client.force_login(world.users["own_staff"])

    row = client.get(reverse("stations:station_list")).context["object_list"][0]

    assert (row.out_of_stock, row.pending_feedback) == (1, 2)


def test_the_list_pages_and_a_bad_filter_is_no_error_page(client, world):
    for n in range(30):
        make_station(world, n)
    client.force_login(world.users["own_staff"])

    first = client.get(reverse("stations:station_list"))
    second = client.get(reverse("stations:station_list"), {"page": 2})
    bad = client.get(reverse("stations:station_list"), {"state": "<x>", "community": "zz"})

    assert len(first.context["object_list"]) == 25
    assert len(second.context["object_list"]) == 5
    assert bad.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_fixed_number_of_queries(
    client, world, count, django_assert_max_num_queries
):
    for n in range(count):
        station = make_station(world, n, community="community_a" if n % 2 else "community_b")
        StationAmenity.objects.create(station=station, amenity=Amenity.WATER, in_stock=n % 3 > 0)
        Feedback.objects.create(station=station, rating=4)
    client.force_login(world.users["programme_officer"])

    with django_assert_max_num_queries(9):
        response = client.get(reverse("stations:station_list"), {"state": "open"})
    assert response.status_code == 200


# --- the station page ---------------------------------------------------------------


def test_the_station_page_shows_hours_amenities_checks_and_this_weeks_check_ins(client, world):
    station = make_station(world)
    today = timezone.localdate()
    OpeningHours.objects.create(station=station, weekday=4, opens=time(20), closes=time(2))
    StationAmenity.objects.create(
        station=station,
        amenity=Amenity.FIRST_AID,
        expires_on=today + timedelta(days=5),
        last_checked=today,
    )
    CheckInCount.objects.create(station=station, day=today, group=WorkerGroup.RIDER, count=7)
    CheckInCount.objects.create(
        station=station, day=today - timedelta(days=8), group=WorkerGroup.RIDER, count=100
    )
    Feedback.objects.create(station=station, rating=5, comment="热水很方便")
    client.force_login(world.users["org_member"])

    response = client.get(reverse("stations:station_detail", args=[station.pk]))

    html = response.content.decode()
    assert dict(response.context["this_week"])[str(WorkerGroup.RIDER.label)] == 7
    assert response.context["pending_feedback"] == 1
    assert "20:00–02:00" in html
    assert response.context["amenities"][0][2] is True  # expires soon
    assert response.context["may_keep"] and not response.context["may_manage"]


# --- registering and editing --------------------------------------------------------


def test_staff_register_a_station_and_go_on_to_its_hours(client, world):
    client.force_login(world.users["own_staff"])

    response = client.post(reverse("stations:station_create"), station_data(world))

    station = Station.objects.get()
    assert response["Location"] == reverse("stations:station_hours", args=[station.pk])
    assert (station.latitude, station.longitude) == (Decimal("40.520630"), Decimal("95.782410"))
    assert station.host_phone == "0937-5521234"
    assert station.star_level == 4 and station.six_haves_count == 2


def test_coordinates_from_a_chinese_map_app_are_converted_to_wgs84(client, world):
    gcj = wgs84_to_gcj02(*WGS)
    client.force_login(world.users["own_staff"])

    client.post(
        reverse("stations:station_create"),
        station_data(world, latitude=f"{gcj[0]:.6f}", longitude=f"{gcj[1]:.6f}", gcj02="on"),
    )

    station = Station.objects.get()
    assert distance_m(float(station.latitude), float(station.longitude), *WGS) < 0.5
    # Without the tick the same numbers would be some hundreds of metres off.
    assert distance_m(*gcj, *WGS) > 100


def test_the_form_keeps_bad_input_and_explains_it(client, world):
    client.force_login(world.users["own_staff"])
    elsewhere = Organisation.objects.create(
        name="别的社区居委会",
        type=OrganisationType.COMMUNITY_COMMITTEE,
        area=world.areas["community_b"],
    )

    response = client.post(
        reverse("stations:station_create"),
        station_data(
            world,
            name="新驿站",
            latitude="95.5",
            longitude="",
            star_level="9",
            host_phone="12345",
            host=elsewhere.pk,
        ),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"star_level", "host_phone", "host"} <= set(errors)
    assert "新驿站" in response.content.decode()
    assert not Station.objects.exists()


def test_the_service_refuses_out_of_range_coordinates_and_hosts_elsewhere(world):
    far = Organisation.objects.create(
        name="别的社区居委会",
        type=OrganisationType.COMMUNITY_COMMITTEE,
        area=world.areas["community_b"],
    )
    with pytest.raises(ValidationError) as error:
        station_create(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            name="x",
            address="y",
            latitude=Decimal("95"),
            longitude=Decimal("200"),
            star_level=0,
            host=far,
            host_phone="110",
        )
    codes = {field: e[0].code for field, e in error.value.error_dict.items()}
    assert codes == {
        "latitude": "latitude_range",
        "longitude": "longitude_range",
        "star_level": "star_range",
        "host": "host_outside",
        "host_phone": "invalid_phone",
    }


def test_half_a_coordinate_is_refused(world):
    with pytest.raises(ValidationError) as error:
        station_create(
            actor=world.users["own_staff"],
            community=world.areas["community_a"],
            name="x",
            address="y",
            latitude=Decimal("40.5"),
        )
    assert error.value.error_dict["longitude"][0].code == "coordinates_incomplete"


def test_a_host_above_the_community_is_accepted(world):
    # The world's trade union sits at the subdistrict, above community A.
    station = station_create(
        actor=world.users["own_staff"],
        community=world.areas["community_a"],
        name="x",
        address="y",
        host=world.organisation,
        host_phone="13912345678",
    )
    assert station.host == world.organisation


@pytest.mark.parametrize("persona", ["other_staff", "official", "org_member", "programme_officer"])
def test_only_the_communitys_staff_register_stations(world, persona):
    with pytest.raises(PermissionDenied):
        station_create(
            actor=world.users[persona], community=world.areas["community_a"], name="x", address="y"
        )


def test_an_edit_cannot_move_a_station_out_of_the_editors_reach(world):
    station = make_station(world)
    with pytest.raises(ValidationError) as error:
        station_update(
            actor=world.users["own_staff"],
            station=station,
            community=world.areas["community_b"],
            name=station.name,
            address=station.address,
        )
    assert error.value.error_dict["community"][0].code == "outside_scope"


def test_editing_keeps_the_hours_flag_and_saves_the_six_haves(client, world):
    station = make_station(world, open_24_hours=True)
    client.force_login(world.users["programme_officer"])

    response = client.post(
        reverse("stations:station_edit", args=[station.pk]),
        station_data(world, name="改名后的驿站", has_rules="on", on_map="on"),
    )

    assert response.status_code == 302
    station.refresh_from_db()
    assert station.name == "改名后的驿站" and station.open_24_hours
    assert (station.has_rules, station.on_map, station.has_staff) == (True, True, False)


# --- hours ------------------------------------------------------------------------


def hours_data(**changes):
    data = {}
    for day in range(7):
        data[f"opens_{day}"] = "08:00"
        data[f"closes_{day}"] = "20:00"
    data.update(changes)
    return data


def test_host_staff_set_the_week_with_a_closed_day_and_an_overnight_one(client, world):
    station = make_station(world)
    client.force_login(world.users["org_member"])

    response = client.post(
        reverse("stations:station_hours", args=[station.pk]),
        hours_data(closed_6="on", opens_4="20:00", closes_4="02:00"),
    )

    assert response.status_code == 302
    rows = {h.weekday: (h.opens, h.closes) for h in station.hours.all()}
    assert set(rows) == {0, 1, 2, 3, 4, 5}
    assert rows[4] == (time(20), time(2))


def test_the_hours_form_shows_the_current_week(client, world):
    station = make_station(world)
    OpeningHours.objects.create(station=station, weekday=0, opens=time(9), closes=time(17))
    client.force_login(world.users["own_staff"])

    form = client.get(reverse("stations:station_hours", args=[station.pk])).context["form"]

    assert form["opens_0"].value() == time(9)
    assert form["closed_1"].value() is True


def test_a_24_hour_station_needs_no_times(client, world):
    station = make_station(world)
    client.force_login(world.users["own_staff"])

    response = client.post(
        reverse("stations:station_hours", args=[station.pk]), {"open_24_hours": "on"}
    )

    assert response.status_code == 302
    station.refresh_from_db()
    assert station.open_24_hours and not station.hours.exists()


def test_bad_hours_are_form_errors(client, world):
    station = make_station(world)
    client.force_login(world.users["own_staff"])
    url = reverse("stations:station_hours", args=[station.pk])

    empty = client.post(url, {})
    bad = client.post(
        url, hours_data(opens_0="25:99", closes_1="", opens_2="09:00", closes_2="09:00")
    )

    assert empty.status_code == 200 and empty.context["form"].errors
    errors = bad.context["form"].errors
    assert {"opens_0", "closes_1", "closes_2"} <= set(errors)
    assert 'value="25:99"' in bad.content.decode()
    assert not station.hours.exists()


def test_setting_the_same_hours_again_changes_nothing(world):
    station = make_station(world)
    days = [DayHours(d, time(8), time(20)) for d in range(7)]
    staff = world.users["own_staff"]

    assert station_hours_set(actor=staff, station=station, open_24_hours=False, days=days)
    first = set(station.hours.values_list("pk", flat=True))
    assert not station_hours_set(actor=staff, station=station, open_24_hours=False, days=days)
    assert set(station.hours.values_list("pk", flat=True)) == first


def test_officials_do_not_set_hours(world):
    with pytest.raises(PermissionDenied):
        station_hours_set(
            actor=world.users["official"], station=make_station(world), open_24_hours=True, days=[]
        )


# --- amenities ----------------------------------------------------------------------


def amenity_page(client, station):
    return client.get(reverse("stations:station_amenities", args=[station.pk]))


def test_amenities_are_chosen_from_the_catalogue(client, world):
    station = make_station(world)
    StationAmenity.objects.create(station=station, amenity=Amenity.TOOLS)
    client.force_login(world.users["org_member"])
    version = amenity_page(client, station).context["form"]["version"].value()

    response = client.post(
        reverse("stations:station_amenities", args=[station.pk]),
        {
            "version": version,
            "has_water": "on",
            "quantity_water": "2",
            "condition_water": "good",
            "in_stock_water": "on",
            "has_umbrella": "on",
            "quantity_umbrella": "0",
            "condition_umbrella": "good",
            "has_first_aid": "on",
            "quantity_first_aid": "1",
            "condition_first_aid": "good",
            "in_stock_first_aid": "on",
            "expires_on_first_aid": (date.today() + timedelta(days=200)).isoformat(),
        },
    )

    assert response.status_code == 302
    rows = {a.amenity: a for a in station.amenities.all()}
    assert set(rows) == {"water", "umbrella", "first_aid"}
    assert rows["umbrella"].in_stock is False and rows["water"].quantity == 2
    assert rows["first_aid"].expires_on is not None


def test_bad_amenity_input_is_a_form_error(client, world):
    station = make_station(world)
    client.force_login(world.users["own_staff"])
    url = reverse("stations:station_amenities", args=[station.pk])

    empty = client.post(url, {})
    bad = client.post(
        url,
        {
            "version": "whatever",
            "has_water": "on",
            "quantity_water": "-3",
            "condition_water": "melted",
            "has_first_aid": "on",
            "quantity_first_aid": "1",
            "condition_first_aid": "good",
            "expires_on_first_aid": "someday",
        },
    )

    assert empty.status_code == 200 and empty.context["form"].errors
    errors = bad.context["form"].errors
    assert {"quantity_water", "condition_water", "expires_on_first_aid"} <= set(errors)
    assert not station.amenities.exists()


def test_a_stale_amenities_page_is_refused(client, world):
    station = make_station(world)
    client.force_login(world.users["own_staff"])
    version = amenity_page(client, station).context["form"]["version"].value()
    StationAmenity.objects.create(station=station, amenity=Amenity.TOOLS)

    response = client.post(
        reverse("stations:station_amenities", args=[station.pk]),
        {"version": version, "has_water": "on", "quantity_water": "1", "condition_water": "good"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert list(station.amenities.values_list("amenity", flat=True)) == ["tools"]


def test_the_create_form_answers_empty_and_malformed_input(client, world):
    client.force_login(world.users["own_staff"])
    for data in (
        {},
        {"community": "x", "latitude": "north", "star_level": "many", "host": "<b>"},
    ):
        response = client.post(reverse("stations:station_create"), data)
        assert response.status_code == 200
        assert response.context["form"].errors


def test_the_edit_form_answers_empty_and_malformed_input(client, world):
    station = make_station(world)
    client.force_login(world.users["own_staff"])
    for data in ({}, {"name": "", "longitude": "east", "star_level": "0", "host_phone": "abc"}):
        response = client.post(reverse("stations:station_edit", args=[station.pk]), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    station.refresh_from_db()
    assert station.name == "榆林社区爱心驿站 0"


@pytest.mark.parametrize("rows", [2, 20])
def test_the_station_page_runs_a_fixed_number_of_queries(
    client, world, rows, django_assert_max_num_queries
):
    station = make_station(world)
    today = timezone.localdate()
    for n, amenity in enumerate(list(Amenity)[: min(rows, len(Amenity))]):
        StationAmenity.objects.create(station=station, amenity=amenity, quantity=n)
    for n in range(rows):
        Feedback.objects.create(station=station, rating=4)
        CheckInCount.objects.create(
            station=station, day=today - timedelta(days=n), group=WorkerGroup.RIDER, count=n
        )
        OpeningHours.objects.create(station=station, weekday=n % 7, opens=time(8), closes=time(9))
    client.force_login(world.users["org_member"])

    with django_assert_max_num_queries(12):
        response = client.get(reverse("stations:station_detail", args=[station.pk]))
    assert response.status_code == 200
