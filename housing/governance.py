"""Estate governance rules and reads: the roster each management mode expects, its gaps,
and how often the property service is reviewed.

The expected roster is data (`EXPECTED_BY_MODE`, `REQUIREMENTS`); `roster_gaps` answers
for one estate in Python and `annotate_gaps` for a whole list in the database, both
from the same table, so the estate page and the estate list never disagree.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.roles import Action
from portal.scope import reach

from .models import Estate, ManagementMode, RosterEntry, RosterRole

Mode = ManagementMode
R = RosterRole

# How often the party organisation reviews the property service, by mode; None: never.
REVIEW_INTERVAL_MONTHS: dict[str, int | None] = {
    Mode.ENTRUSTED: 3,
    Mode.MIXED: 6,
    Mode.SELF_MANAGED: None,
    Mode.UNSET: None,
}

# The "N" of 1+3+N: those who take part besides the three jointly responsible bodies.
PARTICIPANT_ROLES = (
    R.CO_BUILDING_UNIT,
    R.REPRESENTATIVE,
    R.GRID_HEAD,
    R.BUILDING_HEAD,
    R.PARTY_MEMBER,
    R.VOLUNTEER,
)


@dataclass(frozen=True)
class Requirement:
    """What fills one place of the expected roster: an estate field, or an active entry
    in one of `roles`. `field_q`/`field_filled` say the same thing to SQL and Python."""

    code: str
    label: object
    roles: tuple[str, ...] = ()
    field_q: Q | None = None
    field_filled: object = None  # Callable[[Estate], bool]


REQUIREMENTS: dict[str, Requirement] = {
    r.code: r
    for r in (
        Requirement("no_mode", _("no management mode")),
        Requirement(
            "no_party_branch",
            _("no estate party branch"),
            roles=(R.PARTY_BRANCH_SECRETARY,),
            field_q=Q(has_party_branch=True),
            field_filled=lambda e: e.has_party_branch,
        ),
        Requirement(
            "no_owners_committee",
            _("no owners' committee"),
            roles=(R.COMMITTEE_CHAIR,),
            field_q=Q(owners_committee_founded_on__isnull=False),
            field_filled=lambda e: e.owners_committee_founded_on is not None,
        ),
        Requirement(
            "no_property_company",
            _("no property company"),
            roles=(R.PROPERTY_MANAGER,),
            field_q=Q(property_company__isnull=False),
            field_filled=lambda e: e.property_company_id is not None,
        ),
        Requirement("no_participants", _("nobody taking part (the N)"), roles=PARTICIPANT_ROLES),
        Requirement(
            "no_party_liaison", _("no party organisation liaison"), roles=(R.PARTY_LIAISON,)
        ),
        Requirement("no_building_head", _("no building head"), roles=(R.BUILDING_HEAD,)),
    )
}

# Which places each mode expects filled, in the order gaps are listed.
EXPECTED_BY_MODE: dict[str, tuple[str, ...]] = {
    Mode.UNSET: ("no_mode",),
    Mode.MIXED: (
        "no_party_branch",
        "no_owners_committee",
        "no_property_company",
        "no_participants",
    ),
    Mode.ENTRUSTED: ("no_property_company", "no_party_liaison"),
    Mode.SELF_MANAGED: ("no_owners_committee", "no_building_head"),
}

# The wording of each gap on an estate's page names the mode it is a gap of.
GAP_LABELS: dict[tuple[str, str], object] = {
    (Mode.UNSET, "no_mode"): _("no management mode"),
    (Mode.MIXED, "no_party_branch"): _("mixed mode, no estate party branch"),
    (Mode.MIXED, "no_owners_committee"): _("mixed mode, no owners' committee"),
    (Mode.MIXED, "no_property_company"): _("mixed mode, no property company"),
    (Mode.MIXED, "no_participants"): _("mixed mode, nobody taking part (the N)"),
    (Mode.ENTRUSTED, "no_property_company"): _("entrusted, no property company"),
    (Mode.ENTRUSTED, "no_party_liaison"): _("entrusted, no party organisation liaison"),
    (Mode.SELF_MANAGED, "no_owners_committee"): _("self-managed, no owners' committee"),
    (Mode.SELF_MANAGED, "no_building_head"): _("self-managed, no building head"),
}

GAP_CODES: tuple[str, ...] = tuple(REQUIREMENTS)
# (code, label) for the estate list's filter: a code matches every mode it is a gap of.
GAP_CHOICES: list[tuple[str, object]] = [(code, REQUIREMENTS[code].label) for code in GAP_CODES]


@dataclass(frozen=True)
class Gap:
    """A place the estate's management mode expects filled that nobody fills."""

    code: str
    label: object

    def __str__(self):
        return str(self.label)


