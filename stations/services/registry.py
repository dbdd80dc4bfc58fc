"""The station registry for staff: registering and editing stations and their weekly
hours, moderating feedback, and the reads behind the staff and official pages (usage by
worker group and week, coverage gaps, six-haves compliance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eldercare.services.facilities import (
    normalise_service_phone,
    validate_service_phone,
)
from portal.errors import field_error
from portal.models import Area, Organisation
from portal.roles import Action, AreaLevel, OrganisationType, Role
from portal.scope import (
    can,
    may,
    may_at,
    member_of,
    near_paths_q,
    reach,
    roles_of,
    under_paths_q,
)
from stations.geo import gcj02_to_wgs84, stored

from ..models import CheckInCount, Feedback, OpeningHours, Station, WorkerGroup

KIND = "stations.station"
FEEDBACK = "stations.feedback"

# The kinds of organisation that host stations in practice (trade unions, community
# committees, departments, police posts, shops); decided without a query for the menu.
HOST_TYPES = frozenset(
    {
        OrganisationType.TRADE_UNION,
        OrganisationType.COMMUNITY_COMMITTEE,
        OrganisationType.SUBDISTRICT_OFFICE,
        OrganisationType.DEPARTMENT,
        OrganisationType.POLICE_STATION,
        OrganisationType.PROPERTY_COMPANY,
        OrganisationType.VOLUNTEER_TEAM,
        OrganisationType.OTHER,
    }
)

SIX_HAVES = (
    ("has_sign", gettext_lazy("uniform sign")),
    ("has_premises", gettext_lazy("rest premises")),
    ("has_equipment", gettext_lazy("equipment and supplies")),
    ("has_rules", gettext_lazy("management rules")),
    ("has_staff", gettext_lazy("staff on duty")),
    ("on_map", gettext_lazy("listed on map apps")),
)
SIX_HAVE_FIELDS = tuple(name for name, _label in SIX_HAVES)

USAGE_DEFAULT_WEEKS = 8
USAGE_MAX_DAYS = 366


# --- Who may do what -------------------------------------------------------------


def may_list(user) -> bool:
    """Staff, officers, officials and host staff; residents use the public finder."""
    return user.is_superuser or bool(
        roles_of(user) - {Role.RESIDENT} and may(user, Action.VIEW, KIND)
    )


def in_nav(user) -> bool:
    """The menu shows the stations to staff and officers, and to members of the kinds of
    organisation that host stations: from the memberships already loaded, no query."""
    if not may_list(user):
        return False
    if user.is_superuser or roles_of(user) - {Role.ORGANISATION_MEMBER}:
        return True
    return member_of(user, HOST_TYPES)


def may_create_somewhere(user) -> bool:
    r = reach(user, KIND, Action.CREATE)
    return r.everything or bool(r.area_paths)


def may_see_coverage(user) -> bool:
    """Coverage is about areas: only those whose reach is an area (not a host) see it."""
    r = reach(user, KIND, Action.VIEW)
    return r.everything or bool(r.area_paths)


def may_manage(user, station: Station) -> bool:
    """Community staff and the stations programme's officers edit the registry entry;
    host staff keep the station (hours, amenities, checks, closures) but do not rate it."""
    return may_at(user, Action.CHANGE, KIND, station.community)


def may_keep(user, station: Station) -> bool:
    """Host staff, community staff and officers keep a station running."""
    return can(user, Action.CHANGE, station)


def may_moderate(user, feedback: Feedback | None = None) -> bool:
    """Staff with an area moderate; a host does not judge what visitors say about it."""
    if feedback is None:
        r = reach(user, FEEDBACK, Action.CHANGE)
        return r.everything or bool(r.area_paths)
    return may_at(user, Action.CHANGE, FEEDBACK, feedback.station.community)


def station_communities(user, action: str = Action.CREATE):
    """The communities where `user` may register (or move) a station."""
    r = reach(user, KIND, action)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY).order_by("path")
    return communities if r.everything else communities.filter(under_paths_q(r.area_paths))


def station_hosts(user, action: str = Action.CREATE):
    """Organisations in or above the communities where the user registers stations."""
    r = reach(user, KIND, action)
    if r.everything:
        return Organisation.objects.order_by("name")
    return Organisation.objects.filter(near_paths_q(r.area_paths, "area__path")).order_by("name")


# --- Registering and editing ------------------------------------------------------


STATION_FIELDS = (
    "name",
    "host",
    "address",
    "latitude",
    "longitude",
    "union_registration",
    "star_level",
    *SIX_HAVE_FIELDS,
    "host_phone",
)


def _host_serves(host: Organisation, community: Area) -> bool:
    own, path = host.area.path, community.path
    return own.startswith(path) or path.startswith(own)


def _clean_coordinates(fields: dict, errors: dict, *, gcj02: bool) -> None:
    lat, lng = fields.get("latitude"), fields.get("longitude")
    if lat is None and lng is None:
        return
    if lat is None or lng is None:
        key = "longitude" if lng is None else "latitude"
        errors[key] = ValidationError(
            _("Enter both latitude and longitude, or neither."), code="coordinates_incomplete"
        )
        return
    if not -90 <= lat <= 90:
        errors["latitude"] = ValidationError(
            _("Latitude runs from -90 to 90."), code="latitude_range"
        )
    if not -180 <= lng <= 180:
        errors["longitude"] = ValidationError(
            _("Longitude runs from -180 to 180."), code="longitude_range"
        )
    if "latitude" in errors or "longitude" in errors:
        return
    if gcj02:
        lat, lng = gcj02_to_wgs84(float(lat), float(lng))
    fields["latitude"], fields["longitude"] = stored(float(lat)), stored(float(lng))


def _clean_station(fields: dict, community: Area, *, gcj02: bool) -> dict:
    fields = {name: fields.get(name) for name in STATION_FIELDS}
    errors: dict = {}
    for name in ("name", "address", "union_registration"):
        fields[name] = (fields[name] or "").strip()
    for name in SIX_HAVE_FIELDS:
        fields[name] = bool(fields[name])
    if not fields["name"]:
        errors["name"] = ValidationError(_("Give the station a name."), code="required")
    if not fields["address"]:
        errors["address"] = ValidationError(
            _("Give the address a worker can find."), code="required"
        )
    _clean_coordinates(fields, errors, gcj02=gcj02)
    star = fields["star_level"]
    if star is not None and not 1 <= star <= 5:
        errors["star_level"] = ValidationError(
            _("The star level runs from 1 to 5."), code="star_range"
        )
    host = fields["host"]
    if host is not None and not _host_serves(host, community):
        errors["host"] = ValidationError(
            _("The host must be an organisation of this community or above it."),
            code="host_outside",
        )
    fields["host_phone"] = normalise_service_phone(fields["host_phone"] or "")
    try:
        validate_service_phone(fields["host_phone"])
    except ValidationError as error:
        errors["host_phone"] = error.error_dict["phone"]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def station_create(*, actor, community: Area, gcj02: bool = False, **fields) -> Station:
    """Register a station in a community the actor may create stations in; coordinates
    typed from a Chinese map app (`gcj02`) are converted to WGS-84 first."""
    if not may_at(actor, Action.CREATE, KIND, community):
        raise PermissionDenied
    unknown = set(fields) - set(STATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown station fields: {sorted(unknown)}")
    if community.level != AreaLevel.COMMUNITY:
        raise field_error("community", _("Choose a community."), "not_community")
    return Station.objects.create(
        community=community, **_clean_station(fields, community, gcj02=gcj02)
    )


@transaction.atomic
def station_update(
    *, actor, station: Station, community: Area, gcj02: bool = False, **fields
) -> Station:
    """Edit the registry entry; a move stays inside the editor's own reach."""
    station = Station.objects.select_for_update().get(pk=station.pk)
    if not may_manage(actor, station):
        raise PermissionDenied
    unknown = set(fields) - set(STATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown station fields: {sorted(unknown)}")
    if community.pk != station.community_id and (
        community.level != AreaLevel.COMMUNITY or not may_at(actor, Action.CHANGE, KIND, community)
    ):
        raise field_error(
            "community", _("You may not move the station to this community."), "outside_scope"
        )
    values = {"community": community, **_clean_station(fields, community, gcj02=gcj02)}
    changed = [name for name, value in values.items() if getattr(station, name) != value]
    if not changed:
        return station
    for name in changed:
        setattr(station, name, values[name])
    station.save(update_fields=changed)
    return station


@dataclass(frozen=True)
class DayHours:
    weekday: int
    opens: time
    closes: time


@transaction.atomic
def station_hours_set(
    *, actor, station: Station, open_24_hours: bool, days: list[DayHours]
) -> bool:
    """Replace the weekly hours (one period a weekday; `closes` before `opens` runs past
    midnight). Returns whether anything changed."""
    station = Station.objects.select_for_update().get(pk=station.pk)
    if not may_keep(actor, station):
        raise PermissionDenied
    errors = {}
    weekdays = [d.weekday for d in days]
    if len(set(weekdays)) != len(weekdays) or any(not 0 <= w <= 6 for w in weekdays):
        raise ValidationError(_("Give each weekday at most once."), code="weekday_twice")
    for d in days:
        if d.opens == d.closes:
            errors[f"closes_{d.weekday}"] = ValidationError(
                _("Opening and closing at the same time is no opening; tick 24 hours instead."),
                code="empty_period",
            )
    if errors:
        raise ValidationError(errors)
    current = {(h.weekday, h.opens, h.closes) for h in station.hours.all()}
    wanted = {(d.weekday, d.opens, d.closes) for d in days}
    if current == wanted and station.open_24_hours == bool(open_24_hours):
        return False
    if station.open_24_hours != bool(open_24_hours):
        station.open_24_hours = bool(open_24_hours)
        station.save(update_fields=["open_24_hours"])
    if current != wanted:
        station.hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(station=station, weekday=d.weekday, opens=d.opens, closes=d.closes)
            for d in sorted(days, key=lambda d: d.weekday)
        )
    return True


