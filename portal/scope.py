"""Who may do what to which rows: the one permission table, `visible_to` and `can`.

Reach comes only from active memberships:
- area roles (grid worker … official) reach rows whose area lies in their area's subtree;
- a programme officer does the same, but only for its programme's kinds;
- an organisation member reaches rows assigned to its organisation;
- a resident reaches only rows it filed or is a party to (the role gives no area reach).
No membership, no rows; superusers see everything. Every scoped queryset derives from
`ScopedQuerySet` and names its kind, its area field and, where they exist, what
"assigned to an organisation" and "owned by a user" mean for its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from .middleware_audit import note_refused_target
from .roles import Action, AreaLevel, Role

ANY_KIND = "*"
ACCOUNT = "portal.account"
NOTHING = Q(pk__in=[])

_ALL = frozenset(Action)
_NONE: frozenset = frozenset()
_WORK = frozenset({Action.VIEW, Action.CREATE, Action.CHANGE, Action.ASSIGN, Action.CLOSE})
_ACCOUNTS = frozenset({Action.VIEW, Action.CREATE, Action.CHANGE})

# role -> case kind ("app.model", or ANY_KIND) -> the actions it allows.
# A kind's own entry replaces the ANY_KIND entry for that role.
PERMISSIONS: dict[str, dict[str, frozenset]] = {
    Role.RESIDENT: {
        ANY_KIND: frozenset({Action.VIEW, Action.CREATE}),
        ACCOUNT: _NONE,
        # Residents see their own home in the registry; they never write it.
        "housing.estate": frozenset({Action.VIEW}),
        "housing.household": frozenset({Action.VIEW}),
        "housing.person": frozenset({Action.VIEW}),
        "housing.desk_visit": _NONE,
    },
    Role.GRID_WORKER: {
        ANY_KIND: frozenset({Action.VIEW, Action.CREATE, Action.CHANGE}),
        ACCOUNT: _NONE,
    },
    Role.COMMUNITY_STAFF: {ANY_KIND: _ALL, ACCOUNT: _ACCOUNTS},
    Role.PARTY_SECRETARY: {ANY_KIND: _ALL, ACCOUNT: _ACCOUNTS},
    Role.SUBDISTRICT_STAFF: {ANY_KIND: _WORK | {Action.EXPORT}, ACCOUNT: _ACCOUNTS},
    Role.PROGRAMME_OFFICER: {
        ANY_KIND: _ALL - {Action.CREATE},
        ACCOUNT: _NONE,
        # A county's eldercare office registers facilities, agreements and doctor teams
        # and applies for adaptations itself (DOMAIN.md Part 1 §5).
        "eldercare.facility": _ALL,
        "eldercare.adaptation": _ALL,
        "eldercare.agreement": _ALL,
        "eldercare.team": _ALL,
        "eldercare.contract": _ALL,
        # A city's civility office runs inspections and orders across the city.
        "civility.criteria": _ALL,
        "civility.site": _ALL,
        "civility.inspection": _ALL,
        "civility.finding": _ALL,
        "civility.order": _ALL,
        "civility.team": _ALL,
        "civility.event": _ALL,
    },
    Role.OFFICIAL: {ANY_KIND: frozenset({Action.VIEW, Action.EXPORT}), ACCOUNT: _NONE},
    Role.ORGANISATION_MEMBER: {
        ANY_KIND: frozenset({Action.VIEW, Action.CHANGE}),
        ACCOUNT: _NONE,
        # A property company sees the estates it serves, not the people in them.
        "housing.estate": frozenset({Action.VIEW}),
        "housing.household": _NONE,
        "housing.person": _NONE,
        # A red-vest volunteer closes the errand they ran (services check it is theirs).
        "eldercare.errand": frozenset({Action.VIEW, Action.CHANGE, Action.CLOSE}),
        # A responsible unit sees its own sites, findings and orders and answers the orders;
        # inspections and outreach are the inspectors' business.
        "civility.site": frozenset({Action.VIEW}),
        "civility.finding": frozenset({Action.VIEW}),
        "civility.inspection": _NONE,
        "civility.team": _NONE,
        "civility.event": _NONE,
    },
}

# The audit (reveals, exports, logins, refusals, case history) is read by those who
# answer for an area's accounts: community secretaries, subdistrict staff, officials.
AUDIT = "portal.audit"
AUDIT_ROLES = frozenset({Role.PARTY_SECRETARY, Role.SUBDISTRICT_STAFF, Role.OFFICIAL})
for _role, _table in PERMISSIONS.items():
    _table[AUDIT] = frozenset({Action.VIEW, Action.EXPORT}) if _role in AUDIT_ROLES else _NONE
del _role, _table

AREA_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.PARTY_SECRETARY,
        Role.SUBDISTRICT_STAFF,
        Role.PROGRAMME_OFFICER,
        Role.OFFICIAL,
    }
)

# The level of area each role's membership is held at.
ROLE_LEVELS: dict[str, frozenset] = {
    Role.RESIDENT: frozenset({AreaLevel.COMMUNITY}),
    Role.GRID_WORKER: frozenset({AreaLevel.GRID}),
    Role.COMMUNITY_STAFF: frozenset({AreaLevel.COMMUNITY}),
    Role.PARTY_SECRETARY: frozenset({AreaLevel.COMMUNITY}),
    Role.SUBDISTRICT_STAFF: frozenset({AreaLevel.SUBDISTRICT}),
    Role.PROGRAMME_OFFICER: frozenset({AreaLevel.DISTRICT, AreaLevel.CITY}),
    Role.OFFICIAL: frozenset({AreaLevel.DISTRICT, AreaLevel.CITY, AreaLevel.PROVINCE}),
    Role.ORGANISATION_MEMBER: frozenset(),
}

# Which roles a member of each role may grant (create accounts for) inside its area.
GRANTS: dict[str, frozenset] = {
    Role.COMMUNITY_STAFF: frozenset({Role.RESIDENT, Role.GRID_WORKER}),
    Role.PARTY_SECRETARY: frozenset({Role.RESIDENT, Role.GRID_WORKER}),
    Role.SUBDISTRICT_STAFF: frozenset(
        {Role.RESIDENT, Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.PARTY_SECRETARY}
    ),
}


# Kinds a programme officer of *another* programme may view, because the programme
# needs them: eldercare works from residents' records, elevators from households.
SHARED_WITH_PROGRAMMES: dict[str, frozenset] = {
    "housing.estate": frozenset({"eldercare", "elevators"}),
    "housing.household": frozenset({"eldercare", "elevators"}),
    "housing.person": frozenset({"eldercare"}),
}


def programme_of(kind: str) -> str:
    return kind.split(".", 1)[0]


def allows(role: str, kind: str, action: str, programme: str = "") -> bool:
    """Does the permission table let `role` do `action` to rows of `kind`?"""
    table = PERMISSIONS.get(role, {})
    if role == Role.PROGRAMME_OFFICER and kind != ACCOUNT and programme_of(kind) != programme:
        return action == Action.VIEW and programme in SHARED_WITH_PROGRAMMES.get(kind, ())
    return action in table.get(kind, table.get(ANY_KIND, _NONE))


# two-factor login: added here
_SENSITIVE_ACTIONS = frozenset({Action.REVEAL, Action.EXPORT})


def role_handles_personal_data(role: str) -> bool:
    """Can `role` reveal or export personal data for some kind? Read off the table."""
    return any(actions & _SENSITIVE_ACTIONS for actions in PERMISSIONS.get(role, {}).values())


def handles_personal_data(user) -> bool:
    """Does any of the user's roles (or admin access) reach reveal or export? Such
    accounts must confirm a second factor when TWO_FACTOR_REQUIRED is on."""
    if user.is_superuser or user.is_staff:
        return True
    return any(role_handles_personal_data(m.role) for m in active_memberships(user))


def active_memberships(user) -> list:
    """The user's active memberships with their area and organisation, once per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_portal_memberships", None)
    if cached is None:
        membership_model = apps.get_model("portal", "Membership")
        cached = list(
            membership_model.objects.filter(user=user, ended_at__isnull=True).select_related(
                "area", "organisation__area"
            )
        )
        user._portal_memberships = cached
    return cached