def gap(mode: str, code: str) -> Gap:
    return Gap(code, GAP_LABELS.get((mode, code), REQUIREMENTS[code].label))


def modes_expecting(code: str) -> list[str]:
    return [mode for mode, codes in EXPECTED_BY_MODE.items() if code in codes]


# --- Active roster ------------------------------------------------------------------


def active_q(today: date | None = None, prefix: str = "") -> Q:
    """Entries not ended: no end date, or one still in the future."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": today})


def is_active(entry: RosterEntry, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return entry.ended_on is None or entry.ended_on > today


def active_roster(estate: Estate, today: date | None = None):
    """The estate's active roster entries, with whoever holds each, in role order."""
    return (
        RosterEntry.objects.filter(estate=estate)
        .filter(active_q(today))
        .select_related("person", "organisation", "building")
        .order_by("role", "started_on", "pk")
    )


# --- Gaps for one estate (Python) ------------------------------------------------------


def roster_gaps(
    estate: Estate, active_entries: Iterable[RosterEntry], *, today: date | None = None
) -> list[Gap]:
    """The gaps of one estate's roster under its management mode, in a stable order.

    `active_entries` are the estate's active entries (`active_roster`); an ended one
    slipped in is ignored all the same.
    """
    roles = {e.role for e in active_entries if is_active(e, today)}
    mode = estate.management_mode
    gaps = []
    for code in EXPECTED_BY_MODE.get(mode, ()):
        requirement = REQUIREMENTS[code]
        if requirement.field_filled is not None and requirement.field_filled(estate):
            continue
        if roles.intersection(requirement.roles):
            continue
        gaps.append(gap(mode, code))
    return gaps


# --- Gaps for a list (SQL) -------------------------------------------------------------


def gap_condition(code: str, today: date | None = None) -> Q:
    """True for estates that have gap `code`: their mode expects the place, no estate
    field fills it and no active roster entry in one of its roles exists."""
    requirement = REQUIREMENTS[code]
    condition = Q(management_mode__in=modes_expecting(code))
    if requirement.field_q is not None:
        condition &= ~requirement.field_q
    if requirement.roles:
        holders = RosterEntry.objects.filter(
            active_q(today), estate=OuterRef("pk"), role__in=requirement.roles
        )
        condition &= ~Exists(holders)
    return condition


def gap_attribute(code: str) -> str:
    return f"gap_{code}"


def annotate_gaps(estates, *, today: date | None = None):
    """`gap_<code>` booleans on each estate, computed in the same query as the list."""
    return estates.annotate(
        **{
            gap_attribute(code): ExpressionWrapper(
                gap_condition(code, today), output_field=BooleanField()
            )
            for code in GAP_CODES
        }
    )


def filter_gap(estates, code: str, *, today: date | None = None):
    """Estates with gap `code` (annotated or not); every estate for an empty code."""
    if not code:
        return estates
    if code not in REQUIREMENTS:
        return estates.none()
    return estates.filter(gap_condition(code, today))


def gaps_of(estate: Estate) -> list[Gap]:
    """The gaps of an estate fetched through `annotate_gaps`, worded for its mode."""
    return [
        gap(estate.management_mode, code)
        for code in EXPECTED_BY_MODE.get(estate.management_mode, ())
        if getattr(estate, gap_attribute(code))
    ]


# --- Who reads what ------------------------------------------------------------------


def sees_internals(user, estate: Estate | None = None) -> bool:
    """Staff, programme officers and officials whose area covers the estate (any estate
    when none is given) see gaps, mode history and service reviews; a resident who
    reaches the estate through their household sees only the mode and the roster."""
    r = reach(user, "housing.estate", Action.VIEW)
    if r.everything:
        return True
    if estate is None:
        return bool(r.area_paths)
    return any(estate.community.path.startswith(p) for p in r.area_paths)


def organisations_near(community):
    """Organisations of the community, of any area above it, or of a grid inside it:
    those that may sit on an estate's roster or serve it."""
    from portal.models import Area, Organisation

    steplen = Area.steplen
    ancestors = [community.path[:end] for end in range(steplen, len(community.path) + 1, steplen)]
    return Organisation.objects.filter(
        Q(area__path__in=ancestors) | Q(area__path__startswith=community.path)
    )


# --- Dates ---------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the month's last day when short."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(mode: str, after: date) -> date | None:
    months = REVIEW_INTERVAL_MONTHS.get(mode)
    return add_months(after, months) if months else None
