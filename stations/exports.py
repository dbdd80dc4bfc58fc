"""The stations exports: the registry and the check-in counts.

Neither carries personal data: a station row holds public facts about a public place
(not even the host's phone, which the public page shows but a file need not), and
check-ins were only ever counts.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, Sum
from django.db.models.functions import ExtractIsoYear, ExtractWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.roles import Action
from portal.services.exports import choice_label, date_param, pk_param, yes_no

from .hours import temporarily_closed
from .models import CheckInCount, Station, WorkerGroup

PER_DAY, PER_WEEK = "day", "week"


# --- Stations --------------------------------------------------------------------------


def _have(field: str):
    return lambda s: yes_no(getattr(s, field))


STATION_COLUMNS = (
    (gettext_lazy("name"), lambda s: s.name),
    (gettext_lazy("community"), lambda s: s.community.name),
    (gettext_lazy("address"), lambda s: s.address),
    (gettext_lazy("latitude"), lambda s: s.latitude),
    (gettext_lazy("longitude"), lambda s: s.longitude),
    (gettext_lazy("open 24 hours"), lambda s: yes_no(s.open_24_hours)),
    (gettext_lazy("star level"), lambda s: s.star_level),
    *((Station._meta.get_field(field).verbose_name, _have(field)) for field in Station.SIX_HAVES),
    (gettext_lazy("six haves"), lambda s: f"{s.six_haves_count}/{len(Station.SIX_HAVES)}"),
    (
        gettext_lazy("temporarily closed"),
        lambda s: yes_no(temporarily_closed(s, timezone.localdate())),
    ),
    (gettext_lazy("host organisation"), lambda s: s.host.name if s.host else ""),
    (gettext_lazy("trade-union registration number"), lambda s: s.union_registration),
)


def station_rows(user, params):
    """The stations the user may see, by community and name; `community` (an area id)
    narrows them to one community."""
    community = pk_param(params, "community", _("Choose a community from the list."))
    stations = (
        Station.objects.visible_to(user)
        .select_related("community", "host")
        .order_by("community__name", "name", "pk")
    )
    return stations.filter(community_id=community) if community else stations


# --- Check-ins -------------------------------------------------------------------------


def _period(row: dict) -> str:
    if "week" in row:
        return f"{row['year']}-W{row['week']:02d}"
    return row["day"].isoformat()


CHECK_IN_COLUMNS = (
    (gettext_lazy("station"), lambda r: r["station__name"]),
    (gettext_lazy("community"), lambda r: r["station__community__name"]),
    (gettext_lazy("day or ISO week"), _period),
    (gettext_lazy("worker group"), lambda r: choice_label(WorkerGroup, r["group"])),
    (gettext_lazy("check-ins"), lambda r: r["check_ins"]),
)


def check_in_rows(user, params):
    """Check-in counts per station, group and `per` day (default) or ISO week, oldest
    first; `station` (an id), `start` and `end` (YYYY-MM-DD) filter."""
    per = (params.get("per") or PER_DAY).strip()
    if per not in (PER_DAY, PER_WEEK):
        raise ValidationError(_("Choose per day or per week."), code="per")
    station = pk_param(params, "station", _("Choose a station from the list."))
    start, end = date_param(params, "start"), date_param(params, "end")
    if start and end and start > end:
        raise ValidationError(_("The period must end after it starts."), code="order")
    # Counts have no scoped manager of their own, so `export_queryset` cannot cut them
    # again by the export right: they are cut here, through their stations.
    stations = Station.objects.visible_to(user, Action.EXPORT)
    counts = CheckInCount.objects.filter(station__in=stations)
    if station:
        counts = counts.filter(station_id=station)
    if start:
        counts = counts.filter(day__gte=start)
    if end:
        counts = counts.filter(day__lte=end)
    names = ("station__name", "station__community__name")
    if per == PER_DAY:
        return (
            counts.annotate(check_ins=F("count"))
            .values(*names, "day", "group", "check_ins")
            .order_by("day", "station__name", "station_id", "group")
        )
    return (
        counts.annotate(year=ExtractIsoYear("day"), week=ExtractWeek("day"))
        .values("station_id", *names, "year", "week", "group")
        .annotate(check_ins=Sum("count"))
        .order_by("year", "week", "station__name", "station_id", "group")
    )


__all__ = ["CHECK_IN_COLUMNS", "STATION_COLUMNS", "check_in_rows", "station_rows"]