def forget_memberships(user) -> None:
    """Drop the cached memberships after they change."""
    user.__dict__.pop("_portal_memberships", None)


def roles_of(user) -> set[str]:
    return {m.role for m in active_memberships(user)}


def member_of(user, organisation_types) -> bool:
    """Is the user a member of an organisation of one of these types? From the loaded
    memberships, so navigation checks cost no query."""
    return any(
        m.role == Role.ORGANISATION_MEMBER
        and m.organisation is not None
        and m.organisation.type in organisation_types
        for m in active_memberships(user)
    )


@dataclass
class Reach:
    """Where a user's rows of one kind come from, for one action."""

    everything: bool = False
    area_paths: set[str] = field(default_factory=set)
    # Those of area_paths that are grids: a grid worker reaches cases by their grid.
    grid_paths: set[str] = field(default_factory=set)
    organisation_ids: set[int] = field(default_factory=set)
    own: bool = False


def reach(user, kind: str, action: str = Action.VIEW) -> Reach:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Reach()
    if user.is_superuser:
        return Reach(everything=True)
    result = Reach()
    for membership in active_memberships(user):
        if not allows(membership.role, kind, action, membership.programme):
            continue
        if membership.role in AREA_ROLES:
            result.area_paths.add(membership.area.path)
            if membership.area.level == AreaLevel.GRID:
                result.grid_paths.add(membership.area.path)
        elif membership.role == Role.ORGANISATION_MEMBER:
            result.organisation_ids.add(membership.organisation_id)
        elif membership.role == Role.RESIDENT:
            result.own = True
    return result