# --- Feedback moderation ----------------------------------------------------------


@transaction.atomic
def feedback_moderate(*, actor, feedback: Feedback, approve: bool, now=None) -> Feedback:
    """Approve (the public may read it) or reject (nobody outside staff ever does);
    a decision stands: asking for the same one again changes nothing."""
    feedback = (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("station__community")
        .get(pk=feedback.pk)
    )
    if not may_moderate(actor, feedback):
        raise PermissionDenied
    wanted = Feedback.Status.APPROVED if approve else Feedback.Status.REJECTED
    if feedback.status == wanted:
        return feedback
    if feedback.status != Feedback.Status.PENDING:
        raise ValidationError(_("This feedback was already moderated."), code="already_moderated")
    feedback.status = wanted
    feedback.moderated_by = actor
    feedback.moderated_at = now or timezone.now()
    feedback.save(update_fields=["status", "moderated_by", "moderated_at"])
    return feedback


# --- Reads ----------------------------------------------------------------------


def closed_today_q(today: date) -> Q:
    """Stations marked closed and not yet past the day they said they would reopen
    (the SQL twin of `stations.hours.temporarily_closed`)."""
    return ~Q(closed_reason="") & (Q(closed_until__isnull=True) | Q(closed_until__gte=today))


def six_haves_q() -> Q:
    return Q(**{name: True for name in SIX_HAVE_FIELDS})


