"""The public finder and station page: nearest first, open now across midnight and
around the clock, amenity and place filters, approved feedback only, no personal data,
no external URLs, and a fixed number of queries."""

import itertools
import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from portal.workdays import SHANGHAI
from stations.models import Feedback, OpeningHours, Station, StationAmenity

# Guazhou county town; the stations below lie north of it.
HERE = (40.516, 95.780)
# A Monday.
MONDAY = date(2026, 11, 23)
_addresses = itertools.count(1)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def own_address(client):
    """Throttle counters live in the cache for the whole run: each test posts from an
    address of its own so tests never count each other's requests."""
    n = next(_addresses)
    client.defaults["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return client.defaults["REMOTE_ADDR"]


def make_station(world, name, lat=None, lng=None, *, community="community_a", **fields):
    values = {
        "community": world.areas[community],
        "name": name,
        "host": world.organisation,
        "address": f"{name}门口",
        "latitude": lat,
        "longitude": lng,
        "host_phone": "0937-5521234",
        **fields,
    }
    return Station.objects.create(**values)


def every_day(station, opens="08:00", closes="20:00"):
    OpeningHours.objects.bulk_create(
        OpeningHours(
            station=station,
            weekday=d,
            opens=time.fromisoformat(opens),
            closes=time.fromisoformat(closes),
        )
        for d in range(7)
    )


def stock(station, amenity, *, in_stock=True, **fields):
    return StationAmenity.objects.create(
        station=station, amenity=amenity, in_stock=in_stock, **fields
    )


@pytest.fixture
def stations(world):
    """Three stations whose names sort differently from their distances, and one
    without coordinates."""
    far = make_station(world, "A 城北驿站", "40.600000", "95.780000")  # about 9.3 km
    near = make_station(world, "B 榆林驿站", "40.517000", "95.780000")  # about 110 m
    mid = make_station(
        world, "C 东街驿站", "40.530000", "95.780000", community="community_b"
    )  # about 1.6 km
    unplaced = make_station(world, "D 无坐标驿站")
    for s in (far, near, mid, unplaced):
        every_day(s)
    stock(near, "water")
    stock(near, "charger", in_stock=False)
    stock(mid, "charger")
    stock(mid, "water")
    return {"far": far, "near": near, "mid": mid, "unplaced": unplaced}


def finder(client, **params):
    return client.get(reverse("stations:finder"), params)


def names(response):
    return [row.station.name for row in response.context["rows"]]


# --- Order and distance ----------------------------------------------------------------


def test_with_a_location_the_nearest_station_comes_first_and_unplaced_ones_last(client, stations):
    response = finder(client, lat=HERE[0], lng=HERE[1])

    assert response.status_code == 200
    assert names(response) == ["B 榆林驿站", "C 东街驿站", "A 城北驿站", "D 无坐标驿站"]
    html = response.content.decode()
    # Chinese first: the page speaks the visitor's default language.
    assert "110 米" in html and "1.6 公里" in html and "9.3 公里" in html


def test_without_a_location_stations_are_listed_by_name(client, stations):
    response = finder(client)

    assert names(response) == ["A 城北驿站", "B 榆林驿站", "C 东街驿站", "D 无坐标驿站"]
    assert " 米<" not in response.content.decode()
    assert "公里" not in response.content.decode()


def test_a_chosen_community_narrows_the_list_and_towns_are_offered(client, world, stations):
    response = finder(client)
    options = dict(response.context["form"].fields["area"].choices)
    for name in ("district", "subdistrict", "community_a", "community_b"):
        assert str(world.areas[name].pk) in options
    assert str(world.areas["city"].pk) not in options

    in_b = finder(client, area=world.areas["community_b"].pk)
    in_town = finder(client, area=world.areas["subdistrict"].pk, lat=HERE[0], lng=HERE[1])

    assert names(in_b) == ["C 东街驿站"]
    assert names(in_town)[:2] == ["B 榆林驿站", "C 东街驿站"] and len(names(in_town)) == 4


def test_the_manual_choice_works_without_any_script(client, world, stations):
    html = finder(client).content.decode()

    # The select and the submit button are plain HTML; the location button starts hidden.
    assert 'name="area"' in html and 'type="submit"' in html
    assert 'id="locate-block"' in html and 'class="mb-3 d-none" id="locate-block"' in html


def test_amenity_filters_keep_stations_with_every_amenity_in_stock(client, stations):
    assert names(finder(client, amenity="water")) == ["B 榆林驿站", "C 东街驿站"]
    # B's charger is out of stock.
    assert names(finder(client, amenity=["water", "charger"])) == ["C 东街驿站"]


# --- Open now -------------------------------------------------------------------------------


def test_open_now_across_midnight_and_for_24_hour_stations(client, world):
    night = make_station(world, "夜班驿站", "40.517000", "95.780000")
    OpeningHours.objects.create(
        station=night, weekday=6, opens=time(22), closes=time(6)
    )  # Sunday night into Monday
    make_station(world, "全天驿站", "40.518000", "95.780000", open_24_hours=True)
    day = make_station(world, "白班驿站", "40.519000", "95.780000")
    every_day(day)

    def open_now(moment):
        with time_machine.travel(moment, tick=False):
            response = finder(client, lat=HERE[0], lng=HERE[1])
        return {row.station.name: row.open_now for row in response.context["rows"]}

    assert open_now(at(MONDAY, 5, 30)) == {"夜班驿站": True, "全天驿站": True, "白班驿站": False}
    assert open_now(at(MONDAY, 6, 0)) == {"夜班驿站": False, "全天驿站": True, "白班驿站": False}
    assert open_now(at(MONDAY, 12)) == {"夜班驿站": False, "全天驿站": True, "白班驿站": True}
    assert open_now(at(date(2026, 11, 22), 23)) == {
        "夜班驿站": True,
        "全天驿站": True,
        "白班驿站": False,
    }
    with time_machine.travel(at(MONDAY, 3), tick=False):
        only_open = finder(client, open_now="on")
    assert names(only_open) == ["全天驿站", "夜班驿站"]
    assert "24" in only_open.content.decode()


def test_the_clock_is_read_in_shanghai(client, world):
    day = make_station(world, "白班驿站", "40.519000", "95.780000")
    every_day(day, "08:00", "20:00")

    # 01:00 UTC is 09:00 in Shanghai, 13:00 UTC is 21:00.
    with time_machine.travel(datetime(2026, 11, 23, 1, 0, tzinfo=UTC), tick=False):
        assert finder(client).context["rows"][0].open_now
    with time_machine.travel(datetime(2026, 11, 23, 13, 0, tzinfo=UTC), tick=False):
        assert not finder(client).context["rows"][0].open_now


def test_a_temporarily_closed_station_says_so_with_its_reason(client, world):
    closed = make_station(
        world, "维修驿站", open_24_hours=True, closed_reason="暖气维修", closed_until=MONDAY
    )

    with time_machine.travel(at(MONDAY, 12), tick=False):
        response = finder(client)
        page = client.get(reverse("stations:station", args=[closed.pk]))
    row = response.context["rows"][0]
    assert row.closed and not row.open_now
    assert "暖气维修" in response.content.decode() and "2026-11-23" in response.content.decode()
    assert "暖气维修" in page.content.decode()

    with time_machine.travel(at(date(2026, 11, 24), 12), tick=False):
        reopened = finder(client).context["rows"][0]
    assert reopened.open_now and not reopened.closed


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "91", "lng": "95.78"},
        {"lat": "40.5", "lng": "-181"},
        {"lat": "north", "lng": "95.78"},
        {"lat": "nan", "lng": "inf"},
        {"lat": "40.5"},
        {"area": "<script>"},
        {"amenity": "jacuzzi"},
        {"page": "x"},
    ],
)
def test_bad_finder_input_is_a_form_error_and_the_list_still_shows(client, stations, params):
    response = finder(client, **params)

    assert response.status_code == 200
    if set(params) != {"page"}:
        assert response.context["form"].errors
    assert len(response.context["rows"]) == 4
    assert response.context["origin"] is None
    assert "<script>" not in response.content.decode()