def may(user, action: str, kind: str) -> bool:
    """May the user do `action` to some rows of `kind` (e.g. to show a button)?"""
    r = reach(user, kind, action)
    return r.everything or bool(r.area_paths or r.organisation_ids or r.own)


def may_at(user, action: str, kind: str, area) -> bool:
    """May the user do `action` to rows of `kind` placed at `area` (e.g. create one there)?"""
    r = reach(user, kind, action)
    return r.everything or any(area.path.startswith(p) for p in r.area_paths)


def under_paths_q(paths, lookup: str = "path") -> Q:
    """Rows whose `lookup` lies in any of the subtrees rooted at `paths`."""
    q = NOTHING
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def paths_above(paths) -> set[str]:
    """The paths of every area strictly above any of `paths`."""
    step = apps.get_model("portal", "Area").steplen
    return {p[:end] for p in paths for end in range(step, len(p), step)}


def near_paths_q(paths, lookup: str = "path") -> Q:
    """Rows in the subtrees at `paths` or at an area above them: the organisations that
    may serve there (a county hospital serves the towns under it)."""
    return under_paths_q(paths, lookup) | Q(**{f"{lookup}__in": paths_above(paths)})


class ScopedQuerySet(models.QuerySet):
    """A queryset that can restrict itself to what a user may see or do."""

    scope_kind = ""
    area_field = "community"

    def in_areas(self, paths: set[str], grids: set[str] = frozenset()) -> Q:
        area_model = apps.get_model("portal", "Area")
        return Q(**{f"{self.area_field}__in": area_model.objects.filter(under_paths_q(paths))})

    def assigned_to(self, user, organisation_ids: set[int]) -> Q:
        return NOTHING

    def owned_by(self, user) -> Q:
        return NOTHING

    def scope_kind_of(self, obj) -> str:
        """The kind whose permissions decide on `obj`."""
        return self.scope_kind

    def visible_to(self, user, action: str = Action.VIEW):
        """The rows `user` may see (or, with `action`, act on); none when in doubt."""
        if not self.scope_kind:
            raise NotImplementedError(f"{type(self).__name__} names no scope_kind")
        r = reach(user, self.scope_kind, action)
        if r.everything:
            return self.all()
        q = NOTHING
        if r.area_paths:
            q |= self.in_areas(r.area_paths, r.grid_paths)
        if r.organisation_ids:
            q |= self.assigned_to(user, r.organisation_ids)
        if r.own:
            q |= self.owned_by(user)
        return self.filter(q)


