"""The stations exports: scope as the lists, filters, and no personal data at all."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from portal.models import User
from portal.registry import registry
from portal.roles import Programme, Role
from portal.services.exports import export_queryset, export_request, export_rows
from stations import demo, exports
from stations.models import CheckInCount, Feedback, OpeningHours, Station
from tests.factories import OrganisationFactory, UserFactory, member

pytestmark = pytest.mark.django_db

PHONE = re.compile(r"1[3-9]\d{9}")
# Monday 2026-11-16 opens ISO week 47; Sunday 2026-11-22 closes it.
WEEK_47 = date(2026, 11, 16)


def table(provider_name, user, params=None):
    provider = registry.export_providers[provider_name]
    rows = export_queryset(provider_name=provider_name, user=user, params=params or {})
    with translation.override("en"):
        return list(export_rows(provider=provider, queryset=rows))


def build(world):
    host = OrganisationFactory(name="Guazhou union (example)", area=world.areas["district"])
    first = Station.objects.create(
        community=world.areas["community_a"],
        name="Union station",
        host=host,
        address="1 Main Street",
        latitude=Decimal("40.520630"),
        longitude=Decimal("95.782410"),
        open_24_hours=True,
        star_level=4,
        host_phone="13912345678",
        union_registration="GH-001",
        **{field: True for field in Station.SIX_HAVES},
    )
    second = Station.objects.create(
        community=world.areas["community_b"],
        name="Centre station",
        address="2 Main Street",
        closed_reason="Renovation",
        has_sign=True,
    )
    OpeningHours.objects.create(station=second, weekday=0, opens=time(8), closes=time(20))
    for station, day, group, count in [
        (first, WEEK_47, "rider", 5),
        (first, WEEK_47 + timedelta(days=6), "rider", 7),
        (first, WEEK_47 + timedelta(days=6), "courier", 2),
        (first, WEEK_47 + timedelta(days=7), "rider", 4),  # week 48
        (second, WEEK_47 + timedelta(days=1), "taxi", 3),
    ]:
        CheckInCount.objects.create(station=station, day=day, group=group, count=count)
    Feedback.objects.create(station=first, rating=5, comment="热水很方便", status="approved")
    return first, second


def test_the_providers_are_registered_under_the_station_kind():
    for name in ("stations.stations", "stations.check_ins"):
        assert registry.export_providers[name].kind == "stations.station"
    assert registry.export_providers["stations.stations"].queryset is exports.station_rows
    assert registry.export_providers["stations.check_ins"].queryset is exports.check_in_rows


def test_the_stations_export_lists_public_facts_and_no_phone(world):
    build(world)

    found = table("stations.stations", world.users["official"])

    assert found[0] == [
        "name",
        "community",
        "address",
        "latitude",
        "longitude",
        "open 24 hours",
        "star level",
        "has a sign",
        "has premises",
        "has equipment",
        "has rules",
        "has staff",
        "is on the map",
        "six haves",
        "temporarily closed",
        "host organisation",
        "trade-union registration number",
    ]
    assert found[1] == [
        "Union station",
        "Community A",
        "1 Main Street",
        "40.520630",
        "95.782410",
        "yes",
        4,
        "yes",
        "yes",
        "yes",
        "yes",
        "yes",
        "yes",
        "6/6",
        "no",
        "Guazhou union (example)",
        "GH-001",
    ]
    assert found[2][0] == "Centre station"
    assert found[2][5:8] == ["no", "", "yes"]
    assert found[2][13:16] == ["1/6", "yes", ""]
    assert "13912345678" not in str(found) and not PHONE.search(str(found))


def test_the_stations_export_follows_scope_and_the_community_filter(world):
    build(world)

    assert len(table("stations.stations", world.users["own_staff"])) == 2
    community_b = world.areas["community_b"].pk
    only_b = table("stations.stations", world.users["official"], {"community": str(community_b)})
    assert [row[0] for row in only_b[1:]] == ["Centre station"]
    with pytest.raises(ValidationError):
        exports.station_rows(world.users["official"], {"community": "B"})


def test_residents_host_staff_and_other_programmes_export_nothing(world):
    first, _second = build(world)
    host_staff = UserFactory(username="host_staff")
    member(host_staff, Role.ORGANISATION_MEMBER, organisation=first.host)

    for user in (world.users["resident"], world.users["org_member"], host_staff):
        for name in ("stations.stations", "stations.check_ins"):
            with pytest.raises(PermissionDenied):
                table(name, user)
    # A housing officer may export housing, not stations.
    with pytest.raises(PermissionDenied):
        table("stations.check_ins", world.users["programme_officer"])


def test_a_stations_officer_exports_the_district(world):
    build(world)
    officer = UserFactory(username="stations_officer")
    member(
        officer, Role.PROGRAMME_OFFICER, area=world.areas["district"], programme=Programme.STATIONS
    )

    assert len(table("stations.stations", officer)) == 3
    assert len(table("stations.check_ins", officer)) == 6


def test_check_ins_export_per_day_by_default(world):
    build(world)

    found = table("stations.check_ins", world.users["official"])

    assert found[0] == ["station", "community", "day or ISO week", "worker group", "check-ins"]
    assert found[1:] == [
        ["Union station", "Community A", "2026-11-16", "delivery rider", 5],
        ["Centre station", "Community B", "2026-11-17", "taxi driver", 3],
        ["Union station", "Community A", "2026-11-22", "courier", 2],
        ["Union station", "Community A", "2026-11-22", "delivery rider", 7],
        ["Union station", "Community A", "2026-11-23", "delivery rider", 4],
    ]


def test_check_ins_export_per_iso_week_sums_the_days(world):
    build(world)

    found = table("stations.check_ins", world.users["official"], {"per": "week"})

    assert found[1:] == [
        ["Centre station", "Community B", "2026-W47", "taxi driver", 3],
        ["Union station", "Community A", "2026-W47", "courier", 2],
        ["Union station", "Community A", "2026-W47", "delivery rider", 12],
        ["Union station", "Community A", "2026-W48", "delivery rider", 4],
    ]


def test_check_ins_export_filters_by_station_and_period(world):
    first, second = build(world)
    official = world.users["official"]

    only_first = table("stations.check_ins", official, {"station": str(first.pk), "per": "week"})
    assert {row[0] for row in only_first[1:]} == {"Union station"}
    period = table("stations.check_ins", official, {"start": "2026-11-17", "end": "2026-11-22"})
    assert [row[2] for row in period[1:]] == ["2026-11-17", "2026-11-22", "2026-11-22"]
    # Community A's staff cannot reach community B's station through the filter.
    other = table("stations.check_ins", world.users["own_staff"], {"station": str(second.pk)})
    assert len(other) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"per": "month"},
        {"station": "first"},
        {"start": "16/11/2026"},
        {"end": "2026-02-30"},
        {"start": "2026-11-22", "end": "2026-11-16"},
    ],
)
def test_bad_check_in_filters_are_validation_errors(world, params):
    with pytest.raises(ValidationError):
        exports.check_in_rows(world.users["official"], params)


def test_an_export_request_builds_a_csv_of_counts(world):
    build(world)

    result = export_request(
        provider_name="stations.check_ins",
        user=world.users["official"],
        params={"per": "week"},
    )

    assert result.job.rows_total == 4
    assert "2026-W47" in result.content.decode("utf-8-sig")


def test_the_demo_exports_carry_no_personal_data(demo_data):
    staff = User.objects.get(username="staff.yulin")

    stations = table("stations.stations", staff)
    check_ins = table("stations.check_ins", staff, {"per": "week"})

    assert len(stations) == 3
    assert len(check_ins) > 8
    text = str(stations) + str(check_ins)
    assert not PHONE.search(text)
    people = User.objects.filter(username__in=["staff.yulin", demo.HOST_ACCOUNT])
    for person in people:
        assert person.username not in text and person.display_name not in text
    for comment in Feedback.objects.values_list("comment", flat=True):
        assert comment not in text