def test_an_unknown_station_is_not_found(client, db):
    for name in ("station", "check_in", "feedback"):
        assert client.get(reverse(f"stations:{name}", args=[999_999])).status_code == 404


# --- The station page ----------------------------------------------------------------------


def test_the_station_page_shows_the_week_amenities_and_phone(client, stations):
    near = stations["near"]
    OpeningHours.objects.filter(station=near, weekday=5).delete()
    OpeningHours.objects.create(station=near, weekday=5, opens=time(22), closes=time(2))

    with time_machine.travel(at(MONDAY, 12), tick=False):
        response = client.get(reverse("stations:station", args=[near.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "B 榆林驿站门口" in html and "tel:0937-5521234" in html
    week = response.context["week"]
    assert [d.is_today for d in week] == [True, False, False, False, False, False, False]
    assert week[0].spans == ["08:00–20:00"]
    assert week[5].spans[0].startswith("22:00–02:00")
    assert [a.amenity for a in response.context["available"]] == ["water"]
    assert [a.amenity for a in response.context["unavailable"]] == ["charger"]
    assert "<s>" in html  # the out-of-stock charger is struck through and labelled
    assert response.context["open_now"]
    assert 'href="geo:40.517000,95.780000"' in html


def test_a_24_hour_station_page_says_so(client, world):
    station = make_station(world, "全天驿站", open_24_hours=True)

    response = client.get(reverse("stations:station", args=[station.pk]))

    assert response.context["open_now"]
    assert "24" in response.content.decode()


def test_only_approved_feedback_is_ever_public(client, world, stations):
    near = stations["near"]
    Feedback.objects.create(station=near, rating=5, comment="热水很及时", status="approved")
    Feedback.objects.create(station=near, rating=1, comment="待审核的话", status="pending")
    Feedback.objects.create(station=near, rating=1, comment="被驳回的话", status="rejected")

    for url in (
        reverse("stations:station", args=[near.pk]),
        reverse("stations:finder"),
        reverse("stations:check_in", args=[near.pk]),
        reverse("stations:feedback", args=[near.pk]),
    ):
        html = client.get(url).content.decode()
        assert "待审核的话" not in html and "被驳回的话" not in html

    page = client.get(reverse("stations:station", args=[near.pk]))
    assert [f.comment for f in page.context["feedback"]] == ["热水很及时"]
    assert page.context["feedback_count"] == 1 and page.context["average"] == 5


def test_public_pages_show_no_personal_data_and_no_external_urls(client, world, stations):
    near = stations["near"]
    Feedback.objects.create(
        station=near,
        rating=4,
        comment="挺好",
        status="approved",
        moderated_by=world.users["own_staff"],
    )
    done = client.post(
        reverse("stations:check_in", args=[near.pk]), {"group": "rider"}, follow=True
    )
    pages = {
        "finder": finder(client, lat=HERE[0], lng=HERE[1]),
        "station": client.get(reverse("stations:station", args=[near.pk])),
        "check_in": client.get(reverse("stations:check_in", args=[near.pk])),
        "check_in_result": done,
        "feedback": client.get(reverse("stations:feedback", args=[near.pk])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        for user in world.users.values():
            assert user.phone not in html, name
            assert user.display_name not in html, name
        hosts = {m.group(1) for m in re.finditer(r"https?://([^/\"'\s<>]+)", html)}
        assert hosts <= {"testserver"}, (name, hosts)
        # Nothing loaded from elsewhere, not even protocol-relative ("//cdn…").
        assert not re.search(r"""(?:src|href)=["\']//""", html), name
        assert "<img" not in html, name
    # The host's contact phone is public by design.
    assert "0937-5521234" in pages["station"].content.decode()


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 200])
def test_the_finder_runs_a_fixed_number_of_queries(
    client, world, count, django_assert_max_num_queries
):
    for n in range(count):
        station = make_station(
            world,
            f"驿站 {n:03d}",
            f"{40.5 + n / 1000:.6f}",
            "95.780000",
            community="community_a" if n % 2 else "community_b",
        )
        every_day(station)
        stock(station, "water")
        stock(station, "charger", in_stock=n % 3 == 0)

    with django_assert_max_num_queries(6):
        response = finder(client)
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        response = finder(
            client, lat=HERE[0], lng=HERE[1], amenity="water", open_now="on", page="2"
        )
    assert response.status_code == 200


def test_the_station_page_runs_a_fixed_number_of_queries(
    client, stations, django_assert_max_num_queries
):
    Feedback.objects.bulk_create(
        Feedback(station=stations["near"], rating=4, status="approved") for _ in range(30)
    )

    with django_assert_max_num_queries(6):
        response = client.get(reverse("stations:station", args=[stations["near"].pk]))
    assert len(response.context["feedback"]) == 20