def can(user, action: str, obj) -> bool:
    """May `user` do `action` to `obj`? Answered by the same filter as `visible_to`."""
    queryset = type(obj)._default_manager.all()
    if not may(user, action, queryset.scope_kind_of(obj)):
        return False  # known from the memberships: no query to build
    return queryset.visible_to(user, action).filter(pk=obj.pk).exists()


def require(actor, action: str, obj) -> None:
    """Raise PermissionDenied unless `actor` may do `action` to `obj` (see `can`)."""
    if actor is None or not can(actor, action, obj):
        note_refused_target(f"{obj._meta.label_lower}:{obj.pk}")
        raise PermissionDenied


def get_visible_or_404(queryset, user, action: str = Action.VIEW, **lookup):
    """The one row `lookup` names if `user` may `action` it; otherwise 404, never 403."""
    try:
        return queryset.visible_to(user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        key = lookup.get("pk", lookup.get("id", next(iter(lookup.values()), "")))
        note_refused_target(f"{queryset.model._meta.label_lower}:{key}")
        raise Http404 from None


# --- Accounts -------------------------------------------------------------------


def _granting_memberships(actor, role: str):
    return [m for m in active_memberships(actor) if role in GRANTS.get(m.role, ())]


def may_grant(actor, role: str, area) -> bool:
    """May `actor` give `role` at `area` (create such an account or membership)?"""
    if area is None or area.level not in ROLE_LEVELS.get(role, ()):
        return False
    if actor.is_superuser:
        return True
    return any(area.path.startswith(m.area.path) for m in _granting_memberships(actor, role))


def grantable_roles(actor) -> list[str]:
    if actor.is_superuser:
        return [r for r in Role.values if r != Role.ORGANISATION_MEMBER]
    granted = set().union(*(GRANTS.get(m.role, ()) for m in active_memberships(actor)))
    return [r for r in Role.values if r in granted]


def grantable_areas(actor, role: str):
    """The areas at which `actor` may grant `role`."""
    area_model = apps.get_model("portal", "Area")
    areas = area_model.objects.filter(level__in=ROLE_LEVELS.get(role, ()))
    if actor.is_superuser:
        return areas
    paths = {m.area.path for m in _granting_memberships(actor, role)}
    return areas.filter(under_paths_q(paths))


def account_manageable(actor, target) -> bool:
    """May `actor` reset, deactivate or change the memberships of `target`?

    Only when every active membership of the target is one the actor could have
    granted: a community's staff cannot touch an official who also lives there.
    """
    if target.pk == actor.pk or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    if target.is_superuser or target.is_staff:
        return False
    memberships = list(target.memberships.filter(ended_at__isnull=True).select_related("area"))
    return bool(memberships) and all(
        m.area is not None and may_grant(actor, m.role, m.area) for m in memberships
    )


# --- Audit ----------------------------------------------------------------------


def audit_visible(
    queryset, user, action: str = Action.VIEW, *, user_field="user", by_username=False
):
    """The audit rows `user` may read: all for superusers; for the AUDIT_ROLES, rows about
    accounts that hold or held a membership in their areas' subtrees; none for others.

    `user_field` names the row's account (`by_username` when it holds a login name, as
    django-axes' logs do). The one place that says who audits whom.
    """
    r = reach(user, AUDIT, action)
    if r.everything:
        return queryset
    if not r.area_paths:
        return queryset.none()
    membership_model = apps.get_model("portal", "Membership")
    members = membership_model.objects.filter(
        under_paths_q(r.area_paths, "area__path")
        | under_paths_q(r.area_paths, "organisation__area__path")
    ).values("user_id")
    if by_username:
        user_model = apps.get_model("portal", "User")
        members = user_model.objects.filter(pk__in=members).values("username")
    return queryset.filter(**{f"{user_field}__in": members})
