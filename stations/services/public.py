"""The public side of stations: the finder's reads (stations by distance, open now, in
stock) and the two anonymous writes, a check-in counted per group and day and a
feedback left pending for staff. Nothing here learns who the visitor is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import segno
from django.db import transaction
from django.db.models import Avg, Count, Exists, F, OuterRef, Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import field_error
from portal.models import Area
from portal.roles import AreaLevel
from portal.workdays import SHANGHAI

from ..geo import distance_m
from ..hours import is_open, temporarily_closed
from ..models import (
    CheckInCount,
    Condition,
    Feedback,
    Station,
    StationAmenity,
    Weekday,
    WorkerGroup,
)

# Riders share their carrier's addresses, so the limits are generous; they count per
# (address, station), so one busy station never throttles another.
CHECK_IN_RATE = "30/h"
FEEDBACK_RATE = "5/h"
RATINGS = range(1, 6)
COMMENT_MAX_LENGTH = 500
PUBLIC_FEEDBACK_SHOWN = 20
FINDER_AREA_LEVELS = (AreaLevel.DISTRICT, AreaLevel.SUBDISTRICT, AreaLevel.COMMUNITY)


def local_now(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now(), SHANGHAI)


# --- The finder ---------------------------------------------------------------------


@dataclass
class AreaOption:
    area: Area
    label: str


def finder_areas() -> list[AreaOption]:
    """Counties, towns and communities with a published station, each labelled with
    its parent, in tree order: the finder's manual choice of place."""
    paths = set(
        Station.objects.published().order_by().values_list("community__path", flat=True).distinct()
    )
    step = Area.steplen
    wanted = paths | {p[:end] for p in paths for end in range(step, len(p), step)}
    areas = list(
        Area.objects.filter(path__in=wanted, level__in=FINDER_AREA_LEVELS).order_by("path")
    )
    names = {a.path: a.name for a in areas}
    options = []
    for a in areas:
        parent = names.get(a.path[:-step])
        options.append(AreaOption(area=a, label=f"{parent} › {a.name}" if parent else a.name))
    return options


def distance_label(metres: float | None) -> str:
    """Metres to the nearest 10 under a kilometre, then kilometres with one decimal."""
    if metres is None:
        return ""
    if metres < 1000:
        return _("%(metres)d m") % {"metres": max(10, round(metres / 10) * 10)}
    return _("%(km)s km") % {"km": f"{metres / 1000:.1f}"}


@dataclass
class StationRow:
    """A station as the finder lists it."""

    station: Station
    distance_m: float | None
    open_now: bool
    closed: bool
    available: list = field(default_factory=list)

    @property
    def distance_label(self) -> str:
        return distance_label(self.distance_m)


def finder_stations(*, area=None, amenities=()):
    """Published stations, in `area` if given, having every amenity in `amenities` in
    stock; with their community and hours loaded (two queries)."""
    stations = (
        Station.objects.published()
        .select_related("community")
        .prefetch_related("hours")
        .order_by("name", "pk")
    )
    if area is not None:
        stations = stations.filter(community__path__startswith=area.path)
    for amenity in amenities:
        stations = stations.filter(
            Exists(
                StationAmenity.objects.filter(
                    station=OuterRef("pk"), amenity=amenity, in_stock=True
                )
            )
        )
    return stations


def finder_rows(
    *, area=None, amenities=(), open_now_only=False, origin=None, now=None
) -> list[StationRow]:
    """The finder's list: nearest first from `origin` (lat, lng), stations without
    coordinates last; by name when no origin is given."""
    at = local_now(now)
    rows = []
    for station in finder_stations(area=area, amenities=amenities):
        distance = None
        if origin is not None and station.latitude is not None:
            distance = distance_m(
                origin[0], origin[1], float(station.latitude), float(station.longitude)
            )
        row = StationRow(
            station=station,
            distance_m=distance,
            open_now=is_open(station, station.hours.all(), at),
            closed=temporarily_closed(station, at.date()),
        )
        if row.open_now or not open_now_only:
            rows.append(row)
    if origin is not None:
        # sorted() is stable: equal distances keep the name order of the query.
        rows.sort(key=lambda r: (r.distance_m is None, r.distance_m or 0.0))
    return rows


