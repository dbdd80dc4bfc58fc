"""Yulin community's two stations (爱心驿站), for the demo (DOMAIN.md Part 1 §6).

The source names the stations' users and amenities but not their hosts, names or
addresses, so the hosts, names and addresses are placeholders marked （示例）. The
coordinates lie in Guazhou county town. Check-ins (counts only) cover the last eight
weeks and are written in bulk; the rest is a handful of rows.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.demo import DemoAccount, ensure_demo_user
from portal.models import Area, FollowUp, Membership, Organisation
from portal.roles import OrganisationType, Role
from portal.services.followups import followup_build

from .models import (
    Amenity,
    CheckInCount,
    Condition,
    Feedback,
    OpeningHours,
    Station,
    StationAmenity,
    SupplyCheck,
    WorkerGroup,
)
from .services.upkeep import EXPIRY_NOTICE_DAYS, NEXT_CHECK_DAYS, upkeep_recipients

YULIN = "榆林社区"
GUAZHOU = "瓜州县"
UNION_HOST = "瓜州县工会驿站承办单位（示例）"
CENTRE_HOST = "榆林社区综合服务中心（示例）"
UNION_STATION = "榆林社区工会爱心驿站（示例）"
CENTRE_STATION = "榆林社区服务中心爱心驿站（示例）"
HOST_ACCOUNT = "host.yulin"
CHECK_IN_WEEKS = 8
FIRST_AID_EXPIRES_IN_DAYS = 10

# Daily check-ins per group at the busier station; riders come most (DOMAIN.md §6).
DAILY_CHECK_INS = {
    WorkerGroup.RIDER: 14,
    WorkerGroup.COURIER: 6,
    WorkerGroup.SANITATION: 5,
    WorkerGroup.TAXI: 3,
    WorkerGroup.TRAFFIC_POLICE: 2,
    WorkerGroup.OTHER: 2,
}

A = Amenity
# (amenity, quantity, in stock); the union station keeps the document's full list.
UNION_AMENITIES = [
    (A.WATER, 2, True),
    (A.CHARGER, 6, True),
    (A.UMBRELLA, 0, False),  # all lent out and not returned: out of stock
    (A.FIRST_AID, 1, True),
    (A.TOOLS, 1, True),
    (A.MICROWAVE, 1, True),
    (A.TOILETRIES, 1, True),
    (A.STUDY, 1, True),
    (A.SEATS, 10, True),
    (A.CLIMATE, 1, True),
]
CENTRE_AMENITIES = [
    (A.WATER, 1, True),
    (A.CHARGER, 4, True),
    (A.UMBRELLA, 8, True),
    (A.FIRST_AID, 1, True),
    (A.MICROWAVE, 1, True),
    (A.TOILETRIES, 1, True),
    (A.TOILET, 1, True),
    (A.SEATS, 6, True),
]

# (station, rating, comment, status, days ago)
FEEDBACK = [
    (UNION_STATION, 5, "冬天送餐间隙能进来暖和一下，喝口热水，很贴心。", "approved", 3),
    (UNION_STATION, 4, "充电器很实用，希望再多几个快充接口。", "approved", 12),
    (UNION_STATION, 5, "工作人员帮忙烧了开水，还给了创可贴。", "pending", 1),
    (UNION_STATION, 1, "加微信领红包，代办各类证件。", "rejected", 9),
    (CENTRE_STATION, 5, "微波炉热饭很方便，午休有地方坐。", "approved", 6),
    (CENTRE_STATION, 3, "晚上八点就关门了，希望延长开放时间。", "pending", 2),
]


def moment(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _organisations() -> dict[str, Organisation]:
    county = Area.objects.get(name=GUAZHOU)
    community = Area.objects.get(name=YULIN)
    made = {}
    for name, type_, area in [
        (UNION_HOST, OrganisationType.TRADE_UNION, county),
        (CENTRE_HOST, OrganisationType.COMMUNITY_COMMITTEE, community),
    ]:
        made[name], _created = Organisation.objects.get_or_create(
            name=name, defaults={"type": type_, "area": area, "is_placeholder": True}
        )
    return made


def _accounts(organisations) -> list[DemoAccount]:
    host_staff = ensure_demo_user(HOST_ACCOUNT, display_name="榆林社区驿站值守人员（演示）")
    Membership.objects.get_or_create(
        user=host_staff,
        role=Role.ORGANISATION_MEMBER,
        organisation=organisations[UNION_HOST],
        ended_at=None,
    )
    return [DemoAccount(HOST_ACCOUNT, Role.ORGANISATION_MEMBER.label, UNION_HOST)]


def _stations(community, organisations) -> dict[str, Station]:
    union, centre = Station.objects.bulk_create(
        [
            Station(
                community=community,
                name=UNION_STATION,
                host=organisations[UNION_HOST],
                address="瓜州县渊泉镇榆林社区临街门面（示例地址）",
                latitude=Decimal("40.520630"),
                longitude=Decimal("95.782410"),
                open_24_hours=True,
                union_registration="示例-620922-001",
                star_level=4,
                has_sign=True,
                has_premises=True,
                has_equipment=True,
                has_rules=True,
                has_staff=True,
                on_map=True,
                host_phone="13800000041",
            ),
            Station(
                community=community,
                name=CENTRE_STATION,
                host=organisations[CENTRE_HOST],
                address="瓜州县渊泉镇榆林社区综合服务中心一楼（示例地址）",
                latitude=Decimal("40.516820"),
                longitude=Decimal("95.776150"),
                union_registration="示例-620922-002",
                star_level=3,
                has_sign=True,
                has_premises=True,
                has_equipment=True,
                has_rules=True,
                has_staff=True,
                on_map=False,  # not yet listed on the map apps
                host_phone="13800000042",
            ),
        ]
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(station=centre, weekday=day, opens=time(8), closes=time(20))
        for day in range(7)
    )
    return {UNION_STATION: union, CENTRE_STATION: centre}


def _amenities(today: date, stations, community) -> None:
    """Both stations' amenities; the union station's first-aid kit expires soon."""
    checked = today - timedelta(days=6)
    expires = today + timedelta(days=FIRST_AID_EXPIRES_IN_DAYS)
    reminder = followup_build(
        reason=f"驿站急救箱将于{expires:%Y-%m-%d}过期，请及时更换：{UNION_STATION}",
        due_at=moment(expires - timedelta(days=EXPIRY_NOTICE_DAYS)),
        purpose=FollowUp.Purpose.DUE_REMINDER,
        **upkeep_recipients(stations[UNION_STATION]),
    )
    reminder.save()
    rows = []
    for station_name, amenities, last_checked in [
        (UNION_STATION, UNION_AMENITIES, checked),
        (CENTRE_STATION, CENTRE_AMENITIES, today - timedelta(days=20)),
    ]:
        for amenity, quantity, in_stock in amenities:
            union_kit = amenity == A.FIRST_AID and station_name == UNION_STATION
            expires_on = None
            if amenity == A.FIRST_AID:
                expires_on = expires if union_kit else today + timedelta(days=240)
            rows.append(
                StationAmenity(
                    station=stations[station_name],
                    amenity=amenity,
                    quantity=quantity,
                    condition=Condition.WORN if amenity == A.CHARGER else Condition.GOOD,
                    in_stock=in_stock,
                    last_checked=last_checked,
                    expires_on=expires_on,
                    expiry_follow_up=reminder if union_kit else None,
                )
            )
    StationAmenity.objects.bulk_create(rows)


def _supply_check(today: date, station, organisation, host_staff) -> SupplyCheck:
    checked_on = today - timedelta(days=6)
    next_check = followup_build(
        reason=f"驿站物资例行检查：{station.name}",
        due_at=moment(checked_on + timedelta(days=NEXT_CHECK_DAYS)),
        purpose=FollowUp.Purpose.DUE_REMINDER,
        **upkeep_recipients(station),
        created_by=host_staff,
    )
    next_check.save()
    lines = [
        {
            "amenity": amenity.value,
            "condition": (Condition.WORN if amenity == A.CHARGER else Condition.GOOD).value,
            "in_stock": in_stock,
            "quantity": quantity,
        }
        for amenity, quantity, in_stock in UNION_AMENITIES
    ]
    return SupplyCheck.objects.create(
        station=station,
        checked_on=checked_on,
        checked_by=host_staff,
        lines=lines,
        note="雨伞已全部借出未归还，待补充；急救箱即将过期，已报社区更换。",
        next_check_follow_up=next_check,
    )


def check_in_rows(stations_and_scales, today: date, *, weeks: int, seed: int) -> list:
    """Unsaved daily counts per station and group for `weeks` weeks before `today`;
    more on weekdays, riders most; days with nobody of a group leave no row."""
    rng = random.Random(seed)
    rows = []
    for station, scale in stations_and_scales:
        for days_ago in range(1, weeks * 7 + 1):
            day = today - timedelta(days=days_ago)
            weekday_factor = 1.0 if day.weekday() < 5 else 0.7
            for group, base in DAILY_CHECK_INS.items():
                count = round(base * scale * weekday_factor * rng.uniform(0.6, 1.4))
                if count:
                    rows.append(CheckInCount(station=station, day=day, group=group, count=count))
    return rows


def _feedback(today: date, stations, moderator) -> None:
    rows = []
    for station_name, rating, comment, status, days_ago in FEEDBACK:
        left_at = moment(today - timedelta(days=days_ago), 13)
        moderated = status != Feedback.Status.PENDING
        rows.append(
            Feedback(
                station=stations[station_name],
                rating=rating,
                comment=comment,
                status=status,
                created_at=left_at,
                moderated_by=moderator if moderated else None,
                moderated_at=left_at + timedelta(hours=20) if moderated else None,
            )
        )
    Feedback.objects.bulk_create(rows)


@transaction.atomic
def load(*, today: date) -> list[DemoAccount]:
    """Yulin's two stations once; the host organisations and host-staff account every time."""
    organisations = _organisations()
    accounts = _accounts(organisations)
    if Station.objects.filter(name=UNION_STATION).exists():
        return accounts
    users = get_user_model().objects
    staff = users.get(username="staff.yulin")
    host_staff = users.get(username=HOST_ACCOUNT)
    community = Area.objects.get(name=YULIN)
    stations = _stations(community, organisations)
    _amenities(today, stations, community)
    _supply_check(today, stations[UNION_STATION], organisations[UNION_HOST], host_staff)
    CheckInCount.objects.bulk_create(
        check_in_rows(
            [(stations[UNION_STATION], 1.0), (stations[CENTRE_STATION], 0.6)],
            today,
            weeks=CHECK_IN_WEEKS,
            seed=620922,
        )
    )
    _feedback(today, stations, staff)
    return accounts
