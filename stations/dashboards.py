"""The stations dashboard tiles: stations, open now, temporarily closed, six-haves
compliance, check-ins in the period (in all and by worker group) and coverage gaps.

Every figure is computed over the stations the user may see under the area, in five
queries whatever the number of rows. Open-now needs each station's hours (they may run
past midnight), so those stations are read once with their hours prefetched; the rest
are aggregates.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.breakdowns import by_area_prefix, combine, per_month
from portal.models import Area
from portal.registry import Tile
from portal.roles import AreaLevel
from portal.scope import reach, under_paths_q
from portal.workdays import local_day

from .hours import is_open
from .models import CheckInCount, Station, WorkerGroup
from .querysets import StationQuerySet


def closed_on(day: date) -> Q:
    """Marked temporarily closed and not yet past the day it reopens (as `hours`)."""
    return ~Q(closed_reason="") & (Q(closed_until__isnull=True) | Q(closed_until__gte=day))


def all_six_haves() -> Q:
    return Q(**{field: True for field in Station.SIX_HAVES})


def _communities_reached(user, area):
    """The communities under `area` whose stations the user may see."""
    r = reach(user, StationQuerySet.scope_kind)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY, path__startswith=area.path)
    return communities if r.everything else communities.filter(under_paths_q(r.area_paths))


def _open_now(stations, now, today) -> int:
    """24-hour stations are counted in SQL; the others against their prefetched hours."""
    with_hours = (
        stations.filter(open_24_hours=False)
        .exclude(closed_on(today))
        .only("pk", "open_24_hours", "closed_reason", "closed_until")
        .prefetch_related("hours")
    )
    return sum(1 for station in with_hours if is_open(station, station.hours.all(), now))


def tiles(*, user, area, start, end, now=None) -> list[Tile]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day, last_day = local_day(start), local_day(end)

    stations = Station.objects.visible_to(user).filter(community__path__startswith=area.path)
    figures = stations.aggregate(
        stations=Count("pk"),
        closed=Count("pk", filter=closed_on(today)),
        around_the_clock=Count("pk", filter=Q(open_24_hours=True) & ~closed_on(today)),
        six_haves=Count("pk", filter=all_six_haves()),
    )
    open_now = figures["around_the_clock"] + _open_now(stations, now, today)

    by_group = dict(
        CheckInCount.objects.filter(station__in=stations, day__range=(first_day, last_day))
        .values_list("group")
        .annotate(n=Sum("count"))
        .order_by()
    )
    communities = _communities_reached(user, area)
    gaps = communities.filter(~Exists(Station.objects.filter(community=OuterRef("pk")))).count()

    return [
        Tile(_("Stations"), figures["stations"], "stations"),
        Tile(_("Stations open now"), open_now, "open_now"),
        Tile(_("Stations temporarily closed"), figures["closed"], "temporarily_closed"),
        Tile(_("Stations with all six haves"), figures["six_haves"], "six_haves"),
        Tile(_("Check-ins in the period"), sum(by_group.values()), "check_ins"),
        *(
            Tile(
                gettext("Check-ins in the period: %(group)s") % {"group": group.label},
                by_group.get(group.value, 0),
                f"check_ins_{group.value}",
            )
            for group in WorkerGroup
        ),
        Tile(_("Communities without a station"), gaps, "coverage_gaps"),
    ]


FIGURES = (
    ("stations", _("Stations")),
    ("temporarily_closed", _("Stations temporarily closed")),
    ("six_haves", _("Stations with all six haves")),
    ("check_ins", _("Check-ins in the period")),
)


def by_area(*, user, areas, start, end, now=None) -> dict[int, dict]:
    """Stations, temporarily closed, six haves and check-ins, as `tiles` counts them, for
    each of `areas` in two queries."""
    today = timezone.localdate(now or timezone.now())
    stations = Station.objects.visible_to(user)
    counts = by_area_prefix(
        stations,
        "community__path",
        areas,
        stations=Count("pk"),
        temporarily_closed=Count("pk", filter=closed_on(today)),
        six_haves=Count("pk", filter=all_six_haves()),
    )
    check_ins = by_area_prefix(
        CheckInCount.objects.filter(
            station__in=stations, day__range=(local_day(start), local_day(end))
        ),
        "station__community__path",
        areas,
        check_ins=Sum("count"),
    )
    return combine(counts, check_ins)


def trend(*, user, area, start, end) -> list[tuple[str, dict]]:
    """Check-ins per month of the period, in one query."""
    stations = Station.objects.visible_to(user).filter(community__path__startswith=area.path)
    check_ins = CheckInCount.objects.filter(
        station__in=stations, day__range=(local_day(start), local_day(end))
    )
    return per_month(check_ins, "day", start=start, end=end, check_ins=Sum("count"))


__all__ = ["FIGURES", "by_area", "tiles", "trend"]