def with_available_amenities(rows: list[StationRow]) -> list[StationRow]:
    """Load the in-stock amenities of these rows only (one query): the finder pages
    its rows before asking."""
    stations = [r.station for r in rows]
    prefetch_related_objects(
        stations,
        Prefetch(
            "amenities",
            queryset=StationAmenity.objects.filter(in_stock=True).order_by("amenity"),
            to_attr="in_stock_amenities",
        ),
    )
    for row in rows:
        row.available = [a.get_amenity_display() for a in row.station.in_stock_amenities]
    return rows


# --- A station's public page ---------------------------------------------------------


def public_station(pk: int) -> Station:
    """A published station with what its page shows, or Station.DoesNotExist."""
    return (
        Station.objects.published()
        .select_related("community")
        .prefetch_related("hours", "amenities")
        .get(pk=pk)
    )


@dataclass
class DayHours:
    label: str
    spans: list[str]
    is_today: bool


def week_hours(station: Station, *, now=None) -> list[DayHours]:
    """Monday to Sunday, each with its opening spans; a span past midnight says so."""
    today = local_now(now).weekday()
    hours = list(station.hours.all())
    week = []
    for day in Weekday:
        spans = []
        for h in hours:
            if h.weekday != day.value:
                continue
            span = f"{h.opens:%H:%M}–{h.closes:%H:%M}"
            if h.closes < h.opens:
                span = _("%(span)s (until the next morning)") % {"span": span}
            spans.append(span)
        week.append(DayHours(label=day.label, spans=spans, is_today=day.value == today))
    return week


def station_status(station: Station, *, now=None) -> dict:
    at = local_now(now)
    return {
        "open_now": is_open(station, station.hours.all(), at),
        "closed": temporarily_closed(station, at.date()),
    }


def station_amenities(station: Station) -> dict:
    """Amenities in stock and those out of stock; a broken item counts as unavailable."""
    available, unavailable = [], []
    for amenity in station.amenities.all():
        if amenity.in_stock and amenity.condition != Condition.BROKEN:
            available.append(amenity)
        else:
            unavailable.append(amenity)
    return {"available": available, "unavailable": unavailable}


def public_feedback(station: Station) -> dict:
    """Approved feedback only: ratings and comments, never who moderated them."""
    approved = Feedback.objects.public().filter(station=station)
    summary = approved.aggregate(average=Avg("rating"), count=Count("pk"))
    shown = list(
        approved.only("rating", "comment", "created_at").order_by("-created_at", "-pk")[
            :PUBLIC_FEEDBACK_SHOWN
        ]
    )
    return {"feedback": shown, "feedback_count": summary["count"], "average": summary["average"]}


# --- Anonymous writes ------------------------------------------------------------------


def check_in_record(*, station: Station, group: str, now=None) -> None:
    """Count one check-in of `group` at `station` on today's date in Asia/Shanghai.

    Concurrent check-ins both count: the row is created once (the unique constraint
    settles a race inside get_or_create) and incremented in the database.
    """
    if group not in WorkerGroup.values:
        raise field_error("group", gettext_lazy("Tap one of the group buttons."), "invalid_group")
    day = local_now(now).date()
    with transaction.atomic():
        row, created = CheckInCount.objects.get_or_create(
            station=station, day=day, group=group, defaults={"count": 1}
        )
        if not created:
            CheckInCount.objects.filter(pk=row.pk).update(count=F("count") + 1)


def feedback_leave(*, station: Station, rating: int, comment: str = "", now=None) -> Feedback:
    """Keep a visitor's rating and comment, pending until staff approve it."""
    if rating not in RATINGS:
        raise field_error("rating", gettext_lazy("Choose a rating from 1 to 5."), "bad_rating")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise field_error(
            "comment",
            gettext_lazy("Keep the comment to %(limit_value)d characters or fewer."),
            "comment_too_long",
            {"limit_value": COMMENT_MAX_LENGTH},
        )
    return Feedback.objects.create(
        station=station,
        rating=rating,
        comment=comment,
        status=Feedback.Status.PENDING,
        created_at=now or timezone.now(),
    )


def group_label(group: str) -> str:
    return str(dict(WorkerGroup.choices).get(group, ""))


def check_in_qr_svg(url: str) -> str:
    """The check-in URL as an inline SVG QR code, drawn here (no external service).

    Error level Q survives a worn or partly covered print; without a fixed size the SVG
    scales to the poster's box.
    """
    return segno.make(url, error="q").svg_inline(
        omitsize=True, svgclass="station-qr", dark="#000", light="#fff", border=4
    )
