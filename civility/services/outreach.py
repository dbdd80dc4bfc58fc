"""Outreach and safety education: organising teams with their rosters, and events with
their audiences. Minors at an event are one aggregate count, never names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import field_error
from portal.models import Area
from portal.roles import Action, AreaLevel
from portal.scope import may_at, reach, require, under_paths_q

from ..models import EventType, OutreachEvent, OutreachTeam, PlaceType, TeamMember

TEAM = "civility.team"
EVENT = "civility.event"
# Areas an event or a team belongs to: a city down to a community, never a grid.
PLACE_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.SUBDISTRICT, AreaLevel.COMMUNITY)
MAX_MEMBERS = 500
MAX_COUNT = 1_000_000
ROSTER_SEPARATORS = (",", "，", "、")


def may_list(user, kind: str = EVENT) -> bool:
    """Area staff, civility officers and officials: those who reach rows by area (a
    resident's own reach and a responsible unit's have no outreach in them)."""
    r = reach(user, kind, Action.VIEW)
    return r.everything or bool(r.area_paths)


def may_create_somewhere(user, kind: str = EVENT) -> bool:
    r = reach(user, kind, Action.CREATE)
    return r.everything or bool(r.area_paths)


def creatable_areas(user, kind: str = EVENT, action: str = Action.CREATE):
    """The areas where `user` may record rows of `kind`."""
    r = reach(user, kind, action)
    areas = Area.objects.filter(level__in=PLACE_LEVELS).order_by("path")
    return areas if r.everything else areas.filter(under_paths_q(r.area_paths))


def teams_for(user, action: str = Action.VIEW):
    """The teams an event recorded by `user` may name as its organiser."""
    return OutreachTeam.objects.visible_to(user, action).order_by("name", "pk")


# --- Teams ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    name: str
    affiliation: str


def parse_roster(text: str) -> list[RosterLine]:
    """One member per line, "name, affiliation" (the affiliation may be left out);
    a bad line is named by its number."""
    members = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, affiliation = line, ""
        for separator in ROSTER_SEPARATORS:
            if separator in line:
                name, affiliation = (part.strip() for part in line.split(separator, 1))
                break
        if not name:
            raise field_error(
                "members",
                _("Line %(number)s has no name before the comma.") % {"number": number},
                "roster_name",
            )
        if len(name) > 100 or len(affiliation) > 200:
            raise field_error(
                "members",
                _(
                    "Line %(number)s is too long: a name has at most 100 characters, an "
                    "affiliation at most 200."
                )
                % {"number": number},
                "roster_length",
            )
        members.append(RosterLine(name, affiliation))
    if not members:
        raise field_error("members", _("List at least one member."), "roster_empty")
    if len(members) > MAX_MEMBERS:
        raise field_error(
            "members",
            _("A team has at most %(max)s members.") % {"max": MAX_MEMBERS},
            "roster_size",
        )
    return members


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Give the team a name."), "name")
    return name


@transaction.atomic
def team_create(*, actor, area: Area, name: str, members: str) -> OutreachTeam:
    """A team at `area` with its roster."""
    if not may_at(actor, Action.CREATE, TEAM, area) or area.level not in PLACE_LEVELS:
        raise PermissionDenied
    name = _clean_name(name)
    roster = parse_roster(members)
    team = OutreachTeam.objects.create(area=area, name=name)
    TeamMember.objects.bulk_create(
        TeamMember(team=team, name=line.name, affiliation=line.affiliation) for line in roster
    )
    return team


# --- Events --------------------------------------------------------------------------

EVENT_FIELDS = (
    "type",
    "theme",
    "held_on",
    "place_type",
    "place_name",
    "team",
    "organiser",
    "audience",
    "minors",
    "materials",
    "note",
)


def _clean_event(actor, area: Area, fields: dict, *, today: date | None) -> dict:
    data = {name: fields.get(name) for name in EVENT_FIELDS}
    errors: dict[str, list] = {}

    def refuse(field, message, code):
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    for text in ("theme", "place_name", "organiser", "note"):
        data[text] = (data[text] or "").strip()
    if data["type"] not in EventType.values:
        refuse("type", _("Choose a type from the list."), "type")
    if data["place_type"] not in PlaceType.values:
        refuse("place_type", _("Choose a kind of place from the list."), "place_type")
    if not data["theme"]:
        refuse("theme", _("Give the event's theme."), "theme")
    if not data["place_name"]:
        refuse("place_name", _("Name the place, e.g. the school."), "place_name")
    if data["held_on"] is None:
        refuse("held_on", _("Give the date of the event."), "held_on")
    elif data["held_on"].year > (today or timezone.localdate()).year + 1:
        refuse("held_on", _("The date is too far ahead."), "held_on_future")
    for count in ("audience", "minors", "materials"):
        value = data[count] or 0
        if value < 0 or value > MAX_COUNT:
            refuse(count, _("Enter a number from 0 to 1,000,000."), "count")
        data[count] = value
    if data["minors"] > data["audience"] and "minors" not in errors:
        refuse(
            "minors",
            _("Minors are part of the audience: at most %(audience)s.")
            % {"audience": data["audience"]},
            "minors_over_audience",
        )
    team = data["team"]
    if team is not None:
        # The team must be one the recorder sees and one that works in or above the area.
        visible = OutreachTeam.objects.visible_to(actor).filter(pk=team.pk).exists()
        if not visible or not (
            area.path.startswith(team.area.path) or team.area.path.startswith(area.path)
        ):
            refuse("team", _("Choose a team of this area."), "team")
    if team is None and not data["organiser"]:
        refuse("organiser", _("Choose the organising team or name the organiser."), "organiser")
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def event_create(*, actor, area: Area, today: date | None = None, **fields) -> OutreachEvent:
    """An outreach or safety-education event at `area`, with aggregate counts only."""
    if not may_at(actor, Action.CREATE, EVENT, area) or area.level not in PLACE_LEVELS:
        raise PermissionDenied
    data = _clean_event(actor, area, fields, today=today)
    return OutreachEvent.objects.create(area=area, **data)


@transaction.atomic
def event_update(
    *, actor, event: OutreachEvent, today: date | None = None, **fields
) -> OutreachEvent:
    """Correct an event's details; it stays in its area."""
    require(actor, Action.CHANGE, event)
    event = OutreachEvent.objects.select_for_update().get(pk=event.pk)
    data = _clean_event(actor, event.area, fields, today=today)
    changed = [name for name, value in data.items() if getattr(event, name) != value]
    if not changed:
        return event
    for name in changed:
        setattr(event, name, data[name])
    event.save(update_fields=changed)
    return event


__all__ = [
    "EVENT",
    "TEAM",
    "creatable_areas",
    "event_create",
    "event_update",
    "may_create_somewhere",
    "may_list",
    "parse_roster",
    "team_create",
    "teams_for",
]