def six_haves_count():
    """The number of the six haves a station has, counted in SQL."""
    terms = [
        Case(When(**{name: True}, then=Value(1)), default=Value(0), output_field=IntegerField())
        for name in SIX_HAVE_FIELDS
    ]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def missing_haves(station: Station) -> list[str]:
    return [str(label) for name, label in SIX_HAVES if not getattr(station, name)]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class UsageWeek:
    monday: date
    counts: list[int]
    total: int

    @property
    def label(self) -> str:
        year, week, _day = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass
class UsageTable:
    groups: list
    weeks: list[UsageWeek]
    totals: list[int]
    total: int


def usage_table(stations, *, since: date, until: date) -> UsageTable:
    """Check-ins by worker group per ISO week, summed in one query over `stations`
    (a queryset, already restricted to the user)."""
    rows = (
        CheckInCount.objects.filter(station__in=stations, day__gte=since, day__lte=until)
        .annotate(week=TruncWeek("day"))
        .values("week", "group")
        .annotate(total=Sum("count"))
        .order_by()
    )
    sums: dict[tuple[date, str], int] = {}
    for row in rows:
        week = row["week"]
        if hasattr(week, "date"):
            week = week.date()
        sums[(week, row["group"])] = row["total"] or 0
    groups = list(WorkerGroup)
    weeks = []
    monday = week_start(since)
    while monday <= until:
        counts = [sums.get((monday, g.value), 0) for g in groups]
        weeks.append(UsageWeek(monday=monday, counts=counts, total=sum(counts)))
        monday += timedelta(days=7)
    totals = [sum(w.counts[i] for w in weeks) for i in range(len(groups))]
    return UsageTable(groups=groups, weeks=weeks, totals=totals, total=sum(totals))


def this_week_by_group(station: Station, *, today: date) -> list[tuple[str, int]]:
    """The current week's check-ins at one station, per group (all groups listed)."""
    monday = week_start(today)
    sums = dict(
        CheckInCount.objects.filter(
            station=station, day__gte=monday, day__lte=monday + timedelta(days=6)
        )
        .values_list("group")
        .annotate(total=Sum("count"))
        .order_by()
    )
    return [(str(g.label), sums.get(g.value, 0)) for g in WorkerGroup]


def uncovered_communities(user):
    """Communities inside the user's area with no station at all, in tree order."""
    r = reach(user, KIND, Action.VIEW)
    communities = Area.objects.filter(level=AreaLevel.COMMUNITY)
    if not r.everything:
        communities = communities.filter(under_paths_q(r.area_paths))
    has_station = Station.objects.visible_to(user).filter(community=OuterRef("pk"))
    return communities.filter(~Exists(has_station)).order_by("path")


def compliance_rows(stations):
    """Stations with their six-haves count (SQL), fewest first."""
    return stations.annotate(haves=six_haves_count()).order_by("haves", "name", "pk")


def compliance_summary(stations) -> dict:
    """How many stations, how many have all six, and how many lack each one: one query."""
    sums = stations.aggregate(
        total=Count("pk"),
        complete=Count("pk", filter=six_haves_q()),
        **{f"lack_{name}": Count("pk", filter=Q(**{name: False})) for name in SIX_HAVE_FIELDS},
    )
    return {
        "total": sums["total"],
        "complete": sums["complete"],
        "lacking": [(str(label), sums[f"lack_{name}"]) for name, label in SIX_HAVES],
    }
