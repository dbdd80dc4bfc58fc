"""Synthetic stations for benchmarks, in the generated communities of `housing.load`.

For each generated community without a station: two stations (one open around the
clock, one with daily hours that run past midnight on weekends), their amenities and
eight weeks of check-in counts. Every table is written with one bulk insert.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from django.db import transaction

from portal.models import Area, Organisation
from portal.roles import AreaLevel, OrganisationType

from .demo import CENTRE_AMENITIES, UNION_AMENITIES, check_in_rows
from .models import CheckInCount, OpeningHours, Station, StationAmenity

GENERATED_PROVINCE = "负载测试省（生成）"
CHECK_IN_WEEKS = 8
# Where the generated stations are placed: a grid of points 0.01° apart from here.
ORIGIN = (Decimal("40.000000"), Decimal("95.000000"))
STEP = Decimal("0.010000")


def _stations(communities, host) -> list[Station]:
    stations = []
    for n, community in enumerate(communities):
        lat, lng = ORIGIN[0] + STEP * (n // 50), ORIGIN[1] + STEP * (n % 50)
        for k in range(2):
            stations.append(
                Station(
                    community=community,
                    name=f"{community.name}爱心驿站{k + 1}",
                    host=host,
                    address=f"{community.name}（生成）",
                    latitude=lat + STEP / 4 * k,
                    longitude=lng,
                    open_24_hours=k == 0,
                    star_level=3 + (n + k) % 3,
                    has_sign=True,
                    has_premises=True,
                    has_equipment=True,
                    has_rules=True,
                    has_staff=(n + k) % 4 != 3,
                    on_map=(n + k) % 3 != 2,
                )
            )
    return Station.objects.bulk_create(stations)


def _hours(stations) -> list[OpeningHours]:
    rows = []
    for station in stations:
        if station.open_24_hours:
            continue
        for weekday in range(7):
            # Friday and Saturday nights run past midnight.
            closes = time(1) if weekday in (4, 5) else time(20)
            rows.append(
                OpeningHours(station=station, weekday=weekday, opens=time(8), closes=closes)
            )
    return rows


def _amenities(stations, today: date) -> list[StationAmenity]:
    return [
        StationAmenity(
            station=station,
            amenity=amenity,
            quantity=quantity,
            in_stock=in_stock,
            last_checked=today,
        )
        for station in stations
        for amenity, quantity, in_stock in (
            UNION_AMENITIES if station.open_24_hours else CENTRE_AMENITIES
        )
    ]


@transaction.atomic
def generate(*, communities: int, today: date, **_kwargs) -> str:
    """Stations for up to `communities` generated communities that have none yet."""
    province = Area.objects.filter(name=GENERATED_PROVINCE, depth=1).first()
    if province is None:
        return "no generated communities: the housing generator runs first"
    limit = communities
    communities = list(
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.COMMUNITY)
        .exclude(pk__in=Station.objects.values("community"))
        .order_by("path")[:limit]
    )
    if not communities:
        return "0 communities"
    district = (
        Area.objects.filter(path__startswith=province.path, level=AreaLevel.DISTRICT)
        .order_by("path")
        .first()
    )
    host, _created = Organisation.objects.get_or_create(
        name="负载测试区工会（生成）",
        defaults={"type": OrganisationType.TRADE_UNION, "area": district, "is_placeholder": True},
    )
    stations = _stations(communities, host)
    OpeningHours.objects.bulk_create(_hours(stations))
    StationAmenity.objects.bulk_create(_amenities(stations, today))
    check_ins = CheckInCount.objects.bulk_create(
        check_in_rows(
            [(station, 1.0 if station.open_24_hours else 0.5) for station in stations],
            today,
            weeks=CHECK_IN_WEEKS,
            seed=len(communities),
        ),
        batch_size=2000,
    )
    return f"{len(communities)} communities, {len(stations)} stations, {len(check_ins)} check-ins"
